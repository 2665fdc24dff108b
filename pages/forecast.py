"""Forecast: the next values of each series with prediction intervals, from a forecast model; and what the model
learned (leaderboard, the model chosen per series with its cross-validation errors and plots, notes)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from core import ForecastSpec, ForecastSummary, JobStatus, Model
from ui import forecast_charts as charts
from ui.auth import current_actor
from ui.downloads import download_csv
from ui.engine import get_engine
from ui.errors import guard
from ui.jobs import job_panel

LEVELS = [50, 80, 90, 95, 99]
PLOTTED = 4  # more series than this: choose the one to plot
SHOWN = 500  # history points drawn before the forecast

ERRORS = {
    "mase": st.column_config.NumberColumn("MASE", format="%.3f", help="Below 1 beats a seasonal naive forecast."),
    "smape": st.column_config.NumberColumn("sMAPE (%)", format="%.2f"),
    "selected_mase": st.column_config.NumberColumn(
        "Selected on these series (MASE)",
        format="%.3f",
        help="The per-series choice's MASE over the same series as this row: the fair comparison.",
    ),
    "n_series": st.column_config.NumberColumn("series tried"),
    "chosen_for": st.column_config.NumberColumn("chosen alone for"),
    "in_ensembles": st.column_config.NumberColumn("in ensembles of"),
}
KINDS = (
    "kind: **regular** all candidates · **short** too short for the season, non-seasonal models · "
    "**intermittent** many zeros, intermittent-demand models · **tiny** too short to cross-validate, Naive."
)

engine, actor = get_engine(), current_actor()
st.title("Forecast")
st.caption(
    "Forecast each series some steps ahead with the model chosen for it by cross-validation. The intervals "
    "are calibrated on the cross-validation errors: the 95% band should hold about 95% of future values."
)


def digits(values: pd.Series) -> str:
    """A format with about four significant digits at the values' typical size (Streamlit ignores %g)."""
    typical = float(values.abs().median()) if values.notna().any() else 1.0
    return f"%.{int(np.clip(3 - np.floor(np.log10(typical or 1.0)), 0, 6))}f"


def errors_config(frame: pd.DataFrame) -> dict[str, Any]:
    rmse = st.column_config.NumberColumn("RMSE", format=digits(frame["rmse"]), help="In the forecast value's units.")
    return {**ERRORS, "rmse": rmse}


def pick_series(ids: list[str]) -> list[str] | None:
    """None means every series; a model of one series needs no choice."""
    if len(ids) == 1:
        return None
    every = st.toggle(f"All {len(ids):,} series", value=len(ids) <= PLOTTED, key="forecast_all")
    if every:
        return None
    return st.multiselect(
        "Series", ids, default=ids[:1], key="forecast_series", placeholder="Type to search the series ids"
    )


def plot_series(ids: list[str], key: str) -> list[str]:
    return ids if len(ids) <= PLOTTED else [st.selectbox("Series to plot", ids, key=key)]


def future_dataset(spec: ForecastSpec) -> str | None:
    """A model with exogenous columns needs their future values: the dataset that holds them."""
    if not spec.exogenous:
        return None
    exogenous = ", ".join(spec.exogenous)
    datasets = {d.id: d for d in engine.datasets.list(actor)}
    return st.selectbox(
        f"Future values of {exogenous}",
        list(datasets),
        index=None,
        key="forecast_future",
        format_func=lambda i: datasets[i].name,
        placeholder="Choose the dataset with the future values",
        help=f"A dataset with the columns {spec.time_column}"
        + (f", {spec.series_column}" if spec.series_column else "")
        + f" and {exogenous} for every period to forecast.",
    )


def newer_history(spec: ForecastSpec) -> str | None:
    """Optionally, a dataset of observations made since training: the forecast starts from its end."""
    datasets = {d.id: d for d in engine.datasets.list(actor)}
    columns = ", ".join(c for c in (spec.time_column, spec.series_column, spec.target) if c)
    return st.selectbox(
        "Start from newer history (optional)",
        list(datasets),
        index=None,
        key="forecast_newer",
        format_func=lambda i: datasets[i].name,
        placeholder="The training data",
        help=f"A dataset with the columns {columns}, holding observations after the training data: each series "
        "is forecast from its newest observation, without retraining.",
    )


