"""Sample attribution: reference samples, the library, samples and their per-model runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

PHASE_STATES = ("pending", "running", "done", "failed", "revoked", "not_applicable")

UNFINISHED_STATES = ("pending", "running")


@dataclass(frozen=True)
class ReferenceSample:
    """A labeled file of the attribution reference library. ``notes``: model name -> why it cannot read it;
    ``functions`` is None until the file has been analysed (at the next index rebuild)."""

    id: str
    family: str
    name: str
    sha256: str
    size: int
    file_id: str
    owner: str
    created_at: datetime
    analysed: bool
    functions: int | None
    notes: dict[str, str]


@dataclass(frozen=True)
class ReferenceLibrary:
    """The current attribution index: what it was built from, and whether the library changed since."""

    revision: str
    built_at: datetime
    samples: int
    families: int
    functions: int
    job_id: str | None
    stale: bool


@dataclass(frozen=True)
class AttributionRun:
    """One attribution model on one sample: per-phase state (``PHASE_STATES``) and, once done, its result."""

    model: str
    model_version: str
    job_id: str | None
    phase_1: str
    phase_2: str
    error: str | None
    result: dict[str, Any] | None
    index_revision: str | None
    predicted_at: datetime | None

    @property
    def state(self) -> str:
        phases = (self.phase_1, self.phase_2)
        for final in ("revoked", "failed", "not_applicable"):
            if final in phases:
                return final
        if self.phase_2 == "done":
            return "done"
        return "running" if "running" in phases or self.phase_1 == "done" else "pending"

    @property
    def finished(self) -> bool:
        return self.state not in UNFINISHED_STATES


@dataclass(frozen=True)
class AttributionSample:
    """A submitted file; ``id`` is the SHA-256 of its bytes. ``state`` sums up its models' states."""

    id: str
    name: str
    size: int
    file_id: str
    owner: str
    created_at: datetime
    runs: tuple[AttributionRun, ...]

    @property
    def state(self) -> str:
        states = {run.state for run in self.runs}
        if not states or states == {"pending"}:
            return "pending"
        if states & set(UNFINISHED_STATES):
            return "running"  # some models are still at work while others have finished
        for state in ("revoked", "done", "failed"):
            if state in states:
                return state
        return "not_applicable"

    @property
    def finished(self) -> bool:
        return all(run.finished for run in self.runs)

    @property
    def rerunnable(self) -> tuple[str, ...]:
        """The models whose run failed or was revoked (or whose prediction was deleted): run again, they may
        succeed."""
        return tuple(run.model for run in self.runs if run.state in ("failed", "revoked"))
