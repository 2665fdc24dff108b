"""The validation report as analysts see it: summary metrics, problems per kind, the problem rows, CSV."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import ValidationReport
from ui.charts import bar
from ui.downloads import download_csv


def show_report(report: ValidationReport, key: str, filename: str = "validation-report.csv") -> None:
    """Render one report; ``key`` prefixes the widget keys so two reports can share a page."""
    total, fields, usable, defaults = st.columns(4)
    total.metric("Total records", f"{report.rows:,}")
    fields.metric("Fields", f"{report.columns:,}")
    usable.metric(
        "Usable rows",
        f"{report.usable_fraction:.1%}",
        f"{report.usable_rows:,} of {report.rows:,}",
        delta_color="off",
        delta_arrow="off",
    )
    defaults.metric(
        "Defaults applied",
        f"{sum(report.defaults_applied.values()):,}",
        ", ".join(f"{c}: {n:,}" for c, n in report.defaults_applied.items()) or None,
        delta_color="off",
        delta_arrow="off",
        help="Missing cells filled with the template's default.",
    )
    if report.ok:
        st.success("No problems: every row matches.", icon=":material/check_circle:")
        return
    st.warning(f"{report.total_problems:,} problem(s) found.", icon=":material/warning:")
    counts = pd.DataFrame({"problem": list(report.summary()), "count": list(report.summary().values())})
    chart, table = st.columns([2, 3])
    with chart:
        figure = bar(
            counts[counts["count"] > 0],
            x="problem",
            y="count",
            title="Problems per kind",
            horizontal=True,
            x_title=" ",
            y_title="problems",
        )
        st.plotly_chart(figure, key=f"{key}_chart")
    with table:
        problems = report.to_frame()
        shown = problems.assign(row=problems["row"].astype("string").fillna("whole column"))
        st.dataframe(
            shown,
            hide_index=True,
            key=f"{key}_problems",
            placeholder="(empty)",
            column_config={"row": st.column_config.TextColumn("row", help="1 = first row under the header")},
        )
        if report.truncated:
            st.caption(f"Showing the first {len(problems):,} of {report.total_problems:,} problems.")
        download_csv(problems, filename, key=f"{key}_csv", label="Download the report (CSV)")
