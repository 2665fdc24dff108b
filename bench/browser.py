"""Page speed in a real browser: Playwright on Debian's Chromium against ``streamlit run app.py``.

The workspace holds ``--datasets`` datasets (default 100) and ``--models`` tabular models (default 20,
trained through the engine with the inline runner). For every page this measures:

- **full load**: a new browser tab opens the page's URL (the sign-in cookie is already set, so the time
  includes the remembered-sign-in check) until Streamlit has finished the script run and the title shows;
- **in-app navigation**: a click on the page's link in the sidebar until the run has finished.

It also measures the Models page's first open on a freshly started server (nothing cached) and the
first prediction on the Predict page (the click on "Predict" until the result shows). The baseline,
measured in the same run and the same browser, is a bare Streamlit page (one title) on its own server:
the ratio says how much slower our pages are than Streamlit's own floor.

Targets (issue 11): full load p95 ≤ 2 s, in-app navigation p95 ≤ 1 s, Models first open ≤ 2 s, first
prediction ≤ 1 s.

    python bench/browser.py [--datasets 100] [--models 20] [--repeat 5] [--app DIR]

``--app`` serves another checkout's ``app.py`` (e.g. ``git worktree add /tmp/before <commit>``) to compare
before and after; its workspace is built by that checkout's own engine.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # repo root, not bench/ (bench/shap.py shadows shap)

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
USER, PASSWORD = "bench", "bench-pass-123"
TARGETS = {"full load p95": 2.0, "navigation p95": 1.0, "models first open": 2.0, "first prediction": 1.0}
BARE_APP = 'import streamlit as st\nst.title("Bare page")\n'
IDLE = "() => document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState === 'notRunning'"
SAMPLES = ROOT / "data" / "samples"
TRAIN_SETS = (("iris.csv", "species"), ("wine.csv", "cultivar"), ("diabetes.csv", "progression"))


def build(home: Path, datasets: int, models: int) -> None:
    """Fill a workspace with uploaded sample datasets and models trained on them (with the engine on sys.path)."""
    from core import Engine
    from core.entities import TrainRequest

    engine = Engine.open(home=home, runner="inline")
    admin = engine.users.bootstrap_admin(username=USER, password=PASSWORD, email="bench@example.com")
    uploaded = []
    for i in range(datasets):
        filename, target = TRAIN_SETS[i % len(TRAIN_SETS)]
        ds = engine.datasets.upload(admin, name=f"{filename[:-4]}-{i:03d}", filename=filename, data=SAMPLES / filename)
        uploaded.append((ds, target))
    for i in range(models):
        ds, target = uploaded[i % len(uploaded)]
        request = TrainRequest(dataset_id=ds.id, name=f"model-{i:02d}", target=target, time_budget_s=2, explain=True)
        engine.jobs.wait(admin, engine.training.submit(admin, request).id, timeout=600)
    engine.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_with(app: Path, home: Path, datasets: int, models: int) -> None:
    """:func:`build` in a child process that imports ``app``'s engine, so the workspace is one it can open."""
    command = [sys.executable, __file__, "--build", str(home), "--app", str(app)]
    subprocess.run([*command, "--datasets", str(datasets), "--models", str(models)], check=True)


@contextmanager
def serve(script: Path, home: Path) -> Iterator[str]:
    """``streamlit run script`` in the script's folder on a free local port; yields its URL."""
    port = _free_port()
    env = dict(os.environ, DATAML_HOME=str(home), PYTHONUNBUFFERED="1")
    env.pop("DATAML_DATABASE_URL", None)
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    with (home.parent / f"{script.stem}.log").open("w") as log:
        proc = subprocess.Popen(command, cwd=script.parent, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):  # noqa: S310
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{script.name} did not start") from None
                    time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def settle(page: Page, heading: str) -> None:
    """Wait until the main area's title is ``heading`` and the script run has finished. The main area, not the
    page: the sidebar menu already shows every page's name (and "Models" twice) before the run has begun."""
    page.get_by_test_id("stMain").locator("h1", has_text=heading).first.wait_for(timeout=60_000)
    page.wait_for_function(IDLE, timeout=60_000)


def timed(action, page: Page, text: str) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    action()
    settle(page, text)
    return time.perf_counter() - start


def sign_in(browser: Browser, url: str) -> Page:
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.goto(url)
    page.get_by_label("Username", exact=True).fill(USER)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_text("Signed in as").wait_for(timeout=60_000)  # the sign-in form has the same title
    page.wait_for_function(IDLE, timeout=60_000)
    return page


