"""A diagnostic job (About page, tests): steps with progress, optionally failing, crashing or hanging."""

from __future__ import annotations

import os
import signal
import time
from typing import TYPE_CHECKING, Any

from core.errors import InvalidInput

if TYPE_CHECKING:
    from core.jobs.execution import JobContext


def run(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    steps = int(params.get("steps", 5))  # bounded by eng.jobs.submit (core.jobs.tasks)
    outcome = params.get("outcome", "succeed")
    if outcome == "hang":  # like a task stuck in native code: only the engine's SIGKILL ends it
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for step in range(steps):
        ctx.check()
        ctx.progress(step / steps, f"step {step + 1}/{steps}")
        time.sleep(float(params.get("step_seconds", 0.2)))
    if outcome == "fail":
        raise InvalidInput("The self-test was asked to fail.")
    if outcome == "crash":
        os._exit(3)  # simulates a worker that dies without reporting (segfault, OOM kill)
    return {"steps": steps}
