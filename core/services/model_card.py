"""A model card per version, in Markdown: purpose, data, metrics, importance, limits, lineage, deployments.

Built from what the registry knows; nothing here reads files or the database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from core.entities import Model
from core.entities.registry import AliasMove, Deployment, DriftCheck, ModelVersion, RegisteredModel


@dataclass(frozen=True)
class CardFacts:
    model: RegisteredModel
    version: ModelVersion
    trained: Model | None  # the trained model of a version trained here
    dataset_names: dict[str, str]
    importance: pd.DataFrame | None
    moves: Sequence[AliasMove]
    deployments: Sequence[Deployment]
    last_drift: DriftCheck | None


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    if not rows:
        return ["(none)"]
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows),
    ]


def render_card(facts: CardFacts) -> str:
    model, version, meta, trained = facts.model, facts.version, facts.model.metadata, facts.trained
    lines = [
        f"# Model card: {version.label}",
        "",
        f"- Kind: {version.kind} · origin: {version.origin} · estimator: {version.estimator or 'unknown'}",
        f"- Registered model id: `{model.id}` · version id: `{version.id}`",
        f"- Created {version.created_at:%Y-%m-%d %H:%M} UTC by {version.owner}",
        f"- Aliases: {', '.join(version.aliases) or 'none'} · tags: {', '.join([*meta.tags, *version.tags]) or 'none'}",
        "",
        "## Purpose",
        "",
        meta.description or version.description or "No description was given.",
        "",
        "## Data",
        "",
    ]
    if trained is not None:
        names = [facts.dataset_names.get(d, f"{d} (deleted)") for d in trained.datasets]
        lines += [
            f"Trained on {', '.join(names)}: {trained.details.train_rows:,} training rows, "
            f"{trained.details.holdout_rows:,} held out; target `{trained.target}`.",
        ]
    lines += [f"Features ({len(version.features)}): {', '.join(version.features) or 'not declared'}.", ""]
    lines += [f"Drift is measured against: {model.reference or 'nothing yet (upload the training data)'}.", ""]
    lines += ["## Metrics", "", *_table(["metric", "value"], [(k, _number(v)) for k, v in version.metrics.items()])]
    declared = [(p.metric, p.order, _number(p.threshold)) for p in meta.performance]
    lines += ["", "Declared performance:", "", *_table(["metric", "order", "threshold"], declared), ""]
    lines += ["## Importance", ""]
    if facts.importance is not None and not facts.importance.empty:
        top = facts.importance.head(15)
        lines += _table(
            ["feature", "mean abs. SHAP"], [(r.feature, _number(r.mean_abs_shap)) for r in top.itertuples()]
        )
    else:
        lines += ["Not computed for this version."]
    lines += ["", "## Limits", ""]
    warnings = list(trained.details.warnings) if trained is not None else []
    lines += [f"- {w}" for w in warnings] or ["- No training warnings were recorded."]
    lines += [
        "- Predictions outside the training range of a feature, or for unseen categories, are less trustworthy.",
    ]
    if facts.last_drift is not None:
        check = facts.last_drift
        drifted = ", ".join(check.drifted_columns) or "no column"
        lines += [f"- Last drift check ({check.created_at:%Y-%m-%d}): {drifted} drifted; data drift: {check.drifted}."]
    lines += ["", "## Lineage", ""]
    if trained is not None and trained.details.parent_label:
        lines += [f"Continued from {trained.details.parent_label}."]
    lines += _table(
        ["when (UTC)", "alias", "from", "to", "by"],
        [
            (f"{m.created_at:%Y-%m-%d %H:%M}", m.alias, m.from_version or "-", m.to_version or "-", m.user)
            for m in facts.moves
        ],
    )
    lines += ["", "## Deployments", ""]
    lines += _table(
        ["name", "status", "follows", "owner", "operations"],
        [(d.name or d.id, d.status, d.alias or f"v{d.version}", d.owner, d.operations) for d in facts.deployments],
    )
    return "\n".join(lines) + "\n"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"