def forecast_view(summary: ForecastSummary, history: pd.DataFrame) -> None:
    model, spec = summary.model, summary.spec
    ids = list(summary.series["unique_id"])
    steps_box, levels_box = st.columns([1, 2])
    steps = steps_box.number_input(
        "Steps ahead",
        min_value=1,
        max_value=10_000,
        value=summary.horizon,
        key="forecast_steps",
        help=f"One step is one period of frequency {summary.freq}.",
    )
    levels = levels_box.multiselect(
        "Interval levels (%)",
        LEVELS,
        default=[80, 95],
        key="forecast_levels",
        help="Each level draws a band that should hold that share of future values.",
    )
    series = pick_series(ids)
    future = future_dataset(spec)
    newer = newer_history(spec)
    if st.button("Forecast", type="primary", icon=":material/timeline:", key="forecast_submit"):
        st.session_state[f"forecast_job_{model.id}"] = engine.forecasts.submit(
            actor, model.id, int(steps), series, levels, future, history_dataset_id=newer
        ).id
    job_id = st.session_state.get(f"forecast_job_{model.id}")  # each model keeps its last forecast
    job = job_panel(engine, actor, job_id, key=f"forecast_{job_id[:8]}") if job_id else None
    if job is None or job.status != JobStatus.SUCCEEDED:
        return
    frame = engine.forecasts.result(actor, job.id)
    started_from = job.params.get("history_dataset_id")
    if started_from:  # plot the history the forecast continued
        history = engine.forecasts.history(actor, model.id, started_from)
        st.caption("Forecast from the newer history you chose; the model was not retrained.")
    levels_done = sorted(int(c[3:]) for c in frame.columns if c.startswith("lo-"))
    for uid in plot_series(list(dict.fromkeys(frame["unique_id"])), key="forecast_plot_series"):
        rows = frame[frame["unique_id"] == uid]
        past = history[history["unique_id"] == uid].tail(SHOWN)
        title = f"{uid}: {rows['model'].iloc[0]}, {len(rows)} steps ahead"
        st.plotly_chart(
            charts.forecast_figure(past, rows, levels_done, title=title, y_title=model.target),
            key=f"forecast_chart_{uid}",
        )
    daily = bool((frame["ds"] == frame["ds"].dt.normalize()).all())
    numbers = {c: st.column_config.NumberColumn(format=digits(frame["forecast"])) for c in frame.columns[3:]}
    when = st.column_config.DatetimeColumn(spec.time_column, format="YYYY-MM-DD" if daily else "YYYY-MM-DD HH:mm")
    st.dataframe(frame, hide_index=True, key="forecast_table", column_config={**numbers, "ds": when}, placeholder="")
    own_names = {"ds": spec.time_column, "unique_id": spec.series_column or "unique_id"}
    download_csv(  # the user's column names, as on screen, not statsforecast's ds / unique_id
        frame.rename(columns=own_names),
        f"{model.name}-v{model.version}-forecast.csv",
        key="forecast_csv",
        label="Download the forecast (CSV)",
    )
    st.caption("Recorded in the predictions log; the CSV is also kept in Files.")


