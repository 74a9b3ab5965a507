"""Passing verdicts of the slow checks, kept under .cache/verdicts and reused while nothing the check reads has
changed: the same rule as the page cache (DESIGN.md, "Cached"). The slow checks are a notebook run in Jupyter, the
browser pass over the site, and the tests marked `reuse_passing_verdict` that start fresh processes (a throwaway
project's build, pytest run or kernel). A failure is never stored. VERIFIED_FRESH=1, or a clean checkout such as CI's, runs every
check; the test summary says how many ran and how many were reused."""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
from importlib.metadata import distributions, version
from pathlib import Path

import pytest

from tests.helpers import ROOT, SUBPROCESS_PATH
from verified import arithmetic, cache, versions

FOLDER = ROOT / ".cache" / "verdicts"
# What a throwaway project (tests/helpers.make_project) takes from the real one, and the code around it: the whole
# engine package (its Python, and the KaTeX renderer and stylesheet it ships), the test helpers.
PROJECT_INPUTS = [
    "verified",
    "snippets",  # the formula twins, which the twin tests compare with torch
    "mkdocs.yml",
    "requirements.txt",
    "pyproject.toml",
    "overrides",
    "docs/assets",
    "tests/helpers.py",
    "tests/optim_twins.py",  # the harness the twin tests run torch and a twin in
    "tests/conftest.py",
]
TOOLS = ["node", "chromium"]  # programs the builds and checks run: KaTeX's renderer, the browser


def key(*parts: bytes | str, packages: tuple[str, ...] = ()) -> str:
    """A digest of what a check reads, plus the engine, torch, Python, the arithmetic and the named packages' versions."""
    digest = hashlib.sha256()
    environment = [cache.ENGINE_DIGEST, versions.running_torch(), versions.running_python(), arithmetic.fingerprint()]
    for part in [*environment, *(f"{name}=={version(name)}" for name in packages), *parts]:
        digest.update((part if isinstance(part, bytes) else part.encode()) + b"\0")
    return digest.hexdigest()


def tree(folder: Path) -> bytes:
    """Every file under a folder, by path and content (left out: a site's sitemap, which carries the build date, and
    compiled Python, which a run may or may not have written)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith("sitemap") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.digest()


def project_build_key(test_file: Path, test_name: str) -> str:
    """Everything such a test reads: its own file, the engine, the real project's configuration, theme and assets
    (a throwaway project copies them), the test helpers, every installed package and the programs it runs."""
    files = [(ROOT / name).read_bytes() if (ROOT / name).is_file() else tree(ROOT / name) for name in PROJECT_INPUTS]
    installed = sorted(f"{dist.metadata['Name']}=={dist.version}" for dist in distributions())
    tools = [tool(name, path) for name in TOOLS for path in (None, SUBPROCESS_PATH)]  # as the tests and their builds find them
    return key(test_file.read_bytes(), test_name, *files, *installed, *tools)


@functools.cache
def tool(name: str, path: str | None = None) -> str:
    """A program as found on `path` (default: this process's PATH): where it is and what `--version` says."""
    found = shutil.which(name, path=path)
    if found is None:
        return f"{name}: none"
    answer = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=60)
    return f"{name}: {os.path.realpath(found)} {answer.stdout.strip()}"


def passed_before(name: str, check_key: str, node: pytest.Item, rerun: bool = False) -> bool:
    """Whether this very check passed before (and may be skipped now); `rerun` asks for a run all the same."""
    reused = not (rerun or cache.fresh()) and _record(name, check_key).is_file()
    node.user_properties.append(("verdict", "from cache" if reused else "run"))
    return reused


def record_pass(name: str, check_key: str) -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    _record(name, check_key).write_text("passed\n", encoding="utf-8")


def _record(name: str, check_key: str) -> Path:
    """The file that says the check passed: named by the check (made safe for a file name: parametrised test ids can
    hold any character) and its key."""
    safe = re.sub(r"[^\w.=,-]", "_", name)[:80]
    return FOLDER / f"{safe}-{check_key}"
