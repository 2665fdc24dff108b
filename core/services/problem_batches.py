"""Mini-batches of a problem's training data and the check of an algorithm's configuration (issue 19)."""

from __future__ import annotations

from typing import Any

from core.entities.problems import MiniBatch
from core.errors import InvalidInput, Problem

MAX_BUDGET_S = 3600


def mini_batches(dataset_id: str, rows: int, size: int) -> list[MiniBatch]:
    """Rows cut into ``size``-row mini-batches in order; a remainder shorter than half a batch joins the last
    one (a 3-row batch trains nothing useful). Batches never span datasets, so attaching data later never
    changes the batches (and tasks) that exist."""
    bounds = list(range(0, rows, size)) or [0]
    if len(bounds) > 1 and rows - bounds[-1] < size / 2:
        bounds.pop()
    stops = [*bounds[1:], rows]
    return [MiniBatch(dataset_id, start, stop) for start, stop in zip(bounds, stops, strict=True) if stop > start]


def check_configuration(kind: str, algorithm: str | None, problem_type: str, settings: dict[str, Any]) -> str | None:
    """The family an algorithm of ``kind`` family trains (its settings checked by the estimator itself), or None
    for a search (``auto``: ``time_budget_s`` and nothing else in the settings)."""
    from core.entities.models import ALGORITHMS

    if algorithm is not None and algorithm not in ALGORITHMS:
        raise InvalidInput(
            f"Unknown algorithm; choose from {', '.join(ALGORITHMS)}.",
            [Problem("unknown algorithm", field="algorithm", value=str(algorithm)[:80])],
        )
    if kind == "auto":
        budget = settings.get("time_budget_s", 10)
        extra = sorted(set(settings) - {"time_budget_s"})
        if extra or isinstance(budget, bool) or not isinstance(budget, int | float) or not 1 <= budget <= MAX_BUDGET_S:
            raise InvalidInput(
                f"A search takes one setting, time_budget_s (1–{MAX_BUDGET_S} seconds).",
                [Problem("invalid", field=name) for name in extra or ["time_budget_s"]],
            )
        return algorithm
    if algorithm is None:
        raise InvalidInput("Choose the algorithm family to train.", [Problem("missing", field="algorithm")])
    from core.ml.learning import candidate

    candidate(algorithm, problem_type, settings)
    return algorithm
