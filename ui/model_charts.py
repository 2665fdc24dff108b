"""Plotly figures of the model summary and feature importance (frames come from ``eng.models``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from ui.charts import COLOR, HEIGHT, bar, heatmap

GUIDE = "#9ca3af"  # reference lines: chance diagonal, perfect prediction, zero residual
PALETTE = qualitative.Plotly
LOW_HIGH = [[0.0, "#2563eb"], [0.5, "#a855f7"], [1.0, "#dc2626"]]  # feature value low → high


def _style(
    figure: go.Figure, title: str, x_title: str, y_title: str, legend: str | None = None, height: int = HEIGHT
) -> go.Figure:
    """Shared layout; ``legend`` is the legend's title (None: no legend), shown at the right of the plot."""
    figure.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left"},
        xaxis_title=x_title,
        yaxis_title=y_title,
        height=height,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        showlegend=legend is not None,
        legend={"title": {"text": legend or ""}},
    )
    return figure


def confusion(matrix: pd.DataFrame) -> go.Figure:
    """Counts of held-out rows: actual class (rows) against predicted class (columns)."""
    top = float(matrix.to_numpy().max()) if matrix.size else 1.0
    figure = heatmap(
        matrix, title="Confusion matrix (held-out rows)", zmin=0.0, zmax=max(top, 1.0), colorscale="Blues", decimals=0
    )
    figure.update_xaxes(title="predicted class", type="category")
    figure.update_yaxes(title="actual class", type="category")
    return figure


def class_colors(classes: pd.Series) -> dict[object, str]:
    """One colour per class, the same in every chart of a model (by sorted class, not by trace position, which
    the ROC's chance line would shift)."""
    labels = sorted(classes.unique(), key=str)
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}


def curves(
    frame: pd.DataFrame, *, x: str, y: str, score: str, title: str, x_title: str, y_title: str, diagonal: bool
) -> go.Figure:
    """One line per class (ROC or precision-recall); the legend shows each curve's area score."""
    figure = go.Figure()
    if diagonal:
        figure.add_trace(
            go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance", line={"dash": "dash", "color": GUIDE})
        )
    hover = f"{x_title} %{{x:.3f}}<br>{y_title} %{{y:.3f}}<extra>%{{fullData.name}}</extra>"
    colors = class_colors(frame["class"])
    for label, part in frame.groupby("class", sort=False):
        figure.add_trace(
            go.Scatter(
                x=part[x],
                y=part[y],
                mode="lines",
                name=f"{label} ({part[score].iloc[0]:.3f})",
                hovertemplate=hover,
                line={"color": colors[label]},
            )
        )
    figure.update_xaxes(range=[0, 1])
    figure.update_yaxes(range=[0, 1.02])
    return _style(figure, title, x_title, y_title, legend="class (area)")


def predicted_vs_actual(frame: pd.DataFrame, target: str) -> go.Figure:
    """Held-out rows; points on the dashed diagonal are predicted exactly."""
    low = float(min(frame["y_true"].min(), frame["y_pred"].min()))
    high = float(max(frame["y_true"].max(), frame["y_pred"].max()))
    figure = go.Figure(
        [
            go.Scatter(
                x=[low, high], y=[low, high], mode="lines", line={"dash": "dash", "color": GUIDE}, hoverinfo="skip"
            ),
            go.Scatter(
                x=frame["y_true"],
                y=frame["y_pred"],
                mode="markers",
                marker={"color": COLOR, "opacity": 0.6},
                hovertemplate="actual %{x:.4g}<br>predicted %{y:.4g}<extra></extra>",
            ),
        ]
    )
    return _style(figure, "Predicted vs actual (held-out rows)", f"actual {target}", f"predicted {target}")


def residuals(frame: pd.DataFrame, target: str) -> go.Figure:
    """Residual (actual − predicted) against the prediction; a pattern means the model misses something."""
    figure = go.Figure(
        go.Scatter(
            x=frame["y_pred"],
            y=frame["residual"],
            mode="markers",
            marker={"color": COLOR, "opacity": 0.6},
            hovertemplate="predicted %{x:.4g}<br>residual %{y:.4g}<extra></extra>",
        )
    )
    figure.add_hline(y=0, line_dash="dash", line_color=GUIDE)
    return _style(figure, "Residuals (held-out rows)", f"predicted {target}", "actual − predicted")


def importance_bars(table: pd.DataFrame, top: int = 20) -> go.Figure:
    shown = table.head(top)
    return bar(
        shown,
        x="feature",
        y="mean_abs_shap",
        title=f"Feature importance (top {len(shown)})",
        horizontal=True,
        x_title="",
        y_title="mean |SHAP value|",
    )


def shown_values(part: pd.DataFrame) -> pd.Series:
    """Feature values for hover texts: numbers (4 digits) or text; "missing" for neither."""
    numbers = part["number"].map(lambda v: f"{v:.4g}", na_action="ignore")
    return part["value"].where(part["value"].notna(), numbers).fillna("missing")


def strip(values: pd.DataFrame, order: list[str], top: int = 12) -> go.Figure:
    """Beeswarm-like view: each dot is one explained row; colour is the feature's value (blue low, red high)."""
    features = order[:top]
    shown = values[values["feature"].isin(features)]
    position = {name: i for i, name in enumerate(features)}
    jitter = np.random.default_rng(0).uniform(-0.3, 0.3, len(shown))
    y = shown["feature"].map(position).to_numpy(dtype=float) + jitter
    ranked = shown["position"].notna()
    figure = go.Figure()
    for mask, marker in (
        (~ranked, {"color": GUIDE}),
        (
            ranked,
            {
                "color": shown["position"][ranked],
                "colorscale": LOW_HIGH,
                "cmin": 0,
                "cmax": 1,
                "colorbar": {"title": "value", "tickvals": [0, 1], "ticktext": ["low", "high"]},
            },
        ),
    ):
        part = shown[mask]
        figure.add_trace(
            go.Scattergl(
                x=part["shap"],
                y=y[mask.to_numpy()],
                mode="markers",
                marker={"size": 5, "opacity": 0.7, **marker},
                customdata=np.column_stack([part["feature"], shown_values(part)]),
                hovertemplate="%{customdata[0]} = %{customdata[1]}<br>SHAP %{x:.4g}<extra></extra>",
            )
        )
    figure.add_vline(x=0, line_color=GUIDE)
    figure.update_yaxes(tickvals=list(range(len(features))), ticktext=features, autorange="reversed", zeroline=False)
    return _style(
        figure,
        "SHAP value of every explained row",
        "SHAP value (left: lowers, right: raises)",
        "",
        height=max(HEIGHT, 34 * len(features) + 110),
    )


def dependence(values: pd.DataFrame, feature: str, kind: str) -> go.Figure:
    """SHAP value of one feature against its value (``kind`` from the model schema): how its effect changes."""
    part = values[values["feature"] == feature]
    if kind in ("numeric", "boolean"):
        x = part["number"]
    elif kind == "datetime":
        x = pd.to_datetime(part["value"], errors="coerce")
    else:
        x = part["value"].fillna("missing")
    figure = go.Figure(
        go.Scattergl(
            x=x,
            y=part["shap"],
            mode="markers",
            marker={"color": COLOR, "opacity": 0.6},
            hovertemplate=f"{feature} = %{{x}}<br>SHAP %{{y:.4g}}<extra></extra>",
        )
    )
    if kind in ("categorical", "text"):
        figure.update_xaxes(type="category")
    figure.add_hline(y=0, line_dash="dash", line_color=GUIDE)
    return _style(figure, f"Effect of {feature} (each dot is one row)", feature, "SHAP value")
