"""Recipes: save, preview (on a sample, step by step), run in full as a job into a new dataset with lineage,
propose one that fixes a dataset's problems, export / import as JSON, and replay on raw rows for a model."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy.orm import Session

from core.datasets.report import ValidationReport
from core.entities import Actor, Job, Lineage, Model, RecipeInfo
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from core.prep import Recipe
from core.prep.preview import StepPreview, step_preview
from core.prep.replay import Replay, Unreadable, types_of
from core.prep.suggest import suggest
from core.services.base import Service, record, require, unique_name
from core.storage.repositories import catalog as catalog_repo
from core.storage.repositories import dataset_files as part_repo
from core.storage.repositories import files as file_repo
from core.storage.repositories import recipes as repo
from core.storage.workspace import Workspace

if TYPE_CHECKING:
    from core.services.datasets import DatasetService
    from core.services.jobs import JobService

PREVIEW_ROWS = 5_000  # rows of the source a preview runs on: a step's effect shows within a second or two
MAX_PREVIEW_ROWS = 100_000
Steps = Recipe | Mapping[str, Any]
Recipes = list[RecipeInfo]  # inside the class, `list` is the method


def as_recipe(steps: Steps) -> Recipe:
    return steps if isinstance(steps, Recipe) else Recipe.from_dict(steps)


class RecipeService(Service):
    def __init__(self, workspace: Workspace, *, datasets: DatasetService, jobs: JobService) -> None:
        super().__init__(workspace)
        self.datasets, self.jobs = datasets, jobs

    # --- editing ----------------------------------------------------------------------------------------
    def preview(
        self,
        actor: Actor,
        dataset_id: str,
        steps: Steps,
        *,
        step: int | None = None,
        sample_rows: int = PREVIEW_ROWS,
    ) -> StepPreview:
        """The steps up to ``step`` (all when None) on the first ``sample_rows`` rows of the dataset: the rows
        after it, a summary per column, the rows it removed or changed. A step that cannot apply raises
        InvalidInput naming its number and the column or expression at fault."""
        require(actor, "datasets:read")
        recipe = as_recipe(steps)
        if step is not None and not 0 <= step <= len(recipe.steps):
            raise InvalidInput(f"There is no step {step}.", [Problem("out of range", field="step", value=str(step))])
        if not 1 <= sample_rows <= MAX_PREVIEW_ROWS:
            raise InvalidInput(f"A preview reads 1 to {MAX_PREVIEW_ROWS:,} rows.", [Problem("out of range", "rows")])
        source = self.datasets.table(actor, dataset_id)
        return step_preview(recipe, source, self._others(actor, recipe), step, sample_rows)

    def create(self, actor: Actor, name: str, dataset_id: str, steps: Steps, description: str = "") -> RecipeInfo:
        """Save a recipe for a dataset; its steps are checked on a sample of the dataset first."""
        require(actor, "datasets:write")
        recipe, name = as_recipe(steps), _name(name)
        self.preview(actor, dataset_id, recipe, sample_rows=100)
        with unique_name("recipe", name), self.db.session() as session:
            if repo.recipe_name_taken(session, actor.tenant_id, name):
                raise Conflict(f"A recipe named {name!r} already exists; choose another name.")
            catalog_repo.get_dataset(session, actor.tenant_id, dataset_id)
            info = repo.add_recipe(
                session,
                tenant_id=actor.tenant_id,
                owner_id=actor.user_id,
                name=name,
                description=description,
                dataset_id=dataset_id,
                steps=recipe.to_dict(),
            )
            record(session, actor, "recipe.created", "recipe", info.id, name=name, steps=len(recipe.steps))
        return info

    def update(
        self,
        actor: Actor,
        recipe_id: str,
        *,
        name: str | None = None,
        steps: Steps | None = None,
        description: str | None = None,
    ) -> RecipeInfo:
        """Rename, describe or replace the steps (checked on a sample of the recipe's dataset)."""
        require(actor, "datasets:write")
        current = self.get(actor, recipe_id)
        values: dict[str, Any] = {}
        if name is not None:
            values["name"] = _name(name)
        if description is not None:
            values["description"] = description
        if steps is not None:
            recipe = as_recipe(steps)
            if current.dataset_id:
                self.preview(actor, current.dataset_id, recipe, sample_rows=100)
            values["steps"] = recipe.to_dict()
        with unique_name("recipe", values.get("name", current.name)), self.db.session() as session:
            if "name" in values and repo.recipe_name_taken(session, actor.tenant_id, values["name"], recipe_id):
                raise Conflict(f"A recipe named {values['name']!r} already exists; choose another name.")
            info = repo.update_recipe(session, actor.tenant_id, recipe_id, **values)
            record(session, actor, "recipe.updated", "recipe", recipe_id, fields=sorted(values))
        return info

    def get(self, actor: Actor, recipe_id: str) -> RecipeInfo:
        require(actor, "datasets:read")
        with self.db.session() as session:
            return repo.get_recipe(session, actor.tenant_id, recipe_id)

    def list(self, actor: Actor, dataset_id: str | None = None) -> Recipes:
        """The tenant's recipes, newest change first (those written for ``dataset_id`` when given)."""
        require(actor, "datasets:read")
        with self.db.session() as session:
            if dataset_id:
                catalog_repo.get_dataset(session, actor.tenant_id, dataset_id)
            return repo.list_recipes(session, actor.tenant_id, dataset_id)

    def delete(self, actor: Actor, recipe_id: str) -> None:
        """Delete a recipe; the datasets it made keep their lineage (with the steps as they ran)."""
        require(actor, "datasets:write")
        with self.db.session() as session:
            info = repo.get_recipe(session, actor.tenant_id, recipe_id)
            repo.delete_recipe(session, actor.tenant_id, recipe_id)
            record(session, actor, "recipe.deleted", "recipe", recipe_id, name=info.name)

    def export_json(self, actor: Actor, recipe_id: str) -> bytes:
        """The recipe as a JSON file (name, description, steps) that ``import_json`` reads back."""
        info = self.get(actor, recipe_id)
        body = {"name": info.name, "description": info.description, **info.steps}
        return json.dumps(body, indent=2, default=str).encode()

    def import_json(self, actor: Actor, data: bytes, dataset_id: str, name: str | None = None) -> RecipeInfo:
        """A recipe from an exported JSON file, for ``dataset_id`` (checked on it like a new one)."""
        require(actor, "datasets:write")
        try:
            body = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise InvalidInput("The file is not a JSON recipe (as exported from the Prepare page).") from None
        if not isinstance(body, dict):
            raise InvalidInput('A recipe file holds an object with "name" and "steps".')
        chosen = name or str(body.get("name") or "")
        return self.create(actor, chosen, dataset_id, body, description=str(body.get("description") or ""))

    # --- fixing and running -----------------------------------------------------------------------------
    def suggest(self, actor: Actor, dataset_id: str) -> Recipe:
        """The recipe "Fix" proposes from the dataset's validation report and its text columns (see
        ``core.prep.suggest``); empty when nothing needs fixing."""
        require(actor, "datasets:read")
        with self.db.session() as session:
            dataset = catalog_repo.get_dataset(session, actor.tenant_id, dataset_id)
            template = (
                catalog_repo.get_template(session, actor.tenant_id, dataset.template_id)
                if dataset.template_id
                else None
            )
        report: ValidationReport = dataset.validation
        return suggest(self.datasets.table(actor, dataset_id), report, template.columns if template else None)

    def run(self, actor: Actor, recipe_id: str, output_name: str | None = None, in_place: bool = False) -> Job:
        """Run the recipe on all rows of its dataset as a job (progress, cancel) making a new dataset — or, with
        ``in_place``, the dataset's next version (earlier versions stay) — validated against the source's
        template, with lineage to the source version and the recipe; result ``{"dataset_id", "rows", "status"}``."""
        require(actor, "datasets:write")
        info = self.get(actor, recipe_id)
        if info.dataset_id is None:
            raise Conflict(f"The dataset the recipe {info.name!r} was written for was deleted; import it for another.")
        output = (info.dataset_name or "") if in_place else _name(output_name or f"{info.dataset_name} prepared")
        with self.db.session() as session:
            if not in_place and catalog_repo.dataset_name_taken(session, actor.tenant_id, output):
                raise Conflict(f"A dataset named {output!r} already exists; choose another name.")
            source = catalog_repo.get_dataset(session, actor.tenant_id, info.dataset_id)
            params = {
                "recipe_id": info.id,
                "dataset_id": source.id,
                "source_version": source.version,
                "steps": info.steps,
                "output_name": output,
                "in_place": in_place,
            }
            what = f"a new version of {output}" if in_place else output
            job = self.jobs._queue(session, actor, "prepare_dataset", f"Prepare {what} with {info.name}", params)
        return self.jobs._start(job, actor)

    def lineage(self, actor: Actor, dataset_id: str, version: int | None = None) -> Lineage | None:
        """How the dataset's version (its current one when None) was made; None when it was uploaded."""
        require(actor, "datasets:read")
        with self.db.session() as session:
            dataset = catalog_repo.get_dataset(session, actor.tenant_id, dataset_id)
            return repo.lineage(session, actor.tenant_id, dataset_id, version or dataset.version)

    # --- replay (used by training and inference) ------------------------------------------------------------
    def _replay_for_training(self, session: Session, actor: Actor, dataset_id: str) -> dict[str, Any] | None:
        """What a model trained on the dataset's current version will replay on raw rows (None: uploaded data)."""
        dataset = catalog_repo.get_dataset(session, actor.tenant_id, dataset_id)
        found = repo.lineage(session, actor.tenant_id, dataset_id, dataset.version)
        return found.replay if found else None

    def _raw_inputs(self, session: Session, actor: Actor, model: Model) -> tuple[Replay, Path | None]:
        """The model's replay and the Parquet file of the data its recipe ran on (None when that dataset is gone
        or not readable): what a raw prediction form asks for and where its defaults come from."""
        if not model.details.recipe:
            raise InvalidInput(f"{model.label} was trained on uploaded data: its form takes the columns as they are.")
        replay = Replay.from_dict(model.details.recipe)
        if replay.refused:
            raise InvalidInput(f"{model.label} cannot score raw values: {replay.refused}.")
        dataset = catalog_repo.get_dataset(session, actor.tenant_id, model.dataset_id)
        found = repo.lineage(session, actor.tenant_id, dataset.id, dataset.version)
        if found is None or found.source_id is None:
            return replay, None
        try:  # the source's version the recipe ran on (an in-place run's source is the dataset's previous version)
            self.datasets._readable(session, actor, found.source_id)
        except (NotFound, PermissionDenied):
            return replay, None
        versions = part_repo.list_versions(session, actor.tenant_id, found.source_id)
        file_id = next((v.file_id for v in versions if v.version == found.source_version), None)
        return replay, None if file_id is None else self.store.path(
            file_repo.storage_key(session, actor.tenant_id, file_id)
        )

    def _needs_recipe(self, model: Model, columns: Mapping[str, str]) -> bool:
        """Whether rows with ``columns`` (name → product type) are raw for the model: it was trained on prepared
        data, and they lack a feature or hold one in another type (see ``core.prep.replay``)."""
        if not model.details.recipe or model.schema is None:
            return False
        return Replay.from_dict(model.details.recipe).needed(columns, model.schema.feature_names)

    def _frame_to_prepared(
        self, actor: Actor, model: Model, frame: pd.DataFrame, what: str, raw: bool = False
    ) -> tuple[pd.DataFrame, tuple[Unreadable, ...]]:
        """Rows sent as values (a form's case, a deployment's call) in the model's prepared shape
        (``_raw_to_prepared``, with the values its casts could not read per column; ``raw``: they are raw, replay
        whatever their shape); untouched for a model trained on uploaded data. Only the columns the recipe reads or
        the model takes are kept (others are ignored anyway), and each must hold plain values."""
        table = self._plain_table(model, frame, what)
        if table is None:
            return frame, ()
        prepared, unreadable = self._raw_to_prepared(actor, model, table, what, raw)
        return prepared.to_pandas(), unreadable

    def _plain_table(self, model: Model, frame: pd.DataFrame, what: str) -> pa.Table | None:
        """The columns of ``frame`` the model's recipe reads or the model takes, as a table (None: a model trained
        on uploaded data); refused when a value is not plain or cannot be read."""
        if not model.details.recipe or model.schema is None:
            return None
        used = set(Replay.from_dict(model.details.recipe).source_columns) | set(model.schema.feature_names)
        frame = frame[[c for c in frame.columns if c in used]]
        plain = (str, int, float, bool, date, datetime, np.generic, type(None))
        bad = [
            Problem("not a plain value", field=str(c))
            for c in frame.columns
            if not frame[c].map(lambda v: isinstance(v, plain)).all()
        ]
        if bad:
            raise InvalidInput(f"{what} holds values that are not plain (lists, objects).", bad)
        try:
            return pa.Table.from_pandas(frame, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError) as error:
            raise InvalidInput(f"{what} holds values that cannot be read: {error}.") from None

    def _raw_to_prepared(
        self, actor: Actor, model: Model, table: pa.Table, what: str, raw: bool = False
    ) -> tuple[pa.Table, tuple[Unreadable, ...]]:
        """``table`` in the model's prepared shape: the model's recipe replayed when the rows are raw (``raw``, or
        they lack a feature or hold one in another type), as they are otherwise (the same object). With it, per
        column, the values the recipe's casts could not read, which are scored as missing (``Replay.unreadable``:
        counted by the run, nothing runs again, so it suits one case as well as a file of any size)."""
        if not raw and not self._needs_recipe(model, types_of(table.schema)):
            return table, ()
        replay = Replay.from_dict(model.details.recipe or {})
        prepared = replay.prepare(table, self._others(actor, replay.steps), what)
        return prepared.table, replay.unreadable(prepared)

    def _others(self, actor: Actor, recipe: Recipe) -> dict[str, pa.Table]:
        """The tables of the datasets the recipe appends or joins (the tenant's own, else NotFound)."""
        return {dataset_id: self.datasets.table(actor, dataset_id) for dataset_id in recipe.datasets}


def _name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput("A name needs 1 to 100 characters.", [Problem("required", field="name")])
    return name
