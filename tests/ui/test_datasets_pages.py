"""The Data pages under AppTest: templates editor, upload report and decision, datasets, statistics, files."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core import Actor, ColumnSpec, Engine

PROBLEM_CSV = b"id,price\n1,9.5\n2,abc\n,3\n4,4.5\n"


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def _table(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first table showing these columns (AppTest keeps no key for read-only tables)."""
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def test_templates_page_creates_a_template_from_the_editor(
    app: Callable[..., AppTest], engine: Engine, analyst: Actor
) -> None:
    at = app(analyst, "templates.py")
    assert at.data_editor(key="tpl_new_columns").editing_mode == "dynamic"
    at.session_state["tpl_new_columns"] = {
        "edited_rows": {0: {"name": "id", "dtype": "integer"}},
        "added_rows": [{"name": "city", "dtype": "category", "default": "Paris", "required": False}],
        "deleted_rows": [],
    }
    at.text_input(key="tpl_new_name").input("shops")
    at.button(key="tpl_create").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    [template] = engine.templates.list(analyst)
    assert template.name == "shops"
    assert template.columns == (ColumnSpec("id", "integer"), ColumnSpec("city", "category", "Paris", False))
    assert any("created with 2 column(s)" in s.value for s in at.success)
    assert at.selectbox(key="tpl_choice").value == template.id


def test_templates_page_names_the_datasets_that_block_a_delete(
    app: Callable[..., AppTest], engine: Engine, admin: Actor
) -> None:
    template = engine.templates.create(admin, "pairs", [ColumnSpec("a", "integer")])
    engine.datasets.upload(admin, name="june", filename="j.csv", data=b"a\n1\n", template_id=template.id)
    at = app(admin, "templates.py")
    at.button(key="tpl_delete").click().run()
    assert any("used by 1 dataset(s): june" in e for e in _errors(at))


def test_viewer_sees_templates_without_write_widgets(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, viewer: Actor
) -> None:
    engine.templates.create(admin, "pairs", [ColumnSpec("a", "integer")])
    at = app(viewer, "templates.py")
    assert not at.exception
    assert not [b for b in at.button if b.key in ("tpl_save", "tpl_delete", "tpl_create")]
    assert at.data_editor(key=f"tpl_columns_{engine.templates.list(viewer)[0].id}").value["name"].tolist() == ["a"]


