"""``TrainingPlan``: what a training request resolves to — its dataset, the datasets it trains on (a continued
version: its parent's first) with their files, the parent model — and the rows, read once.

``eng.training.check`` and ``submit`` build the plan in their one session and run the same checks on it; submit
reuses the rows its check read (``PlanCache``) and hands its plan to the job's task when that runs in the same
process (the inline runner), so a Train click reads each Parquet file once. Datasets never change after upload,
so rows read for a plan stay right as long as its datasets and their files are the same."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from core.entities import Dataset, Model, TrainRequest
from core.services.datasets import read_columns
from core.services.forecast_checks import history_columns

KEPT_PLANS = 2  # checked plans (with their rows) an engine keeps for the submit that may follow


@dataclass
class TrainingPlan:
    request: TrainRequest
    dataset: Dataset
    sources: tuple[tuple[Dataset, Path], ...]
    parent: Model | None
    whose: str  # whose data, for messages: "the dataset 'x'" or the parent's label
    _frame: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def dataset_ids(self) -> list[str]:
        return [dataset.id for dataset, _ in self.sources]

    @property
    def identity(self) -> tuple[object, ...]:
        """Equal for two plans of the same request on the same stored data."""
        return (self.request, tuple((d.id, d.file_id) for d, _ in self.sources), self.parent and self.parent.id)

    def common_columns(self) -> list[str]:
        """The dataset's columns that every training dataset has."""
        return [c for c in self.dataset.columns if all(c in d.column_types for d, _ in self.sources)]

    def columns(self) -> list[str]:
        """What the job reads: a forecast's time, value and series columns; else the target, id and feature
        columns (every common column when no features are named)."""
        request = self.request
        if request.problem_type == "forecast":
            return history_columns(request)
        if request.features is None:
            return self.common_columns()
        return list(dict.fromkeys(c for c in (request.target, request.id_column, *request.features) if c))

    def declared_types(self) -> dict[str, str]:
        """The column types the model's schema follows: the dataset's, the parent's feature types (a new version
        reads its columns as its parent did), then the request's overrides."""
        parent = {f.name: f.dtype for f in self.parent.schema.features} if self.parent and self.parent.schema else {}
        return {**self.dataset.column_types, **parent, **dict(self.request.column_types)}

    def frame(self) -> pd.DataFrame:
        """The rows of every training dataset stacked (the columns they all have), read on first use."""
        if self._frame is None:
            wanted = self.columns()
            frames = [
                read_columns(d, path, [c for c in wanted if c in d.column_types]).to_pandas()
                for d, path in self.sources
            ]
            self._frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True, join="inner")
        return self._frame


class PlanCache:
    """The last few checked plans with their rows, by request; a plan is reused only for the same stored data."""

    def __init__(self, size: int = KEPT_PLANS) -> None:
        self._plans: OrderedDict[tuple[str, TrainRequest], TrainingPlan] = OrderedDict()
        self._size, self._lock = size, threading.Lock()

    def reuse(self, tenant_id: str, plan: TrainingPlan) -> TrainingPlan:
        """The kept plan equal to ``plan`` (with its rows), else ``plan``, which is kept from now on."""
        key = (tenant_id, plan.request)
        with self._lock:
            kept = self._plans.get(key)
            if kept is not None and kept.identity == plan.identity:
                self._plans.move_to_end(key)
                return kept
            self._plans[key] = plan
            while len(self._plans) > self._size:
                self._plans.popitem(last=False)
        return plan

    def discard(self, tenant_id: str, request: TrainRequest) -> None:
        """Forget a submitted request's plan: its rows now belong to the job."""
        with self._lock:
            self._plans.pop((tenant_id, request), None)
