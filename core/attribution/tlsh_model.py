"""Whole-file similarity: a TLSH fuzzy hash compared with every reference digest.

Works on any file of at least 50 bytes with enough byte variety (TLSH's own requirement). TLSH distances
are unbounded integers where 0 means identical; below ~50 files are near variants, above ~200 they are
unrelated. A family's score falls linearly from 1 at distance 0 to 0 at ``UNRELATED_DISTANCE``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import tlsh

from core.attribution.elf_functions import NotApplicable
from core.attribution.models import DONE, TLSH_MODEL, ModelResult

if TYPE_CHECKING:
    from core.attribution.library import ReferenceIndex

UNRELATED_DISTANCE = 250
_NEAREST_SHOWN = 10
_MIN_BYTES = 50


def tlsh_digest(data: bytes) -> str:
    """The TLSH digest of ``data``, or ``NotApplicable`` when the file is too small or too uniform."""
    if len(data) < _MIN_BYTES:
        raise NotApplicable(f"file too small for a fuzzy hash ({len(data)} bytes, TLSH needs {_MIN_BYTES})")
    digest = tlsh.hash(data)
    if digest == "TNULL":
        raise NotApplicable("not enough byte variety for a fuzzy hash")
    return digest


def describe_distance(distance: int) -> str:
    if distance <= 30:
        return "nearly identical"
    if distance <= 70:
        return "similar"
    if distance <= 150:
        return "loosely similar"
    return "unrelated"


class TlshModel:
    """Nearest references by TLSH distance, and family scores from each family's nearest one."""

    name = TLSH_MODEL
    version = f"1.0 (py-tlsh {tlsh.__version__})"

    def phase_1(self, data: bytes) -> str:
        return tlsh_digest(data)

    def phase_2(
        self, features: str, index: ReferenceIndex, exclude_sample: str | None = None, exclude_family: str | None = None
    ) -> ModelResult:
        scored = [
            (tlsh.diff(features, digest), sample, family)
            for sample, family, digest in zip(index.samples, index.sample_family, index.tlsh, strict=True)
            if digest is not None and sample != exclude_sample and family != exclude_family
        ]
        scored.sort()
        nearest_of_family: dict[str, int] = {}
        for distance, _, family in scored:
            nearest_of_family.setdefault(family, distance)
        families = [
            (family, 1.0 - distance / UNRELATED_DISTANCE)
            for family, distance in nearest_of_family.items()
            if distance < UNRELATED_DISTANCE
        ]
        nearest = [
            {"sample_id": sample, "family": family, "distance": distance, "meaning": describe_distance(distance)}
            for distance, sample, family in scored[:_NEAREST_SHOWN]
        ]
        return ModelResult(
            self.name,
            self.version,
            DONE,
            families,
            explanation=self._explain(scored, nearest_of_family),
            evidence={"digest": features, "references_compared": len(scored), "nearest": nearest},
            index_revision=index.revision,
        )

    @staticmethod
    def _explain(scored: list[tuple[int, str, str]], nearest_of_family: dict[str, int]) -> str:
        if not scored:
            return "The reference library has no fuzzy hashes to compare with."
        distance, _, family = scored[0]
        text = (
            f"The nearest reference is of family {family} at TLSH distance {distance} ({describe_distance(distance)})"
        )
        others = [(d, f) for f, d in nearest_of_family.items() if f != family]
        if others:
            other_distance, other_family = min(others)
            text += f"; the nearest other family is {other_family} at {other_distance}"
        return text + "."
