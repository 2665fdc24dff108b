"""``eng.attribution`` end to end: a small reference library of this machine's binaries (grouped by Debian
package through dpkg's file lists) built in the test, samples submitted, followed, revoked and deleted.

Most tests share one library workspace (inline jobs); revoking needs real worker processes.
"""

from __future__ import annotations

import hashlib
import json
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core import Actor, Conflict, Engine, InvalidInput, NotFound, PermissionDenied
from core.attribution import DEFAULT_PARAMS, ReferenceIndex
from core.attribution.elf_functions import DEFAULT_MAX_FUNCTIONS
from core.attribution.minhash_index import MinHashParams
from core.services.attribution_tasks import load_index
from core.storage.repositories import attribution as repo
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD
from tests.core.test_attribution_elf import elf_with_symbols
from tests.core.test_attribution_models import package_elf_files

FAMILIES = {
    "coreutils": "coreutils",
    "procps": "procps",
    "diffutils": "diffutils",
    "libgdk-pixbuf-2.0-0:amd64": "gdk-pixbuf",
}
MODELS = ["function_similarity", "strings_similarity", "tlsh_similarity"]
SEED_FIELDS = {
    "model",
    "model_version",
    "sha256_hash",
    "predicted_at",
    "task_id",
    "error_details",
    "prediction_results",
    "explanation_results",
}
LICENSE = Path("/usr/share/common-licenses/GPL-3")


@dataclass
class Library:
    engine: Engine
    admin: Actor
    held_out: dict[str, Path]  # family -> a file of the family that is not in the library
    home: Path


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    files = {family: package_elf_files(package, 4) for package, family in FAMILIES.items()}
    files = {family: paths for family, paths in files.items() if len(paths) >= 3}
    if len(files) < 3:
        pytest.skip("needs three Debian packages with ELF files (coreutils, procps, diffutils, gdk-pixbuf)")
    home = tmp_path_factory.mktemp("attribution") / "workspace"
    eng = Engine.open(home=home, runner="inline")
    admin = eng.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
    for family, paths in files.items():
        eng.attribution.add_references(admin, family=family, files=[(p.name, p.read_bytes()) for p in paths[1:]])
    job = eng.attribution.rebuild_index(admin)
    assert job.status == "succeeded", job.error
    yield Library(eng, admin, {family: paths[0] for family, paths in files.items()}, home)
    eng.close()


def largest_library_elf(low: int = 10_000_000, high: int = 80_000_000) -> Path:
    """A big x86-64 shared library, so phase 1 of the function model takes long enough to be revoked."""
    found = [
        p
        for p in Path("/usr/lib/x86_64-linux-gnu").glob("*.so*")
        if p.is_file()
        and not p.is_symlink()
        and low <= p.stat().st_size <= high
        and p.read_bytes()[:20][18:20] == b"\x3e\x00"
    ]
    if not found:
        pytest.skip("no x86-64 library of 10–80 MB on this machine")
    return min(found, key=lambda p: p.stat().st_size)


def test_held_out_binary_is_attributed_to_its_family(library: Library) -> None:
    for family, path in library.held_out.items():
        sample = library.engine.attribution.submit(library.admin, path.name, path.read_bytes())
        assert sample.state == "done"
        ranked = {
            r["model"]: r["prediction_results"] for r in library.engine.attribution.results(library.admin, sample.id)
        }
        assert ranked["function_similarity"][0]["family"] == family, (path, ranked["function_similarity"][:3])
        assert ranked["strings_similarity"][0]["family"] == family, (path, ranked["strings_similarity"][:3])
        assert ranked["consensus"][0]["family"] == family, (path, ranked["consensus"][:3])