def model_view(summary: ForecastSummary, history: pd.DataFrame) -> None:
    model, label = summary.model, summary.model.label
    for column, (key, name) in zip(
        st.columns(3), (("mase", "MASE"), ("smape", "sMAPE"), ("rmse", "RMSE")), strict=True
    ):
        value = summary.metrics.get(key)
        column.metric(
            f"CV {name}",
            "—" if value is None else f"{value:,.4g}",
            help="Mean over the series of the chosen models' cross-validation errors. MASE below 1 "
            "beats a seasonal naive forecast; sMAPE is in percent (0-200).",
        )
    st.caption(
        f"{len(summary.series):,} series · frequency {summary.freq} · season length {summary.season_length} "
        f"· {summary.n_windows} cross-validation windows of {summary.horizon} steps, ending at the last "
        "observation."
    )
    for note in summary.notes:
        st.info(note, icon=":material/info:")
    st.subheader("Leaderboard")
    st.caption(
        'Each candidate\'s mean cross-validation error over the series it was tried on; "Selected" is the '
        "combination (median, mean or error-weighted mean of the core models) or single model chosen per series."
    )
    if summary.leaderboard["n_series"].nunique() > 1:
        st.caption(
            "Not every model was tried on every series (short or intermittent series get other candidates): "
            "compare each model's MASE with \"Selected on these series\", the choice's error on the same "
            "series."
        )
    st.plotly_chart(charts.metric_bars(summary.leaderboard, "mase"), key="forecast_board_chart")
    st.dataframe(
        summary.leaderboard,
        hide_index=True,
        key="forecast_board",
        column_config=errors_config(summary.leaderboard),
        placeholder="",
    )
    download_csv(summary.leaderboard, f"{model.name}-v{model.version}-leaderboard.csv", key="forecast_board_csv")
    st.subheader("Per series")
    st.dataframe(
        summary.series,
        hide_index=True,
        key="forecast_per_series",
        column_config=errors_config(summary.series),
        placeholder="",
    )
    st.caption(KINDS)
    left, right = st.columns(2)
    with left:
        download_csv(
            summary.series,
            f"{model.name}-v{model.version}-series.csv",
            key="forecast_series_csv",
            label="Download the chosen models (CSV)",
        )
    with right:
        download_csv(
            summary.series_metrics,
            f"{model.name}-v{model.version}-candidates.csv",
            key="forecast_candidates_csv",
            label="Download every candidate's errors (CSV)",
        )
    st.subheader("Cross-validation forecasts")
    chosen = dict(zip(summary.series["unique_id"], summary.series["model"], strict=True))
    for uid in plot_series(list(chosen), key="forecast_cv_series"):
        cv = summary.cv[summary.cv["unique_id"] == uid] if not summary.cv.empty else summary.cv
        if cv.empty:
            st.caption(f"{uid}: too short to cross-validate.")
            continue
        candidates = [c for c in summary.candidates if c in cv and cv[c].notna().any()]
        figure = charts.cv_figure(
            history[history["unique_id"] == uid].tail(SHOWN),
            cv,
            candidates,
            chosen[uid],
            title=f"{uid}: cross-validation forecasts of {label}",
            y_title=model.target,
        )
        st.plotly_chart(figure, key=f"forecast_cv_chart_{uid}")


def open_model() -> None:
    st.query_params["model"] = st.session_state["forecast_model"]


def model_label(model: Model) -> str:
    return f"{model.label} · {model.target} · {model.details.series} series · from {model.dataset_name}"


with guard():
    models = engine.models.list(actor, problem_types=["forecast"])
    if not models:
        st.info("No forecast model yet: on the Train page choose the problem type Forecast.")
        st.stop()
    by_id = {m.id: m for m in models}
    if st.query_params.get("model") not in by_id:  # no model in the URL, or it was deleted: the first one
        st.query_params["model"] = next(iter(by_id))
    st.session_state["forecast_model"] = st.query_params["model"]  # links, reloads and bookmarks open it
    model_id = st.selectbox(
        "Forecast model",
        list(by_id),
        key="forecast_model",
        on_change=open_model,
        format_func=lambda i: model_label(by_id[i]),
    )
    summary = engine.forecasts.summary(actor, model_id)
    history = engine.forecasts.history(actor, model_id)
    if not actor.can("inference:run"):  # reading a model needs models:read only
        st.info("Your role can read forecast models but not run forecasts.", icon=":material/info:")
        model_view(summary, history)
        st.stop()
    forecast_tab, model_tab = st.tabs(["Forecast", "Model: leaderboard & cross-validation"])
    with forecast_tab, guard():
        forecast_view(summary, history)
    with model_tab, guard():
        model_view(summary, history)
