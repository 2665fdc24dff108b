"""Small Playwright steps shared by the browser tests."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from playwright.sync_api import FilePayload, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from core import Actor, Engine
from core.entities import TrainRequest

TIMEOUT = 120_000  # ms; generous: another test worker may be training on the same two cores


IDLE = """() => document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidget"]')"""


def wait_idle(page: Page) -> None:
    """Wait until Streamlit has finished the current script run. The app's script state changes as soon as a click
    or a widget asks for a run; the "Running" widget shows only after a delay, so on a busy machine it alone let a
    test act on the previous page (an upload after a click on Samples found the previous page's uploader)."""
    page.wait_for_timeout(300)
    page.wait_for_function(IDLE, timeout=TIMEOUT)


def expand(page: Page, title: str) -> None:
    """Open the expander titled ``title`` unless it is already open: a click on an open one closes it, and whether
    a page drew it open (``expanded=``) can depend on a run that had not finished (the Samples page's "Submit
    samples" closed under a click, and the next upload went to a hidden uploader)."""
    wait_idle(page)
    expander = page.get_by_test_id("stExpander").filter(has_text=title)
    details = expander.locator("details").first
    if details.get_attribute("open") is None:
        expander.get_by_text(title, exact=True).click()
        wait_idle(page)
    expect(details).to_have_attribute("open", re.compile(".*"), timeout=TIMEOUT)


def fill(page: Page, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Tab")
    wait_idle(page)  # each field reruns the page; typing into a half-rendered form duplicates inputs


def click(page: Page, name: str) -> None:
    """Click once the run that draws the button has finished: a click while the page was still being drawn (the
    button had appeared, the run had not ended) was lost, and "Store the dataset" stayed on the page."""
    button = page.get_by_role("button", name=name, exact=True)
    expect(button).to_be_enabled(timeout=TIMEOUT)  # enabled once the rerun is done
    wait_idle(page)
    button.click(timeout=TIMEOUT)
    wait_idle(page)


def open_page(page: Page, title: str) -> None:
    """Click the page in the sidebar and wait until the app has moved there (its URL) and finished drawing it. The
    click waits for the current run to end and is repeated when the app did not move: in a full run, a click on
    "Batch predictions" while the Train page was still drawing its finished job was lost."""
    label = page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True)
    link = label.locator("xpath=ancestor::a[1]")
    target = (link.get_attribute("href") or "").split("?")[0].rstrip("/")
    for attempt in range(1, 4):
        wait_idle(page)
        link.click()
        try:
            page.wait_for_url(lambda url: url.split("?")[0].rstrip("/") == target, timeout=TIMEOUT // 4)
            break
        except PlaywrightTimeoutError:
            if attempt == 3:
                raise
    wait_idle(page)


def upload(page: Page, label: str, files: Sequence[Path] | Sequence[FilePayload]) -> None:
    """Give files to the uploader labelled exactly `label` and wait until it lists them. The label is matched
    exactly: on a busy machine a substring ("Files") found the previous page's "Files of this family" uploader
    before the new page had replaced it, and the files went nowhere."""
    label_text = page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True)
    uploader = page.get_by_test_id("stFileUploader").filter(has=label_text)
    uploader.locator("input[type=file]").set_input_files(files)
    for name in (f.name if isinstance(f, Path) else f["name"] for f in files):
        expect(uploader.get_by_text(name, exact=True)).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)


def csv_file(name: str, text: str) -> FilePayload:
    return FilePayload(name=name, mimeType="text/csv", buffer=text.encode())


def shot(page: Page, folder: Path, name: str) -> None:
    wait_idle(page)
    page.wait_for_timeout(500)  # let charts and tables finish drawing
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def sign_in(page: Page, username: str, password: str) -> None:
    expect(page.get_by_text("Sign in", exact=True).first).to_be_visible(timeout=TIMEOUT)
    fill(page, "Username", username)
    fill(page, "Password", password)
    click(page, "Sign in")
    expect(page.get_by_text("Signed in as")).to_be_visible(timeout=TIMEOUT)


def choose(page: Page, label: str, option: str | re.Pattern[str]) -> None:
    """Pick ``option`` (exact text or a pattern) in the select box labelled ``label``."""
    page.get_by_role("combobox", name=label, exact=True).click()
    if isinstance(option, str):
        page.get_by_role("option", name=option, exact=True).click()
    else:
        page.get_by_role("option", name=option).click()
    wait_idle(page)


def first_admin(page: Page, *, demo: bool = True) -> None:
    """Create the first administrator ``chief`` on a fresh workspace (with or without the demo datasets)."""
    expect(page.get_by_text("Create the first administrator", exact=True)).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_label("Username", exact=True)).to_have_count(1, timeout=TIMEOUT)  # no stale first render
    wait_idle(page)
    fill(page, "Username", "chief")
    fill(page, "E-mail", "chief@example.com")
    fill(page, "Password", "chief-pass-123")
    fill(page, "Repeat the password", "chief-pass-123")
    if not demo:
        page.get_by_text("Load the demo datasets").click()  # ticked by default
    click(page, "Create administrator")
    expect(page.get_by_text("Signed in as")).to_be_visible(timeout=TIMEOUT)


def workspace(home: Path) -> tuple[Engine, Actor]:
    """The running server's workspace opened in the test process as ``chief``, to set up data quickly.

    Jobs run inline here, and the server's running jobs are not reaped as if their process were gone."""
    engine = Engine.open(home=home, runner="inline", reap=False)
    return engine, engine.users.authenticate("chief", "chief-pass-123")


def trained(engine: Engine, actor: Actor, request: TrainRequest) -> str:
    """Train ``request`` to the end in the test process; the new model's id."""
    job = engine.jobs.wait(actor, engine.training.submit(actor, request).id, timeout=300)
    assert job.status == "succeeded" and job.result, job.error
    return str(job.result["model_id"])


def dataset_id(engine: Engine, actor: Actor, name: str) -> str:
    return next(d.id for d in engine.datasets.list(actor) if d.name == name)
