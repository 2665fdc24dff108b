"""One error hierarchy for the engine; the UI shows these through ``ui/errors.py``."""

from __future__ import annotations

from dataclasses import dataclass

QUOTED = 60  # characters of a user's value a message quotes


def quote(value: str, limit: int = QUOTED) -> str:
    """``repr`` of a user's value for a message, cut to ``limit`` characters with "…": a 10,000-character category
    must not make every warning that names it (and every log entry keeping that warning) as long."""
    return repr(value if len(value) <= limit else value[: limit - 1] + "…")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (field / row / column) and what."""

    problem: str
    field: str | None = None
    row: int | None = None
    value: str | None = None


class CoreError(Exception):
    """Base of every error the engine raises on purpose; ``message`` is one sentence."""

    def __init__(self, message: str, details: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(CoreError):
    """The resource does not exist, or belongs to another tenant (existence never leaks)."""


class Conflict(CoreError):
    """The change clashes with existing state (duplicate name, resource still in use)."""


class PermissionDenied(CoreError):
    """The actor may not do this (wrong role, inactive, or failed sign-in)."""


class Unauthenticated(PermissionDenied):
    """Who is asking is not established: no, an expired, a forged or a revoked token, or a failed sign-in.

    A ``PermissionDenied`` so that callers treating both alike keep working; the API answers it with 401.
    """


class JobFailed(CoreError):
    """A job ended in failure, cancellation or interruption."""


class InvalidInput(CoreError):
    """The input is unusable; ``problems`` lists what is wrong, field by field or row by row."""

    def __init__(self, message: str, problems: list[Problem] | None = None, details: str | None = None) -> None:
        super().__init__(message, details)
        self.problems = list(problems or [])

    def problems_text(self, limit: int = 500) -> str | None:
        """The problems one per line ("row 3 · price · wrong type · abc"): what a failed job can keep."""
        lines = [
            " · ".join(str(v) for v in (f"row {p.row}" if p.row else None, p.field, p.problem, p.value) if v)
            for p in self.problems[:limit]
        ]
        if len(self.problems) > limit:
            lines.append(f"… and {len(self.problems) - limit:,} more")
        return "\n".join(lines) or None


class TooLarge(InvalidInput):
    """An upload is larger than ``DATAML_MAX_UPLOAD_MB`` (the API answers it with 413)."""
