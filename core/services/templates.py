"""Templates: the columns a dataset must have (name, type, default, required)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from core.datasets import infer_columns, read_table, validate
from core.entities import COLUMN_TYPES, Actor, ColumnSpec, Template
from core.errors import Conflict, InvalidInput, Problem
from core.services.base import Service, record, require
from core.storage.repositories import catalog as repo


def check_columns(columns: list[ColumnSpec]) -> list[ColumnSpec]:
    """Names present and unique, known types, defaults of their column's type."""
    problems: list[Problem] = []
    seen: set[str] = set()
    cleaned = []
    for index, column in enumerate(columns, start=1):
        name = str(column.name or "").strip()
        if not name:
            problems.append(Problem("a column needs a name", row=index, field="name"))
        elif name.lower() in seen:
            problems.append(Problem("duplicate column name", row=index, field="name", value=name))
        if column.dtype not in COLUMN_TYPES:
            problems.append(Problem(f"type must be one of {', '.join(COLUMN_TYPES)}", row=index, field="dtype",
                                    value=str(column.dtype)))
        seen.add(name.lower())
        default = None if column.default is None or str(column.default).strip() == "" else column.default
        cleaned.append(ColumnSpec(name=name, dtype=column.dtype, default=default, required=bool(column.required)))
    if not columns:
        problems.append(Problem("a template needs at least one column", field="columns"))
    if problems:
        raise InvalidInput("The template's columns are not valid.", problems)
    empty = pa.table({c.name: pa.array([], pa.string()) for c in cleaned})
    validate(empty, cleaned)  # raises InvalidInput naming a default that is not of its column's type
    return cleaned


def _clean_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput("A template name needs 1 to 100 characters.", [Problem("required", field="name")])
    return name


class TemplateService(Service):
    def list(self, actor: Actor) -> list[Template]:
        require(actor, "templates:read")
        with self.db.session() as session:
            return repo.list_templates(session, actor.tenant_id)

    def get(self, actor: Actor, template_id: str) -> Template:
        require(actor, "templates:read")
        with self.db.session() as session:
            return repo.get_template(session, actor.tenant_id, template_id)

    def create(self, actor: Actor, name: str, columns: list[ColumnSpec], description: str = "") -> Template:
        require(actor, "templates:write")
        name, columns = _clean_name(name), check_columns(columns)
        with self.db.session() as session:
            if repo.template_name_taken(session, actor.tenant_id, name):
                raise Conflict(f"A template named {name!r} already exists.")
            template = repo.add_template(
                session, tenant_id=actor.tenant_id, owner_id=actor.user_id, name=name,
                description=description.strip(), columns=columns,
            )
            record(session, actor, "template.created", "template", template.id, name=name)
        return template

    def update(
        self, actor: Actor, template_id: str, *, name: str, columns: list[ColumnSpec], description: str = ""
    ) -> Template:
        """Existing datasets keep the types they were validated with; new uploads use the new columns."""
        require(actor, "templates:write")
        name, columns = _clean_name(name), check_columns(columns)
        with self.db.session() as session:
            if repo.template_name_taken(session, actor.tenant_id, name, except_id=template_id):
                raise Conflict(f"A template named {name!r} already exists.")
            template = repo.update_template(
                session, actor.tenant_id, template_id, name=name, description=description.strip(), columns=columns
            )
            record(session, actor, "template.updated", "template", template_id, name=name)
        return template

    def delete(self, actor: Actor, template_id: str) -> None:
        require(actor, "templates:write")
        with self.db.session() as session:
            template = repo.get_template(session, actor.tenant_id, template_id)
            users = repo.datasets_using_template(session, actor.tenant_id, template_id)
            if users:
                raise Conflict(
                    f"The template {template.name!r} is used by {len(users)} dataset(s): {', '.join(sorted(users))}."
                )
            repo.delete_template(session, actor.tenant_id, template_id)
            record(session, actor, "template.deleted", "template", template_id, name=template.name)

    def export_json(self, actor: Actor, template_id: str) -> bytes:
        return json.dumps(self.get(actor, template_id).to_dict(), indent=2).encode()

    def import_json(self, actor: Actor, data: bytes) -> Template:
        """Create a template from a downloaded template JSON."""
        try:
            spec = json.loads(data)
            columns = [ColumnSpec.from_dict(c) for c in spec["columns"]]
            name = str(spec["name"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput("That file is not a template JSON (name and columns).", details=str(exc)) from None
        return self.create(actor, name, columns, description=str(spec.get("description", "")))

    def infer_from_file(
        self, actor: Actor, filename: str, data: bytes | Path, sheet: str | None = None
    ) -> list[ColumnSpec]:
        """Columns and types proposed from a file's header and first rows (nothing is stored)."""
        require(actor, "templates:write")
        if (data.stat().st_size if isinstance(data, Path) else len(data)) > self.engine.settings.max_upload_bytes:
            raise InvalidInput(f"The file is larger than the limit of {self.engine.settings.max_upload_mb} MB.")
        return infer_columns(read_table(data, filename, sheet=sheet))
