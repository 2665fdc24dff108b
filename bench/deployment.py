"""Deployment benchmark: ``POST /deployment/{id}/predict`` with its SHAP explanation over HTTP (``python -m api``,
one keep-alive connection), against ``eng.deployments.predict`` called directly in the same run, for a model
trained here (iris, the engine's ensemble) and a Ridge registered from outside (skops, Kernel-free LinearSHAP).
Every call is logged as an operation, as in production. Target: HTTP p95 ≤ 100 ms with the explanation.

    python bench/deployment.py [--calls 200] [--budget 5]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # repo root, not bench/ (bench/shap.py shadows shap)

import skops.io as sio
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge

from core import Actor, Engine, TrainRequest

PASSWORD = "bench-pass-123"  # noqa: S105 (a throw-away workspace)
P95_MS = 100.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered) * 1000, ordered[int(0.95 * (len(ordered) - 1))] * 1000


class Client:
    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        self.headers: dict[str, str] = {}
        form = urlencode({"username": "bench", "password": PASSWORD})
        token = self.call("POST", "/api/v1/login/access-token", form, "application/x-www-form-urlencoded")
        self.headers = {"Authorization": f"Bearer {token['access_token']}"}

    def call(self, method: str, path: str, body: str, content_type: str = "application/json") -> dict:  # type: ignore[type-arg]
        self.connection.request(method, path, body=body, headers=self.headers | {"Content-Type": content_type})
        response = self.connection.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return json.loads(data)  # type: ignore[no-any-return]


def _deployments(engine: Engine, admin: Actor, budget: float) -> dict[str, tuple[str, object]]:
    """label -> (deployment id, one input row)."""
    iris = next(d for d in engine.datasets.load_samples(admin) if d.name == "iris")
    job = engine.training.submit(
        admin, TrainRequest(dataset_id=iris.id, name="iris", target="species", time_budget_s=budget, explain=False)
    )
    assert job.result is not None, job.error
    trained = engine.deployments.create(admin, job.result["model_id"])
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    ridge = engine.registry.register(admin, "Ridge", "regression")
    engine.registry.upload(admin, ridge.id, "model", "ridge.skops", sio.dumps(Ridge().fit(X, y)))
    engine.registry.upload(admin, ridge.id, "data", "diabetes.csv", X.to_csv(index=False).encode())
    external = engine.deployments.create(admin, ridge.id)
    iris_row = engine.datasets.frame(admin, iris.id).drop(columns=["species"]).iloc[0].tolist()
    return {"trained (iris ensemble)": (trained.id, iris_row), "external (Ridge)": (external.id, X.iloc[0].tolist())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--budget", type=float, default=5.0)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="dataml-bench-deploy-"))
    env = os.environ | {"DATAML_HOME": str(home), "DATAML_JOB_RUNNER": "inline"}
    engine = Engine.open(home=home, runner="inline")
    server = None
    try:
        admin = engine.users.bootstrap_admin(username="bench", password=PASSWORD, email="bench@example.com")
        targets = _deployments(engine, admin, args.budget)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "api", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(300):
            try:
                client = Client(port)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the API did not start")
        worst = 0.0
        for label, (deployment_id, row) in targets.items():
            body = json.dumps({"data": row, "explain": True})
            path = f"/api/v1/deployment/{deployment_id}/predict"
            for _ in range(5):  # load the model and build the explainer in both processes
                client.call("POST", path, body)
                engine.deployments.predict(admin, deployment_id, row, explain=True)
            http_times, direct_times = [], []
            for _ in range(args.calls):
                start = time.perf_counter()
                client.call("POST", path, body)
                http_times.append(time.perf_counter() - start)
                start = time.perf_counter()
                engine.deployments.predict(admin, deployment_id, row, explain=True)
                direct_times.append(time.perf_counter() - start)
            (h50, h95), (d50, d95) = _percentiles(http_times), _percentiles(direct_times)
            worst = max(worst, h95)
            print(f"{label}, {args.calls} calls with explanation:")
            print(f"  HTTP   p50 {h50:6.1f} ms  p95 {h95:6.1f} ms   (target p95 ≤ {P95_MS:.0f} ms)")
            print(f"  direct p50 {d50:6.1f} ms  p95 {d95:6.1f} ms   (eng.deployments.predict)")
        print("target met" if worst <= P95_MS else "TARGET MISSED")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        engine.close()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
