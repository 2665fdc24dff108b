"""Job kinds, the task function behind each (``module:function``, so workers import lazily) and the
permission submitting it needs.

A task function is ``(ctx: JobContext, params: dict) -> dict`` returning a small dict of result ids;
``ctx.engine``, ``ctx.job`` and ``ctx.actor`` give it the workspace and who asked. Add a line here when
a service gains a new kind of job. The permission is checked by ``eng.jobs.submit`` itself, so a kind
submitted directly (not through the service that normally starts it) is refused the same way.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, NamedTuple


class Task(NamedTuple):
    target: str  # "module:function"
    permission: str  # what the submitting actor must hold


TASKS: dict[str, Task] = {
    "selftest": Task("core.jobs.selftest:run", "jobs:read"),
    "train_tabular": Task("core.services.training_tasks:train_tabular", "models:train"),
    "explain_model": Task("core.services.explain_tasks:explain_model", "models:train"),
    "batch_predict": Task("core.services.inference_tasks:batch_predict", "inference:run"),
    "train_forecast": Task("core.services.forecast_tasks:train_forecast", "models:train"),
    "forecast": Task("core.services.forecast_tasks:forecast_job", "inference:run"),
    "attribution_run": Task("core.services.attribution_tasks:attribution_run", "attribution:submit"),
    "attribution_index": Task("core.services.attribution_tasks:attribution_index", "attribution:library"),
}


def task_function(kind: str) -> Callable[..., dict[str, Any]]:
    task = TASKS.get(kind)
    if task is None:
        raise KeyError(f"unknown job kind {kind!r}")
    module_name, _, attr = task.target.partition(":")
    return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]
