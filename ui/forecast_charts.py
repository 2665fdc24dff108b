"""Plotly figures of forecasts: one series' history with its forecast and interval bands, and its
cross-validation forecasts against the actuals (frames come from ``eng.forecasts``)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from ui.charts import COLOR, HEIGHT

HISTORY = "#374151"
FORECAST = "#dc2626"
OTHERS = ("#2563eb", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777", "#4b5563")
CUTOFF = "#9ca3af"
CONTEXT = 4  # history shown at first: this many times the forecast's length


def _style(figure: go.Figure, title: str, y_title: str) -> go.Figure:
    figure.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left"},
        xaxis_title="",
        yaxis_title=y_title,
        height=HEIGHT + 40,
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
        hovermode="x unified",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0.0},
    )  # under the title
    return figure


def forecast_figure(
    history: pd.DataFrame, forecast: pd.DataFrame, levels: Sequence[int], *, title: str, y_title: str
) -> go.Figure:
    """``history`` (ds, y) of one series, then its ``forecast`` (ds, forecast, lo-<l>, hi-<l>) with one band per
    level, the widest palest. The forecast line starts at the last observation so the two join."""
    figure = go.Figure()
    for i, level in enumerate(sorted(levels, reverse=True)):
        opacity = 0.12 + 0.16 * i
        figure.add_trace(
            go.Scatter(
                x=forecast["ds"],
                y=forecast[f"hi-{level}"],
                mode="lines",
                line={"width": 0},
                showlegend=False,
                name=f"{level}% upper",
                legendgroup=str(level),
                hovertemplate=f"{level}% upper %{{y:,.4g}}<extra></extra>",
            )
        )
        figure.add_trace(
            go.Scatter(
                x=forecast["ds"],
                y=forecast[f"lo-{level}"],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=f"rgba(220, 38, 38, {opacity:.2f})",
                name=f"{level}% interval",
                legendgroup=str(level),
                hovertemplate=f"{level}% lower %{{y:,.4g}}<extra></extra>",
            )
        )
    figure.add_trace(
        go.Scatter(
            x=history["ds"],
            y=history["y"],
            mode="lines",
            name="history",
            line={"color": HISTORY},
            hovertemplate="actual %{y:,.4g}<extra></extra>",
        )
    )
    last = history.tail(1)
    figure.add_trace(
        go.Scatter(
            x=pd.concat([last["ds"], forecast["ds"]]),
            y=pd.concat([last["y"], forecast["forecast"]]),
            mode="lines",
            name="forecast",
            line={"color": FORECAST, "dash": "dash"},
            hovertemplate="forecast %{y:,.4g}<extra></extra>",
        )
    )
    bands = [forecast[c] for c in forecast.columns if c.startswith(("lo-", "hi-"))]
    _zoom(figure, history, forecast["ds"].max(), CONTEXT * len(forecast), [forecast["forecast"], *bands])
    return _style(figure, title, y_title)


def _zoom(figure: go.Figure, history: pd.DataFrame, end: pd.Timestamp, before: int, drawn: list[pd.Series]) -> None:
    """Open on the last ``before`` observations and what follows (``drawn``: the other values shown there);
    double-click shows the whole history."""
    if len(history) <= before:
        return
    values = pd.concat([history["y"].tail(before), *drawn]).dropna()
    pad = 0.05 * float(values.max() - values.min()) or 1.0
    figure.update_xaxes(range=[history["ds"].iloc[-before], end])
    figure.update_yaxes(range=[float(values.min()) - pad, float(values.max()) + pad])


def cv_figure(
    history: pd.DataFrame, cv: pd.DataFrame, candidates: Sequence[str], chosen: str, *, title: str, y_title: str
) -> go.Figure:
    """One series' actuals with the cross-validation forecasts of each window: the chosen configuration drawn
    bold, the other candidates thin (click the legend to show or hide them); dotted lines mark the cutoffs."""
    figure = go.Figure(
        go.Scatter(
            x=history["ds"],
            y=history["y"],
            mode="lines",
            name="actual",
            line={"color": HISTORY},
            hovertemplate="actual %{y:,.4g}<extra></extra>",
        )
    )
    for cutoff in cv["cutoff"].drop_duplicates():
        figure.add_vline(x=cutoff, line_dash="dot", line_color=CUTOFF)
    for i, name in enumerate(candidates):
        _windows(figure, cv, name, name, {"color": OTHERS[i % len(OTHERS)], "width": 1}, legend="legendonly")
    _windows(figure, cv, "chosen", f"chosen: {chosen}", {"color": FORECAST, "width": 3}, legend=True)
    validated = int((history["ds"] > cv["cutoff"].min()).sum())  # the points the windows forecast
    _zoom(figure, history, cv["ds"].max(), validated + CONTEXT * int(cv.groupby("cutoff").size().max()), [cv["chosen"]])
    return _style(figure, title, y_title)


def _windows(
    figure: go.Figure, cv: pd.DataFrame, column: str, name: str, line: dict[str, object], legend: bool | str
) -> None:
    """One trace per CV window (so windows are not joined), grouped under one legend entry."""
    for i, (_, window) in enumerate(cv.groupby("cutoff", sort=True)):
        figure.add_trace(
            go.Scatter(
                x=window["ds"],
                y=window[column],
                mode="lines",
                name=name,
                legendgroup=name,
                showlegend=i == 0,
                visible=legend if legend == "legendonly" else True,
                line=line,
                hovertemplate=f"{name} %{{y:,.4g}}<extra></extra>",
            )
        )


def metric_bars(board: pd.DataFrame, metric: str) -> go.Figure:
    """Mean CV error per model (lower is better), the per-series selection highlighted."""
    shown = board.dropna(subset=[metric]).sort_values(metric)
    colors = [FORECAST if str(m).startswith("Selected") else COLOR for m in shown["model"]]
    figure = go.Figure(
        go.Bar(
            x=shown[metric],
            y=shown["model"].astype(str),
            orientation="h",
            marker_color=colors,
            hovertemplate="%{y}: %{x:.4g}<extra></extra>",
        )
    )
    figure.update_yaxes(autorange="reversed", type="category")
    figure = _style(figure, f"Mean cross-validation {metric.upper()} per model (lower is better)", "")
    figure.update_layout(showlegend=False, hovermode="closest", height=max(HEIGHT // 1.5, 34 * len(shown) + 80))
    return figure