def pages_for_admin(app: Path) -> list[tuple[str, str, str]]:
    """(menu label, page heading, url path) of every page in the menu, as ``ui.navigation`` registers them."""
    from ui.navigation import PAGES

    found = []
    for spec in PAGES:
        heading = re.search(r'st\.title\("([^"]+)"\)', (app / "pages" / spec.file).read_text())
        found.append(
            (spec.title, heading.group(1) if heading else spec.title, "" if spec.file == "home.py" else spec.file[:-3])
        )
    return found


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure_app(browser: Browser, url: str, app: Path, repeat: int) -> dict[str, list[float]]:
    page = sign_in(browser, url)
    results: dict[str, list[float]] = {"models first open": []}
    models_link = page.get_by_test_id("stSidebarNav").get_by_role("link", name="Models", exact=True)
    results["models first open"].append(timed(models_link.click, page, "Models"))
    full: list[float] = []
    navigation: list[float] = []
    menu = page.get_by_test_id("stSidebarNav")
    for label, heading, path in pages_for_admin(app):
        load, nav = [], []
        other, other_heading = ("About & health", "About & health") if path == "" else ("Home", "DataML Studio")
        for _ in range(repeat):
            tab = page.context.new_page()
            load.append(timed(lambda tab=tab, path=path: tab.goto(f"{url}/{path}"), tab, heading))  # type: ignore[misc]
            tab.close()
            timed(menu.get_by_role("link", name=other, exact=True).click, page, other_heading)
            nav.append(timed(menu.get_by_role("link", name=label, exact=True).click, page, heading))
        full += load
        navigation += nav
        print(
            f"  {label:<20} full load p50 {statistics.median(load):.2f} s · "
            f"navigation p50 {statistics.median(nav):.2f} s"
        )
    results["full load"], results["navigation"] = full, navigation
    tab = page.context.new_page()
    timed(lambda: tab.goto(f"{url}/predict"), tab, "Predict one case")
    button = tab.get_by_role("button", name="Predict", exact=True)
    start = time.perf_counter()
    button.click()
    tab.get_by_test_id("stMetric").first.wait_for(timeout=60_000)
    tab.wait_for_function(IDLE, timeout=60_000)
    results["first prediction"] = [time.perf_counter() - start]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=100)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the workspace in this folder once and reuse it")
    parser.add_argument("--app", type=Path, default=ROOT, help="the checkout whose app.py is measured")
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)  # child process of build_with
    args = parser.parse_args()
    app = args.app.resolve()
    os.environ.setdefault("DATAML_BCRYPT_ROUNDS", "4")
    if args.build:
        sys.path.insert(0, str(app))
        build(args.build, args.datasets, args.models)
        return
    folder = args.keep or Path(tempfile.mkdtemp(prefix="dataml-bench-browser-"))
    home = folder / "workspace"
    try:
        start = time.perf_counter()
        if not home.exists():
            build_with(app, home, args.datasets, args.models)
        print(
            f"{app}: {args.datasets} datasets, {args.models} models "
            f"(workspace ready in {time.perf_counter() - start:.0f} s)"
        )
        bare = folder / "bare_page.py"
        bare.write_text(BARE_APP)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic"],
            )
            with serve(bare, home) as url:
                page = browser.new_page()
                baseline = [timed(lambda: page.goto(url), page, "Bare page") for _ in range(max(10, 3 * args.repeat))]
                page.close()
            with serve(app / "app.py", home) as url:
                results = measure_app(browser, url, app, args.repeat)
            browser.close()
        floor = percentile(baseline, 0.95)
        print(f"baseline: bare Streamlit page full load p50 {statistics.median(baseline):.2f} s, p95 {floor:.2f} s")
        rows = {
            "full load p95": percentile(results["full load"], 0.95),
            "navigation p95": percentile(results["navigation"], 0.95),
            "models first open": results["models first open"][0],
            "first prediction": results["first prediction"][0],
        }
        for name, value in rows.items():
            verdict = "OK" if value <= TARGETS[name] else "OVER TARGET"
            print(
                f"{name:<18} {value:5.2f} s  ({value / floor:4.1f} × bare page; target ≤ {TARGETS[name]} s) {verdict}"
            )
        print(
            f"full load p50 {statistics.median(results['full load']):.2f} s, "
            f"navigation p50 {statistics.median(results['navigation']):.2f} s"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
