"""Strings similarity: the printable strings of a file compared with each family's string profile.

Strings carry what machine code does not: version banners, usage text, bug-report addresses, and (in
ELF files) the names of imported libraries and symbols, which live in ``.dynstr``. They are the best
evidence for small tools that share little code with their siblings. A file is a set of string hashes,
each weighted by idf³, where idf counts the *families* (not files) that have the string: strings many
families share (``libc.so.6``, ``GLIBC_2.2.5``, ``_GLOBAL_OFFSET_TABLE_``) weigh almost nothing, however
many files of one big family repeat them.
A family's profile is the sum of its members' normalized vectors; the family score is the cosine between
the file and that profile. Profiles beat nearest-neighbour: strings shared by the whole family (a library
soname, a version banner) outweigh the strings one file shares with its look-alike in another family.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from core.attribution.elf_functions import NotApplicable
from core.attribution.models import DONE, STRINGS_MODEL, ModelResult, percent

if TYPE_CHECKING:
    from core.attribution.library import ReferenceIndex

MIN_LENGTH = 6
MAX_STRINGS = 200_000
IDF_POWER = 3.0
_PRINTABLE_RUN = re.compile(rb"[\x20-\x7e]{%d,}" % MIN_LENGTH)
_NEAREST_SHOWN = 10
_SHARED_SHOWN = 8
_SHOWN_LENGTH = 80


def _hash(text: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little")


@dataclass(frozen=True)
class StringFeatures:
    """Sorted distinct string hashes; ``texts`` (same order) only for a sample, to quote in evidence."""

    hashes: np.ndarray  # uint64, sorted, unique
    texts: list[str] | None = None


def string_features(data: bytes, keep_texts: bool = True) -> StringFeatures:
    """Distinct printable ASCII runs of at least ``MIN_LENGTH`` characters (at most ``MAX_STRINGS``)."""
    distinct = list(dict.fromkeys(_PRINTABLE_RUN.findall(data)))[:MAX_STRINGS]
    if not distinct:
        raise NotApplicable(f"no printable strings of {MIN_LENGTH} or more characters")
    hashes = np.fromiter((_hash(s) for s in distinct), dtype=np.uint64, count=len(distinct))
    hashes, first = np.unique(hashes, return_index=True)
    texts = [distinct[i].decode("ascii") for i in first.tolist()] if keep_texts else None
    return StringFeatures(hashes, texts)


@dataclass(frozen=True)
class StringScores:
    """A query's cosine with every family profile and with every single reference."""

    family: np.ndarray  # (families,)
    reference: np.ndarray  # (samples,)
    weights: np.ndarray  # query weight of each known string (idf^power)
    known: np.ndarray  # vocabulary positions of the query's strings that the library knows
    known_in_query: np.ndarray  # positions of those strings in the query's hash array


class StringIndex:
    """Normalized tf-idf vectors of the references' string sets and the per-family sums of them."""

    def __init__(self, vocabulary: np.ndarray, indptr: np.ndarray, indices: np.ndarray, row_family: np.ndarray) -> None:
        self.vocabulary, self.indptr, self.indices, self.row_family = vocabulary, indptr, indices, row_family
        samples = len(indptr) - 1
        families = int(row_family.max()) + 1 if len(row_family) else 0
        family_of_entry = np.repeat(row_family, np.diff(indptr))
        pairs = np.unique(indices * max(families, 1) + family_of_entry)
        frequency = np.bincount(pairs // max(families, 1), minlength=len(vocabulary))
        self.idf = (np.log((families + 1) / (frequency + 1)) + 1.0) ** IDF_POWER
        self.unseen_weight = (math.log(families + 1) + 1.0) ** IDF_POWER
        rows = sp.csr_matrix((self.idf[indices], indices, indptr), shape=(samples, len(vocabulary)))
        norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
        rows = sp.diags(1.0 / np.maximum(norms, 1e-12)) @ rows
        self.self_dot = np.asarray(rows.multiply(rows).sum(axis=1)).ravel()  # 1, or 0 without strings
        membership = sp.csr_matrix((np.ones(samples), (row_family, np.arange(samples))), shape=(families, samples))
        profiles = (membership @ rows).tocsr()
        self.profile_norm2 = np.asarray(profiles.multiply(profiles).sum(axis=1)).ravel()
        self._rows = rows.tocsr()
        self._profiles = profiles
        self._rows_by_string = rows.T.tocsr()
        self.profiles_by_string = profiles.T.tocsr()

    @classmethod
    def build(cls, sets: list[np.ndarray | None], row_family: np.ndarray) -> StringIndex:
        """One row per sample (None: the sample has no strings); ``row_family`` codes each row's family."""
        present = [s for s in sets if s is not None]
        vocabulary = np.unique(np.concatenate(present)) if present else np.zeros(0, dtype=np.uint64)
        rows = [np.searchsorted(vocabulary, s) if s is not None else np.zeros(0, np.int64) for s in sets]
        indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
        indices = np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, np.int64)
        return cls(vocabulary, indptr, indices, row_family.astype(np.int64))

    def score(self, hashes: np.ndarray, exclude_row: int | None = None) -> StringScores:
        """Cosines of a string set with the family profiles and the references, ``exclude_row`` left out."""
        position = np.searchsorted(self.vocabulary, hashes)
        inside = position < len(self.vocabulary)
        found = np.flatnonzero(inside)[self.vocabulary[position[inside]] == hashes[inside]]
        known = position[found]
        weights = self.idf[known]
        norm = math.sqrt(float((weights**2).sum()) + (len(hashes) - len(known)) * self.unseen_weight**2)
        reference = np.asarray(self._rows_by_string[known].T @ weights).ravel() / max(norm, 1e-12)
        dots = np.asarray(self.profiles_by_string[known].T @ weights).ravel()
        norm2 = self.profile_norm2.copy()
        if exclude_row is not None:
            own = int(self.row_family[exclude_row])
            overlap = float(self._rows[exclude_row].multiply(self._profiles[own]).sum())
            dots[own] -= reference[exclude_row] * max(norm, 1e-12)
            norm2[own] += self.self_dot[exclude_row] - 2 * overlap
            reference[exclude_row] = 0.0
        family = dots / np.maximum(np.sqrt(np.maximum(norm2, 0.0)) * max(norm, 1e-12), 1e-12)
        return StringScores(family, reference, weights, known, found)


