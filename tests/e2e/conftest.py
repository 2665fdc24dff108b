"""Browser tests: a real ``streamlit run app.py`` on a free port, driven by Playwright on Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
OUTPUT = ROOT / "test-output" / "e2e"
PAGE_TEXT = 6_000  # characters of a failed tab's text in the report (its end: where the flow stopped)


def _require_browser() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("DATAML_E2E") == "required":
        pytest.fail(f"DATAML_E2E=required but {CHROMIUM} is missing (apt-get install chromium).")
    pytest.skip("Chromium is not installed; set DATAML_E2E=required to make this a failure.")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, home: Path) -> None:
        self.home, self.port = home, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, DATAML_HOME=str(home), DATAML_BCRYPT_ROUNDS="4", PYTHONUNBUFFERED="1")
        env.pop("DATAML_DATABASE_URL", None)
        self.log = (home.parent / "server.log").open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("streamlit did not start; see server.log")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    _require_browser()
    srv = Server(tmp_path / "workspace")
    yield srv
    srv.stop()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Path:
    folder = OUTPUT / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
        browser = getattr(item, "funcargs", {}).get("browser")
        if report.failed and browser is not None:
            report.sections += _page_texts(browser)
    return report


def _page_texts(browser: Any) -> list[tuple[str, str]]:
    """What each open tab shows, as text, for the failure report: CI keeps a failing run's output but not its
    screenshots, and a browser flow that failed once in a full run could not be read afterwards."""
    from playwright.sync_api import Error

    sections = []
    tabs = [tab for context in browser.contexts for tab in context.pages]
    for number, tab in enumerate(tabs, 1):
        try:
            text = tab.inner_text("body", timeout=5_000)
        except Error as exc:  # a closed or hung tab: say so, and keep the test's own failure
            text = f"(could not read the page: {exc})"
        sections.append((f"tab {number} at {tab.url}: visible text", text[-PAGE_TEXT:]))
    return sections


@pytest.fixture
def browser(request: pytest.FixtureRequest) -> Iterator[object]:
    """Chromium; when the test fails, each open tab's last state is saved as ``failure-<n>.png``."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield chromium
        if request.node.stash.get(_FAILED, False):
            folder = OUTPUT / request.node.name
            folder.mkdir(parents=True, exist_ok=True)
            tabs = [tab for context in chromium.contexts for tab in context.pages]
            for number, tab in enumerate(tabs, 1):
                tab.screenshot(path=str(folder / f"failure-{number}.png"), full_page=True)
        chromium.close()
