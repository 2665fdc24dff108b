"""The progress and cancel protocol domain code reports through; jobs implement it, scripts use ``NullContext``."""

from __future__ import annotations

from typing import Protocol

CANCELLED = "The job was cancelled."


class Cancelled(Exception):
    """Raised inside a task (by ``ctx.check()``) when the job was cancelled; the runner records it."""


class TaskContext(Protocol):
    """What domain code needs from a job: report progress, notice cancellation."""

    def progress(self, fraction: float, message: str = "") -> None:
        """Record progress in [0, 1] with a short human message."""

    def cancelled(self) -> bool:
        """True once someone asked to cancel this job."""

    def check(self) -> None:
        """Raise ``Cancelled`` if the job was cancelled; call between steps."""


class NullContext:
    """A context for running domain code outside a job (tests, scripts)."""

    def progress(self, fraction: float, message: str = "") -> None:
        return None

    def cancelled(self) -> bool:
        return False

    def check(self) -> None:
        return None
