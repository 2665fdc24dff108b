"""The consensus verdict as the first entry of a sample's results, next to each model's own result.

It is computed when results are read, from the models' stored rankings and the consensus fitted with the
tenant's current index (``consensus.json`` beside the index arrays), so it is never stale against the runs it
combines. Models that are not applicable, failed or were revoked do not vote.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from core.entities import AttributionRun, AttributionSample
from core.storage.repositories import attribution as repo

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.storage.files import FileStore

CONSENSUS = "consensus"
REBUILD = "The reference index was built before consensus verdicts existed: rebuild it on the Reference library page."


def _iso(value: Any) -> str | None:
    return None if value is None else f"{value.isoformat(timespec='seconds')}Z"


def fitted_consensus(store: FileStore, session: Session, tenant_id: str) -> tuple[str | None, dict[str, Any] | None]:
    """(revision, fitted consensus) of the tenant's current index; None parts when there is none."""
    found = repo.current_index_location(session, tenant_id)
    if found is None:
        return None, None
    revision, key = found
    path = store.path(key) / "consensus.json"  # core.attribution.library.CONSENSUS_FILE, not imported here
    if not path.exists():
        return revision, None
    fitted = json.loads(path.read_text())
    return revision, fitted if fitted.get("revision") == revision else None


def verdict_entry(store: FileStore, session: Session, tenant_id: str, sample: AttributionSample) -> dict[str, Any]:
    """The consensus entry of ``sample``'s results, keyed like a model's entry (``model`` "consensus")."""
    from core.attribution.consensus import VERSION, Consensus

    runs = sample.runs
    entry: dict[str, Any] = {
        "model": CONSENSUS,
        "model_version": VERSION,
        "sha256_hash": sample.id,
        "predicted_at": _iso(max((r.predicted_at for r in runs if r.predicted_at), default=None)),
        "task_id": None,
        "detailed_status": {},
        "error_details": None,
        "prediction_results": [],
        "explanation_results": {},
    }
    states = {r.state for r in runs}
    if not sample.finished:
        return {**entry, "status": "running" if "running" in states else "pending"}
    if "revoked" in states:
        return {**entry, "status": "revoked", "error_details": next(r.error for r in runs if r.state == "revoked")}
    revision, fitted = fitted_consensus(store, session, tenant_id)
    if fitted is None:
        return {**entry, "status": "failed", "error_details": REBUILD}
    verdict = Consensus.from_dict(fitted).verdict({r.model: _ranking(r) for r in runs})
    return {**entry, **verdict.to_dict(revision), "sha256_hash": sample.id}


def _ranking(run: AttributionRun) -> list[tuple[str, float]] | None:
    if run.state != "done" or not run.result:
        return None
    return [(item["family"], float(item["score"])) for item in run.result.get("prediction_results", [])]
