"""MinHash signatures of instruction n-grams (function model, phase 1) and the LSH index searched in phase 2.

Signatures are bit-identical to ``datasketch.MinHash(num_perm, seed, hashfunc=identity)`` (scheme
``affine32``) fed with the 32-bit shingle hashes; datasketch supplies the permutations, numpy applies them
to all functions at once (datasketch's per-object update costs ~50 µs per function, too slow for 10^5).
The LSH index is banded the datasketch way but stored as sorted numpy arrays: it loads without pickle,
and a whole sample (thousands of functions) is looked up with one ``searchsorted`` per band.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import MinHash

_U64 = np.uint64
_PADDING = "<pad>"
_CHUNK_SHINGLES = 200_000
_MAX_BUCKET = 2_000


@dataclass(frozen=True)
class MinHashParams:
    """Everything that must match between a sample's signatures and the index it is compared with."""

    num_perm: int = 64
    bands: int = 16
    shingle: int = 4
    seed: int = 1

    @property
    def rows(self) -> int:
        return self.num_perm // self.bands


def _fmix64(values: np.ndarray) -> np.ndarray:
    values = values ^ (values >> _U64(33))
    values = values * _U64(0xFF51AFD7ED558CCD)
    values = values ^ (values >> _U64(33))
    values = values * _U64(0xC4CEB9FE1A85EC53)
    return values ^ (values >> _U64(33))


def _fmix32(values: np.ndarray) -> np.ndarray:
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


@lru_cache(maxsize=1 << 16)
def _token_hash(token: str) -> int:
    """Stable across processes (unlike ``hash``), so stored signatures stay comparable."""
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little")


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    return a.astype(np.uint32), b.astype(np.uint32)


@lru_cache(maxsize=8)
def _mixers(count: int, seed: int) -> np.ndarray:
    """Odd 64-bit multipliers that combine several hashes into one, order-sensitively."""
    return np.random.default_rng(seed).integers(0, 2**63, count, dtype=np.uint64) * _U64(2) + _U64(1)


def shingle_hashes(tokens: Sequence[str], n: int) -> np.ndarray:
    """32-bit hashes of the token n-grams (one padded n-gram when the function is shorter than n)."""
    padded = list(tokens) + [_PADDING] * max(0, n - len(tokens))
    hashes = np.fromiter((_token_hash(t) for t in padded), dtype=np.uint64, count=len(padded))
    mixers = _mixers(n, 0)
    count = len(padded) - n + 1
    combined = np.zeros(count, dtype=np.uint64)
    for k in range(n):
        combined += hashes[k : k + count] * mixers[k]
    return (_fmix64(combined) >> _U64(32)).astype(np.uint32)


def signatures(token_lists: Sequence[Sequence[str]], params: MinHashParams) -> np.ndarray:
    """(functions × num_perm) uint32 MinHash signatures, computed in bounded-memory chunks."""
    a, b = _permutations(params.num_perm, params.seed)
    result = np.empty((len(token_lists), params.num_perm), dtype=np.uint32)
    start = 0
    while start < len(token_lists):
        parts, total, end = [], 0, start
        while end < len(token_lists) and (total < _CHUNK_SHINGLES or end == start):
            parts.append(shingle_hashes(token_lists[end], params.shingle))
            total += len(parts[-1])
            end += 1
        mixed = _fmix32(np.concatenate(parts))
        offsets = np.cumsum([0] + [len(p) for p in parts[:-1]])
        permuted = mixed[:, None] * a[None, :] + b[None, :]
        result[start:end] = np.minimum.reduceat(permuted, offsets, axis=0)
        start = end
    return result


def band_keys(sigs: np.ndarray, params: MinHashParams) -> np.ndarray:
    """(functions × bands) uint64 keys: two functions share a key when their band rows are all equal."""
    mixers = _mixers(params.rows, 1)
    wide = sigs.astype(np.uint64).reshape(len(sigs), params.bands, params.rows)
    return _fmix64((wide * mixers).sum(axis=2, dtype=np.uint64))


