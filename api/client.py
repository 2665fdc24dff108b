"""A small typed client of the DataML Studio HTTP API, for scripts and notebooks (and the API's own tests).

    from api.client import DataMLClient

    with DataMLClient("http://127.0.0.1:8000") as dml:
        dml.sign_in("analyst", "secret-password")
        dataset = dml.upload_dataset("data/samples/iris.csv")
        training = dml.train(dataset["dataset_id"], "iris", target="species", time_budget_s=30)
        dml.wait(training["job_id"])
        print(dml.predict(training["id"], {"sepal_length_cm": 5.1, ...}, explain=True)["prediction"])

Every call returns the route's JSON as a dict; a refusal raises ``ApiError`` with the API's sentence, status and
problems. An expired access token is refreshed once, transparently (the refresh token rotates)."""

from __future__ import annotations

import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx2

PREFIX = "/api/v1"
FINISHED = ("succeeded", "failed", "canceled", "interrupted")


class ApiError(Exception):
    """The API refused: ``status`` (HTTP), ``detail`` (one sentence), ``problems`` (rows of what is wrong)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.detail = str(body.get("detail") or f"HTTP {status}")
        self.details = body.get("details")
        self.problems: list[dict[str, Any]] = body.get("problems") or []
        self.request_id = body.get("request_id")
        super().__init__(f"{status}: {self.detail}")


class DataMLClient:
    def __init__(
        self, base_url: str = "http://127.0.0.1:8000", *, timeout: float = 60.0, transport: Any = None
    ) -> None:
        """``transport``: an httpx2 transport, e.g. to talk to an app in the same process (tests)."""
        self.http = httpx2.Client(base_url=base_url.rstrip("/") + PREFIX, timeout=timeout, transport=transport)
        self.refresh_token: str | None = None

    def __enter__(self) -> DataMLClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    # --- plumbing --------------------------------------------------------------------------------------------
    def request(self, method: str, path: str, **kwargs: Any) -> httpx2.Response:
        """One call; on 401 with a refresh token in hand, refresh once and retry."""
        response = self.http.request(method, path, **kwargs)
        if response.status_code == 401 and self.refresh_token and path != "/refresh":
            self._tokens(self._checked(self.http.post("/refresh", json={"refresh_token": self.refresh_token})))
            response = self.http.request(method, path, **kwargs)
        return self._checked(response)

    def json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        return self.request(method, path, **kwargs).json()  # type: ignore[no-any-return]

    @staticmethod
    def _checked(response: httpx2.Response) -> httpx2.Response:
        if response.is_success:
            return response
        try:
            body = response.json()
        except ValueError:
            body = {"detail": response.text[:200]}
        raise ApiError(response.status_code, body if isinstance(body, dict) else {"detail": str(body)})

    def _tokens(self, response: httpx2.Response) -> None:
        tokens = response.json()
        self.refresh_token = tokens["refresh_token"]
        self.http.headers["Authorization"] = f"Bearer {tokens['access_token']}"

    # --- the lifecycle -----------------------------------------------------------------------------------------
    def sign_in(self, username: str, password: str) -> None:
        self._tokens(self.request("POST", "/login/access-token", data={"username": username, "password": password}))

    def upload_dataset(
        self,
        file: str | Path,
        *,
        name: str | None = None,
        template_id: str | None = None,
        usage: str = "training",
        data: bytes | None = None,
    ) -> dict[str, Any]:
        """Upload a CSV, Excel or Parquet file (its bytes from ``data``, else read from the path) as a dataset."""
        path = Path(file)
        content = data if data is not None else path.read_bytes()
        params = {k: v for k, v in {"dataset_name": name, "template_id": template_id, "usage": usage}.items() if v}
        return self.json("POST", "/dataset/upload", params=params, files=[("files", (path.name, content))])

    def train(
        self,
        dataset_id: str,
        predictor_name: str,
        *,
        target: str,
        features: list[str] | None = None,
        id_column: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Start a training (``fields``: problem_type, algorithm, time_budget_s, domain, time_column … as the
        route takes them); returns the training with its ``id`` (the train id) and ``job_id``."""
        columns = [{"column_name": target, "attribute_name": "Target"}]
        columns += [{"column_name": c, "attribute_name": "Feature"} for c in features or []]
        columns += [{"column_name": id_column, "attribute_name": "Id"}] if id_column else []
        body = {"dataset_id": dataset_id, "predictor_name": predictor_name, "columns": columns, **fields}
        return self.json("POST", "/train/", json=body)

    def job(self, job_id: str) -> dict[str, Any]:
        return self.json("GET", f"/jobs/{job_id}")

    def wait(self, job_id: str, *, timeout: float = 600.0, poll_s: float = 1.0) -> dict[str, Any]:
        """Poll a job until it finishes; ApiError (status 0) when it did not succeed or took too long."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job["status"] in FINISHED:
                if job["status"] != "succeeded":
                    raise ApiError(0, {"detail": f"Job {job['status']}: {job.get('error') or job['message']}"})
                return job
            if time.monotonic() > deadline:
                raise ApiError(0, {"detail": f"Job still {job['status']} after {timeout:.0f} s."})
            time.sleep(poll_s)

    def cancel(self, job_id: str) -> dict[str, Any]:
        return self.json("POST", f"/jobs/{job_id}/cancel")

    def predict(self, train_id: str, features: dict[str, Any], *, explain: bool = False) -> dict[str, Any]:
        """One case: the prediction, class probabilities and, with ``explain``, SHAP contributions per column."""
        body = {"train_id": train_id, "features": features, "explain": explain}
        return self.json("POST", "/inference/form-based-prediction", json=body)

    def batch_predict(self, train_id: str, dataset_id: str, *, explain_top: int = 0) -> dict[str, Any]:
        """Score a dataset as a job: returns the submission (``job_id``); the job's ``result_ids`` name the CSV."""
        body = {"train_id": train_id, "dataset_id": dataset_id, "explain_top": explain_top}
        return self.json("POST", "/inference/batchPrediction", json=body)

    def forecast(self, train_id: str, steps: int, **fields: Any) -> dict[str, Any]:
        """``fields``: unique_id, levels, frequency, dataset_id (newer history) … as the route takes them."""
        return self.json("POST", "/inference/forecast", json={"train_id": train_id, "steps": steps, **fields})

    def download(self, file_id: str) -> bytes:
        return self.request("GET", "/files/download/", params={"file_id": file_id}).content
