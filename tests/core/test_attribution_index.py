"""MinHash signatures, the LSH index and the reference library's persistence, on real binaries."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash

from core.attribution import (
    DEFAULT_PARAMS,
    FunctionSimilarityModel,
    ReferenceFeatures,
    ReferenceIndex,
    analyse_reference,
    extract_functions,
)
from core.attribution.minhash_index import LshIndex, shingle_hashes, signatures

pytestmark = pytest.mark.database_free  # no Engine, no database: the Postgres run of CI skips it

BINARIES = [Path("/usr/bin") / name for name in ("ls", "cp", "mv", "dd", "tac")]


@pytest.fixture(scope="module")
def binaries() -> dict[str, bytes]:
    present = {p.name: p.read_bytes() for p in BINARIES if p.is_file()}
    if len(present) < 4:
        pytest.skip("coreutils binaries are not on this machine")
    return present


@pytest.fixture(scope="module")
def ls_tokens(binaries: dict[str, bytes]) -> list[list[str]]:
    return [f.tokens for f in extract_functions(binaries["ls"]).functions if len(f.tokens) >= 20]


def references(binaries: dict[str, bytes], names: list[str]) -> list[tuple[str, str, ReferenceFeatures]]:
    return [
        (
            hashlib.sha256(binaries[n]).hexdigest(),
            "coreutils" if n != "tac" else "other",
            analyse_reference(binaries[n]),
        )
        for n in names
    ]


def test_signatures_are_those_of_datasketch_minhash(ls_tokens: list[list[str]]) -> None:
    ours = signatures(ls_tokens[:20], DEFAULT_PARAMS)
    for tokens, row in zip(ls_tokens[:20], ours, strict=True):
        reference = MinHash(num_perm=DEFAULT_PARAMS.num_perm, seed=DEFAULT_PARAMS.seed, hashfunc=lambda x: x)
        reference.update_batch(shingle_hashes(tokens, DEFAULT_PARAMS.shingle).tolist())
        assert np.array_equal(reference.hashvalues, row)


def test_lsh_finds_an_edited_function_with_a_fair_jaccard_estimate(ls_tokens: list[list[str]]) -> None:
    index = LshIndex(signatures(ls_tokens, DEFAULT_PARAMS), DEFAULT_PARAMS)
    original = max(ls_tokens, key=len)
    edited = list(original)
    edited[len(edited) // 2] = "hlt"
    found = index.query(signatures([edited], DEFAULT_PARAMS), threshold=0.5)
    target = ls_tokens.index(original)
    assert target in found.entry.tolist()
    shingles = set(shingle_hashes(original, 4).tolist()), set(shingle_hashes(edited, 4).tolist())
    true_jaccard = len(shingles[0] & shingles[1]) / len(shingles[0] | shingles[1])
    estimate = found.similarity[found.entry.tolist().index(target)]
    assert abs(estimate - true_jaccard) < 0.2


def test_identical_query_functions_each_get_the_matches(ls_tokens: list[list[str]]) -> None:
    sigs = signatures(ls_tokens, DEFAULT_PARAMS)
    index = LshIndex(sigs, DEFAULT_PARAMS)
    found = index.query(sigs[[3, 3, 3, 7]], threshold=0.99)
    for query in range(3):
        assert 3 in found.entry[found.query == query].tolist()
    assert 7 in found.entry[found.query == 3].tolist()


def test_index_survives_save_and_load_in_safe_formats(binaries: dict[str, bytes], tmp_path: Path) -> None:
    index = ReferenceIndex.build(references(binaries, ["cp", "mv", "tac"]))
    index.save(tmp_path)
    assert {p.suffix for p in tmp_path.iterdir()} == {".npy", ".parquet", ".json"}
    loaded = ReferenceIndex.load(tmp_path)
    assert loaded.revision == index.revision
    assert loaded.samples == index.samples and loaded.tlsh == index.tlsh
    sample = FunctionSimilarityModel().phase_1(binaries["ls"])
    before = FunctionSimilarityModel().phase_2(sample, index).to_dict()
    after = FunctionSimilarityModel().phase_2(sample, loaded).to_dict()
    assert after == before


def test_reference_features_round_trip_through_bytes(binaries: dict[str, bytes]) -> None:
    features = analyse_reference(binaries["dd"])
    again = ReferenceFeatures.from_bytes(features.to_bytes())
    assert again.tlsh == features.tlsh and again.not_applicable == features.not_applicable
    assert again.strings is not None and features.strings is not None
    assert np.array_equal(again.strings, features.strings)
    assert again.functions is not None and features.functions is not None
    assert np.array_equal(again.functions.signatures, features.functions.signatures)
    assert again.functions.names == features.functions.names


def test_features_of_unreadable_file_record_why(binaries: dict[str, bytes]) -> None:
    features = analyse_reference(b"plain text that is certainly not an executable file")
    assert features.functions is None
    assert features.not_applicable["function_similarity"] == "not an ELF file"


def test_revision_changes_with_the_library(binaries: dict[str, bytes]) -> None:
    rows = references(binaries, ["cp", "mv", "tac"])
    same = ReferenceIndex.build(list(reversed(rows))).revision
    assert ReferenceIndex.build(rows).revision == same
    assert ReferenceIndex.build(rows[:2]).revision != same
    relabelled = [(s, "renamed", f) for s, _, f in rows]
    assert ReferenceIndex.build(relabelled).revision != same


def test_excluding_a_sample_keeps_functions_its_siblings_share(binaries: dict[str, bytes]) -> None:
    rows = references(binaries, ["cp", "mv", "tac"])
    index = ReferenceIndex.build(rows)
    visible = index.visible_entries(rows[0][0])
    assert visible is not None
    owned_by_cp = index.entries.owner == 0
    assert not visible[owned_by_cp & (index.entries.copies == 1)].any()
    assert visible[owned_by_cp & (index.entries.copies > 1)].all()
    assert index.entries.total > len(index.entries.family)  # cp and mv share code: duplicates collapsed
