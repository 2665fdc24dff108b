"""Jobs over HTTP (seed 004 §12): list with filters and pages, one job, cancel, and the seed's
/ray/terminate_ray_job; a job cancelled through the API ends canceled with a real worker process, and a batch
prediction cancelled while it waits leaves nothing behind."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core import Actor, Engine
from core.entities import TrainRequest
from tests.api.conftest import API, bearer, sign_in
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD, make_user
from tests.prediction_data import csv, customers

Headers = dict[str, str]
NOBODY = "00000000-0000-0000-0000-000000000000"


def jobs(client: TestClient, headers: Headers, **params: Any) -> Any:
    return client.get(f"{API}/jobs", headers=headers, params=params)


def terminate(client: TestClient, headers: Headers, job_id: str, usage: str) -> Any:
    params = {"ray_job_id": job_id, "usage": usage}
    return client.post(f"{API}/ray/terminate_ray_job", headers=headers, params=params)


def test_jobs_are_listed_newest_first_with_filters_and_pages(
    client: TestClient, engine: Engine, admin: Actor, analyst: Actor, admin_headers: Headers, viewer_headers: Headers
) -> None:
    ok = [engine.jobs.selftest(admin, steps=1).id, engine.jobs.selftest(analyst, steps=1).id]
    failed = engine.jobs.selftest(admin, steps=1, outcome="fail").id
    body = jobs(client, viewer_headers).json()  # a viewer reads the tenant's jobs
    assert [j["id"] for j in body["data"]] == [failed, *reversed(ok)] and (body["skip"], body["limit"]) == (0, 100)
    assert [j["id"] for j in jobs(client, admin_headers, status="failed").json()["data"]] == [failed]
    assert [j["id"] for j in jobs(client, admin_headers, skip=1, limit=1).json()["data"]] == [ok[1]]
    assert jobs(client, admin_headers, kind="batch_predict").json()["data"] == []
    first = jobs(client, admin_headers, status="succeeded").json()["data"][0]
    assert (first["usage"], first["status"], first["progress"], first["owner"]) == ("selftest", "succeeded", 1.0, "ana")
    assert jobs(client, admin_headers, status="done").status_code == 422
    assert jobs(client, admin_headers, limit=0).status_code == 422


def test_jobs_of_another_tenant_or_without_the_permission(
    client: TestClient, engine: Engine, admin: Actor, admin_headers: Headers, outsider_headers: Headers
) -> None:
    job = engine.jobs.selftest(admin, steps=1).id
    assert jobs(client, outsider_headers).json()["data"] == []
    for request in (
        client.get(f"{API}/jobs/{job}", headers=outsider_headers),
        client.post(f"{API}/jobs/{job}/cancel", headers=outsider_headers),
        terminate(client, outsider_headers, job, "selftest"),
        client.get(f"{API}/jobs/{NOBODY}", headers=admin_headers),
    ):
        assert request.status_code == 404, request.text
    engine.users.create_role(admin, "scorer", ["inference:run", "models:read"])
    make_user(engine, admin, "sam", "scorer")
    scorer = bearer(sign_in(client, "sam", USER_PASSWORD))
    assert jobs(client, scorer).status_code == 403
    assert client.get(f"{API}/jobs/{job}", headers=scorer).status_code == 403  # another's job


def test_a_job_says_what_it_made_or_one_sentence_why_it_failed(
    client: TestClient, engine: Engine, admin: Actor, admin_headers: Headers
) -> None:
    failed = client.get(f"{API}/jobs/{engine.jobs.selftest(admin, steps=1, outcome='fail').id}", headers=admin_headers)
    body = failed.json()
    assert (body["status"], body["error"], body["result_ids"]) == ("failed", "The self-test was asked to fail.", {})
    assert "Traceback" not in failed.text
    dataset = engine.datasets.upload(admin, name="c", filename="c.csv", data=csv(customers(60)))
    statistics = engine.datasets.generate_statistics(admin, dataset.id)
    made = client.get(f"{API}/jobs/{statistics.id}", headers=admin_headers).json()
    assert (made["kind"], made["usage"], made["status"]) == ("dataset_statistics", "statistics", "succeeded")


def test_cancel_and_terminate_refusals(
    client: TestClient, engine: Engine, admin: Actor, admin_headers: Headers, viewer_headers: Headers
) -> None:
    done = engine.jobs.selftest(admin, steps=1).id
    assert client.post(f"{API}/jobs/{done}/cancel", headers=viewer_headers).status_code == 403  # not the owner
    assert terminate(client, viewer_headers, done, "selftest").status_code == 403
    finished = client.post(f"{API}/jobs/{done}/cancel", headers=admin_headers)
    assert finished.status_code == 409 and "already finished (succeeded)" in finished.json()["detail"]
    assert terminate(client, admin_headers, done, "selftest").status_code == 409
    wrong = terminate(client, admin_headers, done, "training")
    assert wrong.status_code == 422 and wrong.json()["problems"][0]["field"] == "usage"
    assert terminate(client, admin_headers, done, "ray").status_code == 422
    assert client.post(f"{API}/ray/terminate_ray_job", headers=admin_headers, params={"usage": "x"}).status_code == 422


@pytest.fixture
def live(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, TestClient, Headers, str]]:
    """A process-runner engine with one job slot behind the API, and a classifier trained beforehand (inline)."""
    monkeypatch.setenv("DATAML_MAX_JOBS", "1")
    trainer = Engine.open(home=home, runner="inline")
    admin = trainer.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="a@example.com")
    dataset = trainer.datasets.upload(admin, name="c", filename="c.csv", data=csv(customers()))
    job = trainer.training.submit(
        admin, TrainRequest(dataset_id=dataset.id, name="m", target="label", features=("x", "c"), time_budget_s=1)
    )
    assert job.result is not None, job.error
    trainer.close()
    engine = Engine.open(home=home, runner="process")
    engine.runner.grace_s = 0.5  # type: ignore[attr-defined]
    with TestClient(create_app(engine), raise_server_exceptions=False) as client:
        yield engine, client, bearer(sign_in(client, "admin", ADMIN_PASSWORD)), dataset.id
    engine.close()


def _until(engine: Engine, actor: Actor, job_id: str, state: str) -> None:
    deadline = time.monotonic() + 60
    while engine.jobs.get(actor, job_id).status != state:
        assert time.monotonic() < deadline, f"{job_id} never became {state}"
        time.sleep(0.1)


def test_jobs_cancelled_through_the_api_end_canceled_and_leave_nothing_half_written(
    live: tuple[Engine, TestClient, Headers, str],
) -> None:
    engine, client, headers, dataset_id = live
    admin = engine.users.authenticate("admin", ADMIN_PASSWORD)
    hang = engine.jobs.selftest(admin, steps=200, outcome="hang")  # ignores SIGTERM: the engine must kill it
    _until(engine, admin, hang.id, "running")
    model_id = engine.models.list(admin)[0].id
    on_disk = sorted(p for p in engine.settings.files_dir.rglob("*") if p.is_file())
    submitted = client.post(
        f"{API}/inference/batchPrediction", headers=headers, json={"train_id": model_id, "dataset_id": dataset_id}
    ).json()
    batch = submitted["job_id"]
    files_before = {f.id for f in engine.files.list(admin)}
    time.sleep(1.0)
    assert client.get(f"{API}/jobs/{batch}", headers=headers).json()["status"] == "queued"  # the slot is taken

    cancelled = client.post(f"{API}/jobs/{batch}/cancel", headers=headers)
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["error"]) == ("canceled", "The job was cancelled.")
    stopped = terminate(client, headers, hang.id, "selftest")
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["status"] == "success" and stopped.json()["job"]["status"] == "canceled"

    time.sleep(1.0)  # the watcher threads see both processes end
    for job_id in (batch, hang.id):
        assert client.get(f"{API}/jobs/{job_id}", headers=headers).json()["status"] == "canceled"
    assert {f.id for f in engine.files.list(admin)} == files_before  # no result file
    result = client.get(f"{API}/inference/result", headers=headers, params={"prediction_id": batch}).json()
    assert (result["status"], result["file_id"], result["log_id"]) == ("canceled", None, None)
    assert sorted(p for p in engine.settings.files_dir.rglob("*") if p.is_file()) == on_disk