def signature_keys(sigs: np.ndarray) -> np.ndarray:
    """One uint64 per signature, equal for equal signatures (used to collapse duplicates)."""
    return _fmix64((sigs.astype(np.uint64) * _mixers(sigs.shape[1], 2)).sum(axis=1, dtype=np.uint64))


@dataclass(frozen=True)
class Candidates:
    """Query function ``query[i]`` resembles index entry ``entry[i]`` with estimated Jaccard ``similarity[i]``."""

    query: np.ndarray
    entry: np.ndarray
    similarity: np.ndarray


class LshIndex:
    """Banded MinHash LSH over a fixed set of signatures (rebuilt, never mutated)."""

    def __init__(self, sigs: np.ndarray, params: MinHashParams) -> None:
        self.params = params
        self.signatures = sigs
        keys = band_keys(sigs, params)
        self._order = np.argsort(keys, axis=0, kind="stable").astype(np.int64).T.copy()
        self._sorted = np.take_along_axis(keys, self._order.T, axis=0).T.copy()

    def __len__(self) -> int:
        return len(self.signatures)

    def query(self, sigs: np.ndarray, threshold: float, allowed: np.ndarray | None = None) -> Candidates:
        """Entries sharing at least one band with each query signature and Jaccard ≥ ``threshold``.

        ``allowed`` (bool per entry) hides entries, e.g. a held-out sample in leave-one-out evaluation.
        Identical query signatures are looked up once. Buckets larger than ``_MAX_BUCKET`` are truncated:
        such functions occur everywhere and carry almost no family information.
        """
        distinct, inverse = _unique_with_inverse(signature_keys(sigs))
        representative = np.zeros(len(distinct), dtype=np.int64)
        representative[inverse] = np.arange(len(sigs))
        found = self._query_distinct(sigs[representative], threshold, allowed)
        # every query function gets the matches of its distinct signature
        per_distinct = np.bincount(inverse, minlength=len(distinct))
        group_start = np.cumsum(per_distinct) - per_distinct
        copies = per_distinct[found.query]
        originals = np.argsort(inverse, kind="stable")
        query = originals[np.repeat(group_start[found.query], copies) + _ranks(copies)]
        return Candidates(query, np.repeat(found.entry, copies), np.repeat(found.similarity, copies))

    def _query_distinct(self, sigs: np.ndarray, threshold: float, allowed: np.ndarray | None) -> Candidates:
        keys = band_keys(sigs, self.params)
        pairs = []
        for band in range(self.params.bands):
            sorted_keys = self._sorted[band]
            low = np.searchsorted(sorted_keys, keys[:, band], side="left")
            counts = np.minimum(np.searchsorted(sorted_keys, keys[:, band], side="right") - low, _MAX_BUCKET)
            entries = self._order[band][np.repeat(low, counts) + _ranks(counts)]
            pairs.append(np.repeat(np.arange(len(sigs), dtype=np.int64), counts) * len(self) + entries)
        pair, _ = _unique_with_inverse(np.concatenate(pairs) if pairs else np.zeros(0, np.int64))
        query, entry = pair // max(len(self), 1), pair % max(len(self), 1)
        if allowed is not None:
            query, entry = query[allowed[entry]], entry[allowed[entry]]
        similarity = (sigs[query] == self.signatures[entry]).mean(axis=1, dtype=np.float32)
        keep = similarity >= threshold
        return Candidates(query[keep], entry[keep], similarity[keep])


def _ranks(counts: np.ndarray) -> np.ndarray:
    """0, 1, …, c-1 for each count c, concatenated (the position inside each repeated run)."""
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)


def _unique_with_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and each value's position among them (sort-based: faster than ``np.unique``'s
    hash path on large int arrays)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first = np.ones(len(ordered), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse
