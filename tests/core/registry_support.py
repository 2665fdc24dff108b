"""What the registry, deployment and drift tests share: a tiny trained model, skops and pickle payloads."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pandas as pd
import skops.io as sio
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge

from core import Actor, Engine, TrainRequest

TINY_ROWS = "a,b,c\n" + "".join(f"{n},{'xy'[n % 2]},{'pq'[n % 3 == 0]}\n" for n in range(40))


def train_tiny(engine: Engine, actor: Actor, name: str = "scorer", dataset: str | None = None) -> str:
    """A classifier of c from (a, b) trained in about a second; returns the model (version) id."""
    found = engine.datasets.upload(actor, name=dataset or f"{name}-data", filename="s.csv", data=TINY_ROWS.encode())
    request = TrainRequest(dataset_id=found.id, name=name, target="c", time_budget_s=1, explain=False)
    job = engine.training.submit(actor, request)
    assert job.result is not None, job.error
    return str(job.result["model_id"])


def diabetes() -> tuple[pd.DataFrame, pd.Series]:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return X, y


def ridge_skops(alpha: float = 1.0) -> bytes:
    """A Ridge regressor fitted on the diabetes features (named columns), as a skops file."""
    X, y = diabetes()
    return sio.dumps(Ridge(alpha=alpha).fit(X, y))


def diabetes_csv(rows: int = 442) -> bytes:
    X, y = diabetes()
    return X.assign(target=y).head(rows).to_csv(index=False).encode()


class _Touch:
    """Unpickling this creates (opens for writing) the file at ``path``: what a malicious model file does."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.path), "w"))


def pickle_payload(path: Path) -> bytes:
    return pickle.dumps(_Touch(path))


class Foreign:
    """A class skops does not trust: a file holding one must be refused unread."""

    def __init__(self) -> None:
        self.value = 1

    def predict(self, rows: Any) -> Any:
        return rows
