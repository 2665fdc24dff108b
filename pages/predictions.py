"""The predictions log: every form prediction, scored file and forecast — who, when, which model version,
inputs (or the input file), outputs, duration — filtered by model, user and date."""

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

with guard():
    everything = engine.inference.log(actor)
    if everything.empty:
        st.info("No predictions yet.")
        st.stop()
    models = dict(zip(everything["model_id"], everything["model"], strict=False))
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
        },
    )
    st.caption(f"{len(frame):,} of {len(everything):,} entries.")
    download_csv(frame, "predictions-log.csv", key="log_csv")
