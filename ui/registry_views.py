"""Tables and charts of the Registry, Deployments and Drift pages (frames and plotly figures, no engine calls)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from pandas.io.formats.style import Styler

from core import AliasMove, Deployment, DriftCheck, ModelVersion, Operation, RegisteredModel

REFERENCE, CURRENT, DRIFTED = "#64748b", "#2563eb", "#fee2e2"


def models_frame(models: Sequence[RegisteredModel]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "name": m.name,
                "kind": m.kind,
                "origin": m.origin,
                "versions": m.versions,
                "latest": m.latest_version,
                "aliases": ", ".join(f"{a} → v{v}" for a, v in m.aliases.items()),
                "tags": ", ".join(m.metadata.tags),
                "deployments": m.deployments,
                "drift reference": m.reference or "",
                "updated (UTC)": m.updated_at,
            }
            for m in models
        ]
    )


def versions_frame(versions: Sequence[ModelVersion]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "version": v.version,
                "aliases": ", ".join(v.aliases),
                "origin": v.origin,
                "estimator": v.estimator,
                "description": v.description,
                "tags": ", ".join(v.tags),
                **{k: v.metrics[k] for k in list(v.metrics)[:3]},
                "by": v.owner,
                "created (UTC)": v.created_at,
            }
            for v in versions
        ]
    )


def moves_frame(moves: Sequence[AliasMove]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "when (UTC)": m.created_at,
                "alias": m.alias,
                "from": f"v{m.from_version}" if m.from_version else "(set)",
                "to": f"v{m.to_version}" if m.to_version else "(removed)",
                "by": m.user,
            }
            for m in moves
        ],
        columns=["when (UTC)", "alias", "from", "to", "by"],
    )


def deployments_frame(deployments: Sequence[Deployment]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "name": d.name or d.id[:8],
                "model": d.model_name,
                "serves": f"v{d.version}" if d.version else "-",
                "follows": d.alias or "(pinned)",
                "status": d.status,
                "reason": d.reason,
                "owner": d.owner,
                "calls answered": d.operations,  # refused calls are in the operations log, not counted here
                "placement": f"{d.placement.get('clusterID')}/{d.placement.get('node')}",
                "created (UTC)": d.created_at,
            }
            for d in deployments
        ]
    )


def operations_frame(operations: Sequence[Operation]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "when (UTC)": o.created_at,
                "version": o.model_label,
                "source": o.source,
                "status": "refused" if isinstance(o.result, dict) and "error" in o.result else "answered",
                "rows": o.rows,
                "latency (ms)": round(o.latency_ms, 1),
                "owner": o.owner,
                "user": o.user,
                "result": str(o.result)[:200],
                "warnings": " ".join(o.warnings),
            }
            for o in operations
        ],
        columns=[
            "when (UTC)",
            "version",
            "source",
            "status",
            "rows",
            "latency (ms)",
            "owner",
            "user",
            "result",
            "warnings",
        ],
    )


def _style(figure: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    figure.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left"},
        xaxis_title=x_title,
        yaxis_title=y_title,
        height=340,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return figure


def latency_figure(operations: pd.DataFrame) -> go.Figure:
    answered = operations[(operations["source"] == "served") & (operations["status"] == "answered")]
    served = answered.sort_values("when (UTC)")  # a refused call's time is not the model's latency
    figure = go.Figure(go.Scatter(x=served["when (UTC)"], y=served["latency (ms)"], mode="lines+markers"))
    return _style(figure, "Latency of answered calls", "time (UTC)", "ms")


def overlay_figure(histogram: dict[str, Any], column: str) -> go.Figure:
    """Reference and current shares on the same bins, overlaid."""
    figure = go.Figure()
    for side, color in (("reference", REFERENCE), ("current", CURRENT)):
        figure.add_bar(x=histogram["labels"], y=histogram[side], name=side, marker_color=color, opacity=0.6)
    figure.update_layout(barmode="overlay", showlegend=True)
    figure.update_xaxes(type="category")
    return _style(figure, f"{column}: reference vs current", column, "share of rows")


def drift_over_time(checks: Sequence[DriftCheck]) -> go.Figure:
    ordered = sorted(checks, key=lambda c: c.created_at)
    figure = go.Figure(
        go.Scatter(
            x=[c.created_at for c in ordered],
            y=[c.drifted_share for c in ordered],
            mode="lines+markers",
            marker_color=["#dc2626" if c.drifted else CURRENT for c in ordered],
        )
    )
    figure.update_yaxes(range=[0, 1.05], tickformat=".0%")
    return _style(figure, "Share of drifted columns per check", "checked (UTC)", "share")


def drift_table(check: DriftCheck) -> Styler:
    """The per-column verdicts, drifted rows highlighted."""
    frame = check.frame()
    shown = frame[[c for c in ("column", "kind", "test", "statistic", "threshold", "drifted", "note") if c in frame]]
    shown = shown.rename(columns={"statistic": "p-value (test) / distance", "threshold": "drifted below / above"})
    return shown.style.apply(
        lambda row: [f"background-color: {DRIFTED}" if row["drifted"] else "" for _ in row], axis=1
    ).format({"p-value (test) / distance": "{:.4g}", "drifted below / above": "{:.4g}"}, na_rep="-")
