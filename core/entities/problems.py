"""Problems (issue 19, the Morpheo seed): a fixed scoring procedure on hidden test data, the algorithms submitted
to it, the training data attached, learning tasks ("learnuplets") and prediction tasks ("preduplets")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# waiting: an earlier rank of its algorithm is unfinished; todo: ready for a worker; pending: a worker took it
TASK_STATES = ("waiting", "todo", "pending", "done", "failed")
COMPUTE_MODES = ("internal", "external")  # internal: the engine's job runner takes tasks; external: workers do
ALGO_KINDS = ("family", "auto", "model")  # fixed settings of one family, a timed search, a trained model's setup
# The metrics a problem may be scored with (those the product computes on held-out rows) -> higher is better.
PROBLEM_METRICS: dict[str, dict[str, bool]] = {
    "classification": {
        "accuracy": True,
        "balanced_accuracy": True,
        "f1": True,
        "precision": True,
        "recall": True,
        "roc_auc": True,
        "log_loss": False,
    },
    "regression": {"rmse": False, "mae": False, "r2": True, "mape": False},
}


def higher_is_better(metric: str) -> bool:
    return next(table[metric] for table in PROBLEM_METRICS.values() if metric in table)


@dataclass(frozen=True)
class LearningProblem:
    """What to predict and how it is scored: the template's columns, the target, the metric (and whether higher
    is better) on the test datasets, and ``size_train_dataset`` rows per training mini-batch."""

    id: str
    name: str
    description: str
    template_id: str
    target: str
    problem_type: str
    metric: str
    higher_is_better: bool
    size_train_dataset: int
    test_dataset: tuple[str, ...]
    compute: str
    owner: str
    created_at: datetime
    model_name: str  # the registry predictor whose versions are this problem's models (champion alias)

    def to_seed(self) -> dict[str, Any]:
        """The seed's document: uuid, workflow (our scoring procedure's name), test_dataset, size_train_dataset."""
        return {
            "uuid": self.id,
            "name": self.name,
            "description": self.description,
            "workflow": f"{self.metric}:{self.target}",
            "template": self.template_id,
            "target": self.target,
            "problem_type": self.problem_type,
            "metric": self.metric,
            "higher_is_better": self.higher_is_better,
            "test_dataset": list(self.test_dataset),
            "size_train_dataset": self.size_train_dataset,
            "compute": self.compute,
            "owner": self.owner,
            "timestamp_upload": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class Algorithm:
    """A named approach to a problem: one family with fixed ``settings`` (``kind`` family), a timed search
    (``auto``: ``settings`` time_budget_s and an optional ``algorithm`` family name) or the setup of a trained
    model (``model``: refitted from scratch on each task's rows)."""

    id: str
    problem_id: str
    name: str
    kind: str
    family: str | None
    settings: dict[str, Any]
    model_id: str | None
    owner: str
    created_at: datetime

    def to_seed(self) -> dict[str, Any]:
        return {
            "uuid": self.id,
            "name": self.name,
            "problem": self.problem_id,
            "kind": self.kind,
            "family": self.family,
            "settings": dict(self.settings),
            "model": self.model_id,
            "owner": self.owner,
            "timestamp_upload": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class ProblemData:
    """A training dataset attached to problems (the seed's "data")."""

    id: str  # the dataset's id
    name: str
    rows: int
    problems: tuple[str, ...]

    def to_seed(self) -> dict[str, Any]:
        return {"uuid": self.id, "name": self.name, "rows": self.rows, "problems": list(self.problems)}


@dataclass(frozen=True)
class MiniBatch:
    """Rows ``start`` ≤ row < ``stop`` (0-based) of a training dataset."""

    dataset_id: str
    start: int
    stop: int

    def to_list(self) -> list[Any]:
        return [self.dataset_id, self.start, self.stop]


@dataclass(frozen=True)
class Learnuplet:
    """One learning task: algorithm ``algo`` on its mini-batch ``rank``, continuing from ``model_start`` (the best
    model of the earlier ranks), trained on ``train_data`` (the start's mini-batches and its own)."""

    id: str
    problem_id: str
    algo_id: str
    rank: int
    batch: MiniBatch
    train_data: tuple[MiniBatch, ...]
    status: str
    start_task_id: str | None
    model_start: str | None
    model_end: str | None
    worker: str | None
    job_id: str | None
    perf: float | None
    test_perf: tuple[float | None, ...]
    train_perf: tuple[float | None, ...]
    error: str
    created_at: datetime
    updated_at: datetime

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    def to_seed(self) -> dict[str, Any]:
        return {
            "uuid": self.id,
            "problem": self.problem_id,
            "algo": self.algo_id,
            "rank": self.rank,
            "train_data": [b.to_list() for b in self.train_data],
            "batch": self.batch.to_list(),
            "status": self.status,
            "model_start": self.model_start,
            "model_end": self.model_end,
            "worker": self.worker,
            "job": self.job_id,
            "perf": self.perf,
            "test_perf": list(self.test_perf),
            "train_perf": list(self.train_perf),
            "error": self.error,
            "timestamp_creation": self.created_at.isoformat(),
            "timestamp_done": self.updated_at.isoformat() if self.finished else None,
        }


@dataclass(frozen=True)
class Preduplet:
    """A prediction on a dataset with the problem's best model at request time; internally a batch prediction
    job (``job_id``) whose result file is ``prediction_file``."""

    id: str
    problem_id: str
    dataset_id: str
    model_id: str | None
    status: str
    worker: str | None
    job_id: str | None
    prediction_file: str | None
    error: str
    created_at: datetime

    def to_seed(self) -> dict[str, Any]:
        return {
            "uuid": self.id,
            "problem": self.problem_id,
            "data": self.dataset_id,
            "model": self.model_id,
            "status": self.status,
            "worker": self.worker,
            "job": self.job_id,
            "prediction_storage_uuid": self.prediction_file,
            "error": self.error,
            "timestamp_request": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class BoardEntry:
    """One algorithm on the leaderboard: its best score so far (None before a task is done) and its history."""

    algo_id: str
    algo_name: str
    best_perf: float | None
    best_task_id: str | None
    best_model_id: str | None
    done: int
    failed: int
    unfinished: int
    history: tuple[tuple[int, float | None], ...]  # (rank, perf) of every finished task


@dataclass(frozen=True)
class Leaderboard:
    """Algorithms best first (by the problem's metric direction); ``champion`` is the best model's id."""

    problem: LearningProblem
    entries: tuple[BoardEntry, ...]
    champion_model_id: str | None
    champion_task_id: str | None
