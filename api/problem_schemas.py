"""Request and response models of problems in the seed's shape (seed 002: Morpheo's orchestrator): documents of
the collections problem, algo, data, learnuplet and preduplet keyed ``uuid``, with the seed's field names
(``test_dataset``, ``size_train_dataset``, ``model_start``, ``model_end``, ``perf``, ``test_perf``,
``train_perf``, ``worker``, ``prediction_storage_uuid``) and UUIDs chosen by the server."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Score = float | None
Uuid = str


class ProblemIn(BaseModel):
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=10_000)
    template: Uuid = Field(max_length=36, description="The template whose columns the problem's data has.")
    target: str = Field(max_length=255)
    problem_type: Literal["classification", "regression"]
    metric: str = Field(
        max_length=32,
        description="accuracy, balanced_accuracy, f1, precision, recall, roc_auc, "
        "log_loss (classification); rmse, mae, r2, mape (regression).",
    )
    test_dataset: list[Uuid] = Field(default=[], max_length=100, description="Datasets hidden from submitters.")
    size_train_dataset: int = Field(ge=10, le=10_000_000, description="Rows per training mini-batch.")
    compute: Literal["internal", "external"] = Field(
        default="internal", description="internal: the server's job runner learns; external: workers take tasks."
    )


class ProblemDoc(BaseModel):
    uuid: Uuid
    name: str
    description: str
    workflow: str
    template: Uuid
    target: str
    problem_type: str
    metric: str
    higher_is_better: bool
    test_dataset: list[Uuid]
    size_train_dataset: int
    compute: str
    owner: str
    timestamp_upload: str


class AlgoIn(BaseModel):
    name: str = Field(max_length=100)
    problem: Uuid = Field(max_length=36)
    kind: Literal["family", "auto", "model"] = "family"
    algorithm: str | None = Field(
        default=None,
        max_length=40,
        description="gradient_boosting, random_forest, extra_trees, linear, lightgbm or xgboost (family: required; "
        "auto: restricts the search).",
    )
    settings: dict[str, float | int | str | bool | None] = Field(
        default={}, description="family: estimator parameters replacing its defaults; auto: {time_budget_s}."
    )
    model: Uuid | None = Field(default=None, max_length=36, description="kind model: the trained model to refit.")


class AlgoDoc(BaseModel):
    uuid: Uuid
    name: str
    problem: Uuid
    kind: str
    family: str | None
    settings: dict[str, Any]
    model: Uuid | None
    owner: str
    timestamp_upload: str


class DataIn(BaseModel):
    uuid: Uuid | list[Uuid] = Field(description="A dataset id or a list (upload with POST /dataset/upload).")
    problems: Uuid | list[Uuid] = Field(description="A problem id or a list.")

    def ids(self) -> tuple[list[str], list[str]]:
        as_list = lambda v: v if isinstance(v, list) else [v]  # noqa: E731
        return as_list(self.uuid)[:1000], as_list(self.problems)[:100]


class DataDoc(BaseModel):
    uuid: Uuid
    name: str
    rows: int
    problems: list[Uuid]


class LearnupletDoc(BaseModel):
    uuid: Uuid
    problem: Uuid
    algo: Uuid
    rank: int
    train_data: list[list[Any]] = Field(description="[dataset, first row, row after the last] mini-batches.")
    batch: list[Any]
    status: str
    model_start: Uuid | None
    model_end: Uuid | None
    worker: str | None
    job: Uuid | None
    perf: Score
    test_perf: list[Score]
    train_perf: list[Score]
    error: str
    timestamp_creation: str
    timestamp_done: str | None


class PredupletDoc(BaseModel):
    uuid: Uuid
    problem: Uuid
    data: Uuid
    model: Uuid | None
    status: str
    worker: str | None
    job: Uuid | None
    prediction_storage_uuid: Uuid | None
    error: str
    timestamp_request: str


class PredictionIn(BaseModel):
    data: list[Uuid] = Field(min_length=1, max_length=100)
    problem: Uuid = Field(max_length=36)


class WorkerIn(BaseModel):
    worker: str = Field(min_length=1, max_length=200, description="The worker's id (a UUID in the seed).")


class LearnDoneIn(BaseModel):
    status: Literal["done", "failed"]
    perf: float | None = None
    train_perf: list[Score] = Field(default=[], max_length=100_000)
    test_perf: list[Score] = Field(default=[], max_length=1000)
    error: str = Field(default="", max_length=2000)


class PredDoneIn(BaseModel):
    status: Literal["done", "failed"]
    prediction_storage_uuid: Uuid | None = Field(default=None, max_length=36, description="A file id (/files/add).")


class BoardRow(BaseModel):
    algo: Uuid
    name: str
    best_perf: Score
    best_learnuplet: Uuid | None
    best_model: Uuid | None
    done: int
    failed: int
    unfinished: int
    history: list[tuple[int, Score]]


class LeaderboardOut(BaseModel):
    problem: Uuid
    metric: str
    higher_is_better: bool
    champion_model: Uuid | None
    champion_learnuplet: Uuid | None
    algos: list[BoardRow]