def test_upload_page_shows_the_report_and_keeps_valid_rows(
    app: Callable[..., AppTest], engine: Engine, analyst: Actor
) -> None:
    template = engine.templates.create(analyst, "prices", [ColumnSpec("id", "integer"), ColumnSpec("price", "float")])
    at = app(analyst, "upload.py")
    at.selectbox(key="upload_template").select(template.id).run()
    at.file_uploader(key="upload_file_0").upload("prices.csv", PROBLEM_CSV, "text/csv").run()
    assert not at.exception and not _errors(at), _errors(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Data rows"] == "4" and metrics["Usable rows"] == "50.0%"
    problems = _table(at, "row", "column", "problem")
    assert sorted(zip(problems["row"], problems["column"], strict=True)) == [("2", "price"), ("3", "id")]
    assert at.get("plotly_chart")
    assert engine.datasets.list(analyst) == []  # checking stores nothing

    at.radio(key="upload_choice").set_value("keep_valid")
    at.button(key="upload_store").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    [dataset] = engine.datasets.list(analyst)
    assert (dataset.name, dataset.rows, dataset.status) == ("prices", 2, "validated")
    assert any("stored: 2 rows" in s.value for s in at.success)


def test_upload_page_says_up_front_that_no_row_is_usable_and_offers_no_keep_valid(
    app: Callable[..., AppTest], engine: Engine, analyst: Actor
) -> None:
    columns = [ColumnSpec("id", "integer"), ColumnSpec("price", "float"), ColumnSpec("shop", "string")]
    template = engine.templates.create(analyst, "prices", columns)
    at = app(analyst, "upload.py")
    at.selectbox(key="upload_template").select(template.id).run()
    at.file_uploader(key="upload_file_0").upload("bad.csv", b"id,price\nx,1\ny,2\n", "text/csv").run()
    assert not at.exception
    assert any("No row is usable" in e for e in _errors(at)), _errors(at)
    assert not at.warning
    assert at.radio(key="upload_choice").options == [
        "Reject the file (store nothing)",
        "Keep all rows (cells with problems become empty)",
    ]
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Columns in the file"], metrics["Columns in the template"]) == ("2", "3")
    problems = _table(at, "row", "column", "problem", "expected")
    assert problems.loc[problems["problem"] == "wrong type", "expected"].tolist() == ["integer", "integer"]
    assert any("row 1 is spreadsheet line 2" in c.value for c in at.caption)


def test_upload_page_notes_the_assumed_date_order(app: Callable[..., AppTest], analyst: Actor) -> None:
    at = app(analyst, "upload.py")
    at.file_uploader(key="upload_file_0").upload("d.csv", b"day,n\n25/12/2024,1\n26/12/2024,2\n", "text/csv").run()
    assert [i.value for i in at.info] == ["Column 'day': dates read day-first (dd/mm/yyyy)."]


def test_upload_page_reject_stores_nothing(app: Callable[..., AppTest], engine: Engine, analyst: Actor) -> None:
    template = engine.templates.create(analyst, "prices", [ColumnSpec("id", "integer"), ColumnSpec("price", "float")])
    at = app(analyst, "upload.py")
    at.selectbox(key="upload_template").select(template.id).run()
    at.file_uploader(key="upload_file_0").upload("prices.csv", PROBLEM_CSV, "text/csv").run()
    at.radio(key="upload_choice").set_value("reject")
    at.button(key="upload_store").click().run()
    assert any("rejected; nothing was stored" in s.value for s in at.success)
    assert engine.datasets.list(analyst) == []


def test_upload_page_states_why_a_bad_file_is_refused(app: Callable[..., AppTest], analyst: Actor) -> None:
    at = app(analyst, "upload.py")
    at.file_uploader(key="upload_file_0").upload("dup.csv", b"a,a\n1,2\n", "text/csv").run()
    assert not at.exception
    assert any("duplicate column names" in e for e in _errors(at))


def test_datasets_page_lists_previews_and_pages(app: Callable[..., AppTest], engine: Engine, admin: Actor) -> None:
    data = "n,label\n" + "".join(f"{i},r{i}\n" for i in range(1, 61))
    engine.datasets.upload(admin, name="numbers", filename="n.csv", data=data.encode())
    at = app(admin, "datasets.py")
    assert not at.exception and not _errors(at), _errors(at)
    assert _table(at, "name", "status", "rows")["name"].tolist() == ["numbers"]
    assert _table(at, "n")["n"].tolist() == list(range(1, 26))
    at.number_input(key="preview_page").set_value(3).run()
    assert _table(at, "n")["n"].tolist() == list(range(51, 61))
    at.multiselect(key="preview_columns").set_value(["label"]).run()
    assert [list(d.value.columns) for d in at.dataframe][1] == ["label"]


def test_datasets_page_deletes_after_confirmation(app: Callable[..., AppTest], engine: Engine, admin: Actor) -> None:
    engine.datasets.upload(admin, name="numbers", filename="n.csv", data=b"n\n1\n")
    at = app(admin, "datasets.py")
    assert at.button(key="delete_dataset").disabled
    at.checkbox(key="delete_confirm").check().run()
    at.button(key="delete_dataset").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    assert engine.datasets.list(admin) == []


def test_statistics_page_shows_profile_and_plots(app: Callable[..., AppTest], engine: Engine, admin: Actor) -> None:
    data = "x,y,shop\n" + "".join(f"{i},{i * 2 + 1},{'ab'[i % 2]}\n" for i in range(50))
    dataset = engine.datasets.upload(admin, name="xy", filename="xy.csv", data=data.encode())
    at = app(admin, "dataset_stats.py")
    assert not at.exception and not _errors(at), _errors(at)
    assert _table(at, "column", "mean", "top")["column"].tolist() == ["x", "y", "shop"]
    assert len(at.get("plotly_chart")) == 2  # histogram of x, correlation heatmap
    at.selectbox(key="stats_column").select("shop").run()
    assert not at.exception and len(at.get("plotly_chart")) == 2
    at.button(key="stats_refresh").click().run()
    assert not at.exception
    assert engine.datasets.statistics(admin, dataset.id)["count"].tolist() == [50, 50, 50]


def test_files_page_lists_and_previews_a_csv(app: Callable[..., AppTest], engine: Engine, analyst: Actor) -> None:
    engine.files.add(analyst, filename="notes.csv", data=b"a;b\n1;2\n3;4\n", kind="data")
    at = app(analyst, "files.py")
    assert not at.exception and not _errors(at), _errors(at)
    assert _table(at, "name", "kind", "sha256")["name"].tolist() == ["notes.csv"]
    assert _table(at, "a", "b")["b"].tolist() == [2, 4]
    at.checkbox(key="files_delete_confirm").check().run()
    at.button(key="files_delete").click().run()
    assert not at.exception and engine.files.list(analyst) == []


def test_files_page_deletes_a_damaged_parquet_it_cannot_preview(
    app: Callable[..., AppTest], engine: Engine, analyst: Actor
) -> None:
    engine.files.add(analyst, filename="broken.parquet", data=b"PAR1 not really parquet PAR1", kind="data")
    at = app(analyst, "files.py")
    assert not at.exception and not _errors(at), _errors(at)
    assert any("not a readable Parquet file" in c.value for c in at.caption)
    at.checkbox(key="files_delete_confirm").check().run()
    at.button(key="files_delete").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    assert engine.files.list(analyst) == []


def test_files_page_does_not_list_model_files_for_a_viewer(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, viewer: Actor
) -> None:
    engine.files.add(admin, filename="churn.skops", data=b"model bytes", kind="model")
    engine.files.add(admin, filename="notes.txt", data=b"hello", kind="code")
    at = app(viewer, "files.py")
    assert not at.exception and not _errors(at), _errors(at)
    assert _table(at, "name", "kind", "sha256")["name"].tolist() == ["notes.txt"]
    assert any("Model files are not listed" in c.value for c in at.caption)


def test_statistics_page_keeps_the_profile_when_the_charts_fail(
    app: Callable[..., AppTest], engine: Engine, admin: Actor
) -> None:
    dataset = engine.datasets.upload(admin, name="xy", filename="xy.csv", data=b"x,y\n1,2\n2,5\n3,7\n")
    engine.datasets.statistics(admin, dataset.id)  # cached with the dataset
    engine.datasets.path(admin, dataset.id).write_bytes(b"damaged on disk")
    at = app(admin, "dataset_stats.py")
    assert not at.exception
    assert _table(at, "column", "mean", "top")["column"].tolist() == ["x", "y"]
    assert len(_errors(at)) == 2  # the histogram and the correlations, each under its own heading


def test_statistics_page_plots_a_date_column_with_one_value(
    app: Callable[..., AppTest], engine: Engine, admin: Actor
) -> None:
    engine.datasets.upload(admin, name="days", filename="d.csv", data=b"day\n2024-03-01\n2024-03-01\n")
    at = app(admin, "dataset_stats.py")
    assert not at.exception and not _errors(at), _errors(at)
    assert len(at.get("plotly_chart")) == 1


def test_datasets_page_deletes_a_dataset_whose_file_is_damaged(
    app: Callable[..., AppTest], engine: Engine, admin: Actor
) -> None:
    dataset = engine.datasets.upload(admin, name="numbers", filename="n.csv", data=b"n\n1\n")
    engine.datasets.path(admin, dataset.id).write_bytes(b"damaged on disk")
    at = app(admin, "datasets.py")
    assert not at.exception and len(_errors(at)) == 1  # the preview
    at.checkbox(key="delete_confirm").check().run()
    at.button(key="delete_dataset").click().run()
    assert not at.exception and engine.datasets.list(admin) == []


def test_datasets_page_offers_the_whole_dataset_as_csv_under_a_safe_name(
    app: Callable[..., AppTest], engine: Engine, admin: Actor
) -> None:
    engine.datasets.upload(admin, name="my sales 2024", filename="s.csv", data=b"n\n1\n2\n")
    at = app(admin, "datasets.py")
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download the whole dataset (CSV, 2 rows)" in labels


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("my sales 2024-page-1.csv", "my-sales-2024-page-1.csv"),
        ("Sales (EU) v2 .skops", "Sales-EU-v2.skops"),
        ("élan/../x y.json", "elan.x-y.json"),
        ("   ", "download"),
    ],
)
def test_download_file_names_have_no_spaces_or_path_characters(name: str, safe: str) -> None:
    from ui.downloads import file_name

    assert file_name(name) == safe


def test_datasets_page_shows_missing_cells_blank_not_none(
    app: Callable[..., AppTest], engine: Engine, admin: Actor
) -> None:
    engine.datasets.upload(admin, name="gaps", filename="g.csv", data=b"n,label\n1,\n,b\n")
    at = app(admin, "datasets.py")
    assert not at.exception and len(at.dataframe) >= 2
    assert all(d.proto.HasField("placeholder") and d.proto.placeholder == "" for d in at.dataframe)