def test_results_carry_seed_fields_ranked_families_explanation_and_versions(library: Library) -> None:
    path = library.held_out["procps"]
    sample = library.engine.attribution.submit(library.admin, path.name, path.read_bytes())
    verdict, *results = library.engine.attribution.results(library.admin, sample.id)
    assert [r["model"] for r in results] == MODELS
    revision = library.engine.attribution.library(library.admin).revision  # type: ignore[union-attr]
    assert verdict["model"] == "consensus" and verdict["status"] == "done" and set(verdict) >= SEED_FIELDS
    assert verdict["prediction_results"][0]["family"] == "procps"
    assert verdict["explanation_results"]["summary"].startswith("Family procps with")
    assert verdict["explanation_results"]["index_revision"] == revision
    for entry in results:
        assert set(entry) >= SEED_FIELDS
        assert entry["sha256_hash"] == hashlib.sha256(path.read_bytes()).hexdigest() == sample.id
        assert entry["task_id"] and entry["predicted_at"].endswith("Z") and entry["error_details"] is None
        scores = [row["score"] for row in entry["prediction_results"]]
        assert scores == sorted(scores, reverse=True)
        assert entry["explanation_results"]["index_revision"] == revision
        assert set(entry["explanation_results"]["timings"]) == {"phase_1", "phase_2"}
    function = results[0]["explanation_results"]
    assert "functions have close matches" in function["summary"] and "points to family procps" in function["summary"]
    match = function["evidence"]["matched_functions"][0]
    assert {"address", "size", "similarity", "family", "reference_name"} <= set(match)
    versions = library.engine.attribution.versions(library.admin)
    assert versions["models"]["function_similarity"] == results[0]["model_version"]
    assert versions["library_revision"] == revision


def test_results_download_as_csv_and_json(library: Library) -> None:
    path = library.held_out["diffutils"]
    sample = library.engine.attribution.submit(library.admin, path.name, path.read_bytes())
    lines = library.engine.attribution.results_csv(library.admin, sample.id).decode().splitlines()
    assert lines[0].startswith("sha256_hash,model,model_version,status,rank,family,score")
    assert any(line.split(",")[1] == "function_similarity" and line.split(",")[5] == "diffutils" for line in lines)
    document = json.loads(library.engine.attribution.results_json(library.admin, sample.id))
    assert document["sha256_hash"] == sample.id and len(document["results"]) == len(MODELS) + 1


def test_status_has_the_seed_shape(library: Library) -> None:
    path = library.held_out["coreutils"]
    sample = library.engine.attribution.submit(library.admin, path.name, path.read_bytes())
    status = library.engine.attribution.status(library.admin, sample.id)
    assert status == {
        "status": dict.fromkeys(MODELS, "done"),
        "detailed_status": {m: {"phase_1": "done", "phase_2": "done"} for m in MODELS},
    }


def test_non_elf_file_gets_function_model_not_applicable_and_a_tlsh_result(library: Library) -> None:
    data = LICENSE.read_bytes() if LICENSE.exists() else Path(json.__file__).read_bytes()
    sample = library.engine.attribution.submit(library.admin, "license.txt", data)
    status = library.engine.attribution.status(library.admin, sample.id)
    assert status["detailed_status"]["function_similarity"] == {
        "phase_1": "not_applicable",
        "phase_2": "not_applicable",
    }
    results = {r["model"]: r for r in library.engine.attribution.results(library.admin, sample.id)}
    assert results["function_similarity"]["error_details"] == "not an ELF file"
    tlsh = results["tlsh_similarity"]
    assert tlsh["status"] == "done" and "TLSH distance" in tlsh["explanation_results"]["summary"]
    assert tlsh["explanation_results"]["evidence"]["nearest"]
    assert sample.state == "done"


def test_duplicate_submission_returns_the_same_sample_without_new_jobs(library: Library) -> None:
    eng, admin = library.engine, library.admin
    data = library.held_out["procps"].read_bytes() + b"\0duplicate"
    first = eng.attribution.submit(admin, "first.bin", data)
    jobs = len(eng.jobs.list(admin))
    again = eng.attribution.submit(admin, "renamed.bin", data)
    assert again.id == first.id == hashlib.sha256(data).hexdigest()
    assert again.name == "first.bin" and len(eng.jobs.list(admin)) == jobs
    assert sum(s.id == first.id for s in eng.attribution.list_samples(admin)) == 1


