"""Passing verdicts of the slow checks, kept under .cache/verdicts and reused while nothing the check reads has
changed: the same rule as the page cache (DESIGN.md, "Cached"). The slow checks are a notebook run in Jupyter, the
browser pass over the site, and the tests marked `reuse_passing_verdict` that start fresh processes (a throwaway
project's build, pytest run or kernel). A failure is never stored. VERIFIED_FRESH=1, or a clean checkout such as CI's, runs every
check; the test summary says how many ran and how many were reused."""

from __future__ import annotations

import hashlib
import shutil
from importlib.metadata import distributions, version
from pathlib import Path

import pytest

from tests.helpers import ROOT
from verified import cache, versions

FOLDER = ROOT / ".cache" / "verdicts"
# What a throwaway project (tests/helpers.make_project) takes from the real one, and the test code around it.
PROJECT_INPUTS = ["mkdocs.yml", "requirements.txt", "pyproject.toml", "overrides", "docs/assets", "tests/helpers.py", "tests/conftest.py"]
TOOLS = ["node", "chromium"]  # programs the builds and checks run: KaTeX's renderer, the browser


def key(*parts: bytes | str, packages: tuple[str, ...] = ()) -> str:
    """A digest of what a check reads, plus the engine, torch, Python and the named packages' versions."""
    digest = hashlib.sha256()
    environment = [cache.ENGINE_DIGEST, versions.running_torch(), versions.running_python()]
    for part in [*environment, *(f"{name}=={version(name)}" for name in packages), *parts]:
        digest.update((part if isinstance(part, bytes) else part.encode()) + b"\0")
    return digest.hexdigest()


def tree(folder: Path) -> bytes:
    """Every file under a folder, by path and content (a site's sitemap carries the build date: left out)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith("sitemap"):
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.digest()


def project_build_key(test_file: Path, test_name: str) -> str:
    """Everything such a test reads: its own file, the engine, the real project's configuration, theme and assets
    (a throwaway project copies them), the test helpers, every installed package and the programs it runs."""
    files = [(ROOT / name).read_bytes() if (ROOT / name).is_file() else tree(ROOT / name) for name in PROJECT_INPUTS]
    installed = sorted(f"{dist.metadata['Name']}=={dist.version}" for dist in distributions())
    tools = []
    for name in TOOLS:
        found = shutil.which(name)
        stat = Path(found).resolve().stat() if found else None
        tools.append(f"{name}: {found} {stat.st_size if stat else ''} {stat.st_mtime_ns if stat else ''}")
    return key(test_file.read_bytes(), test_name, *files, *installed, *tools)


def passed_before(name: str, check_key: str, node: pytest.Item, rerun: bool = False) -> bool:
    """Whether this very check passed before (and may be skipped now); `rerun` asks for a run all the same."""
    reused = not (rerun or cache.fresh()) and (FOLDER / f"{name}-{check_key}").is_file()
    node.user_properties.append(("verdict", "from cache" if reused else "run"))
    return reused


def record_pass(name: str, check_key: str) -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    (FOLDER / f"{name}-{check_key}").write_text("passed\n", encoding="utf-8")
