"""Job kinds, the task function behind each (``module:function``, so workers import lazily) and the
permission submitting it needs.

A task function is ``(ctx: JobContext, params: dict) -> dict`` returning a small dict of result ids;
``ctx.workspace``, ``ctx.services``, ``ctx.job`` and ``ctx.actor`` give it the workspace, the engine's services
and who asked. Add a line here when a service gains a new kind of job. The permission is checked by
``eng.jobs.submit`` itself, so a kind submitted directly (not through the service that normally starts it) is
refused the same way; ``names`` says which parameters name a dataset, model or file: the job is linked to those
rows while it is unfinished, so they cannot be deleted under it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, NamedTuple

Limits = dict[str, tuple[float, float]]


class Task(NamedTuple):
    target: str  # "module:function"
    permission: str  # what the submitting actor must hold
    limits: Limits = {}  # noqa: RUF012 - read only; the bounds of every number the job takes (lists: each item)
    names: dict[str, str] = {}  # noqa: RUF012 - read only; parameter -> "dataset" | "model" | "file"
    cpus: int = 1  # the cores it uses (the Ray runner asks the cluster for them)
    memory_mb: int = 0  # the memory it needs when that is known (0: not declared)


_TRAIN: Limits = {"time_budget_s": (1, 3600), "season_length": (1, 10_000), "horizon": (1, 10_000)}
TASKS: dict[str, Task] = {
    "selftest": Task("core.jobs.selftest:run", "jobs:read", {"steps": (1, 200), "step_seconds": (0, 1)}),
    "dataset_statistics": Task(
        "core.services.dataset_tasks:generate_statistics", "datasets:read", {}, {"dataset_id": "dataset"}
    ),
    "train_tabular": Task(
        "core.services.training_tasks:train_tabular",
        "models:train",
        _TRAIN,
        {"dataset_id": "dataset", "parent_model_id": "model"},
    ),
    "explain_model": Task(
        "core.services.explain_tasks:explain_model",
        "models:train",
        {"sample_rows": (10, 50_000)},
        {"model_id": "model"},
    ),
    "batch_predict": Task(
        "core.services.inference_tasks:batch_predict",
        "inference:run",
        {"explain_top": (0, 3), "model_version": (1, 2**31), "rows": (0, 2**40)},
        {"model_id": "model", "dataset_id": "dataset", "input_file_id": "file"},
    ),
    "train_forecast": Task(
        "core.services.forecast_tasks:train_forecast", "models:train", _TRAIN, {"dataset_id": "dataset"}, cpus=2
    ),
    "forecast": Task(
        "core.services.forecast_tasks:forecast_job",
        "inference:run",
        {"steps": (1, 10_000), "levels": (1, 99)},
        {"model_id": "model", "future_dataset_id": "dataset", "history_dataset_id": "dataset"},
        cpus=2,
    ),
    "drift_check": Task(
        "core.services.drift_tasks:drift_check",
        "inference:run",
        {"window": (10, 100_000)},
        {"dataset_id": "dataset", "input_file_id": "file"},
    ),
    "prepare_dataset": Task(
        "core.services.recipe_tasks:prepare_dataset",
        "datasets:write",
        {"source_version": (1, 2**31)},
        {"dataset_id": "dataset"},
    ),
    "problem_learn": Task("core.services.problem_tasks:learn", "models:train"),
    "attribution_run": Task("core.services.attribution_tasks:attribution_run", "attribution:submit"),
    "attribution_index": Task("core.services.attribution_tasks:attribution_index", "attribution:library"),
}


# What the seed calls a job's ``usage`` (``/ray/terminate_ray_job?usage=``): the family of each kind.
FAMILIES: dict[str, tuple[str, ...]] = {
    "training": ("train_tabular", "train_forecast", "explain_model", "problem_learn"),
    "inference": ("batch_predict", "forecast"),
    "statistics": ("dataset_statistics",),
    "preparation": ("prepare_dataset",),
    "attribution": ("attribution_run", "attribution_index"),
    "monitoring": ("drift_check",),
    "selftest": ("selftest",),
}


def family_of(kind: str) -> str:
    """The family a job kind belongs to (a kind no family lists is its own)."""
    return next((family for family, kinds in FAMILIES.items() if kind in kinds), kind)


def check_params(kind: str, params: dict[str, Any]) -> None:
    """Refuse a number outside its kind's bounds, or a number the kind does not declare: job slots are
    shared by every tenant, so nothing a caller passes may make a job run (or wait) without end."""
    from core.errors import InvalidInput, Problem

    limits = TASKS[kind].limits
    for key, value in params.items():
        for item in value if isinstance(value, list | tuple) else (value,):
            if key in limits and item is not None and (isinstance(item, bool) or not isinstance(item, int | float)):
                problem = Problem("not a number", field=key, value=str(item)[:80])  # '1e9' would pass int()
                raise InvalidInput(f"The job parameter {key!r} must be a number.", [problem])
            if isinstance(item, bool) or not isinstance(item, int | float):
                continue
            low, high = limits.get(key, (0.0, -1.0))  # undeclared: nothing is within
            if not low <= item <= high:
                bounds = (
                    f"between {low:g} and {high:g}" if key in limits else "left out: it is not a parameter of this job"
                )
                problem = Problem("out of range", field=key, value=str(item))
                raise InvalidInput(f"The job parameter {key!r} must be {bounds}.", [problem])


def named_rows(kind: str, params: dict[str, Any]) -> dict[str, list[str]]:
    """The ids a job's parameters name, as ``{"datasets": [...], "models": [...], "files": [...]}``."""
    named: dict[str, list[str]] = {"datasets": [], "models": [], "files": []}
    for key, what in TASKS[kind].names.items():
        if params.get(key):
            named[f"{what}s"].append(str(params[key]))
    return named


def task_function(kind: str) -> Callable[..., dict[str, Any]]:
    task = TASKS.get(kind)
    if task is None:
        raise KeyError(f"unknown job kind {kind!r}")
    module_name, _, attr = task.target.partition(":")
    return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]
