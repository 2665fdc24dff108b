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
            parent = self.engine.models.get(actor, request.parent_model_id)
            if parent.problem_type == "forecast" or request.problem_type == "forecast":
                raise InvalidInput("Continuing with new data is for classification and regression models.")
            expected = {f["name"] for f in parent.schema.get("features", [])} | {parent.target}
            missing = sorted(expected - set(dataset.column_types))
            if missing:
                raise InvalidInput(f"The new dataset lacks columns of {parent.label}: {', '.join(missing)}.",
                                   [Problem("missing column", field=c) for c in missing])
        return dataset

    def check(self, actor: Actor, request: TrainRequest) -> dict[str, Any]:
        """What training would do, before it starts: the problem type (and why) and warnings.

        Raises ``InvalidInput`` for what cannot work (one class, all-missing target, too few rows …)."""
        require(actor, "models:train")
        self._check_request(actor, request)
        if request.problem_type == "forecast":
            return {"problem_type": "forecast", "reason": "You chose forecasting.", "warnings": []}
        from core.ml import infer_problem_type, training_warnings
        from core.services.training_tasks import training_frame

        frame, _ = training_frame(self.engine, actor, request)
        chosen, reason = (request.problem_type, "You chose it.")
        if request.problem_type == "auto":
            chosen, reason = infer_problem_type(frame[request.target])
        warnings = training_warnings(frame, request.target, list(request.features) if request.features else None,
                                     request.id_column, chosen)
        return {"problem_type": chosen, "reason": reason, "warnings": warnings}

    def submit(self, actor: Actor, request: TrainRequest) -> Job:
        """Start training as a job; its result is ``{"model_id": ...}``."""
        require(actor, "models:train")
        request = TrainRequest.from_params({**request.to_params(), "name": request.name.strip()})
        dataset = self._check_request(actor, request)
        kind = "train_forecast" if request.problem_type == "forecast" else "train_tabular"
        return self.engine.jobs.submit(actor, kind, f"Train {request.name} on {dataset.name}", request.to_params())
