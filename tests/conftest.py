"""Tests import the formula twins as `snippets.<name>`, the same files the pages include; one strict build is shared;
tests marked `reuse_passing_verdict` pass without running while nothing they read has changed since they passed."""

import fcntl
import functools
import gc
import hashlib
import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests import verdicts  # noqa: E402  (needs the root on sys.path)
from tests.helpers import run  # noqa: E402
from verified import cache  # noqa: E402

REUSED = pytest.StashKey[bool]()
VERDICT_KEY = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "reuse_passing_verdict: a slow test whose verdict depends only on files and packages (one that starts fresh "
        "processes, or a twin's comparison with torch); its pass is kept under .cache/verdicts and reused while "
        "nothing it reads has changed (tests/verdicts.py); inputs=[paths] names what it reads of the real project beyond "
        "the engine and configuration (e.g. docs)",
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # an xdist worker, about to exit
        # Its heap (torch, torch._dynamo, matplotlib, ...) is not worth collecting once more on the way out: the
        # interpreter's final collections took ~1 s per worker, and the run waits for its workers to exit.
        gc.freeze()


@functools.cache
def _module_key(path: Path) -> str:
    """What every test of a module reads, digested once per process (~0.1 s: it lists every installed package)."""
    return verdicts.project_build_key(path, "")


@functools.cache
def _inputs_key(inputs: tuple[str, ...]) -> bytes:
    """Further files or folders of the real project a test reads (say, every page under docs/), digested once."""
    return b"".join(name.encode() + b"\0" + cache.contents(ROOT / name) + b"\0" for name in inputs)  # as a page's `reads`


def _verdict_key(path: Path, name: str, inputs: tuple[str, ...] = ()) -> str:
    return hashlib.sha256(f"{_module_key(path)}\0{name}\0".encode() + _inputs_key(inputs)).hexdigest()


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    marker = pyfuncitem.get_closest_marker("reuse_passing_verdict")
    if marker is None:
        return None
    check = _verdict_key(pyfuncitem.path, pyfuncitem.name, tuple(marker.kwargs.get("inputs", ())))
    pyfuncitem.stash[VERDICT_KEY] = check
    pyfuncitem.stash[REUSED] = verdicts.passed_before(pyfuncitem.name, check, pyfuncitem)
    return True if pyfuncitem.stash[REUSED] else None  # True: the call is done (it passed with these very inputs)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    report = yield
    if report.when == "call" and report.passed and VERDICT_KEY in item.stash and not item.stash[REUSED]:
        verdicts.record_pass(item.name, item.stash[VERDICT_KEY])  # a failure is never stored
    return report


def _built_once(name: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`mkdocs build --strict` of the real site, once per test run: under xdist the first worker to ask builds it
    in the run's shared temp folder and the others wait for it, then read its result (a failure too, so each
    worker reports it rather than building it again). The lock lives under .cache/: two test runs at once also
    take turns, rather than both executing every page."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    shared = tmp_path_factory.getbasetemp().parent if worker else tmp_path_factory.getbasetemp()
    folder, outcome = shared / name, shared / f"{name}.json"
    lock = ROOT / ".cache" / "strict-site.lock"
    lock.parent.mkdir(exist_ok=True)
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        if not outcome.is_file():
            result = run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(folder)], ROOT)
            outcome.write_text(json.dumps([result.returncode, result.stdout, result.stderr]), encoding="utf-8")
    returncode, stdout, stderr = json.loads(outcome.read_text(encoding="utf-8"))
    assert returncode == 0, stdout + stderr
    return folder, stderr


@pytest.fixture(scope="session")
def strict_site(tmp_path_factory) -> Path:
    """The real site, built strictly (the page cache under .cache/ makes it quick after the pages have run)."""
    return _built_once("strict-site", tmp_path_factory)[0]


@pytest.fixture(scope="session")
def second_build(strict_site, tmp_path_factory) -> tuple[Path, str]:
    """A second strict build after the first: everything must come from the cache; returns the site and its log.
    Ask for it with request.getfixturevalue inside a test marked reuse_passing_verdict, so it is built only when
    the test runs."""
    return _built_once("second-build", tmp_path_factory)