def test_another_tenant_cannot_see_revoke_or_delete_the_sample(library: Library) -> None:
    eng = library.engine
    sample = eng.attribution.submit(library.admin, "tenant.bin", library.held_out["coreutils"].read_bytes() + b"t")
    eng.tenants.create(
        library.admin,
        name="Elsewhere",
        admin_username="elsa",
        admin_password=USER_PASSWORD,
        admin_email="elsa@example.com",
    )
    other = eng.users.authenticate("elsa", USER_PASSWORD)
    for call in (
        eng.attribution.get_sample,
        eng.attribution.status,
        eng.attribution.results,
        eng.attribution.revoke,
        eng.attribution.delete,
        eng.attribution.results_csv,
    ):
        with pytest.raises(NotFound):
            call(other, sample.id)
    assert eng.attribution.list_samples(other) == [] and eng.attribution.library(other) is None
    with pytest.raises(InvalidInput, match="rebuild the index"):  # their library is empty
        eng.attribution.submit(other, "tenant.bin", library.held_out["coreutils"].read_bytes() + b"t")


def test_revoking_a_finished_sample_says_so(library: Library) -> None:
    sample = library.engine.attribution.submit(
        library.admin, "done.bin", library.held_out["procps"].read_bytes() + b"revoke"
    )
    with pytest.raises(Conflict, match=r"already finished.*nothing left to revoke"):
        library.engine.attribution.revoke(library.admin, sample.id)


def test_delete_removes_the_sample_its_results_and_its_file(library: Library) -> None:
    eng, admin = library.engine, library.admin
    sample = eng.attribution.submit(admin, "gone.bin", library.held_out["diffutils"].read_bytes() + b"gone")
    eng.attribution.delete(admin, sample.id)
    with pytest.raises(NotFound):
        eng.attribution.status(admin, sample.id)
    with pytest.raises(NotFound):
        eng.files.get(admin, sample.file_id)


def test_bad_samples_get_a_reason_per_model_and_nothing_half_written(library: Library) -> None:
    eng, admin = library.engine, library.admin
    ls = library.held_out["coreutils"].read_bytes()
    before = (len(eng.attribution.list_samples(admin)), len(eng.files.list(admin)))
    with pytest.raises(InvalidInput, match="empty"):
        eng.attribution.submit(admin, "empty.bin", b"")
    assert (len(eng.attribution.list_samples(admin)), len(eng.files.list(admin))) == before
    cases = {
        "truncated.bin": (ls[:40], "truncated ELF header (40 of 64 bytes)"),
        "arm.bin": (ls[:18] + struct.pack("<H", 183) + ls[20:], "ELF for AArch64 (64-bit); only x86-64 is supported"),
    }
    for name, (data, reason) in cases.items():
        sample = eng.attribution.submit(admin, name, data)
        function = eng.attribution.results(admin, sample.id)[1]
        assert function["status"] == "not_applicable" and function["error_details"] == reason
    arm = eng.attribution.results(admin, hashlib.sha256(cases["arm.bin"][0]).hexdigest())
    assert arm[3]["status"] == "done"  # the whole-file model still reads it
    assert "function_similarity" in arm[0]["explanation_results"]["evidence"]["not_voting"]


def test_huge_number_of_tiny_functions_is_analysed_up_to_the_cap_with_a_note(library: Library) -> None:
    sample = library.engine.attribution.submit(library.admin, "tiny.bin", elf_with_symbols(DEFAULT_MAX_FUNCTIONS + 5))
    function = library.engine.attribution.results(library.admin, sample.id)[1]
    assert function["status"] == "done"
    evidence = function["explanation_results"]["evidence"]
    assert evidence["functions_analysed"] == DEFAULT_MAX_FUNCTIONS
    assert (
        f"{DEFAULT_MAX_FUNCTIONS + 5} functions found; analysed the {DEFAULT_MAX_FUNCTIONS} largest"
        in evidence["notes"]
    )


