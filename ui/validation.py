"""The validation report as analysts see it: summary metrics, problems per kind, the problem rows, CSV."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import ValidationReport
from ui.charts import bar
from ui.downloads import download_csv


def show_report(report: ValidationReport, key: str, filename: str = "validation-report.csv") -> None:
    """Render one report; ``key`` prefixes the widget keys so two reports can share a page."""
    total, in_file, in_template, usable, defaults = st.columns(5)
    total.metric("Data rows", f"{report.rows:,}", help="Rows under the header.")
    in_file.metric("Columns in the file", f"{report.file_columns:,}")
    in_template.metric(
        "Columns in the template",
        "none" if report.template_columns is None else f"{report.template_columns:,}",
        help="Without a template, types are inferred from the file.",
    )
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
    if report.usable_rows == 0:
        st.error(
            f"No row is usable: each of the {report.rows:,} rows has a problem ({report.total_problems:,} in all). "
            "Fix the file or choose another template; keeping only valid rows would store nothing.",
            icon=":material/error:",
        )
    elif not report.ok:
        st.warning(f"{report.total_problems:,} problem(s) found.", icon=":material/warning:")
    for note in report.notes:  # after the verdict: how the data was read
        st.info(note, icon=":material/info:")
    if report.ok:
        return
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
            placeholder="",
            column_config={
                "row": st.column_config.TextColumn("data row", help="1 = first row under the header"),
                "expected": st.column_config.TextColumn("expected type"),
            },
        )
        st.caption("Data rows count from the first row under the header: row 1 is spreadsheet line 2.")
        if report.truncated:
            st.caption(f"Showing the first {len(problems):,} of {report.total_problems:,} problems.")
        download_csv(problems, filename, key=f"{key}_csv", label="Download the report (CSV)")
