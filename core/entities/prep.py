"""Recipes (data preparation) and the lineage of the datasets they make."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class RecipeInfo:
    """A saved recipe: its steps (the JSON form of ``core.prep.Recipe``) and the dataset it was written for."""

    id: str
    name: str
    description: str
    dataset_id: str | None  # None once that dataset is deleted
    dataset_name: str | None
    steps: dict[str, Any]
    owner: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Lineage:
    """How a dataset's version was made: from which dataset's version, by which recipe (its steps as they ran),
    and what each step did (``reports``: rows in / out, failed casts, unmatched keys, learned values)."""

    dataset_id: str
    version: int
    recipe_id: str | None  # None once the recipe is deleted (its steps stay here)
    recipe_name: str
    source_id: str | None  # None once the source dataset is deleted
    source_name: str
    source_version: int
    steps: dict[str, Any]
    reports: tuple[dict[str, Any], ...]
    replay: dict[str, Any]  # the form a model replays on raw rows (``core.prep.Replay.to_dict``)
    created_by: str
    created_at: datetime
