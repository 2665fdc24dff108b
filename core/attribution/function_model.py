"""The function-similarity model: which families' functions does this binary's code match?

Each function of the sample is looked up in the LSH index; a match counts only at estimated Jaccard
≥ ``MATCH_THRESHOLD``. A function gives its weight to every family it matches, scaled by similarity.
Its weight grows with its length (short functions match by chance) and shrinks with the number of
families it matches (IDF: startup stubs and libc inlines say nothing about the family). A family's
score is the fraction of the sample's total function weight credited to it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from core.attribution.elf_functions import extract_functions
from core.attribution.features import DEFAULT_PARAMS, FunctionFeatures
from core.attribution.models import DONE, FUNCTION_MODEL, ModelResult, percent

if TYPE_CHECKING:
    from core.attribution.library import ReferenceIndex
    from core.attribution.minhash_index import Candidates

MATCH_THRESHOLD = 0.5
MIN_TOKENS = 5
_FULL_WEIGHT_TOKENS = 32
_EVIDENCE_SHOWN = 100


def _best_per_group(group: np.ndarray, similarity: np.ndarray) -> np.ndarray:
    """Positions of the most similar row of each group (groups are integer keys)."""
    order = np.lexsort((-similarity, group))
    first = np.ones(len(order), dtype=bool)
    first[1:] = group[order][1:] != group[order][:-1]
    return order[first]


class FunctionSimilarityModel:
    """ELF x86-64 only; phase 1 = ``extract_functions``, phase 2 = LSH lookup and family ranking."""

    name = FUNCTION_MODEL
    version = "1.0"

    def phase_1(self, data: bytes) -> FunctionFeatures:
        return FunctionFeatures.from_extracted(extract_functions(data), DEFAULT_PARAMS)

    def phase_2(
        self,
        sample: FunctionFeatures,
        index: ReferenceIndex,
        exclude_sample: str | None = None,
        exclude_family: str | None = None,
    ) -> ModelResult:
        if sample.params != index.params:
            raise ValueError("the index was built with other MinHash parameters; rebuild it")
        usable = np.flatnonzero(sample.token_counts >= MIN_TOKENS)
        visible = index.visible_entries(exclude_sample, exclude_family)
        candidates = index.lsh.query(sample.signatures[usable], MATCH_THRESHOLD, visible)
        family = index.entries.family[candidates.entry].astype(np.int64)
        best = _best_per_group(candidates.query * len(index.families) + family, candidates.similarity)
        matched_families = np.bincount(candidates.query[best], minlength=len(usable))
        family_count = max(len(index.families), 1)
        idf = np.log1p(family_count / np.maximum(matched_families, 1)) / math.log1p(family_count)
        size_weight = np.minimum(1.0, sample.token_counts[usable] / _FULL_WEIGHT_TOKENS)
        weight = size_weight * idf
        credit = np.bincount(
            family[best],
            weights=weight[candidates.query[best]] * candidates.similarity[best],
            minlength=len(index.families),
        )
        coverage_of_family = credit / max(float(size_weight.sum()), 1e-9)
        ranked = [(index.families[i], float(coverage_of_family[i])) for i in np.argsort(-credit) if credit[i] > 0]
        matched = int(np.count_nonzero(matched_families))
        coverage = float(weight[matched_families > 0].sum() / max(size_weight.sum(), 1e-9))
        evidence = {
            "functions_analysed": len(sample.names),
            "functions_compared": len(usable),
            "functions_matched": matched,
            "matched_weight_fraction": round(coverage, 4),
            "boundary_source": sample.source,
            "notes": sample.notes,
            "matched_functions": self._matched_functions(index, sample, usable, candidates, weight),
        }
        return ModelResult(
            self.name,
            self.version,
            DONE,
            ranked,
            explanation=self._explain(len(sample.names), matched, ranked),
            evidence=evidence,
            index_revision=index.revision,
        )

    @staticmethod
    def _matched_functions(
        index: ReferenceIndex,
        sample: FunctionFeatures,
        usable: np.ndarray,
        candidates: Candidates,
        weight: np.ndarray,
    ) -> list[dict[str, object]]:
        """The best reference match of each matched function, most telling (weight × similarity) first."""
        best = _best_per_group(candidates.query, candidates.similarity)
        best = best[np.argsort(-(weight[candidates.query[best]] * candidates.similarity[best]), kind="stable")]
        rows = []
        for position in best[:_EVIDENCE_SHOWN].tolist():
            function, entry = usable[candidates.query[position]], candidates.entry[position]
            rows.append(
                {
                    "address": int(sample.addresses[function]),
                    "size": int(sample.sizes[function]),
                    "name": sample.names[function] or None,
                    "similarity": round(float(candidates.similarity[position]), 3),
                    "family": index.families[index.entries.family[entry]],
                    "reference_sample": index.samples[index.entries.owner[entry]],
                    "reference_address": int(index.entries.address[entry]),
                    "reference_name": index.entries.name[entry] or None,
                }
            )
        return rows

    @staticmethod
    def _explain(analysed: int, matched: int, ranked: list[tuple[str, float]]) -> str:
        text = f"{matched} of {analysed} functions have close matches in the reference library"
        if not ranked:
            return text + "; no family can be named."
        total = sum(score for _, score in ranked)
        text += f"; {percent(ranked[0][1] / total)} of the matched weight points to family {ranked[0][0]}"
        if len(ranked) > 1:
            text += f"; the next is {ranked[1][0]} at {percent(ranked[1][1] / total)}"
        return text + "."
