"""API benchmark: ``GET /dataset/list`` with 100 datasets, a 10 MB upload and a form prediction with its SHAP
explanation (``POST /inference/form-based-prediction``, an iris model), over HTTP against the same engine calls made
directly (``eng.inference.predict_one`` for the prediction), in the same run and on the same workspace.

The API runs as documented (``python -m api``, a uvicorn process on a free port); requests go over one
keep-alive connection. Targets: list p95 ≤ 50 ms; upload ≤ 1.2× the direct engine call; prediction: HTTP p95 −
direct p95 ≤ 15 ms.

    python bench/api.py [--datasets 100] [--calls 200] [--upload-mb 10] [--uploads 5]
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
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # repo root, not bench/ (bench/shap.py shadows shap)

import pandas as pd

from core import Actor, Engine, TrainRequest

PASSWORD = "bench-pass-123"  # noqa: S105 (a throw-away workspace)
LIST_P95_MS, UPLOAD_RATIO, PREDICT_OVERHEAD_MS = 50.0, 1.2, 15.0


def _csv(rows: int, seed: int) -> bytes:
    """id, amount, day, shop, note; every 97th amount of an odd seed is not a number (a report with problems)."""
    lines = ["id,amount,day,shop,note"]
    for i in range(rows):
        amount = "n/a" if seed % 2 and i % 97 == 0 else f"{(i * 7 + seed) % 10_000 / 10}"
        lines.append(f"{i},{amount},2024-{i % 12 + 1:02d}-{i % 28 + 1:02d},{('north', 'south')[i % 2]},row {i}")
    return ("\n".join(lines) + "\n").encode()


def _percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered) * 1000, ordered[int(0.95 * (len(ordered) - 1))] * 1000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Api:
    """One keep-alive HTTP connection to the server, signed in."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        form = urlencode({"username": "bench", "password": PASSWORD})
        token = self.call("POST", "/api/v1/login/access-token", form, "application/x-www-form-urlencoded")
        self.auth = {"Authorization": f"Bearer {token['access_token']}"}

    def call(self, method: str, path: str, body: bytes | str | None = None, content_type: str | None = None) -> dict:  # type: ignore[type-arg]
        headers = dict(getattr(self, "auth", {})) | ({"Content-Type": content_type} if content_type else {})
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return json.loads(data)  # type: ignore[no-any-return]

    def upload(self, name: str, filename: str, data: bytes) -> dict:  # type: ignore[type-arg]
        self.connection.close()  # a fresh connection: uvicorn drops one idle for 5 s (the direct upload ran meanwhile)
        boundary = uuid.uuid4().hex
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"\r\n'
        body = (head + "Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        path = "/api/v1/dataset/upload?" + urlencode({"dataset_name": name, "usage": "t"})
        return self.call("POST", path, body, f"multipart/form-data; boundary={boundary}")


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _iris_model(engine: Engine, admin: Actor) -> tuple[str, dict[str, float]]:
    """A model of the iris sample (3 s of search) and one flower to predict."""
    iris = ROOT / "data" / "samples" / "iris.csv"
    dataset = engine.datasets.upload(admin, name="iris", filename="iris.csv", data=iris.read_bytes())
    request = TrainRequest(dataset_id=dataset.id, name="iris", target="species", time_budget_s=3)
    job = engine.training.submit(admin, request)
    assert job.result is not None, job.error
    case = pd.read_csv(iris).drop(columns="species").iloc[0].to_dict()
    return str(job.result["model_id"]), case


def _predictions(api: Api, engine: Engine, admin: Actor, model_id: str, case: dict[str, float], calls: int) -> float:
    """Form predictions with explanation, HTTP against direct, alternating; prints and returns the p95 overhead."""
    body = json.dumps({"train_id": model_id, "features": case, "explain": True})
    path = "/api/v1/inference/form-based-prediction"
    for _ in range(10):  # warm both paths (the pipeline and explainer caches of each process)
        api.call("POST", path, body, "application/json")
        engine.inference.predict_one(admin, model_id, case, explain=True)
    http_times, direct_times = [], []
    for _ in range(calls):
        http_times.append(_timed(lambda: api.call("POST", path, body, "application/json")))
        direct_times.append(_timed(lambda: engine.inference.predict_one(admin, model_id, case, explain=True)))
    (h50, h95), (d50, d95) = _percentiles(http_times), _percentiles(direct_times)
    print(f"POST /inference/form-based-prediction with explanation (iris), {calls} calls, alternating:")
    print(f"  HTTP   p50 {h50:6.1f} ms  p95 {h95:6.1f} ms")
    print(f"  direct p50 {d50:6.1f} ms  p95 {d95:6.1f} ms   (eng.inference.predict_one)")
    print(f"  overhead at p95 {h95 - d95:6.1f} ms   (target ≤ {PREDICT_OVERHEAD_MS:.0f} ms)")
    return h95 - d95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=100)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--upload-mb", type=float, default=10.0)
    parser.add_argument("--uploads", type=int, default=5)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="dataml-bench-api-"))
    env = os.environ | {"DATAML_HOME": str(home), "DATAML_JOB_RUNNER": "inline"}  # the server's workspace is ours
    engine = Engine.open(home=home, runner="inline")
    server = None
    try:
        admin: Actor = engine.users.bootstrap_admin(username="bench", password=PASSWORD, email="bench@example.com")
        for i in range(args.datasets):
            engine.datasets.upload(admin, name=f"sales-{i:03d}", filename=f"sales-{i:03d}.csv", data=_csv(500, i))
        model_id, case = _iris_model(engine, admin)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "api", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                api = Api(port)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the API did not start")

        assert api.call("GET", "/api/v1/dataset/list")["total"] == args.datasets + 1  # and the iris dataset
        for _ in range(10):  # warm both paths
            api.call("GET", "/api/v1/dataset/list")
            engine.datasets.list(admin), engine.dataset_files.facts(admin)
        http_times = [_timed(lambda: api.call("GET", "/api/v1/dataset/list")) for _ in range(args.calls)]
        direct_times = [
            _timed(lambda: (engine.datasets.list(admin), engine.dataset_files.facts(admin))) for _ in range(args.calls)
        ]
        (h50, h95), (d50, d95) = _percentiles(http_times), _percentiles(direct_times)
        print(f"GET /dataset/list, {args.datasets} datasets, {args.calls} calls:")
        print(f"  HTTP   p50 {h50:6.1f} ms  p95 {h95:6.1f} ms   (target p95 ≤ {LIST_P95_MS:.0f} ms)")
        print(f"  direct p50 {d50:6.1f} ms  p95 {d95:6.1f} ms   (eng.datasets.list + eng.dataset_files.facts)")

        rows = int(args.upload_mb * 2**20 / (len(_csv(100_000, 2)) / 100_000))
        data = _csv(rows, 2)
        print(f"upload of a {len(data) / 2**20:.1f} MB CSV ({rows:,} rows), {args.uploads} each, alternating:")
        http_up, direct_up, files = [], [], [("big.csv", data)]
        for i in range(args.uploads):
            http_name, direct_name = f"big-http-{i}", f"big-direct-{i}"
            http_up.append(_timed(lambda n=http_name: api.upload(n, "big.csv", data)))  # type: ignore[misc]
            direct_up.append(_timed(lambda n=direct_name: engine.dataset_files.upload(admin, name=n, files=files)))  # type: ignore[misc]
        h, d = statistics.median(http_up), statistics.median(direct_up)
        print(f"  HTTP   median {h:6.2f} s   direct (eng.dataset_files.upload) median {d:6.2f} s")
        print(f"  ratio {h / d:.2f}   (target ≤ {UPLOAD_RATIO})")
        overhead = _predictions(api, engine, admin, model_id, case, args.calls)
        ok = h95 <= LIST_P95_MS and h / d <= UPLOAD_RATIO and overhead <= PREDICT_OVERHEAD_MS
        print("targets met" if ok else "TARGET MISSED")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        engine.close()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
