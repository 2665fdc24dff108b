"""The uniform face of every attribution model and of its result.

A model has a ``name``, a ``version`` and two phases: ``phase_1(data) -> features`` (extraction; raises
``NotApplicable`` when the file is outside the model's reach) and ``phase_2(features, index) ->
ModelResult`` (similarity search). The service runs the phases as job steps and stores
``ModelResult.to_dict()`` next to the seed-API fields it owns (``sha256_hash``, ``predicted_at``,
``task_id``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from core.attribution.elf_functions import NotApplicable

if TYPE_CHECKING:
    from core.attribution.library import ReferenceIndex

DONE = "done"
NOT_APPLICABLE = "not_applicable"
FUNCTION_MODEL = "function_similarity"
STRINGS_MODEL = "strings_similarity"
TLSH_MODEL = "tlsh_similarity"


@dataclass(frozen=True)
class ModelResult:
    """One model's verdict on one sample: ranked families, evidence, timings and a plain explanation."""

    model: str
    version: str
    status: str  # DONE | NOT_APPLICABLE
    families: list[tuple[str, float]] = field(default_factory=list)  # best first, scores in [0, 1]
    explanation: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase
    index_revision: str | None = None

    @classmethod
    def not_applicable(cls, model: AttributionModel, reason: str) -> ModelResult:
        return cls(
            model.name,
            model.version,
            NOT_APPLICABLE,
            explanation=f"Not applicable: {reason}.",
            evidence={"reason": reason},
        )

    @property
    def top_family(self) -> str | None:
        return self.families[0][0] if self.families else None

    def with_timing(self, phase: str, seconds: float) -> ModelResult:
        return replace(self, timings={**self.timings, phase: round(seconds, 4)})

    def to_dict(self) -> dict[str, Any]:
        """JSON-able, keyed like the seed API (``prediction_results`` / ``explanation_results``)."""
        return {
            "model": self.model,
            "model_version": self.version,
            "status": self.status,
            "error_details": self.evidence.get("reason") if self.status == NOT_APPLICABLE else None,
            "prediction_results": [{"family": f, "score": round(s, 4)} for f, s in self.families],
            "explanation_results": {
                "summary": self.explanation,
                "evidence": self.evidence,
                "timings": self.timings,
                "index_revision": self.index_revision,
            },
        }


class AttributionModel(Protocol):
    """What the service needs of a model; both phases are pure and may run in a worker process."""

    name: str
    version: str

    def phase_1(self, data: bytes) -> Any:
        """Extract features from the sample; raise ``NotApplicable`` with a reason if it cannot."""

    def phase_2(
        self, features: Any, index: ReferenceIndex, exclude_sample: str | None = None, exclude_family: str | None = None
    ) -> ModelResult:
        """Compare the features with the reference library (``exclude_sample`` hides one reference,
        ``exclude_family`` a whole family: leave-one-out evaluation on one index)."""


def run_model(
    model: AttributionModel, data: bytes, index: ReferenceIndex, exclude_sample: str | None = None
) -> ModelResult:
    """Both phases in one call, timed; a file the model cannot read gives a ``not_applicable`` result."""
    started = time.perf_counter()
    try:
        features = model.phase_1(data)
    except NotApplicable as exc:
        return ModelResult.not_applicable(model, exc.reason).with_timing("phase_1", time.perf_counter() - started)
    extracted = time.perf_counter()
    result = model.phase_2(features, index, exclude_sample)
    return result.with_timing("phase_1", extracted - started).with_timing("phase_2", time.perf_counter() - extracted)


def percent(share: float) -> str:
    return f"{share:.0%}"
