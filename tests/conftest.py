"""Tests import the formula twins as `snippets.<name>`, the same files the pages include; one strict build is shared."""

import fcntl
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.helpers import run  # noqa: E402  (needs the root on sys.path)


@pytest.fixture(scope="session")
def strict_site(tmp_path_factory) -> Path:
    """The real site, built strictly once per test run (the page cache under .cache/ makes it quick after the pages)."""
    folder = tmp_path_factory.mktemp("strict-site")
    lock = ROOT / ".cache" / "strict-site.lock"
    lock.parent.mkdir(exist_ok=True)
    # Under xdist two workers may need the site: one builds (running what the cache lacks), the other waits, then
    # builds from the cache it filled, instead of both executing every page at once.
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        result = run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(folder)], ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    return folder
