"""The build's worker pool (verified/prefetch.py): a pool whose worker died is replaced at the next build."""

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from verified import prefetch


class FakePool:
    def __init__(self, **kwargs):
        self.kwargs = kwargs

    def submit(self, *args):  # nothing to run in this test
        raise AssertionError("no page was sent")

    def shutdown(self, **kwargs):
        pass


def test_a_pool_whose_worker_died_is_replaced_at_the_next_build(monkeypatch):
    # spawned, not forked: this process may have run pages that started JAX's threads, and a fork then warns of deadlock
    broken = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    future = broken.submit(os._exit, 1)  # the worker dies, as one killed for lack of memory would
    page = Path("docs/page.md").resolve()
    for name, value in {"_pool": broken, "_sent": {page}, "_pending": {page: future}, "_submitting": None, "_pool_broke": False}.items():
        monkeypatch.setattr(prefetch, name, value)
    assert prefetch.wait(page) is False  # not run for this build: the hook runs the page itself, and reports it
    assert prefetch._pool_broke
    monkeypatch.setattr(prefetch, "ProcessPoolExecutor", FakePool)
    monkeypatch.setattr(prefetch, "context", lambda: None)
    assert prefetch.start([]) == []
    assert isinstance(prefetch._pool, FakePool) and not prefetch._pool_broke
