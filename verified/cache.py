"""Execution results per page under .cache/, keyed by everything that can change them."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from verified import arithmetic
from verified.blocks import Block
from verified.session import BlockRun
from verified.versions import running_python, running_torch

ENGINE_DIR = Path(__file__).parent
# The engine's modules a page's runs depend on: how code is parsed, expanded and executed, the pins, what is stored.
# Not rendering, reporting, the front ends or the speed code: editing those re-runs no page (tests/test_engine.py
# checks that this list holds every module these import).
RUN_MODULES = [
    *("arithmetic", "blocks", "cache", "compare", "directives", "errors", "notebook"),
    *("project", "session", "source", "twins", "versions"),
]


def _digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


ENGINE_DIGEST = _digest(sorted(ENGINE_DIR.glob("*.py")))  # all of it: for the slow checks' verdicts (tests/verdicts.py)
RUN_DIGEST = _digest([ENGINE_DIR / f"{name}.py" for name in RUN_MODULES])


def fresh() -> bool:
    """VERIFIED_FRESH=1: run every page (and, in the tests, every cached check) again, ignoring .cache/."""
    return os.environ.get("VERIFIED_FRESH") == "1"


# Besides torch: every other library a page imports, since its version changes what the page prints (numpy's arrays,
# optax's updates) or draws (matplotlib's SVG). tests/test_engine.py checks the list against the pages' imports.
def _installed(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:  # a project whose pages do not use it
        return "absent"


LIBRARY_NAMES = ("numpy", "matplotlib", "jax", "jaxlib", "optax", "keras", "mkdocs")
LIBRARIES = tuple(f"{name}=={_installed(name)}" for name in LIBRARY_NAMES)


def key(display: str, blocks: list[Block], root: Path) -> str:
    """Code (includes already expanded into it), `raises`, the files a block declares it reads, the engine's run
    modules, torch, Python, the other libraries pages import and the arithmetic (verified/arithmetic.py): what a run depends on.

    Not the prose, not the expected outputs, not the lines: editing prose re-checks a page but never re-runs it."""
    digest = hashlib.sha256()
    for part in (RUN_DIGEST, running_torch(), running_python(), *LIBRARIES, arithmetic.fingerprint(), display):
        digest.update(part.encode() + b"\0")
    for block in blocks:
        digest.update(f"{block.raises}\0{block.code}\0".encode())
        for name in block.reads:
            digest.update(name.encode() + b"\0" + contents(root / name) + b"\0")
    return digest.hexdigest()


def contents(path: Path) -> bytes:
    """A file's bytes, or every file under a folder by name and bytes (a path that names nothing reads as nothing;
    engine.check_page refuses such a `reads` path)."""
    if path.is_file():
        return path.read_bytes()
    files = sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts) if path.is_dir() else []
    return b"".join(p.relative_to(path).as_posix().encode() + b"\0" + p.read_bytes() + b"\0" for p in files)


def load(cache_dir: Path, page_key: str, blocks: list[Block]) -> tuple[list[BlockRun], dict[str, str]] | None:
    """The runs and the environment that produced them, or None."""
    path = cache_dir / "pages" / f"{page_key}.json"
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        os.utime(path)  # used now: memo.prune keeps it
    except FileNotFoundError:  # never run, or pruned by another build meanwhile
        return None
    runs = [BlockRun(**run) for run in stored["runs"]]
    if any(run.error for run in runs) and stored["lines"] != [block.line for block in blocks]:
        return None  # a traceback names page lines, and they moved
    return runs, stored["environment"]


def store(cache_dir: Path, page_key: str, blocks: list[Block], runs: list[BlockRun], environment: dict[str, str]) -> None:
    folder = cache_dir / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f"{page_key}.json.{os.getpid()}.tmp"  # two processes may store the same page
    stored = {"lines": [block.line for block in blocks], "runs": [asdict(run) for run in runs], "environment": environment}
    temporary.write_text(json.dumps(stored), encoding="utf-8")
    temporary.replace(folder / f"{page_key}.json")
