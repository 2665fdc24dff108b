"""Plotly figures of inference results: why one prediction (SHAP waterfall or bars), class probabilities,
and the summary of a scored file (class counts or a histogram of predicted values)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ui.charts import HEIGHT, bar, histogram
from ui.numbers import readable

UP, DOWN, TOTAL = "#d6336c", "#1c7ed6", "#495057"  # pushes the output up / down (SHAP's colours), totals
TOP = 12


def _top(contributions: Mapping[str, float], top: int) -> list[tuple[str, float]]:
    """The ``top`` largest contributions by size, the rest summed into one "other columns" entry."""
    ranked = sorted(contributions.items(), key=lambda item: -abs(item[1]))
    if len(ranked) <= top:
        return ranked
    rest = ranked[top - 1 :]
    return [*ranked[: top - 1], (f"{len(rest)} other columns", sum(v for _, v in rest))]


def _shown(value: object) -> str:
    """An input as a bar label: floats to 4 significant digits (a form's 0.005383060374248237 is noise)."""
    return readable(value) if isinstance(value, float) else str(value)


def _labels(items: list[tuple[str, float]], inputs: Mapping[str, object] | None) -> list[str]:
    inputs = inputs or {}
    return [f"{name} = {_shown(inputs[name])}" if name in inputs else name for name, _ in items]


def contribution_waterfall(
    base: float,
    contributions: Mapping[str, float],
    output: float,
    *,
    title: str,
    x_title: str,
    inputs: Mapping[str, object] | None = None,
    top: int = TOP,
) -> go.Figure:
    """From the base value (the output before the case's values are known), each column's push, to this case's
    output; the largest pushes first. The axis spans the running totals, not 0: a regression's base value is
    usually far from 0, and an axis from 0 would shrink every push to a sliver."""
    items = _top(contributions, top)
    totals = np.cumsum([base, *(v for _, v in items)])
    low, high = float(min(totals.min(), output)), float(max(totals.max(), output))
    pad = 0.15 * (high - low) or 0.05 * max(abs(high), 1.0)
    labels = ["base value", *_labels(items, inputs), "this case"]
    values = [base, *(v for _, v in items), output]
    figure = go.Figure(
        go.Waterfall(
            orientation="h",
            y=labels,
            x=values,
            measure=["absolute", *["relative"] * len(items), "total"],
            increasing={"marker": {"color": UP}},
            decreasing={"marker": {"color": DOWN}},
            totals={"marker": {"color": TOTAL}},
            connector={"line": {"color": "#adb5bd", "width": 1}},
            text=[readable(base), *(readable(v, signed=True) for _, v in items), readable(output)],
            textposition="auto",
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    figure.update_yaxes(autorange="reversed", type="category")
    figure.update_xaxes(range=[low - pad, high + pad])
    figure.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left"},
        xaxis_title=x_title,
        showlegend=False,
        height=max(HEIGHT, 30 * len(labels) + 100),
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return figure


def contribution_bars(
    contributions: Mapping[str, float],
    *,
    title: str,
    x_title: str,
    inputs: Mapping[str, object] | None = None,
    top: int = TOP,
) -> go.Figure:
    """One signed bar per column, largest first, coloured by the direction it pushes."""
    items = _top(contributions, top)
    values = [v for _, v in items]
    figure = go.Figure(
        go.Bar(
            x=values,
            y=_labels(items, inputs),
            orientation="h",
            marker_color=[UP if v >= 0 else DOWN for v in values],
            text=[f"{v:+.3g}" for v in values],
            textposition="auto",
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    figure.update_yaxes(autorange="reversed", type="category")
    figure.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left"},
        xaxis_title=x_title,
        showlegend=False,
        height=max(HEIGHT, 30 * len(items) + 100),
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return figure


def probabilities(probabilities: Mapping[str, float], *, title: str = "Class probabilities") -> go.Figure:
    frame = pd.DataFrame({"class": list(probabilities), "probability": list(probabilities.values())})
    frame = frame.sort_values("probability", ascending=False, kind="stable")
    figure = bar(frame, x="class", y="probability", title=title, horizontal=True)
    # beside the bar, level: inside, a thin bar turned its label sideways and a near-0% one hid it
    figure.update_traces(text=[f"{p:.1%}" for p in frame["probability"]], textposition="outside", cliponaxis=False)
    figure.update_xaxes(range=[0, 1.12], tickvals=[0, 0.2, 0.4, 0.6, 0.8, 1.0], tickformat=".0%")
    return figure


def class_counts(counts: Mapping[str, int], *, title: str = "Predicted classes") -> go.Figure:
    frame = pd.DataFrame({"class": list(counts), "rows": list(counts.values())})
    return bar(frame, x="class", y="rows", title=title, horizontal=True)


def value_histogram(bins: list[Mapping[str, float]], *, title: str, x_title: str) -> go.Figure:
    """Predicted values of a scored file (``bins`` hold ``left``, ``right``, ``count``)."""
    return histogram(pd.DataFrame(bins, columns=["left", "right", "count"]), title=title, x_title=x_title)
