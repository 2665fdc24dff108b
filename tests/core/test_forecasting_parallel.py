"""The forecasting process pool: children never re-run the parent's ``__main__`` script (Streamlit's page), a lost
process fails the run instead of leaving it waiting forever, and a cancel is noticed while a chunk runs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from core.errors import CoreError
from core.forecasting.parallel import run_chunks
from core.progress import Cancelled, NullContext

pytestmark = pytest.mark.database_free

ROOT = Path(__file__).resolve().parents[2]


def _exit_on_two(chunk: list[int]) -> int:
    if chunk == [2]:
        os._exit(1)  # what an out-of-memory kill looks like to the pool
    return sum(chunk)


def _sleep(chunk: list[float]) -> float:
    time.sleep(chunk[0])
    return chunk[0]


class _CancelAfter(NullContext):
    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def cancelled(self) -> bool:
        return time.monotonic() >= self.at

    def check(self) -> None:
        if self.cancelled():
            raise Cancelled()


def test_children_do_not_run_the_main_script_of_a_streamlit_page(tmp_path: Path) -> None:
    """Streamlit (and AppTest) install the page being run as ``__main__`` with its file: a pool child re-ran it,
    died, and the pool replaced it forever (CI hung an hour on a forecast trained inline after a page test)."""
    page = tmp_path / "page.py"
    page.write_text("import os\nos._exit(3)\n")
    script = textwrap.dedent(
        f"""
        import sys, types
        from core.forecasting.parallel import run_chunks
        from core.progress import NullContext
        page = types.ModuleType("__main__")
        page.__file__ = {str(page)!r}
        sys.modules["__main__"] = page
        print(run_chunks(sum, [[1, 2], [3], [4]], 2, NullContext(), (0.0, 1.0), "adding"))
        assert sys.modules["__main__"] is page
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[3, 3, 4]"


def test_a_lost_process_fails_the_run_with_a_message() -> None:
    started = time.monotonic()
    with pytest.raises(CoreError) as lost:
        run_chunks(_exit_on_two, [[1], [2], [3], [4]], 2, NullContext(), (0.0, 1.0), "adding")
    assert "ended unexpectedly" in lost.value.message and "memory" in (lost.value.details or "")
    assert time.monotonic() - started < 60


def test_a_cancel_is_noticed_while_a_long_chunk_runs() -> None:
    started = time.monotonic()
    with pytest.raises(Cancelled):
        run_chunks(_sleep, [[60.0], [60.0], [60.0]], 2, _CancelAfter(1.0), (0.0, 1.0), "sleeping")
    assert time.monotonic() - started < 20
