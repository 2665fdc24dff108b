"""Run per-chunk forecasting work on a few processes, with progress and cancellation between chunks.

StatsForecast's own ``n_jobs`` splits the series into one static block per core and reports nothing
until all are done; small chunks handed out on demand keep both cores busy when AutoARIMA takes much
longer on some series, and let a job report progress and stop (the pool is terminated) when cancelled.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from typing import TypeVar

from threadpoolctl import threadpool_limits

from core.progress import TaskContext

T = TypeVar("T")
R = TypeVar("R")
CHUNKS_PER_JOB = 20


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
    with _context().Pool(min(n_jobs, len(chunks))) as pool:  # leaving the block terminates the workers
        tasks = [(fn, i, chunk) for i, chunk in enumerate(chunks)]
        for done, (i, result) in enumerate(pool.imap_unordered(_indexed, tasks), start=1):
            results[i] = result
            report(done)
            ctx.check()
    return results  # type: ignore[return-value]


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
