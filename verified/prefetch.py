"""Run the pages the cache lacks in worker processes, ahead of the build that reads them.

A cold build spends most of its time executing pages, one after another, in the build's own process. Here the
build lists its pages first; those without a cache entry are run by a small pool of worker processes (one per
core), each of which imports torch once and stays alive across `serve` rebuilds. The hook then waits for a page's
run before reading it from the cache, so pages are checked in the usual order and the results are the same bytes:
every page starts from the same reset state in whichever process runs it."""

from __future__ import annotations

import atexit
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from verified import engine

# A worker pays its own torch import (~1 s) and more; below this many pages to run, the build's process is quicker.
MIN_PAGES_FOR_POOL = 8

_pool: ProcessPoolExecutor | None = None
_pending: dict[Path, Future[None]] = {}


def _run(path: Path) -> None:
    engine.check_page(path)  # in the worker: torch is imported there, on its first page


def start(paths: list[Path]) -> int:
    """Send every page without a cache entry to the pool; returns how many were sent."""
    global _pool
    missing = [path.resolve() for path in paths if engine.needs_run(path)]
    if len(missing) < MIN_PAGES_FOR_POOL and _pool is None:
        return 0  # the hook runs them itself, as they come
    if _pool is not None and getattr(_pool, "_broken", False):
        _pool.shutdown(cancel_futures=True)  # a worker died (killed, out of memory): start afresh, not fail every rebuild
        _pool = None
    if _pool is None:
        workers = max(1, min(os.cpu_count() or 1, len(missing)))
        _pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        atexit.register(_pool.shutdown, cancel_futures=True)
    for path in missing:
        _pending[path] = _pool.submit(_run, path)
    return len(missing)


def wait(path: Path) -> bool:
    """Block until the page's run (if one was sent) has finished; True if a worker ran it for this build. A worker
    that failed leaves no cache entry, so the build then runs the page itself and reports what went wrong, with its line."""
    future = _pending.pop(Path(path).resolve(), None)
    if future is None:
        return False
    return future.exception() is None
