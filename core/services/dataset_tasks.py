"""Job task ``dataset_statistics``: the per-column profile of a dataset, cached with it (API and Statistics page)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.services.tasking import TaskContext


def generate_statistics(ctx: TaskContext, params: dict[str, Any]) -> dict[str, Any]:
    """Recompute and cache the profile; ``eng.datasets.stored_statistics`` reads it afterwards."""
    dataset = ctx.services.datasets.get(ctx.actor, params["dataset_id"])
    ctx.progress(0.05, f"profiling {dataset.rows:,} rows × {len(dataset.column_types):,} columns")
    ctx.check()
    ctx.services.datasets.statistics(ctx.actor, dataset.id, refresh=True)
    ctx.progress(1.0, "done")
    return {"dataset_id": dataset.id}
