"""Seeds 000/001: sample attribution over HTTP — submit, status, results (all models or one), revoke (the sample or one
model), delete a model's prediction, run again, delete, versions, ping; roles, tenancy and every error status. One
workspace with a one-file reference library serves the module (each test submits bytes of its own)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from api.main import create_app
from core import Actor, Engine
from tests.api.conftest import API, bearer, sign_in
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD, make_user
from tests.core.test_attribution_rerun import MODELS, build_small_library, elf, wait_until

ATTR = f"{API}/attribution"
SEED_FIELDS = {
    "model",
    "error_details",
    "sha256_hash",
    "predicted_at",
    "celery_task_id",
    "prediction_results",
    "explanation_results",
}
Headers = dict[str, str]


@dataclass
class Api:
    client: TestClient
    engine: Engine
    admin: Actor
    home: Path
    headers: dict[str, Headers]  # admin, ana (analyst), vic (viewer), otto (another tenant's administrator)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    home = tmp_path_factory.mktemp("attribution-api") / "workspace"
    eng = Engine.open(home=home, runner="inline")
    admin = eng.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
    build_small_library(eng, admin)
    make_user(eng, admin, "ana", "analyst")
    make_user(eng, admin, "vic", "viewer")
    eng.tenants.create(
        admin, name="Other Org", admin_username="otto", admin_password=USER_PASSWORD, admin_email="otto@example.com"
    )
    with TestClient(create_app(eng), raise_server_exceptions=False) as client:
        headers = {"admin": bearer(sign_in(client, "admin", ADMIN_PASSWORD))}
        headers |= {name: bearer(sign_in(client, name, USER_PASSWORD)) for name in ("ana", "vic", "otto")}
        yield Api(client, eng, admin, home, headers)
    eng.close()


def submit(api: Api, who: str, data: bytes, name: str = "sample.bin") -> Any:
    return api.client.post(f"{ATTR}/sample", files={"sample": (name, data)}, headers=api.headers[who])


def submitted(api: Api, who: str, tag: str) -> str:
    response = submit(api, who, elf(tag), f"{tag}.bin")
    assert response.status_code == 200, response.text
    return str(response.json()["sample_id"])


def test_ping_answers_without_a_token(api: Api) -> None:
    response = api.client.get(f"{ATTR}/ping")
    assert (response.status_code, response.json()) == (200, {"check": True})


def test_submit_status_and_results_have_the_seed_shapes(api: Api) -> None:
    data = elf("shapes")
    response = submit(api, "ana", data, "shapes.bin")
    assert response.status_code == 200, response.text
    sha = hashlib.sha256(data).hexdigest()
    assert response.json() == {"sample_id": sha, "status": "done"}
    status = api.client.get(f"{ATTR}/status/{sha.upper()}", headers=api.headers["ana"]).json()
    assert status == {
        "status": dict.fromkeys(MODELS, "done"),
        "detailed_status": {m: {"phase_1": "done", "phase_2": "done"} for m in MODELS},
    }
    results = api.client.get(f"{ATTR}/results/{sha}", headers=api.headers["vic"]).json()
    assert [r["model"] for r in results] == ["consensus", *MODELS]
    for entry in results:
        assert set(entry) >= SEED_FIELDS and entry["sha256_hash"] == sha and entry["predicted_at"].endswith("Z")
        one = api.client.get(f"{ATTR}/results/{entry['model']}/{sha}", headers=api.headers["vic"])
        assert one.status_code == 200 and one.json() == entry
    verdict, function = results[0], results[1]
    assert verdict["prediction_results"][0]["family"] == "coreutils" and verdict["celery_task_id"] is None
    job = api.engine.jobs.get(api.admin, function["celery_task_id"])
    assert (job.kind, job.params["model"]) == ("attribution_run", "function_similarity")
    assert function["explanation_results"]["index_revision"] and function["detailed_status"]["phase_2"] == "done"
    again = submit(api, "admin", data, "renamed.bin")
    assert again.json() == {"sample_id": sha, "status": "done"}
    assert api.client.get(f"{ATTR}/results/{MODELS[0]}/{sha}", headers=api.headers["ana"]).json() == function
    listed = api.client.get(f"{ATTR}/samples", headers=api.headers["vic"]).json()
    assert {"sample_id": sha, "name": "shapes.bin", "submitted_by": "ana", "size": len(data)}.items() <= next(
        s for s in listed if s["sample_id"] == sha
    ).items()
    assert api.client.get(f"{ATTR}/samples", headers=api.headers["otto"]).json() == []


def test_versions_name_the_engine_each_model_and_the_library_revision(api: Api) -> None:
    body = api.client.get(f"{ATTR}/versions", headers=api.headers["vic"]).json()
    revision = api.engine.attribution.library(api.admin).revision  # type: ignore[union-attr]
    assert set(body["models"]) == set(MODELS) and body["library_revision"] == revision
    assert body["attribution-api"] == body["engine"] and body["description"]
    assert api.client.get(f"{ATTR}/versions", headers=api.headers["otto"]).json()["library_revision"] is None


def test_submit_refusals(api: Api) -> None:
    assert submit(api, "vic", elf("viewer")).status_code == 403
    empty = submit(api, "ana", b"", "empty.bin")
    assert empty.status_code == 422 and empty.json()["detail"] == "The file empty.bin is empty."
    missing = api.client.post(f"{ATTR}/sample", files={"file": ("x", b"x")}, headers=api.headers["ana"])
    assert missing.status_code == 422 and missing.json()["problems"][0]["field"] == "sample"
    no_index = submit(api, "otto", elf("otto"))
    assert no_index.status_code == 422 and "no index yet" in no_index.json()["detail"]
    assert api.client.post(f"{ATTR}/sample", files={"sample": ("x", b"x")}).status_code == 401


def test_a_sample_over_the_upload_limit_answers_413(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAML_MAX_UPLOAD_MB", "1")
    eng = Engine.open(home=home, runner="inline")
    try:
        eng.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
        with TestClient(create_app(eng)) as client:
            headers = bearer(sign_in(client, "admin", ADMIN_PASSWORD))
            response = client.post(f"{ATTR}/sample", files={"sample": ("big.bin", bytes(2**20 + 1))}, headers=headers)
        assert response.status_code == 413 and "larger than the limit of 1 MB" in response.json()["detail"]
    finally:
        eng.close()


def sample_routes(sha: str, model: str = "strings_similarity") -> list[tuple[str, str]]:
    return [
        ("GET", f"{ATTR}/status/{sha}"),
        ("GET", f"{ATTR}/results/{sha}"),
        ("GET", f"{ATTR}/results/{model}/{sha}"),
        ("POST", f"{ATTR}/revoke/{sha}"),
        ("POST", f"{ATTR}/revoke/{model}/{sha}"),
        ("DELETE", f"{ATTR}/prediction/{model}/{sha}"),
        ("POST", f"{ATTR}/rerun/{sha}"),
        ("DELETE", f"{ATTR}/sample/{sha}"),
    ]


def test_another_tenants_or_an_unknown_sample_answers_404_on_every_route(api: Api) -> None:
    sha = submitted(api, "admin", "tenant")
    for method, path in sample_routes(sha):
        assert api.client.request(method, path, headers=api.headers["otto"]).status_code == 404, path
    for method, path in sample_routes("0" * 64):
        assert api.client.request(method, path, headers=api.headers["admin"]).status_code == 404, path
    assert api.client.get(f"{ATTR}/status/{sha}", headers=api.headers["admin"]).status_code == 200


def test_an_unknown_model_name_answers_404(api: Api) -> None:
    sha = submitted(api, "admin", "unknown-model")
    for method, path in sample_routes(sha, "FESTIVE Func Sim"):
        if "FESTIVE" in path:
            response = api.client.request(method, path, headers=api.headers["admin"])
            assert response.status_code == 404 and "its models are" in response.json()["detail"], path


@given(
    bad=st.text(alphabet="0123456789abcdefABCDEFghxyz-_~", min_size=1, max_size=80).filter(
        lambda s: len(s) != 64 or any(c not in "0123456789abcdefABCDEF" for c in s)
    ),
    route=st.integers(0, 7),
)
@settings(max_examples=60, deadline=None)
def test_a_hash_that_is_not_64_hexadecimal_characters_answers_422(api: Api, bad: str, route: int) -> None:
    method, path = sample_routes(bad)[route]
    response = api.client.request(method, path, headers=api.headers["admin"])
    assert response.status_code == 422, (path, response.text)
    assert response.json()["problems"][0]["field"] == "sha256_hash"


def test_roles_and_ownership_on_revoke_delete_and_rerun(api: Api) -> None:
    sha = submitted(api, "admin", "owned")
    for method, path in sample_routes(sha)[3:]:
        assert api.client.request(method, path, headers=api.headers["vic"]).status_code == 403, path
    for method, path in (sample_routes(sha)[5], sample_routes(sha)[7]):  # someone else's sample
        response = api.client.request(method, path, headers=api.headers["ana"])
        assert response.status_code == 403 and "Only admin" in response.json()["detail"], path


def test_finished_samples_answer_409_to_revoke_and_rerun(api: Api) -> None:
    sha = submitted(api, "ana", "finished")
    whole = api.client.post(f"{ATTR}/revoke/{sha}", headers=api.headers["ana"])
    assert whole.status_code == 409 and "nothing left to revoke" in whole.json()["detail"]
    one = api.client.post(f"{ATTR}/revoke/tlsh_similarity/{sha}", headers=api.headers["ana"])
    assert one.status_code == 409 and "delete its prediction" in one.json()["detail"]
    rerun = api.client.post(f"{ATTR}/rerun/{sha}", headers=api.headers["ana"])
    assert rerun.status_code == 409 and "nothing to run again" in rerun.json()["detail"]


def test_delete_a_prediction_run_it_again_then_delete_the_sample(api: Api) -> None:
    sha, headers = submitted(api, "ana", "lifecycle"), api.headers["ana"]
    before = api.client.get(f"{ATTR}/results/strings_similarity/{sha}", headers=headers).json()
    deleted = api.client.delete(f"{ATTR}/prediction/strings_similarity/{sha}", headers=headers)
    assert deleted.status_code == 200 and deleted.json() == {
        "message": "The prediction of strings_similarity was deleted."
    }
    entry = api.client.get(f"{ATTR}/results/strings_similarity/{sha}", headers=headers).json()
    assert (entry["status"], entry["error_details"], entry["prediction_results"]) == (
        "revoked",
        "Prediction deleted by ana.",
        [],
    )
    assert api.client.get(f"{ATTR}/status/{sha}", headers=headers).json()["status"]["strings_similarity"] == "revoked"
    rerun = api.client.post(f"{ATTR}/rerun/{sha}", headers=headers)
    assert rerun.status_code == 200 and rerun.json() == {"sample_id": sha, "status": "done"}
    after = api.client.get(f"{ATTR}/results/strings_similarity/{sha}", headers=headers).json()
    assert after["prediction_results"] == before["prediction_results"]
    assert after["celery_task_id"] != before["celery_task_id"]
    gone = api.client.delete(f"{ATTR}/sample/{sha}", headers=headers)
    assert gone.status_code == 200 and gone.json() == {"message": "The sample was deleted."}
    assert api.client.get(f"{ATTR}/status/{sha}", headers=headers).status_code == 404


def test_revoke_one_model_then_the_sample_then_resubmit_queues_them_again(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real workers; a long self-test holds the only job slot, so the sample's runs wait ``pending``."""
    monkeypatch.setenv("DATAML_MAX_JOBS", "1")
    eng = Engine.open(home=api.home, runner="process")
    admin, headers = api.admin, api.headers["admin"]
    hold = eng.jobs.submit(admin, "selftest", "Hold the only job slot", {"steps": 200, "step_seconds": 0.5})
    try:
        with TestClient(create_app(eng), raise_server_exceptions=False) as client:
            wait_until(lambda: eng.jobs.get(admin, hold.id).status == "running", "the self-test never started")
            data = elf("held")
            response = client.post(f"{ATTR}/sample", files={"sample": ("held.bin", data)}, headers=headers)
            sha = hashlib.sha256(data).hexdigest()
            assert response.json() == {"sample_id": sha, "status": "pending"}
            job_id = eng.attribution.get_sample(admin, sha).runs[1].job_id
            one = client.post(f"{ATTR}/revoke/strings_similarity/{sha}", headers=headers)
            assert one.status_code == 200 and one.json() == {"detail": f"Prediction task {job_id} revoked"}
            status = client.get(f"{ATTR}/status/{sha}", headers=headers).json()
            assert status["status"] == {
                "function_similarity": "pending",
                "strings_similarity": "revoked",
                "tlsh_similarity": "pending",
            }
            assert status["detailed_status"]["strings_similarity"] == {"phase_1": "revoked", "phase_2": "revoked"}
            assert client.post(f"{ATTR}/revoke/strings_similarity/{sha}", headers=headers).status_code == 409
            whole = client.post(f"{ATTR}/revoke/{sha}", headers=headers)
            assert whole.status_code == 200 and whole.json() == {"sample_id": sha, "status": "revoked"}
            assert client.post(f"{ATTR}/revoke/{sha}", headers=headers).status_code == 409
            again = client.post(f"{ATTR}/sample", files={"sample": ("held.bin", data)}, headers=headers)
            assert again.json() == {"sample_id": sha, "status": "pending"}
            assert set(client.get(f"{ATTR}/status/{sha}", headers=headers).json()["status"].values()) == {"pending"}
    finally:
        for job in eng.jobs.list(admin):
            if not job.finished:
                eng.jobs.cancel(admin, job.id)
        eng.close()
