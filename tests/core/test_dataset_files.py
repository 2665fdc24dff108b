"""Datasets made of files: several files into one dataset, files added and removed as new versions, usage,
statistics as a job; nothing half-written when a file is refused."""

from __future__ import annotations

import pytest

from core import Actor, ColumnSpec, Conflict, Engine, InvalidInput, JobStatus, NotFound, PermissionDenied
from tests.core.test_datasets_service import footprint

JAN = b"id,amount\n1,9.5\n2,3.0\n"
FEB = b"id,amount\n3,1.5\n4,abc\n5,2.0\n"
MAR = b"amount;id;note\n7.5;6;late\n"


def _ids(engine: Engine, actor: Actor, dataset_id: str) -> list[int]:
    return engine.datasets.frame(actor, dataset_id)["id"].tolist()


def test_several_files_make_one_dataset_with_a_report_per_file(engine: Engine, analyst: Actor) -> None:
    upload = engine.dataset_files.upload(
        analyst, name="sales", files=[("jan.csv", JAN), ("feb.csv", FEB)], usage="prediction"
    )
    dataset = upload.dataset
    assert (dataset.rows, dataset.version, dataset.usage, dataset.status) == (5, 1, "prediction", "has problems")
    assert [(f.name, f.rows, f.status, f.report.rows) for f in upload.files] == [
        ("jan.csv", 2, "validated", 2),
        ("feb.csv", 3, "has problems", 3),
    ]
    [problem] = dataset.validation.problems
    assert (problem.row, problem.column, problem.value) == (4, "amount", "abc")  # rows count across the files
    assert _ids(engine, analyst, dataset.id) == [1, 2, 3, 4, 5]
    assert [f.file_id for f in engine.dataset_files.list(analyst, dataset.id)] == [f.file_id for f in upload.files]
    assert engine.files.download(analyst, upload.files[1].file_id) == FEB  # the original, by id
    assert [d.id for d in engine.datasets.list(analyst, usage="prediction")] == [dataset.id]
    assert engine.datasets.list(analyst, usage="training") == []


def test_keep_valid_keeps_each_files_usable_rows_and_reject_stores_nothing(engine: Engine, analyst: Actor) -> None:
    kept = engine.dataset_files.upload(
        analyst, name="valid", files=[("a.csv", JAN), ("b.csv", FEB)], on_problems="keep_valid"
    )
    assert (kept.dataset.status, _ids(engine, analyst, kept.dataset.id)) == ("validated", [1, 2, 3, 5])
    before = footprint(engine)
    with pytest.raises(InvalidInput, match=r"'b\.csv' has 1 problem"):
        engine.dataset_files.upload(
            analyst, name="strict", files=[("a.csv", JAN), ("b.csv", FEB)], on_problems="reject"
        )
    assert footprint(engine) == before


def test_adding_files_makes_a_new_version_in_the_datasets_columns(engine: Engine, analyst: Actor) -> None:
    first = engine.dataset_files.upload(analyst, name="sales", files=[("jan.csv", JAN)]).dataset
    engine.datasets.statistics(analyst, first.id)
    added = engine.dataset_files.add(analyst, first.id, files=[("mar.csv", MAR)])
    dataset = added.dataset
    assert (dataset.version, dataset.rows, dataset.columns) == (2, 3, ["id", "amount"])
    assert _ids(engine, analyst, dataset.id) == [1, 2, 6]
    [part] = added.files
    assert part.version == 2 and part.report.problem_counts == {"unknown column": 1}  # 'note' is reported, left out
    assert engine.datasets.stored_statistics(analyst, dataset.id) is None  # the cache was of version 1
    versions = engine.dataset_files.versions(analyst, dataset.id)
    assert [(v.version, v.rows, v.change) for v in versions] == [(1, 2, "uploaded 1 file(s)"), (2, 3, "added mar.csv")]
    assert versions[0].file_id != dataset.file_id  # version 1 is kept as it was


def test_a_templates_files_are_checked_against_it(engine: Engine, analyst: Actor) -> None:
    columns = [ColumnSpec("id", "integer"), ColumnSpec("amount", "float"), ColumnSpec("shop", "category", "main")]
    template = engine.templates.create(analyst, "sales", columns)
    upload = engine.dataset_files.upload(analyst, name="s", files=[("jan.csv", JAN)], template_id=template.id)
    added = engine.dataset_files.add(analyst, upload.dataset.id, files=[("b.csv", b"id,amount,shop\n9,1,north\n")])
    assert engine.datasets.frame(analyst, upload.dataset.id)["shop"].tolist() == ["main", "main", "north"]
    files = engine.dataset_files.list(analyst, added.dataset.id)
    assert [f.status for f in files] == ["has problems", "validated"]  # jan.csv lacks 'shop': its default filled in


