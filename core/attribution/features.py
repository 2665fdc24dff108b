"""Phase-1 features in their storable form, for samples and for reference-library files alike.

The service keeps one ``ReferenceFeatures`` blob per reference file (``analyse_reference`` → ``to_bytes``)
so that rebuilding the index after adding or removing references never re-disassembles a file. Blobs are
``.npz`` archives of plain arrays plus JSON text, read with ``allow_pickle=False``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.attribution.elf_functions import ExtractedFunctions, NotApplicable, extract_functions
from core.attribution.minhash_index import MinHashParams, signatures
from core.attribution.models import FUNCTION_MODEL, STRINGS_MODEL, TLSH_MODEL
from core.attribution.strings_model import string_features
from core.attribution.tlsh_model import tlsh_digest

DEFAULT_PARAMS = MinHashParams()


def json_array(value: object) -> np.ndarray:
    """JSON text as a uint8 array, so it can sit in an ``.npz`` without pickle."""
    return np.frombuffer(json.dumps(value).encode(), dtype=np.uint8)


def from_json_array(array: np.ndarray) -> Any:
    return json.loads(array.tobytes())


@dataclass(frozen=True)
class FunctionFeatures:
    """Phase-1 output of the function model: MinHash signatures plus where each function is. Small enough
    to store per reference file, and all that phase 2 needs (the instruction tokens are not kept)."""

    signatures: np.ndarray  # (functions × num_perm) uint32
    addresses: np.ndarray  # uint64
    sizes: np.ndarray  # int64
    token_counts: np.ndarray  # int64
    names: list[str]  # "" when unknown
    params: MinHashParams
    source: str = "symbols"
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_extracted(cls, extracted: ExtractedFunctions, params: MinHashParams = DEFAULT_PARAMS) -> FunctionFeatures:
        functions = extracted.functions
        return cls(
            signatures=signatures([f.tokens for f in functions], params),
            addresses=np.array([f.address for f in functions], dtype=np.uint64),
            sizes=np.array([f.size for f in functions], dtype=np.int64),
            token_counts=np.array([len(f.tokens) for f in functions], dtype=np.int64),
            names=[f.name or "" for f in functions],
            params=params,
            source=extracted.source,
            notes=extracted.notes,
        )

    def to_arrays(self) -> dict[str, np.ndarray]:
        meta = {"params": self.params.__dict__, "source": self.source, "notes": self.notes, "names": self.names}
        return {
            "function_meta": json_array(meta),
            "signatures": self.signatures,
            "addresses": self.addresses,
            "sizes": self.sizes,
            "token_counts": self.token_counts,
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> FunctionFeatures:
        meta = from_json_array(arrays["function_meta"])
        return cls(
            arrays["signatures"],
            arrays["addresses"],
            arrays["sizes"],
            arrays["token_counts"],
            meta["names"],
            MinHashParams(**meta["params"]),
            meta["source"],
            meta["notes"],
        )


@dataclass(frozen=True)
class ReferenceFeatures:
    """Everything the library needs from one reference file; a model that cannot read it says why."""

    functions: FunctionFeatures | None
    tlsh: str | None
    strings: np.ndarray | None  # sorted uint64 string hashes
    not_applicable: dict[str, str] = field(default_factory=dict)  # model name → reason

    def to_bytes(self) -> bytes:
        """A self-contained ``.npz`` (no pickle) the service can store next to the reference file."""
        arrays = {"meta": json_array({"tlsh": self.tlsh, "not_applicable": self.not_applicable})}
        if self.functions is not None:
            arrays.update(self.functions.to_arrays())
        if self.strings is not None:
            arrays["strings"] = self.strings
        buffer = io.BytesIO()
        np.savez_compressed(buffer, allow_pickle=False, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> ReferenceFeatures:
        with np.load(io.BytesIO(blob), allow_pickle=False) as arrays:
            meta = from_json_array(arrays["meta"])
            functions = FunctionFeatures.from_arrays(arrays) if "signatures" in arrays else None
            strings = arrays.get("strings")
        return cls(functions, meta["tlsh"], strings, meta["not_applicable"])


def analyse_reference(data: bytes, params: MinHashParams = DEFAULT_PARAMS) -> ReferenceFeatures:
    """Phase 1 of every model on one reference file, done once per file."""
    reasons: dict[str, str] = {}
    functions = digest = strings = None
    try:
        functions = FunctionFeatures.from_extracted(extract_functions(data), params)
    except NotApplicable as exc:
        reasons[FUNCTION_MODEL] = exc.reason
    try:
        digest = tlsh_digest(data)
    except NotApplicable as exc:
        reasons[TLSH_MODEL] = exc.reason
    try:
        strings = string_features(data, keep_texts=False).hashes
    except NotApplicable as exc:
        reasons[STRINGS_MODEL] = exc.reason
    return ReferenceFeatures(functions, digest, strings, reasons)
