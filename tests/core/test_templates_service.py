"""Templates: create, edit, delete (refused while used), JSON round-trip, inference from a file."""

from __future__ import annotations

import json
import math

import pytest

from core import Actor, ColumnSpec, Conflict, Engine, InvalidInput, NotFound, PermissionDenied

COLUMNS = [
    ColumnSpec("id", "integer"),
    ColumnSpec("amount", "float", default="0", required=False),
    ColumnSpec("shop", "category"),
    ColumnSpec("paid", "boolean", default="no", required=False),
    ColumnSpec("day", "date"),
]


def test_create_get_list_update_delete(engine: Engine, analyst: Actor) -> None:
    template = engine.templates.create(analyst, "  sales ", COLUMNS, description="daily sales")
    assert (template.name, template.owner, template.columns) == ("sales", "ana", tuple(COLUMNS))
    assert engine.templates.get(analyst, template.id) == template
    assert [t.name for t in engine.templates.list(analyst)] == ["sales"]

    changed = engine.templates.update(
        analyst, template.id, name="sales v2", columns=[*COLUMNS[:2]], description="fewer columns"
    )
    assert (changed.name, len(changed.columns), changed.description) == ("sales v2", 2, "fewer columns")
    engine.templates.delete(analyst, template.id)
    assert engine.templates.list(analyst) == []
    with pytest.raises(NotFound):
        engine.templates.get(analyst, template.id)


def test_json_round_trip_recreates_the_same_columns(engine: Engine, admin: Actor, outsider: Actor) -> None:
    template = engine.templates.create(admin, "sales", COLUMNS, description="d")
    exported = engine.templates.export_json(admin, template.id)
    assert json.loads(exported)["columns"][1] == {"name": "amount", "dtype": "float", "default": "0", "required": False}
    imported = engine.templates.import_json(outsider, exported)  # another tenant, same name is fine
    assert (imported.name, imported.columns, imported.description) == ("sales", template.columns, "d")
    with pytest.raises(Conflict, match="already exists"):
        engine.templates.import_json(admin, exported)
    renamed = engine.templates.import_json(admin, exported, name="sales copy")
    assert renamed.columns == template.columns


@pytest.mark.parametrize("data", [b"not json", b"[1, 2]", b'{"name": "x"}', b'{"name": "x", "columns": [{}]}'])
def test_import_refuses_files_that_are_not_templates(engine: Engine, admin: Actor, data: bytes) -> None:
    with pytest.raises(InvalidInput, match="not a template JSON"):
        engine.templates.import_json(admin, data)


def test_delete_is_refused_while_datasets_use_the_template_naming_them(engine: Engine, admin: Actor) -> None:
    template = engine.templates.create(admin, "pairs", [ColumnSpec("a", "integer"), ColumnSpec("b", "string")])
    for name in ("june", "july"):
        engine.datasets.upload(admin, name=name, filename="x.csv", data=b"a,b\n1,x\n", template_id=template.id)
    with pytest.raises(Conflict, match=r"used by 2 dataset\(s\): july, june"):
        engine.templates.delete(admin, template.id)
    assert engine.templates.get(admin, template.id).name == "pairs"


@pytest.mark.parametrize(
    ("columns", "problem"),
    [
        ([], "at least one column"),
        ([ColumnSpec("a"), ColumnSpec("A")], "duplicate column name"),
        ([ColumnSpec("  ")], "needs a name"),
        ([ColumnSpec("a", "money")], "type must be one of"),
    ],
)
def test_invalid_columns_are_refused_with_the_problem(
    engine: Engine, admin: Actor, columns: list[ColumnSpec], problem: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        engine.templates.create(admin, "bad", columns)
    assert any(problem in p.problem for p in caught.value.problems)


def test_default_of_the_wrong_type_is_refused_naming_the_column(engine: Engine, admin: Actor) -> None:
    with pytest.raises(InvalidInput, match="'qty' is not a valid integer"):
        engine.templates.create(admin, "bad", [ColumnSpec("qty", "integer", default="many")])


def test_blank_and_nan_defaults_mean_no_default(engine: Engine, admin: Actor) -> None:
    template = engine.templates.create(
        admin, "t", [ColumnSpec("a", "integer", default=math.nan), ColumnSpec("b", "string", default="  ")]
    )
    assert [c.default for c in template.columns] == [None, None]


def test_duplicate_name_is_a_conflict_on_create_and_update(engine: Engine, admin: Actor) -> None:
    engine.templates.create(admin, "one", [ColumnSpec("a")])
    two = engine.templates.create(admin, "two", [ColumnSpec("a")])
    with pytest.raises(Conflict):
        engine.templates.create(admin, "one", [ColumnSpec("a")])
    with pytest.raises(Conflict):
        engine.templates.update(admin, two.id, name="one", columns=[ColumnSpec("a")])


def test_infer_from_file_proposes_names_and_types_and_stores_nothing(engine: Engine, analyst: Actor) -> None:
    data = (
        b"id,amount,shop,paid,day,note\n1,2.5,north,yes,2024-01-01,x\n2,,north,no,2024-01-02,y\n"
        b"3,1,south,no,2024-01-03,z\n4,7,north,yes,2024-01-04,w\n"
    )
    columns = engine.templates.infer_from_file(analyst, "sales.csv", data)
    assert [(c.name, c.dtype, c.required) for c in columns] == [
        ("id", "integer", True),
        ("amount", "float", False),
        ("shop", "category", True),
        ("paid", "boolean", True),
        ("day", "date", True),
        ("note", "string", True),
    ]
    assert engine.templates.list(analyst) == []
    assert engine.files.list(analyst) == []


def test_other_tenant_and_viewer_cannot_change_templates(
    engine: Engine, admin: Actor, viewer: Actor, outsider: Actor
) -> None:
    template = engine.templates.create(admin, "t", [ColumnSpec("a")])
    with pytest.raises(NotFound):
        engine.templates.update(outsider, template.id, name="t", columns=[ColumnSpec("b")])
    with pytest.raises(PermissionDenied):
        engine.templates.infer_from_file(viewer, "a.csv", b"a\n1\n")
    assert engine.templates.list(outsider) == []
