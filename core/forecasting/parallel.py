"""Run per-chunk forecasting work on a few processes, with progress and cancellation between chunks.

StatsForecast's own ``n_jobs`` splits the series into one static block per core and reports nothing
until all are done; small chunks handed out on demand keep both cores busy when AutoARIMA takes much
longer on some series, and let a job report progress and stop (the pool is terminated) when cancelled.
"""

from __future__ import annotations

import multiprocessing
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from threadpoolctl import threadpool_limits

from core.errors import CoreError
from core.progress import TaskContext

T = TypeVar("T")
R = TypeVar("R")
CHUNKS_PER_JOB = 20
POLL_S = 1.0  # how often a wait for the next chunk checks for a cancel and for lost processes


def chunked(items: Sequence[T], n_jobs: int) -> list[list[T]]:
    """About CHUNKS_PER_JOB chunks per process (at least 10 in total, for progress), never empty."""
    count = max(1, min(len(items), max(10, CHUNKS_PER_JOB * n_jobs)))
    return [list(items[i::count]) for i in range(count) if items[i::count]]


def run_chunks(
    fn: Callable[[T], R],
    chunks: Sequence[T],
    n_jobs: int,
    ctx: TaskContext,
    span: tuple[float, float],
    message: str,
) -> list[R]:
    """``[fn(c) for c in chunks]`` on up to ``n_jobs`` processes; progress moves across ``span``.

    ``fn`` must be a module-level function (it is sent to worker processes). Each call is limited to
    one BLAS/OpenMP thread so processes do not oversubscribe the cores.
    """
    results: list[R | None] = [None] * len(chunks)
    start, end = span

    def report(done: int) -> None:
        ctx.progress(start + (end - start) * done / max(len(chunks), 1), f"{message} ({done}/{len(chunks)})")

    ctx.check()
    report(0)  # the stage is named before its first, possibly long, chunk
    if n_jobs <= 1 or len(chunks) <= 1:
        for i, chunk in enumerate(chunks):
            results[i] = _limited(fn, chunk)
            report(i + 1)
            ctx.check()
        return results  # type: ignore[return-value]
    processes = min(n_jobs, len(chunks))
    context = _context()
    started = context.Value("i", 0)  # pool processes that began work: more than `processes` means one was lost
    with _without_main_script(), context.Pool(processes, _count_start, (started,)) as pool:  # exit terminates
        pending = pool.imap_unordered(_indexed, [(fn, i, chunk) for i, chunk in enumerate(chunks)])
        done = 0
        while done < len(chunks):
            try:
                i, result = pending.next(timeout=POLL_S)
            except multiprocessing.TimeoutError:
                ctx.check()
                if started.value > processes:
                    raise CoreError(
                        "A forecasting process ended unexpectedly.",
                        "The pool lost a process in the middle of a chunk, most often because the machine ran "
                        "out of memory; try fewer series or a smaller season length.",
                    ) from None
                continue
            results[i], done = result, done + 1
            report(done)
            ctx.check()
    return results  # type: ignore[return-value]


def _count_start(started: Any) -> None:
    """Pool initializer: a pool replaces a process that died (its chunk is lost and would be waited for forever),
    so a start beyond the pool's size is how the parent learns of the loss."""
    with started.get_lock():
        started.value += 1


@contextmanager
def _without_main_script() -> Iterator[None]:
    """Start the pool's processes without the parent's ``__main__`` script. A new process re-runs the file of a
    ``__main__`` that has no module name, and under Streamlit that module is the page script last run (inline jobs;
    every AppTest): the child ran a page and died, and the pool started another forever. Chunk functions live in
    importable modules, so a child needs nothing from ``__main__``."""
    main = sys.modules["__main__"]
    if getattr(main, "__spec__", None) is not None or getattr(main, "__file__", None) is None:
        yield
        return
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _indexed(task: tuple[Callable[[T], R], int, T]) -> tuple[int, R]:
    fn, i, chunk = task
    return i, _limited(fn, chunk)


def _limited(fn: Callable[[T], R], chunk: T) -> R:
    with threadpool_limits(limits=1):
        return fn(chunk)


def _context() -> multiprocessing.context.BaseContext:
    """Children fork from a forkserver: a clean single-threaded process started once per job worker with
    statsforecast preloaded, so each child still starts in milliseconds. Never fork the job worker itself: its
    threads (the heartbeat; the OpenMP and BLAS pools of the model libraries) may hold a lock at that moment, and
    a child forked then waits on it forever (a forecast training hung at "Cross-validating" that way), and its
    children would inherit the worker's SIGTERM handler."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["statsforecast", "core.forecasting.crossval"])
        return context
    return multiprocessing.get_context("spawn")
