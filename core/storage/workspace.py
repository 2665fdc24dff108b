"""``Workspace``: what services and job runners are built with — settings, the database and the file store."""

from __future__ import annotations

from dataclasses import dataclass

from core.config import Settings
from core.storage.db import Database
from core.storage.files import FileStore


@dataclass(frozen=True)
class Workspace:
    settings: Settings
    db: Database
    store: FileStore
