"""Recipes of a tenant and the lineage of the dataset versions they made."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from core.entities import Lineage, RecipeInfo
from core.errors import NotFound
from core.storage.orm import DatasetLineageRow, DatasetRow, RecipeRow, UserRow, name_key


def _query():  # type: ignore[no-untyped-def]
    return (
        select(RecipeRow, DatasetRow.name, UserRow.username)
        .outerjoin(DatasetRow, DatasetRow.id == RecipeRow.dataset_id)
        .join(UserRow, UserRow.id == RecipeRow.owner_id)
    )


def _recipe(row: RecipeRow, dataset_name: str | None, owner: str) -> RecipeInfo:
    return RecipeInfo(
        id=row.id,
        name=row.name,
        description=row.description,
        dataset_id=row.dataset_id,
        dataset_name=dataset_name,
        steps=row.steps,
        owner=owner,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def add_recipe(
    session: Session, *, tenant_id: str, owner_id: str, name: str, description: str, dataset_id: str, steps: dict
) -> RecipeInfo:
    row = RecipeRow(
        tenant_id=tenant_id, owner_id=owner_id, name=name, description=description, dataset_id=dataset_id, steps=steps
    )
    session.add(row)
    session.flush()
    return get_recipe(session, tenant_id, row.id)


def _row(session: Session, tenant_id: str, recipe_id: str) -> RecipeRow:
    row = session.get(RecipeRow, recipe_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("That recipe does not exist.")
    return row


def get_recipe(session: Session, tenant_id: str, recipe_id: str) -> RecipeInfo:
    found = session.execute(_query().where(RecipeRow.id == recipe_id, RecipeRow.tenant_id == tenant_id)).first()
    if found is None:
        raise NotFound("That recipe does not exist.")
    return _recipe(*found)


def list_recipes(session: Session, tenant_id: str, dataset_id: str | None = None) -> list[RecipeInfo]:
    query = _query().where(RecipeRow.tenant_id == tenant_id).order_by(RecipeRow.updated_at.desc())
    if dataset_id:
        query = query.where(RecipeRow.dataset_id == dataset_id)
    return [_recipe(*found) for found in session.execute(query)]


def update_recipe(session: Session, tenant_id: str, recipe_id: str, **values: Any) -> RecipeInfo:
    row = _row(session, tenant_id, recipe_id)
    for key, value in values.items():
        setattr(row, key, value)
    session.flush()
    return get_recipe(session, tenant_id, recipe_id)


def delete_recipe(session: Session, tenant_id: str, recipe_id: str) -> None:
    session.delete(_row(session, tenant_id, recipe_id))
    session.flush()


def recipe_name_taken(session: Session, tenant_id: str, name: str, except_id: str | None = None) -> bool:
    query = select(RecipeRow.id).where(RecipeRow.tenant_id == tenant_id, RecipeRow.name_key == name_key(name))
    found = session.scalar(query)
    return found is not None and found != except_id


def add_lineage(session: Session, lineage: Lineage, *, tenant_id: str, user_id: str) -> None:
    session.add(
        DatasetLineageRow(
            dataset_id=lineage.dataset_id,
            version=lineage.version,
            tenant_id=tenant_id,
            recipe_id=lineage.recipe_id,
            recipe_name=lineage.recipe_name,
            source_id=lineage.source_id,
            source_name=lineage.source_name,
            source_version=lineage.source_version,
            steps=lineage.steps,
            reports=list(lineage.reports),
            replay=lineage.replay,
            created_by=user_id,
            created_at=lineage.created_at,
        )
    )
    session.flush()


def lineage(session: Session, tenant_id: str, dataset_id: str, version: int) -> Lineage | None:
    """How version ``version`` of the dataset was made, or None when it was uploaded, not prepared."""
    creator = aliased(UserRow)
    found = session.execute(
        select(DatasetLineageRow, creator.username)
        .outerjoin(creator, creator.id == DatasetLineageRow.created_by)
        .where(
            DatasetLineageRow.tenant_id == tenant_id,
            DatasetLineageRow.dataset_id == dataset_id,
            DatasetLineageRow.version == version,
        )
    ).first()
    if found is None:
        return None
    row, username = found
    return Lineage(
        dataset_id=row.dataset_id,
        version=row.version,
        recipe_id=row.recipe_id,
        recipe_name=row.recipe_name,
        source_id=row.source_id,
        source_name=row.source_name,
        source_version=row.source_version,
        steps=row.steps,
        reports=tuple(row.reports),
        replay=row.replay,
        created_by=username or "unknown",
        created_at=row.created_at,
    )
