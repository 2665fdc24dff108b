"""The Samples and Reference library pages under AppTest (jobs run inline, so analyses finish at once)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import FileUploader

from core import Actor, Engine
from tests.core.test_attribution_models import package_elf_files
from tests.core.test_attribution_rerun import build_small_library
from tests.ui.test_datasets_pages import _table as table

ELF = "application/octet-stream"


@pytest.fixture
def family_files() -> dict[str, list[Path]]:
    files = {family: package_elf_files(family, 3) for family in ("coreutils", "procps")}
    if any(len(paths) < 3 for paths in files.values()):
        pytest.skip("needs the coreutils and procps packages")
    return files


def uploader(at: AppTest, prefix: str) -> FileUploader:
    """The page's uploader: its key carries a counter that changes after each accepted batch."""
    return next(u for u in at.file_uploader if (u.key or "").startswith(prefix))


def build_library(engine: Engine, admin: Actor, family_files: dict[str, list[Path]]) -> None:
    for family, paths in family_files.items():
        engine.attribution.add_references(admin, family=family, files=[(p.name, p.read_bytes()) for p in paths[1:]])
    assert engine.attribution.rebuild_index(admin).status == "succeeded"


def test_library_page_adds_a_family_and_rebuilds_the_index(
    app: Callable[..., AppTest], engine: Engine, analyst: Actor, family_files: dict[str, list[Path]]
) -> None:
    at = app(analyst, "reference_library.py")
    assert any("No index yet" in i.value for i in at.info)
    for family, paths in family_files.items():
        at.text_input(key="library_family").input(family)
        uploader(at, "library_upload_").set_value([(p.name, p.read_bytes(), ELF) for p in paths[1:]]).run()
        at.button(key="library_add").click().run()
        assert any(f"Added 2 file(s) to family {family}" in s.value for s in at.success)
    at.button(key="library_rebuild").click().run()
    assert not at.exception, at.exception
    assert any("finished" in s.value for s in at.success)
    at.run()
    library = engine.attribution.library(analyst)
    assert library is not None and library.families == 2 and not library.stale
    assert any(m.value == library.revision for m in at.metric)
    families = table(at, "family", "samples", "analysed samples")
    assert list(families["family"]) == ["coreutils", "procps"] and list(families["samples"]) == [2, 2]


def test_library_page_refuses_an_archive_naming_the_file(app: Callable[..., AppTest], analyst: Actor) -> None:
    at = app(analyst, "reference_library.py")
    at.text_input(key="library_family").input("bundle")
    uploader(at, "library_upload_").set_value(("tools.zip", b"PK\x03\x04" + bytes(64), "application/zip")).run()
    at.button(key="library_add").click().run()
    assert any("tools.zip is a ZIP archive" in e.value for e in at.error)
    assert any("None of the 1 file(s) was added" in c.value for c in at.caption)


def test_a_refused_upload_leaves_the_rest_of_the_library_page(
    app: Callable[..., AppTest], engine: Engine, analyst: Actor, family_files: dict[str, list[Path]]
) -> None:
    build_library(engine, analyst, family_files)
    at = app(analyst, "reference_library.py")
    at.text_input(key="library_family").input("junk")
    files = [("notes.txt", b"hello, world\n", "text/plain"), ("empty.bin", b"", ELF)]
    uploader(at, "library_upload_").set_value(files).run()
    at.button(key="library_add").click().run()
    assert not at.exception, at.exception
    assert any("empty.bin" in e.value for e in at.error)
    assert any("None of the 2 file(s) was added" in c.value for c in at.caption)
    assert at.button(key="library_rebuild")  # the rest of the page is there
    assert list(table(at, "family", "samples")["family"]) == ["coreutils", "procps"]
    assert "junk" not in {r.family for r in engine.attribution.list_references(analyst)}


