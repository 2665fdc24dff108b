"""Page-render benchmark: a workspace with 100 datasets and 100 jobs; the Datasets and Jobs pages under AppTest.

Each dataset is a 2,000-row CSV checked against a template, a third of them with problems (so the list
carries real validation reports). Prints the first render of each page (page module imported, engine
cached) and the median of the following renders. Target: ≤ 1.5 s per render.

    python bench/pages.py [--datasets 100] [--jobs 100] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(Path(__file__).resolve().parents[1])  # repo root, not bench/ (bench/shap.py shadows shap)

from core import Actor, ColumnSpec, Engine

TARGET_S = 1.5
COLUMNS = [
    ColumnSpec("id", "integer"),
    ColumnSpec("amount", "float"),
    ColumnSpec("day", "date"),
    ColumnSpec("shop", "category", default="unknown", required=False),
]


def _csv(index: int, rows: int = 2_000) -> bytes:
    bad = index % 3 == 0  # every third file has a wrong number and an impossible date
    lines = ["id,amount,day,shop"]
    for i in range(rows):
        amount = "n/a" if bad and i % 97 == 0 else f"{(i * 7 + index) % 1000 / 10}"
        day = "2024-02-30" if bad and i % 113 == 0 else f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}"
        lines.append(f"{i},{amount},{day},{('north', 'south', '')[i % 3]}")
    return ("\n".join(lines) + "\n").encode()


def build(home: Path, datasets: int, jobs: int) -> Actor:
    engine = Engine.open(home=home, runner="inline")
    admin = engine.users.bootstrap_admin(
        username="bench",
        password="bench-pass-123",  # noqa: S106
        email="bench@example.com",
    )
    template = engine.templates.create(admin, "sales", COLUMNS)
    for i in range(datasets):
        engine.datasets.upload(
            admin, name=f"sales-{i:03d}", filename=f"sales-{i:03d}.csv", data=_csv(i), template_id=template.id
        )
    for i in range(jobs):  # jobs take at least one step since their parameters are bounded (0.2 s each, inline)
        engine.jobs.selftest(admin, steps=1, outcome="fail" if i % 10 == 0 else "succeed")
    engine.close()
    return admin


def render_times(actor: Actor, page: str, title: str, repeat: int) -> list[float]:
    """Seconds per render of ``page`` for one signed-in session (the first includes importing the page)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["actor"] = actor
    at.run()
    times = []
    for i in range(repeat + 1):
        if at.exception:
            raise RuntimeError(f"{page} failed: {at.exception[0].value}")
        start = time.perf_counter()
        if i == 0:
            at.switch_page(f"pages/{page}")
        at.run()
        times.append(time.perf_counter() - start)
    if at.exception or title not in [t.value for t in at.title]:
        raise RuntimeError(f"{page} did not render: {[e.value for e in at.exception]}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DATAML_BCRYPT_ROUNDS", "4")
    folder = Path(tempfile.mkdtemp(prefix="dataml-bench-pages-"))
    home = folder / "workspace"
    os.environ.update(DATAML_HOME=str(home), DATAML_JOB_RUNNER="inline")
    try:
        start = time.perf_counter()
        admin = build(home, args.datasets, args.jobs)
        print(f"workspace: {args.datasets} datasets, {args.jobs} jobs (built in {time.perf_counter() - start:.1f} s)")
        for page, title in (("datasets.py", "Datasets"), ("jobs.py", "Jobs")):
            first, *rest = render_times(admin, page, title, args.repeat)
            warm = statistics.median(rest)
            verdict = "OK" if max(first, warm) <= TARGET_S else "OVER TARGET"
            print(f"{page:<12} first render {first:.2f} s, then median {warm:.2f} s (target ≤ {TARGET_S} s) {verdict}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
