"""The attribution models end to end on a small reference library of this machine's own binaries.

Families are Debian packages; each contributes a handful of its ELF files (read from dpkg's file lists)
and keeps one file back to be attributed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from core.attribution import (
    MODELS,
    FunctionSimilarityModel,
    ReferenceIndex,
    StringsModel,
    TlshModel,
    run_model,
)

pytestmark = pytest.mark.database_free  # no Engine, no database: the Postgres run of CI skips it

DPKG_INFO = Path("/var/lib/dpkg/info")
FAMILIES = ("coreutils", "util-linux", "procps", "diffutils")
PER_FAMILY = 5
SEED_FIELDS = {"model", "model_version", "status", "error_details", "prediction_results", "explanation_results"}


def package_elf_files(package: str, count: int) -> list[Path]:
    """Up to ``count`` small x86-64 ELF files of a package, spread over its sorted file list."""
    listing = DPKG_INFO / f"{package}.list"
    if not listing.exists():
        return []
    found: list[Path] = []
    for line in sorted(listing.read_text().splitlines()):
        path = Path(line)  # Debian 12 still lists some packages' programs under /bin (gzip): the same files
        if line.startswith(("/usr/", "/bin/", "/sbin/")) and path.is_file() and not path.is_symlink():
            header = path.read_bytes()[:20] if 10_000 < path.stat().st_size <= 400_000 else b""
            if header.startswith(b"\x7fELF") and header[18] == 62 and path.resolve() not in found:
                found.append(path.resolve())
    step = max(1, len(found) // count)
    return found[::step][:count]


@pytest.fixture(scope="module")
def family_files() -> dict[str, list[Path]]:
    files = {family: package_elf_files(family, PER_FAMILY + 1) for family in FAMILIES}
    files = {family: paths for family, paths in files.items() if len(paths) >= 3}
    if len(files) < 3:
        pytest.skip("needs three Debian packages with ELF files (coreutils, util-linux, procps, diffutils)")
    return files


@pytest.fixture(scope="module")
def index(family_files: dict[str, list[Path]]) -> ReferenceIndex:
    """The library: every file but the first of each family (the first is held out)."""
    rows = []
    for family, paths in family_files.items():
        for path in paths[1:]:
            data = path.read_bytes()
            rows.append((hashlib.sha256(data).hexdigest(), family, data))
    return ReferenceIndex.build(rows)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("model", [FunctionSimilarityModel(), StringsModel()], ids=lambda m: m.name)
def test_held_out_binary_is_attributed_to_its_family(
    family: str,
    model: FunctionSimilarityModel | StringsModel,
    family_files: dict[str, list[Path]],
    index: ReferenceIndex,
) -> None:
    if family not in family_files:
        pytest.skip(f"{family} is not installed")
    result = run_model(model, family_files[family][0].read_bytes(), index)
    assert result.status == "done"
    assert result.top_family == family
    assert set(result.timings) == {"phase_1", "phase_2"}


def test_function_result_explains_its_matches(family_files: dict[str, list[Path]], index: ReferenceIndex) -> None:
    result = run_model(FunctionSimilarityModel(), family_files["coreutils"][0].read_bytes(), index)
    evidence = result.evidence
    assert 0 < evidence["functions_matched"] <= evidence["functions_analysed"]
    assert f"{evidence['functions_matched']} of {evidence['functions_analysed']} functions" in result.explanation
    assert "points to family coreutils" in result.explanation
    match = evidence["matched_functions"][0]
    assert match["size"] > 0 and 0.5 <= match["similarity"] <= 1.0
    assert match["family"] in index.families and match["reference_sample"] in index.samples
    assert result.index_revision == index.revision


def test_strings_result_quotes_shared_strings(family_files: dict[str, list[Path]], index: ReferenceIndex) -> None:
    result = run_model(StringsModel(), family_files["util-linux"][0].read_bytes(), index)
    shared = result.evidence["shared_with_top_family"]
    assert shared and all(isinstance(s, str) and len(s) >= 6 for s in shared)
    assert f'"{shared[0][:40]}"' in result.explanation
    assert result.evidence["nearest"][0]["family"] in index.families


def test_non_elf_file_gets_function_model_not_applicable_and_a_tlsh_result(index: ReferenceIndex) -> None:
    data = Path(json.__file__).read_bytes()  # a real file that is certainly not an ELF binary
    results = {m.name: run_model(m, data, index) for m in MODELS}
    function = results["function_similarity"]
    assert function.status == "not_applicable"
    assert function.to_dict()["error_details"] == "not an ELF file"
    tlsh = results["tlsh_similarity"]
    assert tlsh.status == "done"
    assert tlsh.evidence["references_compared"] == len(index.samples)
    assert tlsh.evidence["nearest"][0]["distance"] > 0
    assert "TLSH distance" in tlsh.explanation


def test_empty_file_is_not_applicable_for_every_model(index: ReferenceIndex) -> None:
    results = [run_model(m, b"", index) for m in MODELS]
    assert [r.status for r in results] == ["not_applicable"] * len(MODELS)
    assert all(r.explanation.startswith("Not applicable:") for r in results)


def test_tiny_file_is_too_small_for_a_fuzzy_hash(index: ReferenceIndex) -> None:
    result = run_model(TlshModel(), b"MZ\x90\x00tiny", index)
    assert result.status == "not_applicable"
    assert "too small" in result.evidence["reason"]


def test_a_reference_matches_itself_unless_excluded(family_files: dict[str, list[Path]], index: ReferenceIndex) -> None:
    data = family_files["procps"][1].read_bytes()
    sample_id = hashlib.sha256(data).hexdigest()
    own = run_model(TlshModel(), data, index)
    assert own.evidence["nearest"][0] == {
        "sample_id": sample_id,
        "family": "procps",
        "distance": 0,
        "meaning": "nearly identical",
    }
    hidden = run_model(TlshModel(), data, index, exclude_sample=sample_id)
    assert sample_id not in [n["sample_id"] for n in hidden.evidence["nearest"]]


def test_result_dict_is_json_with_the_seed_api_fields(
    family_files: dict[str, list[Path]], index: ReferenceIndex
) -> None:
    for model in MODELS:
        result = run_model(model, family_files["diffutils"][0].read_bytes(), index)
        record = json.loads(json.dumps(result.to_dict()))
        assert set(record) >= SEED_FIELDS
        assert record["model"] == model.name and record["model_version"] == model.version
        scores = [row["score"] for row in record["prediction_results"]]
        assert scores == sorted(scores, reverse=True)
        assert record["explanation_results"]["summary"] == result.explanation
