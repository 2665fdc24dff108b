"""Training: check a request, submit it as a job; the work itself is in ``training_tasks.py``."""

from __future__ import annotations

import re
from typing import Any

from core.entities import PROBLEM_TYPES, Actor, Dataset, Job, TrainRequest
from core.errors import InvalidInput, Problem
from core.services.base import Service, require

_NAME = re.compile(r"^[\w][\w .-]{0,99}$")
MAX_BUDGET_S = 3600


class TrainingService(Service):
    def _check_request(self, actor: Actor, request: TrainRequest) -> Dataset:
        """Cheap checks that need no data: names, types, columns, dataset state."""
        problems = []
        if not _NAME.match(request.name.strip()):
            problems.append(Problem("1–100 letters, digits, spaces, '.', '_' or '-'", field="name"))
        if request.problem_type not in PROBLEM_TYPES:
            problems.append(Problem(f"one of {', '.join(PROBLEM_TYPES)}", field="problem_type"))
        if not 1 <= request.time_budget_s <= MAX_BUDGET_S:
            problems.append(Problem(f"between 1 and {MAX_BUDGET_S} seconds", field="time_budget_s"))
        if problems:
            raise InvalidInput("The training request is not valid.", problems)
        dataset = self.engine.datasets.get(actor, request.dataset_id)
        if dataset.status != "validated":
            raise InvalidInput(
                f"The dataset {dataset.name!r} has unresolved problems; upload it again keeping only valid rows."
            )
        named = [request.target, request.id_column, request.time_column, request.series_column,
                 *(request.features or ())]
        unknown = sorted({c for c in named if c and c not in dataset.column_types})
        if unknown:
            raise InvalidInput(f"Unknown column(s) in {dataset.name!r}: {', '.join(unknown)}.",
                               [Problem("unknown column", field=c) for c in unknown])
        if request.parent_model_id:
            self._check_parent(actor, request, dataset)
        return dataset

    def _check_parent(self, actor: Actor, request: TrainRequest, dataset: Dataset) -> None:
        """A new version continues its parent: same name, target and problem type; the new data has its columns."""
        parent = self.engine.models.get(actor, request.parent_model_id or "")
        if parent.problem_type == "forecast" or request.problem_type == "forecast":
            raise InvalidInput("Continuing with new data is for classification and regression models.")
        clashes = [Problem(f"must be {want!r} as in {parent.label}", field=field, value=str(got))
                   for field, got, want in (("name", request.name.strip(), parent.name),
                                            ("target", request.target, parent.target))
                   if got != want]
        if request.problem_type not in ("auto", parent.problem_type):
            clashes.append(Problem(f"must be {parent.problem_type!r} as in {parent.label}", field="problem_type",
                                   value=request.problem_type))
        if clashes:
            raise InvalidInput(f"A new version must predict the same thing as {parent.label}.", clashes)
        expected = {f["name"] for f in parent.schema.get("features", [])} | {parent.target}
        missing = sorted(expected - set(dataset.column_types))
        if missing:
            raise InvalidInput(f"The new dataset lacks columns of {parent.label}: {', '.join(missing)}.",
                               [Problem("missing column", field=c) for c in missing])

    def check(self, actor: Actor, request: TrainRequest) -> dict[str, Any]:
        """What training would do, before it starts: the problem type (and why) and warnings.

        Raises ``InvalidInput`` for what cannot work (one class, all-missing target, too few rows …)."""
        require(actor, "models:train")
        self._check_request(actor, request)
        if request.problem_type == "forecast":
            return {"problem_type": "forecast", "reason": "You chose forecasting.", "warnings": []}
        from core.ml import infer_problem_type, training_warnings
        from core.services.training_tasks import model_datasets, training_frame

        frame, _ = training_frame(self.engine, actor, request)
        chosen, reason = (request.problem_type, "You chose it.")
        if request.problem_type == "auto":
            chosen, reason = infer_problem_type(frame[request.target])
        warnings = training_warnings(frame, request.target, list(request.features) if request.features else None,
                                     request.id_column, chosen)
        parent = self.engine.models.get(actor, request.parent_model_id) if request.parent_model_id else None
        if parent and request.dataset_id in model_datasets(parent):
            warnings.insert(0, f"This dataset is already part of the training data of {parent.label}; "
                               "no rows are added.")
        return {"problem_type": chosen, "reason": reason, "warnings": warnings}

    def submit(self, actor: Actor, request: TrainRequest) -> Job:
        """Start training as a job; its result is ``{"model_id": ...}``."""
        require(actor, "models:train")
        request = TrainRequest.from_params({**request.to_params(), "name": request.name.strip()})
        dataset = self._check_request(actor, request)
        if request.problem_type != "forecast":  # refuse a target nothing can be learned from before queueing
            from core.ml.problem import check_training
            from core.services.training_tasks import training_frame

            target, _ = training_frame(self.engine, actor, request, columns=[request.target])
            check_training(target, request.target, problem_type=request.problem_type)
        kind = "train_forecast" if request.problem_type == "forecast" else "train_tabular"
        return self.engine.jobs.submit(actor, kind, f"Train {request.name} on {dataset.name}", request.to_params())
