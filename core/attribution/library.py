"""The reference library index that every model's phase 2 searches.

Built from stored ``ReferenceFeatures`` (or raw bytes) in seconds, saved as plain arrays (``.npy``),
Parquet tables and JSON — nothing that executes code on load — and identified by a revision (a hash of
its samples, families and parameters) shown next to every result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sized
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from core.attribution.features import DEFAULT_PARAMS, FunctionFeatures, ReferenceFeatures, analyse_reference
from core.attribution.minhash_index import LshIndex, MinHashParams, signature_keys
from core.attribution.strings_model import StringIndex
from core.progress import NullContext, TaskContext

INDEX_FORMAT = 1
_PROGRESS_EVERY = 25
CONSENSUS_FILE = "consensus.json"  # the consensus fitted on this index (plain JSON, next to its arrays)
_ENTRY_COLUMNS = ("family", "owner", "copies", "address", "size", "token_count")


def family_codes(sample_family: list[str]) -> np.ndarray:
    """Each sample's family as its position in the sorted family list (``ReferenceIndex.families``)."""
    code = {name: i for i, name in enumerate(sorted(set(sample_family)))}
    return np.array([code[f] for f in sample_family], dtype=np.int64)


@dataclass(frozen=True)
class FunctionEntries:
    """One row per distinct (function signature, family). Duplicates within a family collapse into one row
    that remembers its first sample (``owner``) and how many samples of the family have it (``copies``)."""

    signatures: np.ndarray  # (entries × num_perm) uint32
    family: np.ndarray  # int32, index into ReferenceIndex.families
    owner: np.ndarray  # int32, index into ReferenceIndex.samples
    copies: np.ndarray  # int32
    address: np.ndarray  # uint64
    size: np.ndarray  # int64
    token_count: np.ndarray  # int64
    name: list[str]
    total: int  # reference functions before collapsing

    @classmethod
    def collect(
        cls, parts: list[tuple[int, FunctionFeatures]], sample_family: list[str], params: MinHashParams
    ) -> FunctionEntries:
        """Merge ``(sample position, features)`` pairs, collapsing duplicates per family."""
        codes = family_codes(sample_family)
        features = [f for _, f in parts]
        sigs = np.concatenate([f.signatures for f in features] or [np.zeros((0, params.num_perm), np.uint32)])
        owner = np.concatenate([np.full(len(f.signatures), o, np.int32) for o, f in parts] or [np.zeros(0, np.int32)])
        family = codes[owner].astype(np.int32)
        key = signature_keys(sigs) ^ (family.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        sample_count = max(len(sample_family), 1)
        pairs = np.unique(inverse.astype(np.int64) * sample_count + owner)
        names = [n for f in features for n in f.names]

        def column(attribute: str, dtype: type) -> np.ndarray:
            arrays = [getattr(f, attribute) for f in features]
            return np.concatenate(arrays).astype(dtype)[first] if arrays else np.zeros(0, dtype)

        return cls(
            signatures=sigs[first],
            family=family[first],
            owner=owner[first],
            copies=np.bincount(pairs // sample_count, minlength=len(first)).astype(np.int32),
            address=column("addresses", np.uint64),
            size=column("sizes", np.int64),
            token_count=column("token_counts", np.int64),
            name=[names[i] for i in first.tolist()],
            total=len(sigs),
        )


class ReferenceIndex:
    """Reference samples with their families: TLSH digests, the function LSH index and the string index."""

    def __init__(
        self,
        samples: list[str],
        sample_family: list[str],
        tlsh: list[str | None],
        entries: FunctionEntries,
        strings: StringIndex,
        params: MinHashParams,
    ) -> None:
        self.samples = samples
        self.sample_family = sample_family
        self.families = sorted(set(sample_family))
        self.tlsh = tlsh
        self.entries = entries
        self.strings = strings
        self.params = params
        self.lsh = LshIndex(entries.signatures, params)
        self._position = {sample: i for i, sample in enumerate(samples)}
        self._family_position = {family: i for i, family in enumerate(self.families)}
        self.consensus: dict[str, Any] | None = None  # the fitted consensus (core.attribution.consensus), if any
        digest = hashlib.sha256(json.dumps([INDEX_FORMAT, params.__dict__]).encode())
        for sample, family in sorted(zip(samples, sample_family, strict=True)):
            digest.update(f"{sample}\0{family}\n".encode())
        self.revision = digest.hexdigest()[:12]

    @classmethod
    def build(
        cls,
        references: Iterable[tuple[str, str, ReferenceFeatures | bytes]],
        ctx: TaskContext | None = None,
        params: MinHashParams = DEFAULT_PARAMS,
    ) -> ReferenceIndex:
        """Index ``(sample_id, family, features or raw bytes)``; a repeated sample id keeps its first row."""
        ctx = ctx or NullContext()
        samples: list[str] = []
        seen: set[str] = set()
        families: list[str] = []
        digests: list[str | None] = []
        strings: list[np.ndarray | None] = []
        parts: list[tuple[int, FunctionFeatures]] = []
        for sample_id, family, item in references:
            if len(seen) % _PROGRESS_EVERY == 0:
                ctx.check()
                fraction = 0.8 * len(seen) / len(references) if isinstance(references, Sized) else 0.0
                ctx.progress(fraction, f"read {len(seen)} reference samples")
            if sample_id in seen:
                continue
            seen.add(sample_id)
            features = analyse_reference(item, params) if isinstance(item, bytes) else item
            if features.functions is not None:
                if features.functions.params != params:
                    raise ValueError(f"{sample_id}: features were computed with other MinHash parameters")
                parts.append((len(samples), features.functions))
            samples.append(sample_id)
            families.append(family)
            digests.append(features.tlsh)
            strings.append(features.strings)
        ctx.progress(0.8, "building the function and string indexes")
        entries = FunctionEntries.collect(parts, families, params)
        index = cls(samples, families, digests, entries, StringIndex.build(strings, family_codes(families)), params)
        ctx.progress(1.0, f"indexed {index.entries.total} functions of {len(samples)} samples")
        return index

    def sample_position(self, sample_id: str | None) -> int | None:
        return self._position.get(sample_id) if sample_id else None

    def visible_entries(self, exclude_sample: str | None, exclude_family: str | None = None) -> np.ndarray | None:
        """Mask of function entries still backed by a sample other than ``exclude_sample`` and not of
        ``exclude_family`` (None: all are visible).

        An entry shared by several samples of its family survives the exclusion of one of them, which
        makes leave-one-out evaluation on one index exact.
        """
        position = self.sample_position(exclude_sample)
        family = self.family_code(exclude_family)
        if position is None and family is None:
            return None
        hidden = np.zeros(len(self.entries.family), dtype=bool)
        if position is not None:
            hidden |= (self.entries.owner == position) & (self.entries.copies == 1)
        if family is not None:
            hidden |= self.entries.family == family
        return ~hidden

    def family_code(self, family: str | None) -> int | None:
        """A family's position in ``families`` (None: unknown or not given)."""
        return self._family_position.get(family) if family is not None else None

    def save(self, directory: str | Path) -> None:
        """Write the index into ``directory`` (created if needed) as arrays, Parquet and JSON."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        e, s = self.entries, self.strings
        for name, array in (
            ("function_signatures", e.signatures),
            ("string_vocabulary", s.vocabulary),
            ("string_indptr", s.indptr),
            ("string_indices", s.indices),
        ):
            np.save(path / f"{name}.npy", array, allow_pickle=False)
        columns = {c: getattr(e, c) for c in _ENTRY_COLUMNS}
        pq.write_table(pa.table({**columns, "name": e.name}), path / "functions.parquet")
        samples = {"sample_id": self.samples, "family": self.sample_family, "tlsh": pa.array(self.tlsh, pa.string())}
        pq.write_table(pa.table(samples), path / "samples.parquet")
        meta = {"format": INDEX_FORMAT, "revision": self.revision, "params": self.params.__dict__, "total": e.total}
        (path / "meta.json").write_text(json.dumps(meta))
        if self.consensus is not None:
            (path / CONSENSUS_FILE).write_text(json.dumps({**self.consensus, "revision": self.revision}))

    @classmethod
    def load(cls, directory: str | Path) -> ReferenceIndex:
        path = Path(directory)
        meta = json.loads((path / "meta.json").read_text())
        if meta.get("format") != INDEX_FORMAT:
            raise ValueError(f"index format {meta.get('format')} is not {INDEX_FORMAT}; rebuild the index")

        def array(name: str) -> np.ndarray:
            return np.load(path / f"{name}.npy", allow_pickle=False)

        rows = pq.read_table(path / "functions.parquet")
        entries = FunctionEntries(
            signatures=array("function_signatures"),
            **{c: rows[c].to_numpy() for c in _ENTRY_COLUMNS},
            name=rows["name"].to_pylist(),
            total=meta["total"],
        )
        samples = pq.read_table(path / "samples.parquet").to_pydict()
        row_family = family_codes(samples["family"])
        strings = StringIndex(array("string_vocabulary"), array("string_indptr"), array("string_indices"), row_family)
        index = cls(
            samples["sample_id"], samples["family"], samples["tlsh"], entries, strings, MinHashParams(**meta["params"])
        )
        consensus = path / CONSENSUS_FILE
        if consensus.exists():
            fitted = json.loads(consensus.read_text())
            index.consensus = fitted if fitted.get("revision") == index.revision else None
        return index
