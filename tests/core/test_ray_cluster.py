"""A two-node Ray cluster started by the test (``ray start --head`` with no CPUs for tasks, plus one
``ray start --address`` worker node), Postgres and a shared file store: a training job and a batch prediction
submitted from one engine run on the worker node, and their results open in another engine (another workspace
directory, the same database and store). Needs DATAML_JOB_RUNNER=ray and DATAML_DATABASE_URL (.ci/run's Ray pass)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core import Engine, TrainRequest
from core.storage.repositories import jobs as job_repo
from tests.conftest import ADMIN_PASSWORD, OUT_OF_PROCESS, SERVER_URL

pytestmark = pytest.mark.skipif(
    OUT_OF_PROCESS != "ray" or SERVER_URL is None, reason="the Ray pass runs it on Postgres (.ci/run)"
)
RAY = str(Path(sys.executable).with_name("ray"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ray_start(*args: str) -> subprocess.Popen[bytes]:
    """``ray start --block`` in a process group of its own, so the fixture ends exactly the processes it started."""
    command = [RAY, "start", "--block", "--disable-usage-stats", "--num-cpus", *args]
    return subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_for(predicate: Callable[[], bool], failure: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, failure
        time.sleep(0.2)


def _end(group: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(group.pid, sig)
            group.wait(timeout=5)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def cluster(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The cluster's address in DATAML_RAY_ADDRESS and a shared store in DATAML_FILES_DIR; yields the store."""
    import ray

    if ray.is_initialized():
        ray.shutdown()  # a local instance of an earlier test: this driver joins the cluster instead
    port = _free_port()
    head = _ray_start("0", "--head", f"--port={port}", "--node-ip-address=127.0.0.1", "--include-dashboard=false")
    nodes = [head]
    try:
        _wait_for(lambda: _listening(port), "the Ray head did not start")
        nodes.append(_ray_start("1", f"--address=127.0.0.1:{port}", "--node-ip-address=127.0.0.1"))
        ray.init(address=f"127.0.0.1:{port}", log_to_driver=False)
        _wait_for(lambda: sum(node["Alive"] for node in ray.nodes()) == 2, "the worker node did not join")
        ray.shutdown()  # the engine connects with its own settings
        monkeypatch.setenv("DATAML_RAY_ADDRESS", f"127.0.0.1:{port}")
        monkeypatch.setenv("DATAML_FILES_DIR", str(tmp_path / "shared-store"))
        yield tmp_path / "shared-store"
    finally:
        if ray.is_initialized():
            ray.shutdown()
        for node in reversed(nodes):
            _end(node)


def test_jobs_run_on_the_worker_node_and_their_results_open_in_another_engine(
    cluster: Path, home: Path, tmp_path: Path
) -> None:
    submitter = Engine.open(home=home, runner="ray")
    admin = submitter.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
    iris = next(d for d in submitter.datasets.load_samples(admin) if d.name == "iris")
    request = TrainRequest(dataset_id=iris.id, name="iris-species", target="species", time_budget_s=1, explain=False)
    training = submitter.jobs.wait(admin, submitter.training.submit(admin, request).id, timeout=300)
    assert training.status == "succeeded" and training.result is not None, training.error
    model_id = str(training.result["model_id"])
    rows = submitter.datasets.frame(admin, iris.id).drop(columns=["species"]).head(20)
    batch = submitter.inference.predict_batch(admin, model_id, data=rows.to_csv(index=False).encode(), filename="b.csv")
    batch = submitter.jobs.wait(admin, batch.id, timeout=300)
    assert batch.status == "succeeded", batch.error
    for job in (training, batch):
        assert job.ray_task_id is not None
        with submitter.db.session() as session:
            assert job_repo.process_of(session, job.id)[0] != os.getpid()  # a Ray worker's, not this driver's
    submitter.close()

    reader = Engine.open(home=tmp_path / "another-workspace", runner="inline")  # same database and store
    actor = reader.users.authenticate("admin", ADMIN_PASSWORD)
    scored = reader.inference.batch_result(actor, batch.id)
    assert len(scored) == 20 and "prediction" in scored.columns
    assert set(scored["prediction"]) <= {"setosa", "versicolor", "virginica"}
    assert reader.models.get(actor, model_id).id == model_id
    assert any(cluster.rglob("*")) and not any((tmp_path / "another-workspace").rglob("files"))
    reader.close()
