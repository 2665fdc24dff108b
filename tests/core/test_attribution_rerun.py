"""``eng.attribution`` additions for the API (seeds 000/001): sample ids checked as SHA-256, one model's result,
revoking one model, deleting one model's prediction, and running failed or revoked models again (``rerun``, or
submitting the same bytes). A one-file reference library keeps the workspace quick to build."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import Actor, Conflict, Engine, InvalidInput, NotFound, PermissionDenied, TooLarge
from core.storage.repositories import attribution as repo
from tests.conftest import ADMIN_PASSWORD, make_user
from tests.core.test_attribution_service import install_index_with_other_settings

MODELS = ("function_similarity", "strings_similarity", "tlsh_similarity")
ELF = Path("/usr/bin/false").read_bytes()


def build_small_library(eng: Engine, admin: Actor) -> None:
    """One reference (``/usr/bin/true`` as coreutils) and its index: a couple of seconds."""
    eng.attribution.add_reference(admin, family="coreutils", filename="true", data=Path("/usr/bin/true").read_bytes())
    assert eng.attribution.rebuild_index(admin).status == "succeeded"


def elf(tag: str) -> bytes:
    """An x86-64 ELF file of its own (a sample per test: the workspace is shared)."""
    return ELF + b"\0" + tag.encode()


@dataclass
class World:
    engine: Engine
    admin: Actor
    analyst: Actor
    viewer: Actor
    home: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home = tmp_path_factory.mktemp("rerun") / "workspace"
    eng = Engine.open(home=home, runner="inline")
    admin = eng.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
    build_small_library(eng, admin)
    yield World(eng, admin, make_user(eng, admin, "ana", "analyst"), make_user(eng, admin, "vic", "viewer"), home)
    eng.close()


SAMPLE_CALLS: dict[str, Callable[[Engine, Actor, str], Any]] = {
    "get_sample": lambda e, a, s: e.attribution.get_sample(a, s),
    "status": lambda e, a, s: e.attribution.status(a, s),
    "results": lambda e, a, s: e.attribution.results(a, s),
    "result": lambda e, a, s: e.attribution.result(a, s, "tlsh_similarity"),
    "results_csv": lambda e, a, s: e.attribution.results_csv(a, s),
    "revoke": lambda e, a, s: e.attribution.revoke(a, s),
    "revoke one model": lambda e, a, s: e.attribution.revoke(a, s, "tlsh_similarity"),
    "delete_prediction": lambda e, a, s: e.attribution.delete_prediction(a, s, "tlsh_similarity"),
    "rerun": lambda e, a, s: e.attribution.rerun(a, s),
    "delete": lambda e, a, s: e.attribution.delete(a, s),
}
NOT_SHA256 = st.text(max_size=80).filter(
    lambda s: len(s.strip()) != 64 or any(c not in "0123456789abcdef" for c in s.strip().lower())
)


@given(sample_id=NOT_SHA256, call=st.sampled_from(sorted(SAMPLE_CALLS)))
@settings(max_examples=60, deadline=None)
def test_a_sample_id_that_is_not_a_sha256_is_invalid_input(world: World, sample_id: str, call: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        SAMPLE_CALLS[call](world.engine, world.admin, sample_id)
    assert refused.value.problems[0].field == "sha256_hash"


def test_a_sha256_in_capitals_or_with_spaces_names_the_same_sample(world: World) -> None:
    sample = world.engine.attribution.submit(world.admin, "caps.bin", elf("caps"))
    assert world.engine.attribution.get_sample(world.admin, f" {sample.id.upper()}\n").id == sample.id
    with pytest.raises(NotFound):
        world.engine.attribution.status(world.admin, "0" * 64)


def test_result_of_one_model_or_of_the_consensus(world: World) -> None:
    eng, admin = world.engine, world.admin
    sample = eng.attribution.submit(admin, "one.bin", elf("one"))
    entries = {entry["model"]: entry for entry in eng.attribution.results(admin, sample.id)}
    for model in ("consensus", *MODELS):
        assert eng.attribution.result(admin, sample.id, model) == entries[model]
    with pytest.raises(NotFound, match=r"no result of a model named 'FESTIVE Func Sim'; its models are consensus, "):
        eng.attribution.result(admin, sample.id, "FESTIVE Func Sim")


def test_a_deleted_prediction_shows_revoked_stops_voting_and_runs_again(world: World) -> None:
    eng, admin = world.engine, world.admin
    sample = eng.attribution.submit(admin, "deleted.bin", elf("deleted"))
    before = eng.attribution.result(admin, sample.id, "strings_similarity")
    assert before["status"] == "done" and before["prediction_results"]
    after = eng.attribution.delete_prediction(admin, sample.id, "strings_similarity")
    assert after.rerunnable == ("strings_similarity",) and after.state == "revoked"
    entry = eng.attribution.result(admin, sample.id, "strings_similarity")
    assert (entry["status"], entry["detailed_status"]) == ("revoked", {"phase_1": "revoked", "phase_2": "revoked"})
    assert entry["prediction_results"] == [] and entry["predicted_at"] is None
    assert entry["error_details"] == "Prediction deleted by admin."
    assert eng.attribution.result(admin, sample.id, "tlsh_similarity")["status"] != "revoked"  # the others keep theirs
    assert eng.attribution.result(admin, sample.id, "consensus")["status"] == "revoked"
    with pytest.raises(NotFound, match="no result of a model named 'consensus'"):
        eng.attribution.delete_prediction(admin, sample.id, "consensus")

    again = eng.attribution.rerun(admin, sample.id)
    assert again.state == "done" and again.rerunnable == ()
    rerun = eng.attribution.result(admin, sample.id, "strings_similarity")
    assert rerun["prediction_results"] == before["prediction_results"] and rerun["task_id"] != before["task_id"]
    assert eng.attribution.result(admin, sample.id, "consensus")["status"] == "done"
    with pytest.raises(Conflict, match="nothing to run again"):
        eng.attribution.rerun(admin, sample.id)
    actions = [e.action for e in eng.audit.list(admin) if e.target_id == sample.id]
    assert {"attribution.prediction_deleted", "attribution.sample_rerun"} <= set(actions)


def test_resubmitting_a_sample_whose_model_failed_runs_only_that_model_again(world: World) -> None:
    eng, admin = world.engine, world.admin
    data = elf("failed")
    install_index_with_other_settings(eng, admin, ELF)
    try:
        failed = eng.attribution.submit(admin, "failed.bin", data)
        assert failed.rerunnable == ("function_similarity",)
    finally:
        assert eng.attribution.rebuild_index(admin).status == "succeeded"
    tasks = {m: eng.attribution.result(admin, failed.id, m)["task_id"] for m in MODELS}
    again = eng.attribution.submit(admin, "renamed.bin", data)
    assert again.id == failed.id == hashlib.sha256(data).hexdigest() and again.name == "failed.bin"
    assert again.state == "done" and again.rerunnable == ()
    after = {m: eng.attribution.result(admin, failed.id, m)["task_id"] for m in MODELS}
    assert [m for m in MODELS if after[m] != tasks[m]] == ["function_similarity"]
    assert eng.attribution.submit(admin, "third.bin", data).runs == eng.attribution.get_sample(admin, again.id).runs


def test_who_may_delete_a_prediction_or_run_a_sample_again(world: World) -> None:
    eng = world.engine
    sample = eng.attribution.submit(world.admin, "owned.bin", elf("owned"))
    with pytest.raises(PermissionDenied, match="Only admin"):
        eng.attribution.delete_prediction(world.analyst, sample.id, "tlsh_similarity")
    for call in (
        lambda: eng.attribution.delete_prediction(world.viewer, sample.id, "tlsh_similarity"),
        lambda: eng.attribution.rerun(world.viewer, sample.id),
    ):
        with pytest.raises(PermissionDenied):
            call()
    eng.attribution.delete_prediction(world.admin, sample.id, "tlsh_similarity")
    assert eng.attribution.rerun(world.analyst, sample.id).state == "done"  # any submitter may run it again


def test_revoking_one_finished_model_says_so(world: World) -> None:
    sample = world.engine.attribution.submit(world.admin, "finished.bin", elf("finished"))
    with pytest.raises(Conflict, match=r"tlsh_similarity on finished.bin has already finished \(done\).*prediction"):
        world.engine.attribution.revoke(world.admin, sample.id, "tlsh_similarity")
    with pytest.raises(NotFound, match="no result of a model named 'nope'"):
        world.engine.attribution.revoke(world.admin, sample.id, "nope")


def test_a_sample_stream_over_the_limit_is_too_large(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAML_MAX_UPLOAD_MB", "1")
    eng = Engine.open(home=home, runner="inline")
    try:
        admin = eng.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
        with pytest.raises(TooLarge, match="larger than the limit of 1 MB"):
            eng.attribution.submit(admin, "big.bin", BytesIO(bytes(2**20 + 1)))
        assert eng.files.list(admin) == []
    finally:
        eng.close()


def wait_until(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_revoke_one_model_then_the_rest_then_queue_them_again(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real workers; a long self-test holds the only job slot, so the sample's runs wait ``pending`` (reruns
    running to the end are shown inline above)."""
    monkeypatch.setenv("DATAML_MAX_JOBS", "1")
    eng = Engine.open(home=world.home, runner="process")
    admin = world.admin
    hold = eng.jobs.submit(admin, "selftest", "Hold the only job slot", {"steps": 200, "step_seconds": 0.5})
    try:
        wait_until(lambda: eng.jobs.get(admin, hold.id).status == "running", "the self-test never started")
        sample = eng.attribution.submit(admin, "held.bin", elf("held"))
        assert sample.state == "pending" and sample.rerunnable == ()

        one = eng.attribution.revoke(admin, sample.id, "strings_similarity")
        states = {run.model: run.state for run in one.runs}
        assert states == {
            "function_similarity": "pending",
            "strings_similarity": "revoked",
            "tlsh_similarity": "pending",
        }
        first_jobs = {run.model: run.job_id for run in one.runs}
        assert eng.jobs.get(admin, first_jobs["strings_similarity"]).status == "canceled"  # type: ignore[arg-type]
        assert eng.jobs.get(admin, first_jobs["tlsh_similarity"]).status == "queued"  # type: ignore[arg-type]

        rest = eng.attribution.revoke(admin, sample.id)
        assert rest.state == "revoked" and rest.rerunnable == MODELS
        with pytest.raises(Conflict, match="already finished"):
            eng.attribution.revoke(admin, sample.id)

        again = eng.attribution.rerun(admin, sample.id)
        assert {run.state for run in again.runs} == {"pending"}
        assert all(run.job_id != first_jobs[run.model] for run in again.runs)
        with eng.db.session() as session:  # a late write of a stopped job no longer reaches the run
            old = str(first_jobs["tlsh_similarity"])
            assert not repo.update_run(session, admin.tenant_id, sample.id, "tlsh_similarity", old, phase_1="done")
    finally:
        for job in eng.jobs.list(admin):
            if not job.finished:
                eng.jobs.cancel(admin, job.id)
        eng.close()
