"""Templates: the columns a dataset must have (name, type, default, required)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import pyarrow as pa

from core.datasets import infer_columns, read_table, validate
from core.entities import COLUMN_TYPES, Actor, ColumnSpec, Template
from core.errors import Conflict, InvalidInput, Problem
from core.services.base import Service, record, require, unique_name
from core.services.datasets import Source, within_limit
from core.services.files import clean_name
from core.storage.repositories import catalog as repo

Columns = list[ColumnSpec]  # an alias: inside the service class, `list` is the method
EXPORT_SHAPES = ("studio", "seed")


def check_columns(columns: Sequence[ColumnSpec]) -> Columns:
    """Names present and unique, known types, defaults of their column's type, date formats that parse."""
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
            problems.append(
                Problem(
                    f"type must be one of {', '.join(COLUMN_TYPES)}", row=index, field="dtype", value=str(column.dtype)
                )
            )
        seen.add(name.lower())
        default = None if _blank(column.default) else column.default
        date_format = None if _blank(column.date_format) else str(column.date_format).strip()
        cleaned.append(
            ColumnSpec(
                name=name, dtype=column.dtype, default=default, required=bool(column.required), date_format=date_format
            )
        )
    if not columns:
        problems.append(Problem("a template needs at least one column", field="columns"))
    if problems:
        raise InvalidInput("The template's columns are not valid.", problems)
    empty = pa.table({c.name: pa.array([], pa.string()) for c in cleaned})
    validate(empty, cleaned)  # raises InvalidInput naming a default that is not of its column's type
    return cleaned


def _blank(value: object) -> bool:
    """None, NaN (an empty cell of a table editor) or only spaces: no default."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


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

    def create(self, actor: Actor, name: str, columns: Sequence[ColumnSpec], description: str = "") -> Template:
        require(actor, "templates:write")
        name, columns = _clean_name(name), check_columns(columns)
        with unique_name("template", name), self.db.session() as session:
            if repo.template_name_taken(session, actor.tenant_id, name):
                raise Conflict(f"A template named {name!r} already exists.")
            template = repo.add_template(
                session,
                tenant_id=actor.tenant_id,
                owner_id=actor.user_id,
                name=name,
                description=description.strip(),
                columns=columns,
            )
            record(session, actor, "template.created", "template", template.id, name=name)
        return template

    def update(
        self,
        actor: Actor,
        template_id: str,
        *,
        name: str | None = None,
        columns: Sequence[ColumnSpec] | None = None,
        description: str | None = None,
    ) -> Template:
        """Change what is given (None keeps the value). Existing datasets keep the types they were validated
        with; new uploads use the new columns."""
        require(actor, "templates:write")
        with self.db.session() as session:
            current = repo.get_template(session, actor.tenant_id, template_id)
        name = _clean_name(current.name if name is None else name)
        checked = check_columns(current.columns if columns is None else columns)
        description = (current.description if description is None else description).strip()
        with unique_name("template", name), self.db.session() as session:
            if repo.template_name_taken(session, actor.tenant_id, name, except_id=template_id):
                raise Conflict(f"A template named {name!r} already exists.")
            template = repo.update_template(
                session, actor.tenant_id, template_id, name=name, description=description, columns=checked
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

    def export_json(self, actor: Actor, template_id: str, shape: str = "studio") -> bytes:
        """The template as JSON: ours (``studio``) or the Data ML platform's (``seed``); both import."""
        if shape not in EXPORT_SHAPES:
            raise InvalidInput(f"shape must be one of {', '.join(EXPORT_SHAPES)}.")
        template = self.get(actor, template_id)
        return json.dumps(template.to_dict() if shape == "studio" else template.to_seed_dict(), indent=2).encode()

    def import_json(self, actor: Actor, data: bytes, name: str | None = None) -> Template:
        """Create a template from a template JSON, ours or the seed's (``name`` overrides the one in the file)."""
        try:
            spec = json.loads(data)
            columns = [ColumnSpec.from_dict(c) for c in spec.get("columns", spec.get("template_schema"))]
            name = name or str(spec.get("name", spec.get("template_name")) or "")
            description = str(spec.get("description") or "")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InvalidInput("That file is not a template JSON (name and columns).", details=str(exc)) from None
        return self.create(actor, name, columns, description=description)

    def infer_from_file(self, actor: Actor, filename: str, data: Source, sheet: str | None = None) -> Columns:
        """Columns and types proposed from a file's header and first rows (nothing is stored)."""
        require(actor, "templates:write")
        return infer_columns(read_table(within_limit(data, self.settings), clean_name(filename), sheet=sheet))
