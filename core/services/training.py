"""Training: check a request, submit it as a job; the work itself is in ``training_tasks.py``."""

from __future__ import annotations

import re
from typing import Any

from core.entities import PROBLEM_TYPES, Actor, Dataset, Job, TrainRequest
from core.errors import Conflict, InvalidInput, Problem
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
        named = [
            request.target,
            request.id_column,
            request.time_column,
            request.series_column,
            *(request.features or ()),
        ]
        unknown = sorted({c for c in named if c and c not in dataset.column_types})
        if unknown:
            raise InvalidInput(
                f"Unknown column(s) in {dataset.name!r}: {', '.join(unknown)}.",
                [Problem("unknown column", field=c) for c in unknown],
            )
        if request.parent_model_id:
            self._check_parent(actor, request, dataset)
        return dataset

    def _check_parent(self, actor: Actor, request: TrainRequest, dataset: Dataset) -> None:
        """A new version continues its parent: same name and target; the new data has its columns."""
        parent = self.engine.models.get(actor, request.parent_model_id or "")
        if parent.problem_type == "forecast" or request.problem_type == "forecast":
            raise InvalidInput("Continuing with new data is for classification and regression models.")
        clashes = [
            Problem(f"must be {want!r} as in {parent.label}", field=field, value=str(got))
            for field, got, want in (
                ("name", request.name.strip(), parent.name),
                ("target", request.target, parent.target),
            )
            if got != want
        ]
        if clashes:
            raise InvalidInput(f"A new version must predict the same thing as {parent.label}.", clashes)
        expected = {f["name"] for f in parent.schema.get("features", [])} | {parent.target}
        missing = sorted(expected - set(dataset.column_types))
        if missing:
            raise InvalidInput(
                f"The new dataset lacks columns of {parent.label}: {', '.join(missing)}.",
                [Problem("missing column", field=c) for c in missing],
            )

    def _check_tabular(self, actor: Actor, request: TrainRequest) -> str:
        """Resolve the feature columns and the problem type as the job will, so what would fail inside the job is
        refused before it is queued (reads the target column only); returns the problem type."""
        from core.ml.candidates import allowed_families
        from core.ml.problem import check_target, infer_problem_type, resolve_columns
        from core.services.training_tasks import training_columns, training_frame

        features = resolve_columns(
            training_columns(self.engine, actor, request), request.target, request.features, request.id_column
        )
        y = training_frame(self.engine, actor, request, columns=[request.target])[0][request.target]
        problem_type = infer_problem_type(y)[0] if request.problem_type == "auto" else request.problem_type
        if request.parent_model_id:
            self._same_setup(actor, request, features, problem_type)
        check_target(y, problem_type)
        allowed_families(problem_type, [request.algorithm] if request.algorithm else None)  # an unknown name: refused
        self._check_name(actor, request, features, problem_type)
        return problem_type

    def _same_setup(self, actor: Actor, request: TrainRequest, features: list[str], problem_type: str) -> None:
        """A new version is its parent on more rows: same feature columns, id column and problem type, so its
        metrics, schema and prediction form stay comparable."""
        parent = self.engine.models.get(actor, request.parent_model_id or "")
        theirs = [f["name"] for f in parent.schema.get("features", [])]
        added, dropped = sorted(set(features) - set(theirs)), sorted(set(theirs) - set(features))
        differences = [
            Problem(f"{verb} {', '.join(names)}", field="features")
            for verb, names in (("adds", added), ("drops", dropped))
            if names
        ]
        differences += [
            Problem(f"must be {want!r} as in {parent.label}", field=field, value=str(got))
            for field, got, want in (
                ("id_column", request.id_column, parent.schema.get("id_column")),
                ("problem_type", problem_type, parent.problem_type),
            )
            if got != want
        ]
        if differences:
            raise InvalidInput(
                f"A new version must use the same feature columns, id column and problem type as {parent.label}.",
                differences,
            )

    def _check_name(self, actor: Actor, request: TrainRequest, features: list[str], problem_type: str) -> None:
        """A name is one predictor: its versions predict the same target from the same columns the same way, so
        their metrics compare and a new version never silently replaces a different model."""
        key = request.name.strip().casefold()  # a predictor's name ignores case, as its versions are numbered
        latest = next((m for m in self.engine.models.list(actor) if m.name.casefold() == key), None)
        if latest is None:
            return
        theirs = sorted(f["name"] for f in latest.schema.get("features", []))
        if problem_type == "forecast" or latest.problem_type == "forecast":
            setup = (latest.problem_type, latest.target, latest.schema.get("time_column"))
            ours: tuple[Any, ...] = (problem_type, request.target, request.time_column)
        else:
            setup, ours = (latest.problem_type, latest.target, theirs), (problem_type, request.target, sorted(features))
        if setup != ours:
            other = " from other columns" if setup[:2] == ours[:2] else ""
            raise Conflict(
                f"The name {latest.name!r} is taken by a {latest.problem_type} of {latest.target!r} ({latest.label}), "
                f"but this would be a {problem_type} of {request.target!r}{other}: choose another name, or train "
                "with that predictor's target, columns and problem type.",
                details=f"{latest.label} learns from: {', '.join(theirs) or latest.schema.get('time_column')}",
            )

    def check(self, actor: Actor, request: TrainRequest) -> dict[str, Any]:
        """What training would do, before it starts: the problem type (and why) and warnings (for a forecast,
        ``eng.forecasts.check``'s answer).

        Raises ``InvalidInput`` for what cannot work (one class, all-missing target, too few rows, no feature …)
        and ``Conflict`` when the name belongs to a predictor of another target, columns or problem type."""
        require(actor, "models:train")
        dataset = self._check_request(actor, request)
        if request.problem_type == "forecast":
            self._check_name(actor, request, [], "forecast")
            return self.engine.forecasts.check(actor, request)
        from core.ml import infer_problem_type, training_warnings
        from core.services.training_tasks import model_datasets, training_frame

        chosen = self._check_tabular(actor, request)
        frame, _ = training_frame(self.engine, actor, request)
        reason = infer_problem_type(frame[request.target])[1] if request.problem_type == "auto" else "You chose it."
        features = list(request.features) if request.features is not None else None
        warnings = training_warnings(frame, request.target, features, request.id_column, chosen)
        dates = [c for c in dataset.columns if dataset.column_types[c] in ("date", "datetime")]
        if chosen == "regression" and dates:
            warnings.insert(
                0,
                f"This looks like a time series (a date column {dates[0]!r} and a numeric target): to predict "
                "future values, use Forecast.",
            )
        parent = self.engine.models.get(actor, request.parent_model_id) if request.parent_model_id else None
        if parent and request.dataset_id in model_datasets(parent):
            warnings.insert(
                0, f"This dataset is already part of the training data of {parent.label}; no rows are added."
            )
        return {"problem_type": chosen, "reason": reason, "warnings": warnings}

    def submit(self, actor: Actor, request: TrainRequest) -> Job:
        """Start training as a job; its result is ``{"model_id": ...}``. What the job would fail on (columns, target,
        a new version unlike its parent) is refused before anything is queued; only the target column is read."""
        require(actor, "models:train")
        request = TrainRequest.from_params({**request.to_params(), "name": request.name.strip()})
        dataset = self._check_request(actor, request)
        if request.problem_type == "forecast":
            self._check_name(actor, request, [], "forecast")
        else:
            self._check_tabular(actor, request)
        kind = "train_forecast" if request.problem_type == "forecast" else "train_tabular"
        return self.engine.jobs.submit(actor, kind, f"Train {request.name} on {dataset.name}", request.to_params())
