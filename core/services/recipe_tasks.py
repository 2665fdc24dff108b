"""Job task ``prepare_dataset``: a recipe run on every row of its dataset, stored as a new dataset or the dataset's
next version (validated against the source's template) with its lineage; if storing the lineage of a new dataset
fails, the dataset goes too."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from core.entities import Lineage
from core.prep import Recipe, run
from core.prep.replay import replay_of
from core.storage.orm import utcnow
from core.storage.repositories import recipes as repo

if TYPE_CHECKING:
    from core.services.tasking import TaskContext


def prepare_dataset(ctx: TaskContext, params: dict[str, Any]) -> dict[str, Any]:
    actor, services = ctx.actor, ctx.services
    recipe = Recipe.from_dict(params["steps"])
    source = services.datasets.get(actor, params["dataset_id"])
    ctx.progress(0.02, f"reading {source.rows:,} rows of {source.name}")
    table = services.datasets.table(actor, source.id)
    others = services.recipes._others(actor, recipe)

    def progress(fraction: float, message: str) -> None:
        ctx.check()
        ctx.progress(0.05 + 0.75 * fraction, message)

    prepared = run(recipe, table, others, progress=progress)
    ctx.check()
    ctx.progress(0.82, f"storing and validating {prepared.table.num_rows:,} rows")
    buffer = io.BytesIO()
    pq.write_table(_with_categories(prepared.table, prepared.categories), buffer)
    info = services.recipes.get(actor, params["recipe_id"])
    files = [(f"{params['output_name']}.parquet", buffer.getvalue())]
    if params.get("in_place"):
        change = f"prepared by the recipe {info.name!r}"
        dataset = services.dataset_files.replace(actor, source.id, files=files, change=change).dataset
    else:
        dataset = services.dataset_files.upload(
            actor, name=params["output_name"], files=files, template_id=source.template_id, on_problems="keep"
        ).dataset
    lineage = Lineage(
        dataset_id=dataset.id,
        version=dataset.version,
        recipe_id=info.id,
        recipe_name=info.name,
        source_id=source.id,
        source_name=source.name,
        source_version=source.version,
        steps=recipe.to_dict(),
        reports=tuple(r.to_dict() for r in prepared.reports),
        replay=replay_of(info.id, info.name, recipe, prepared.reports, table.schema, prepared.table.schema).to_dict(),
        created_by=actor.username,
        created_at=utcnow(),
    )
    try:
        with ctx.workspace.db.session() as session:
            repo.add_lineage(session, lineage, tenant_id=actor.tenant_id, user_id=actor.user_id)
    except BaseException:
        if not params.get("in_place"):  # a new version stays without lineage: it is what the recipe made
            services.datasets.delete(actor, dataset.id)
        raise
    ctx.progress(1.0, "done")
    return {"dataset_id": dataset.id, "rows": dataset.rows, "status": dataset.status}


def _with_categories(table: pa.Table, categories: tuple[str, ...]) -> pa.Table:
    """Columns a step cast to category stored as categories (dictionary-encoded), so the dataset says so."""
    for name in categories:
        index = table.column_names.index(name)
        table = table.set_column(index, name, table.column(name).dictionary_encode())
    return table
