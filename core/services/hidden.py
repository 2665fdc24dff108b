"""Test data of a problem is hidden (issue 19): its rows, files, statistics and validation details are refused
to anyone who may not manage problems, on every read path (the dataset, file, batch and problem services call
this where they read). Only scores computed from it leave the engine."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from core.entities import Actor
from core.errors import PermissionDenied
from core.storage.repositories import problems as problems_repo

MANAGE = "problems:manage"


def is_hidden(session: Session, actor: Actor, dataset_ids: Iterable[str]) -> bool:
    """Whether any of the datasets is test data the actor may not read."""
    ids = [d for d in dataset_ids if d]
    return bool(ids) and not actor.can(MANAGE) and bool(problems_repo.hidden_datasets(session, actor.tenant_id, ids))


def refuse_hidden(session: Session, actor: Actor, dataset_ids: Iterable[str]) -> None:
    if is_hidden(session, actor, dataset_ids):
        raise PermissionDenied(
            "This dataset is test data of a problem: its rows are hidden; only roles that manage problems read them."
        )


def refuse_hidden_file(session: Session, actor: Actor, file_id: str) -> None:
    """A file of a hidden dataset (any version, an original upload) or a task's test predictions."""
    if actor.can(MANAGE):
        return
    refuse_hidden(session, actor, problems_repo.datasets_of_file(session, actor.tenant_id, file_id))
    if problems_repo.is_predictions_file(session, actor.tenant_id, file_id):
        raise PermissionDenied("These are predictions on a problem's hidden test data; only its scores are shown.")
