"""Run the pages the cache lacks in worker processes, ahead of the build that reads them.

A cold build spends most of its time executing pages, one after another, in the build's own process. Here the
build lists its pages first; those without a cache entry are run by a small pool of worker processes (one per
core) that stays alive across `serve` rebuilds. The hook then waits for a page's run before reading it from the
cache, so pages are checked in the usual order and the results are the same bytes: every page starts from the
same reset state in whichever process runs it.

The workers are forked from a server process that has imported torch once: torch (~1 s) and torch._dynamo
(~1.4 s, which torch.optim imports on the first optimizer it builds) are paid once, not once per worker. Starting
that server takes as long as those imports, so the pages are handed to the pool from a thread and the build
renders meanwhile."""

from __future__ import annotations

import atexit
import gc
import logging
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from verified import engine

# A worker pays its own torch import (~1 s) and more; below this many pages to run, the build's process is quicker.
MIN_PAGES_FOR_POOL = 8
log = logging.getLogger("mkdocs.verified")
# Imported once by the server the workers fork from; verified.session first: it pins torch's CPU kernels.
PRELOAD = ["verified.session", "numpy", "torch", "torch._dynamo", "matplotlib.pyplot", "verified.engine"]

_pool: ProcessPoolExecutor | None = None
# The pages sent to the pool in this build, and their futures: the thread that submits them fills _pending, so wait()
# first looks in _sent (known at once), then joins that thread before reading _pending.
_pending: dict[Path, Future[None]] = {}
_sent: set[Path] = set()
_submitting: threading.Thread | None = None
_server_environment: dict[str, str] | None = None
_pool_broke = False  # a worker died (killed, out of memory): the next build starts a new pool


def context() -> multiprocessing.context.ForkServerContext:
    """Processes forked from the server that has imported PRELOAD (started on first use, shared by the pool and the
    notebook kernel, see verified.kernel)."""
    global _server_environment
    forkserver = multiprocessing.get_context("forkserver")
    forkserver.set_forkserver_preload(PRELOAD)
    if _server_environment is None:  # the server starts with the next process: it inherits this environment
        _server_environment = dict(os.environ)
        atexit.register(_end_server)  # before the pool's shutdown is registered, so it runs after it (last in, first out)
    return forkserver


def server_environment() -> dict[str, str]:
    """The environment the server started with (or will start with, if it has not yet)."""
    return dict(_server_environment if _server_environment is not None else os.environ)


def _end_server() -> None:
    """At exit, once the workers are gone: the server has nothing left to do, but left to itself it tears down an
    interpreter holding torch (~1 s), keeping the build's stdout and stderr open all that time (a pipe reading
    the build's output waits for it). SIGTERM ends it at once: Python installs no handler for it. The server's pid
    is a private attribute of multiprocessing (the same from Python 3.8 to 3.13); without it, the server just
    takes its time, as before."""
    pid = getattr(multiprocessing.forkserver._forkserver, "_forkserver_pid", None)
    if pid:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass  # already gone


def _run(path: Path) -> None:
    if not gc.get_freeze_count():
        # The heap the worker was forked with (torch, torch._dynamo, matplotlib) never becomes garbage: frozen, the
        # collector stops walking it (GC time over 37 pages' runs 1.0 -> 0.4 s, measured).
        gc.freeze()
    engine.check_page(path, math=False)  # in the worker: the build renders the math


def start(paths: list[Path]) -> list[Path]:
    """Send every page without a cache entry to the pool; returns the pages sent."""
    global _pool, _submitting, _pool_broke
    if _submitting is not None:
        _submitting.join()
    _sent.clear()  # each build keeps its own account (an earlier build may have stopped before waiting for all)
    _pending.clear()
    missing = [path.resolve() for path in paths if engine.needs_run(path)]
    if len(missing) < MIN_PAGES_FOR_POOL and _pool is None:
        return []  # the hook runs them itself, as they come
    if _pool is not None and _pool_broke:
        _pool.shutdown(cancel_futures=True)  # start afresh, not fail every rebuild
        _pool, _pool_broke = None, False
    if _pool is None:
        workers = max(1, min(os.cpu_count() or 1, len(missing)))
        _pool = ProcessPoolExecutor(max_workers=workers, mp_context=context())
        atexit.register(_pool.shutdown, cancel_futures=True)
    pool = _pool

    def submit() -> None:  # the first submit waits for the server's imports: not on the build's thread
        global _pool_broke
        try:
            for path in missing:
                _pending[path] = pool.submit(_run, path)
        except Exception as error:  # the server or the pool failed: the build runs what is left itself, as with a failed run
            _pool_broke = _pool_broke or isinstance(error, BrokenProcessPool)
            log.info("verified: the worker pool stopped (%s: %s); the build runs the remaining pages itself", type(error).__name__, error)

    _sent.update(missing)
    _submitting = threading.Thread(target=submit, name="verified-prefetch", daemon=True)
    _submitting.start()
    return missing


def wait(path: Path) -> bool:
    """Block until the page's run (if one was sent) has finished; True if a worker ran it for this build. A worker
    that failed leaves no cache entry, so the build then runs the page itself and reports what went wrong, with its line."""
    global _pool_broke
    path = Path(path).resolve()
    if path not in _sent:
        return False
    _sent.discard(path)
    if _submitting is not None:
        _submitting.join()
    future = _pending.pop(path, None)
    error = future.exception() if future is not None else None
    _pool_broke = _pool_broke or isinstance(error, BrokenProcessPool)
    return future is not None and error is None
