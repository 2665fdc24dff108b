"""Job kinds and the task function behind each, as ``module:function`` so workers import lazily.

A task function is ``(ctx: JobContext, params: dict) -> dict`` returning a small dict of result ids;
``ctx.engine``, ``ctx.job`` and ``ctx.actor`` give it the workspace and who asked. Add a line here when
a service gains a new kind of job.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

TASKS: dict[str, str] = {
    "selftest": "core.jobs.selftest:run",
    "train_tabular": "core.services.training_tasks:train_tabular",
    "explain_model": "core.services.explain_tasks:explain_model",
    "batch_predict": "core.services.inference_tasks:batch_predict",
    "train_forecast": "core.services.forecasts:train_forecast",
    "forecast": "core.services.forecasts:forecast_job",
    "attribution_run": "core.services.attribution_tasks:attribution_run",
    "attribution_index": "core.services.attribution_tasks:attribution_index",
}


def task_function(kind: str) -> Callable[..., dict[str, Any]]:
    target = TASKS.get(kind)
    if target is None:
        raise KeyError(f"unknown job kind {kind!r}")
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]