def test_removing_a_file_makes_a_version_without_its_rows(engine: Engine, analyst: Actor) -> None:
    upload = engine.dataset_files.upload(analyst, name="sales", files=[("jan.csv", JAN), ("feb.csv", FEB)])
    engine.dataset_files.add(analyst, upload.dataset.id, files=[("mar.csv", b"amount;id\n7.5;6\n")])
    feb = upload.files[1]
    dataset = engine.dataset_files.delete_file(analyst, feb.file_id)
    assert dataset is not None and (dataset.version, dataset.status) == (3, "validated")
    assert _ids(engine, analyst, dataset.id) == [1, 2, 6]
    assert [f.name for f in engine.dataset_files.list(analyst, dataset.id)] == ["jan.csv", "mar.csv"]
    with pytest.raises(NotFound):
        engine.files.get(analyst, feb.file_id)
    with pytest.raises(Conflict, match="holds the dataset 'sales' \\(version 1\\)"):
        engine.files.delete(analyst, engine.dataset_files.versions(analyst, dataset.id)[0].file_id)
    with pytest.raises(Conflict, match="is a file of a dataset"):
        engine.files.delete(analyst, upload.files[0].file_id)


def test_the_only_file_cannot_be_removed_and_deleting_the_dataset_removes_every_version(
    engine: Engine, analyst: Actor
) -> None:
    before = footprint(engine)
    upload = engine.dataset_files.upload(analyst, name="sales", files=[("jan.csv", JAN)])
    with pytest.raises(Conflict, match="only file"):
        engine.dataset_files.delete_file(analyst, upload.files[0].file_id)
    engine.dataset_files.add(analyst, upload.dataset.id, files=[("feb.csv", FEB)])
    engine.datasets.delete(analyst, upload.dataset.id)
    assert footprint(engine) == before


def test_other_tenants_and_viewers(engine: Engine, analyst: Actor, viewer: Actor, outsider: Actor) -> None:
    upload = engine.dataset_files.upload(analyst, name="sales", files=[("jan.csv", JAN), ("feb.csv", FEB)])
    dataset_id, file_id = upload.dataset.id, upload.files[0].file_id
    for call in (
        lambda a: engine.dataset_files.list(a, dataset_id),
        lambda a: engine.dataset_files.versions(a, dataset_id),
        lambda a: engine.dataset_files.of_file(a, file_id),
        lambda a: engine.dataset_files.add(a, dataset_id, files=[("x.csv", JAN)]),
        lambda a: engine.dataset_files.delete_file(a, file_id),
        lambda a: engine.datasets.generate_statistics(a, dataset_id),
    ):
        with pytest.raises(NotFound):
            call(outsider)
    assert len(engine.dataset_files.list(viewer, dataset_id)) == 2
    with pytest.raises(PermissionDenied):
        engine.dataset_files.add(viewer, dataset_id, files=[("x.csv", JAN)])
    with pytest.raises(PermissionDenied):
        engine.dataset_files.delete_file(viewer, file_id)
    with pytest.raises(PermissionDenied):
        engine.dataset_files.upload(viewer, name="v", files=[("x.csv", JAN)])


def test_statistics_run_as_a_job_and_are_read_when_done(engine: Engine, analyst: Actor, viewer: Actor) -> None:
    dataset = engine.datasets.upload(analyst, name="sales", filename="jan.csv", data=JAN)
    assert engine.datasets.stored_statistics(viewer, dataset.id) is None
    job = engine.jobs.wait(viewer, engine.datasets.generate_statistics(viewer, dataset.id).id, timeout=60)
    assert (job.status, job.result) == (JobStatus.SUCCEEDED, {"dataset_id": dataset.id})
    stored = engine.datasets.stored_statistics(viewer, dataset.id)
    assert stored is not None and stored["column"].tolist() == ["id", "amount"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"files": []}, "at least one file"),
        ({"usage": "p"}, "usage must be one of training, prediction"),
        ({"on_problems": "drop"}, "on_problems must be one of"),
    ],
)
def test_bad_choices_are_refused(engine: Engine, analyst: Actor, options: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"name": "x", "files": [("a.csv", JAN)]} | options
    with pytest.raises(InvalidInput, match=message):
        engine.dataset_files.upload(analyst, **arguments)  # type: ignore[arg-type]


def test_an_id_with_a_nul_character_is_refused_not_a_crash(engine: Engine, analyst: Actor) -> None:
    """Postgres refuses NUL in text (a DataError, found by fuzzing the API); SQLite finds nothing."""
    with pytest.raises((NotFound, InvalidInput)):
        engine.datasets.get(analyst, "\x00")
    with pytest.raises((NotFound, InvalidInput)):
        engine.dataset_files.list(analyst, "a\x00")
