"""Problems over HTTP (seed 002): status codes, tenant isolation, hidden test data, and an external worker that
claims a task with a worker token, posts its scores and moves the leaderboard."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from core import Actor, Engine
from tests.api.conftest import API, bearer, sign_in
from tests.conftest import USER_PASSWORD, make_user
from tests.core.problem_support import BATCH, build


def _problem(client: TestClient, headers: dict[str, str], world: Any, compute: str = "external") -> dict[str, Any]:
    body = {
        "name": f"Iris {compute}",
        "template": world.template,
        "target": "species",
        "problem_type": "classification",
        "metric": "accuracy",
        "test_dataset": [world.test],
        "size_train_dataset": BATCH,
        "compute": compute,
    }
    response = client.post(f"{API}/problem", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["new_problem"]  # type: ignore[no-any-return]


def test_an_external_worker_claims_a_task_posts_its_scores_and_moves_the_leaderboard(
    client: TestClient,
    engine: Engine,
    admin: Actor,
    analyst: Actor,
    admin_headers: dict[str, str],
    analyst_headers: dict[str, str],
) -> None:
    world = build(engine, admin, analyst)
    problem = _problem(client, admin_headers, world)
    assert problem["test_dataset"] == [world.test] and problem["size_train_dataset"] == BATCH
    added = client.post(
        f"{API}/algo", json={"name": "lin", "problem": problem["uuid"], "algorithm": "linear"}, headers=analyst_headers
    )
    assert added.status_code == 201 and added.json()["new_learnuplets"] == 0
    data = client.post(f"{API}/data", json={"uuid": world.train, "problems": problem["uuid"]}, headers=analyst_headers)
    assert data.status_code == 201, data.text
    assert data.json()["new_learnuplets"] == 3 and data.json()["new_datas"][0]["uuid"] == world.train

    make_user(engine, admin, "compute", "worker")
    worker = bearer(sign_in(client, "compute", USER_PASSWORD))
    todo = client.get(f"{API}/learnuplet", params={"status": "todo", "problem": problem["uuid"]}, headers=worker).json()
    (task,) = todo["learnuplets"]
    assert task["rank"] == 0 and task["train_data"] == [[world.train, 0, BATCH]]
    path = f"{API}/worker/learnuplet/{task['uuid']}"
    assert client.post(path, json={"worker": "w-1"}, headers=analyst_headers).status_code == 403  # workers only
    claimed = client.post(path, json={"worker": "w-1"}, headers=worker)
    assert claimed.status_code == 200 and claimed.json() == {"learnuplet_worker_set": task["uuid"]}
    assert client.post(path, json={"worker": "w-2"}, headers=worker).status_code == 409  # taken

    done = f"{API}/learndone/{task['uuid']}"
    scores = {"status": "done", "perf": 0.9, "train_perf": [0.95], "test_perf": [0.9]}
    assert client.post(done, json=scores, headers=analyst_headers).status_code == 403
    assert client.post(done, json={**scores, "test_perf": [0.9, 0.8]}, headers=worker).status_code == 422
    answer = client.post(done, json=scores, headers=worker)
    assert answer.status_code == 200 and answer.json() == {"updated_learnuplet": task["uuid"]}

    board = client.get(f"{API}/problem/{problem['uuid']}/leaderboard", headers=analyst_headers).json()
    assert board["algos"][0]["best_perf"] == 0.9 and board["algos"][0]["history"] == [[0, 0.9]]
    following = client.get(f"{API}/learnuplet", params={"status": "todo"}, headers=worker).json()["learnuplets"]
    assert [t["rank"] for t in following] == [1]
    finished = client.get(f"{API}/learnuplet/{task['uuid']}", headers=analyst_headers).json()
    assert finished["status"] == "done" and finished["worker"] == "w-1" and finished["perf"] == 0.9


def test_problem_routes_answer_the_right_status_and_keep_tenants_and_test_rows_apart(
    client: TestClient,
    engine: Engine,
    admin: Actor,
    analyst: Actor,
    admin_headers: dict[str, str],
    analyst_headers: dict[str, str],
    outsider_headers: dict[str, str],
) -> None:
    world = build(engine, admin, analyst)
    body = {
        "name": "P",
        "template": world.template,
        "target": "species",
        "problem_type": "classification",
        "metric": "accuracy",
        "size_train_dataset": 40,
    }
    assert client.post(f"{API}/problem", json=body, headers=analyst_headers).status_code == 403
    assert client.post(f"{API}/problem", json={**body, "metric": "rmse"}, headers=admin_headers).status_code == 422
    assert client.post(f"{API}/problem", json={**body, "template": "nope"}, headers=admin_headers).status_code == 404
    problem = _problem(client, admin_headers, world, compute="internal")
    assert (
        client.post(f"{API}/problem", json={**body, "name": problem["name"]}, headers=admin_headers).status_code == 409
    )
    pid = problem["uuid"]
    listed = client.get(f"{API}/problem", params={"uuid": pid}, headers=analyst_headers).json()["problems"]
    assert [p["uuid"] for p in listed] == [pid]

    assert client.get(f"{API}/problem/{pid}", headers=outsider_headers).status_code == 404
    assert client.get(f"{API}/problem", headers=outsider_headers).json() == {"problems": []}
    outsider_algo = {"name": "x", "problem": pid, "algorithm": "linear"}
    assert client.post(f"{API}/algo", json=outsider_algo, headers=outsider_headers).status_code == 404
    assert (
        client.post(
            f"{API}/prediction", json={"data": [world.train], "problem": pid}, headers=analyst_headers
        ).status_code
        == 409
    )

    client.post(f"{API}/data", json={"uuid": [world.train], "problems": [pid]}, headers=analyst_headers)
    created = client.post(
        f"{API}/algo",
        json={"name": "lin", "problem": pid, "algorithm": "linear", "settings": {"C": 0.5}},
        headers=analyst_headers,
    )
    assert created.status_code == 201 and created.json()["new_learnuplets"] == 3
    tasks = client.get(f"{API}/learnuplet", params={"problem": pid}, headers=analyst_headers).json()["learnuplets"]
    assert [t["status"] for t in tasks] == ["done"] * 3 and all(t["model_end"] for t in tasks)
    predicted = client.post(f"{API}/prediction", json={"data": [world.extra], "problem": pid}, headers=analyst_headers)
    assert predicted.status_code == 201 and predicted.json()["new_preduplets"] == 1
    pred = client.get(f"{API}/preduplet/{predicted.json()['preduplets'][0]['uuid']}", headers=analyst_headers).json()
    board = client.get(f"{API}/problem/{pid}/leaderboard", headers=analyst_headers).json()
    assert pred["status"] == "done" and pred["model"] == board["champion_model"] and pred["prediction_storage_uuid"]
    assert client.get(f"{API}/data/{world.train}", headers=analyst_headers).json()["problems"] == [pid]
    assert client.get(f"{API}/data/{world.train}", headers=outsider_headers).status_code == 404

    # the test rows: refused to the submitter on the dataset and file routes, readable by the manager
    file_id = engine.datasets.get(admin, world.test).file_id
    for path, params in (
        ("/dataset/view", {"dataset_id": world.test}),
        ("/files/download/", {"file_id": file_id}),
        ("/files/view", {"file_id": file_id}),
    ):
        assert client.get(f"{API}{path}", params=params, headers=analyst_headers).status_code == 403, path
        assert client.get(f"{API}{path}", params=params, headers=admin_headers).status_code == 200, path