def test_samples_page_submits_a_file_and_shows_ranked_families(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, analyst: Actor, family_files: dict[str, list[Path]]
) -> None:
    build_library(engine, admin, family_files)
    held_out = family_files["procps"][0]
    at = app(analyst, "samples.py")
    uploader(at, "samples_upload_").set_value(
        [(held_out.name, held_out.read_bytes(), ELF), ("empty.bin", b"", ELF)]
    ).run()
    at.button(key="samples_submit").click().run()
    assert not at.exception, at.exception
    assert any(f"{held_out.name} submitted" in s.value for s in at.success)
    assert any("empty.bin: The file empty.bin is empty." in e.value for e in at.error)
    status = table(at, "phase 1: extraction")
    assert list(status["state"]) == ["✓ done"] * 3
    assert any("points to family procps" in i.value for i in at.info)
    evidence = table(at, "best reference function")
    assert {"address", "best reference function", "family", "similarity"} <= set(evidence.columns)
    assert len(at.get("plotly_chart")) >= 1


def test_samples_page_deletes_a_sample(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, family_files: dict[str, list[Path]]
) -> None:
    build_library(engine, admin, family_files)
    sample = engine.attribution.submit(admin, "x.txt", Path(__file__).read_bytes())
    at = app(admin, "samples.py")
    at.checkbox(key="samples_delete_confirm").check().run()
    at.button(key="samples_delete").click().run()
    assert any("x.txt deleted" in s.value for s in at.success)
    assert engine.attribution.list_samples(admin) == [] and sample.id


def test_samples_page_deletes_one_model_result_and_runs_it_again(
    app: Callable[..., AppTest], engine: Engine, admin: Actor
) -> None:
    build_small_library(engine, admin)
    sample = engine.attribution.submit(admin, "false", Path("/usr/bin/false").read_bytes())
    at = app(admin, "samples.py")
    assert not [b for b in at.button if b.key == "samples_rerun"]
    at.button(key="samples_model_action_1").click().run()  # the strings model's tab
    assert any("Strings" in i.value and "result deleted" in i.value for i in at.info), [i.value for i in at.info]
    assert engine.attribution.get_sample(admin, sample.id).rerunnable == ("strings_similarity",)
    assert "Prediction deleted by admin." in set(table(at, "phase 1: extraction")["note"])
    at.button(key="samples_rerun").click().run()
    assert not at.exception, at.exception
    assert any("queued again" in s.value for s in at.success)
    assert engine.attribution.get_sample(admin, sample.id).state == "done"
    assert list(table(at, "phase 1: extraction")["state"]) == ["✓ done"] * 3
    assert not [b for b in at.button if b.key == "samples_rerun"]


def test_samples_page_without_an_index_explains_what_to_do(app: Callable[..., AppTest], analyst: Actor) -> None:
    at = app(analyst, "samples.py")
    assert any("no index yet" in w.value for w in at.warning)
    assert at.button(key="samples_submit").disabled


def test_viewer_reads_results_but_cannot_submit_or_manage(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, viewer: Actor, family_files: dict[str, list[Path]]
) -> None:
    build_library(engine, admin, family_files)
    engine.attribution.submit(admin, "x.txt", Path(__file__).read_bytes())
    at = app(viewer, "samples.py")
    assert table(at, "phase 1: extraction")["state"].iloc[0] == "– not applicable"
    assert not [b for b in at.button if b.key in ("samples_submit", "samples_delete")]
    at = app(viewer, "reference_library.py")
    assert not [b for b in at.button if b.key in ("library_add", "library_rebuild", "library_remove")]


def test_about_page_shows_model_versions_and_library_revision(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, family_files: dict[str, list[Path]]
) -> None:
    build_library(engine, admin, family_files)
    at = app(admin, "about.py")
    versions = table(at, "model", "version")
    assert set(versions["model"]) == {"function_similarity", "strings_similarity", "tlsh_similarity"}
    revision = engine.attribution.library(admin).revision  # type: ignore[union-attr]
    assert any(revision in c.value for c in at.caption)
