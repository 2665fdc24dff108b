"""The datalake: schema → table → columns and metadata, statistics and a histogram of a column, snapshots with a
preview as of any of them, and a read-only query box over the tenant's tables with its CSV."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import LAKE_SCHEMAS, LakeTable
from ui import charts
from ui.auth import current_actor
from ui.downloads import download_csv
from ui.engine import get_engine
from ui.errors import guard
from ui.numbers import byte_size, readable

NUMERIC_TYPES = ("bigint", "integer", "double", "real")
CURRENT = "current"

engine, actor = get_engine(), current_actor()
st.title("Datalake")
st.caption(
    "Apache Iceberg tables: bronze holds every uploaded file as read, silver each dataset's validated rows, "
    "gold the batch predictions of each model. Each write is a snapshot you can read back."
)

table: LakeTable | None = None
with guard():
    left, right = st.columns([1, 3])
    schema = left.segmented_control("Schema", LAKE_SCHEMAS, default="silver", key="dl_schema") or "silver"
    tables = {t.table: t for t in engine.datalake.tables(actor, schema)}
    if not tables:
        st.info(f"No {schema} tables yet: uploads fill bronze and silver, batch predictions gold.")
    else:
        name = right.selectbox("Table", list(tables), key="dl_table")
        table = engine.datalake.table(actor, schema, name)
if table is not None:
    with guard():
        rows, snaps, size, fmt = st.columns(4)
        rows.metric("Rows", f"{table.rows:,}")
        snaps.metric("Snapshots", f"{table.snapshots:,}")
        size.metric(
            "Size",
            byte_size(table.size_bytes),
        )
        fmt.metric("Format", table.format)
        st.caption(
            f"Owner {table.owner} · created {table.created_time:%Y-%m-%d %H:%M} UTC · last access "
            f"{table.last_access_time:%Y-%m-%d %H:%M} UTC · location {table.location}"
        )
        if table.status == "failed":
            st.warning(f"The last write did not reach the lake: {table.error}", icon=":material/warning:")
            if actor.can("datasets:write") and st.button("Retry failed writes", key="dl_retry"):
                engine.datalake.retry(actor)
                st.rerun()

    st.subheader("Columns")
    with guard():
        columns = engine.datalake.columns(actor, table.schema, table.table)
        described = pd.DataFrame([c.__dict__ for c in columns])
        st.dataframe(described, hide_index=True, key="dl_columns", column_order=("column_name", "data_type", "note"))
        download_csv(described, f"{table.table}-columns.csv", key="dl_columns_csv")

    st.subheader("Column statistics")
    with guard():
        names = [c.column_name for c in columns]
        if st.session_state.get("dl_column") not in names:
            st.session_state["dl_column"] = next(
                (c.column_name for c in columns if c.data_type in NUMERIC_TYPES), names[0]
            )
        column = st.selectbox("Column", names, key="dl_column")
        kind = next(c.data_type for c in columns if c.column_name == column)
        distinct = engine.datalake.distinct_count(actor, table.schema, table.table, column)
        if kind in NUMERIC_TYPES or kind.startswith("decimal"):
            stats = engine.datalake.numeric_stats(actor, table.schema, table.table, column)
            cells = st.columns(7)
            for cell, (label, value) in zip(
                cells,
                [
                    ("Count", stats.count),
                    ("Mean", stats.mean),
                    ("Std dev", stats.std_dev),
                    ("Min", stats.min),
                    ("Median", stats.median),
                    ("Max", stats.max),
                    ("Distinct", distinct),
                ],
                strict=True,
            ):
                cell.metric(label, "–" if value is None else readable(value))
            bins = engine.datalake.histogram(actor, table.schema, table.table, column, bins=30)
            figure = charts.histogram(
                bins.rename(columns={"low": "left", "high": "right"}), title=f"Histogram of {column}", x_title=column
            )
            st.plotly_chart(figure, key="dl_histogram")
        else:
            st.metric("Distinct values", f"{distinct:,}")

    st.subheader("Snapshots")
    with guard():
        snapshots = engine.datalake.snapshots(actor, table.schema, table.table)
        listed = [{**s.__dict__, "snapshot_id": str(s.snapshot_id)} for s in snapshots]  # 64-bit ids: as text
        st.dataframe(listed, hide_index=True, key="dl_snapshots")
        download_csv(pd.DataFrame(listed), f"{table.table}-snapshots.csv", key="dl_snapshots_csv")
        ids: list[str] = [CURRENT, *(str(s.snapshot_id) for s in reversed(snapshots))]
        chosen = st.selectbox(
            "Preview as of",
            ids,
            key="dl_as_of",
            format_func=lambda i: "the current snapshot" if i == CURRENT else i,
        )
        as_of = None if chosen in (None, CURRENT) else int(chosen)
        preview = engine.datalake.preview(actor, table.schema, table.table, 100, as_of)
        st.dataframe(preview, key="dl_preview")
        download_csv(preview, f"{table.table}-preview.csv", key="dl_preview_csv")

st.subheader("Query")
with guard():
    # a starting point the user edits; eng.datalake.query checks whatever is run
    example = f"SELECT * FROM {table.schema}.{table.table} LIMIT 100" if table else "SELECT 1 AS one"  # noqa: S608
    if st.session_state.get("dl_sql_example") != example:  # another table: its example, unless the SQL was edited
        if st.session_state.get("dl_sql") in (None, st.session_state.get("dl_sql_example")):
            st.session_state["dl_sql"] = example
        st.session_state["dl_sql_example"] = example
    sql = st.text_area(
        "SQL",
        key="dl_sql",
        help="One SELECT over your tables, named schema.table (bronze, silver, gold). At most 10,000 rows, 30 s.",
    )
    if st.button("Run query", key="dl_run", icon=":material/play_arrow:"):
        st.session_state.pop("dl_result", None)  # a refused query leaves no earlier result on show
        st.session_state["dl_result"] = engine.datalake.query(actor, sql)
    if result := st.session_state.get("dl_result"):
        more = " (more rows matched: only the first 10,000 are shown)" if result.truncated else ""
        st.caption(f"{len(result.frame):,} rows in {result.seconds:.2f} s{more}")
        st.dataframe(result.frame, hide_index=True, key="dl_result_table")
        download_csv(result.frame, "query-result.csv", key="dl_query_csv")