class StringsModel:
    """Families ranked by string-profile cosine; the nearest single references are shown as evidence."""

    name = STRINGS_MODEL
    version = "1.0"

    def phase_1(self, data: bytes) -> StringFeatures:
        return string_features(data)

    def phase_2(
        self,
        features: StringFeatures,
        index: ReferenceIndex,
        exclude_sample: str | None = None,
        exclude_family: str | None = None,
    ) -> ModelResult:
        """``exclude_family`` hides a family's profile and references (its strings still count in the idf, a
        small optimism of leave-one-family-out evaluation on one index)."""
        scores = index.strings.score(features.hashes, index.sample_position(exclude_sample))
        hidden = index.family_code(exclude_family)
        if hidden is not None:
            scores.family[hidden] = 0.0
            scores.reference[index.strings.row_family == hidden] = 0.0
        order = np.argsort(-scores.family, kind="stable")
        ranked = [(index.families[i], float(scores.family[i])) for i in order.tolist() if scores.family[i] > 0]
        nearest = [
            {
                "sample_id": index.samples[i],
                "family": index.sample_family[i],
                "similarity": round(float(scores.reference[i]), 4),
            }
            for i in np.argsort(-scores.reference, kind="stable")[:_NEAREST_SHOWN].tolist()
            if scores.reference[i] > 0
        ]
        shared = self._shared_strings(features, index, scores, int(order[0])) if ranked else []
        return ModelResult(
            self.name,
            self.version,
            DONE,
            ranked,
            explanation=self._explain(ranked, shared, nearest),
            evidence={"strings": len(features.hashes), "shared_with_top_family": shared, "nearest": nearest},
            index_revision=index.revision,
        )

    @staticmethod
    def _shared_strings(
        features: StringFeatures, index: ReferenceIndex, scores: StringScores, family: int
    ) -> list[str]:
        """The sample's strings that contribute most to its cosine with one family's profile."""
        if features.texts is None or not len(scores.known):
            return []
        profile = index.strings.profiles_by_string[scores.known][:, family].toarray().ravel()
        contribution = scores.weights * profile
        best = np.argsort(-contribution, kind="stable")[:_SHARED_SHOWN]
        return [features.texts[scores.known_in_query[i]][:_SHOWN_LENGTH] for i in best.tolist() if contribution[i] > 0]

    @staticmethod
    def _explain(ranked: list[tuple[str, float]], shared: list[str], nearest: list[dict[str, object]]) -> str:
        if not ranked:
            return "No reference shares any printable string with this file."
        family, score = ranked[0]
        text = f"The file's strings are closest to the profile of family {family} ({percent(score)} cosine"
        text += f"; the next is {ranked[1][0]} at {percent(ranked[1][1])})" if len(ranked) > 1 else ")"
        if shared:
            text += "; most telling shared strings: " + ", ".join(f'"{s[:40]}"' for s in shared[:3])
        if nearest:
            text += f"; the most similar single reference is of family {nearest[0]['family']}"
        return text + "."
