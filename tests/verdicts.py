"""Passing verdicts of the slow checks (a notebook run in Jupyter, the browser pass over the site), kept under
.cache/verdicts and reused while nothing the check reads has changed: the same rule as the page cache (DESIGN.md,
"Cached"). A failure is never stored. VERIFIED_FRESH=1, or a clean checkout such as CI's, runs every check."""

from __future__ import annotations

import hashlib
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.helpers import ROOT
from verified import cache, versions

FOLDER = ROOT / ".cache" / "verdicts"


def key(*parts: bytes | str, packages: tuple[str, ...] = ()) -> str:
    """A digest of what a check reads, plus the engine, torch, Python and the named packages' versions."""
    digest = hashlib.sha256()
    environment = [cache.ENGINE_DIGEST, versions.running_torch(), versions.running_python()]
    for part in [*environment, *(f"{name}=={version(name)}" for name in packages), *parts]:
        digest.update((part if isinstance(part, bytes) else part.encode()) + b"\0")
    return digest.hexdigest()


def tree(folder: Path) -> bytes:
    """Every file of a built site, by path and content (the sitemap carries the build date: left out)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith("sitemap"):
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.digest()


def passed_before(name: str, check_key: str, request: pytest.FixtureRequest, rerun: bool = False) -> bool:
    """Whether this very check passed before (and may be skipped now); `rerun` asks for a run all the same."""
    reused = not (rerun or cache.fresh()) and (FOLDER / f"{name}-{check_key}").is_file()
    request.node.user_properties.append(("verdict", "from cache" if reused else "run"))
    return reused


def record_pass(name: str, check_key: str) -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    (FOLDER / f"{name}-{check_key}").write_text("passed\n", encoding="utf-8")
