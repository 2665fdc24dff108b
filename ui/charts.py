"""Plotly figure builders shared by pages: small, generic, and styled alike (pages call ``st.plotly_chart``).

Each builder takes a tidy pandas frame and names the columns to draw, so any page (datasets, models,
forecasts, attribution) can reuse it; none reads data or talks to the engine.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

COLOR = "#2563eb"
HEIGHT = 360


def _whole_ticks(values: pd.Series) -> dict[str, object]:
    """Axis settings so small counts get whole-number ticks (plotly would label 0.5 steps); other values: auto."""
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    counts = len(numbers) > 0 and bool((numbers % 1 == 0).all()) and numbers.min() >= 0 and numbers.max() <= 10
    return {"dtick": 1, "tick0": 0} if counts else {}


def _layout(figure: go.Figure, title: str, x_title: str, y_title: str, height: int = HEIGHT) -> go.Figure:
    figure.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left"},
        xaxis_title=x_title,
        yaxis_title=y_title,
        height=height,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        showlegend=False,
    )
    return figure


def histogram(bins: pd.DataFrame, *, title: str, x_title: str, y_title: str = "rows") -> go.Figure:
    """Bars spanning precomputed bins: ``bins`` has ``left``, ``right`` (numbers or datetimes) and ``count``."""
    left, right = bins["left"], bins["right"]
    width = right - left
    if pd.api.types.is_datetime64_any_dtype(left):
        width = width.dt.total_seconds() * 1000  # plotly measures bar widths on date axes in milliseconds
    figure = go.Figure(
        go.Bar(
            x=left + (right - left) / 2,
            y=bins["count"],
            width=width,
            marker_color=COLOR,
            customdata=list(zip(left.astype(str), right.astype(str), strict=True)),
            hovertemplate="%{customdata[0]} – %{customdata[1]}<br>%{y} " + y_title + "<extra></extra>",
        )
    )
    figure.update_layout(bargap=0.02)
    figure.update_yaxes(**_whole_ticks(bins["count"]))
    return _layout(figure, title, x_title, y_title)


def bar(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str,
    title: str,
    horizontal: bool = False,
    x_title: str | None = None,
    y_title: str | None = None,
) -> go.Figure:
    """One bar per row of ``frame`` (``x`` labels, ``y`` values); ``horizontal`` suits long labels."""
    labels, values = frame[x].astype(str), frame[y]
    if horizontal:
        trace = go.Bar(x=values, y=labels, orientation="h", marker_color=COLOR)
        figure = go.Figure(trace)
        figure.update_yaxes(autorange="reversed", type="category")  # first row on top
        figure.update_xaxes(**_whole_ticks(values))
        height = max(HEIGHT, 28 * len(frame) + 80)
        return _layout(figure, title, y_title or y, x_title or x, height=height)
    figure = go.Figure(go.Bar(x=labels, y=values, marker_color=COLOR))
    figure.update_xaxes(type="category")
    figure.update_yaxes(**_whole_ticks(values))
    return _layout(figure, title, x_title or x, y_title or y)


def heatmap(
    matrix: pd.DataFrame,
    *,
    title: str,
    zmin: float = -1.0,
    zmax: float = 1.0,
    colorscale: str = "RdBu",
    decimals: int = 2,
) -> go.Figure:
    """A labelled matrix (index = rows, columns = columns), e.g. correlations or a confusion matrix."""
    rows, columns = [str(i) for i in matrix.index], [str(c) for c in matrix.columns]
    figure = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(dtype=float),
            x=columns,
            y=rows,
            zmin=zmin,
            zmax=zmax,
            colorscale=colorscale,
            texttemplate=f"%{{z:.{decimals}f}}" if len(rows) * len(columns) <= 400 else None,
            hovertemplate="%{y} × %{x}: %{z:." + str(decimals) + "f}<extra></extra>",
        )
    )
    figure.update_yaxes(autorange="reversed")
    size = max(HEIGHT, 40 * len(rows) + 120)
    return _layout(figure, title, "", "", height=min(size, 900))