def test_revoke_during_phase_1_ends_revoked_with_no_results(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    big = largest_library_elf()
    monkeypatch.setenv("DATAML_MAX_JOBS", "3")
    eng = Engine.open(home=library.home, runner="process")
    try:
        sample = eng.attribution.submit(library.admin, big.name, big.read_bytes())
        deadline = time.monotonic() + 60
        while (
            eng.attribution.status(library.admin, sample.id)["detailed_status"]["function_similarity"]["phase_1"]
            != "running"
        ):
            assert time.monotonic() < deadline, "phase 1 never started"
            time.sleep(0.2)
        revoked = eng.attribution.revoke(library.admin, sample.id)
        function = next(r for r in revoked.runs if r.model == "function_similarity")
        assert (function.phase_1, function.phase_2, function.state) == ("revoked", "revoked", "revoked")
        assert revoked.state == "revoked"
        for entry in eng.attribution.results(library.admin, sample.id):
            if entry["status"] == "revoked":
                assert entry["prediction_results"] == [] and entry["error_details"] == "Revoked by admin."
        job = eng.jobs.get(library.admin, function.job_id)  # type: ignore[arg-type]
        assert job.status == "canceled"
        time.sleep(1.0)  # a late write from the stopped worker must not bring the result back
        assert eng.attribution.status(library.admin, sample.id)["status"]["function_similarity"] == "revoked"
    finally:
        eng.close()


def test_only_the_submitter_or_an_administrator_may_revoke(library: Library) -> None:
    eng = library.engine
    eng.users.create(library.admin, username="ana", password=USER_PASSWORD, email="ana@example.com", role="analyst")
    eng.users.create(library.admin, username="bob", password=USER_PASSWORD, email="bob@example.com", role="analyst")
    ana, bob = eng.users.authenticate("ana", USER_PASSWORD), eng.users.authenticate("bob", USER_PASSWORD)
    sample = eng.attribution.submit(ana, "ana.bin", library.held_out["procps"].read_bytes() + b"ana")
    with pytest.raises(PermissionDenied, match="Only ana"):
        eng.attribution.delete(bob, sample.id)
    eng.attribution.delete(ana, sample.id)


def test_reference_library_lists_families_and_goes_stale_after_a_removal(library: Library) -> None:
    eng, admin = library.engine, library.admin
    families = eng.attribution.families(admin)
    assert set(families["family"]) == set(library.held_out)
    assert (families["samples"] == 3).all() and (families["analysed"] == 3).all()
    current = eng.attribution.library(admin)
    assert current is not None and not current.stale and current.samples == 3 * len(library.held_out)
    extra = eng.attribution.add_reference(
        admin, family="coreutils", filename="extra.bin", data=library.held_out["coreutils"].read_bytes() + b"extra"
    )
    assert eng.attribution.library(admin).stale  # type: ignore[union-attr]
    eng.attribution.remove_reference(admin, extra.id)
    assert not eng.attribution.library(admin).stale  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        eng.files.get(admin, extra.file_id)


def test_rebuilt_index_replaces_the_old_one_atomically_and_loads_once(library: Library) -> None:
    eng, admin = library.engine, library.admin
    job = eng.attribution.rebuild_index(admin)
    assert job.status == "succeeded" and job.result is not None
    assert job.result["samples"] == 3 * len(library.held_out)
    assert not list(eng.store.root.rglob("*.partial"))
    with eng.db.session() as session:
        assert len(repo.prune_indexes(session, admin.tenant_id, keep=10)) == 0  # older ones already pruned
    first = load_index(eng.workspace, admin.tenant_id)
    assert first is not None and first is load_index(eng.workspace, admin.tenant_id)
    assert first.revision == job.result["revision"]


def install_index_with_other_settings(eng: Engine, admin: Actor, data: bytes) -> None:
    """Make an index of ``data`` built with other MinHash settings the current one: the function model then fails
    in phase 2, asking for a rebuild (as after an upgrade that changed them)."""
    other = ReferenceIndex.build([("x", "procps", data)], params=MinHashParams(num_perm=32, bands=8))
    assert other.params != DEFAULT_PARAMS
    with eng.store.directory_writer(admin.tenant_id, "result") as (key, directory):
        other.save(directory)
    with eng.db.session() as session:
        repo.add_index(
            session,
            tenant_id=admin.tenant_id,
            revision=other.revision,
            storage_key=key,
            library_digest="old",
            samples=1,
            families=1,
            functions=other.entries.total,
        )


def test_index_built_with_other_settings_asks_for_a_rebuild(library: Library) -> None:
    eng, admin = library.engine, library.admin
    path = library.held_out["procps"]
    install_index_with_other_settings(eng, admin, path.read_bytes())
    try:
        sample = eng.attribution.submit(admin, "old-index.bin", path.read_bytes() + b"old")
        function = eng.attribution.results(admin, sample.id)[1]
        assert (
            function["status"] == "failed" and "rebuild it on the Reference library page" in function["error_details"]
        )
        assert eng.attribution.status(admin, sample.id)["detailed_status"]["function_similarity"] == {
            "phase_1": "done",
            "phase_2": "failed",
        }
    finally:
        assert eng.attribution.rebuild_index(admin).status == "succeeded"


def test_library_refuses_bad_references_as_a_whole_batch(engine: Engine, admin: Actor) -> None:
    ok = Path("/usr/bin/true").read_bytes()
    bad = [("ok", ok), ("empty.bin", b""), ("bundle.zip", b"PK\x03\x04" + bytes(100)), ("again", ok)]
    with pytest.raises(InvalidInput, match="3 of the files cannot be added") as caught:
        engine.attribution.add_references(admin, family="coreutils", files=bad)
    assert [p.field for p in caught.value.problems] == ["empty.bin", "bundle.zip", "again"]
    assert "archives are not unpacked" in caught.value.problems[1].problem
    assert engine.attribution.list_references(admin) == [] and engine.files.list(admin) == []
    with pytest.raises(InvalidInput, match="Name the family"):
        engine.attribution.add_reference(admin, family="  ", filename="true", data=ok)
    engine.attribution.add_reference(admin, family="coreutils", filename="true", data=ok)
    with pytest.raises(InvalidInput, match="already in the library as true"):
        engine.attribution.add_reference(admin, family="other", filename="copy", data=ok)


def test_submit_needs_an_index_and_rebuild_needs_references(engine: Engine, admin: Actor) -> None:
    with pytest.raises(InvalidInput, match="The reference library is empty"):
        engine.attribution.rebuild_index(admin)
    with pytest.raises(InvalidInput, match="add labeled samples and rebuild the index"):
        engine.attribution.submit(admin, "true", Path("/usr/bin/true").read_bytes())
    assert engine.attribution.list_samples(admin) == [] and engine.files.list(admin) == []


def test_file_over_the_size_limit_is_refused(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAML_MAX_UPLOAD_MB", "1")
    eng = Engine.open(home=home, runner="inline")
    try:
        admin = eng.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
        big = bytes(range(256)) * 5000
        with pytest.raises(InvalidInput, match="larger than the limit of 1 MB"):
            eng.attribution.submit(admin, "big.bin", big)
        with pytest.raises(InvalidInput, match="larger than the limit of 1 MB"):
            eng.attribution.add_reference(admin, family="f", filename="big.bin", data=big)
        assert eng.files.list(admin) == [] and eng.store.usage()[0] == 0
    finally:
        eng.close()
