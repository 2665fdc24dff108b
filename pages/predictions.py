"""The predictions log: every form prediction, scored file and forecast — who, when, which model version,
inputs (or the input file), outputs, duration — filtered by model, user and date; and, once a labelled dataset
gives the true values, how right each was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st

from ui.auth import current_actor
from ui.downloads import download_csv
from ui.engine import get_engine
from ui.errors import guard

ALL = ""

engine, actor = get_engine(), current_actor()
st.title("Predictions log")
st.caption("Form predictions, scored files and forecasts of your organisation. Times are UTC.")


def check_against_truth(models: dict[str, str]) -> None:
    """Match a model's logged predictions to a labelled dataset (above the table, which then shows the outcome)."""
    with st.expander("Check predictions against true values", icon=":material/fact_check:"), guard():
        st.caption(
            "Choose a model and a dataset holding the true values: its id column and target (for a forecast its "
            "time and series columns and target). Each logged prediction of the model with a matching row gets its "
            "accuracy (classification) or mean absolute error (regression and forecasts)."
        )
        datasets = {d.id: d.name for d in engine.datasets.list(actor)}
        left, right = st.columns(2)
        model_id = left.selectbox(
            "Model", list(models), format_func=models.__getitem__, index=None, key="log_check_model"
        )
        labels = right.selectbox(
            "Dataset with the true values",
            list(datasets),
            format_func=datasets.__getitem__,
            index=None,
            key="log_check_dataset",
        )
        if not st.button("Check", key="log_check", disabled=not (model_id and labels)):
            return
        found = engine.predictions.evaluate(actor, str(model_id), str(labels))
        if found.value is None:
            st.warning(f"No logged prediction matched a row of {datasets[str(labels)]} by {', '.join(found.key)}.")
            return
        what = "accuracy" if found.metric == "accuracy" else "mean absolute error"
        missed = f"; {found.unmatched:,} found no true value." if found.unmatched else "."
        st.success(f"{found.entries:,} entries checked over {found.rows:,} rows: {what} {found.value:.4g}{missed}")


with guard():
    everything = engine.inference.log(actor)
    if everything.empty:
        st.info("No predictions yet.")
        st.stop()
    models = dict(zip(everything["model_id"], everything["model"], strict=False))
    if actor.can("inference:run"):
        check_against_truth(models)
    users = sorted(everything["user"].unique())
    first = everything["created (UTC)"].min().date()
    by_model, by_user, by_date = st.columns([2, 1, 2])
    model_id = by_model.selectbox(
        "Model", [ALL, *models], format_func=lambda m: models.get(m, "All models"), key="log_model"
    )
    user = by_user.selectbox("User", [ALL, *users], format_func=lambda u: u or "All users", key="log_user")
    today = datetime.now(UTC).date()
    period = by_date.date_input(
        "Dates (UTC)", value=(first, today), min_value=first - timedelta(days=1), max_value=today, key="log_dates"
    )
    chosen = list(period) if isinstance(period, tuple) else [period]  # one date while the user picks the second
    since, until = (chosen[0], chosen[-1]) if chosen and chosen[0] else (first, today)
    frame = engine.inference.log(actor, model_id=model_id or None, user=user or None, since=since, until=until)
    st.dataframe(
        frame.drop(columns=["model_id", "id"]),
        hide_index=True,
        key="log_table",
        placeholder="",
        column_config={
            "created (UTC)": st.column_config.DatetimeColumn("when (UTC)", format="YYYY-MM-DD HH:mm:ss"),
            "duration_s": st.column_config.NumberColumn("duration (s)", format="%.3f"),
            "inputs": st.column_config.TextColumn("inputs", width="large"),
            "outputs": st.column_config.TextColumn("outputs", width="large"),
            "warnings": st.column_config.TextColumn("warnings", width="large"),
            "outcome_metric": st.column_config.TextColumn("checked by", help="accuracy or mae (mean absolute error)"),
            "outcome": st.column_config.NumberColumn("against true values", format="%.4g"),
            "outcome_rows": st.column_config.NumberColumn("rows with true values"),
        },
    )
    st.caption(f"{len(frame):,} of {len(everything):,} entries.")
    download_csv(frame, "predictions-log.csv", key="log_csv")
