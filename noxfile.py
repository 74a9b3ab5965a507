"""Every workflow of the site: build, serve, test, update outputs, lint, benchmark."""

from __future__ import annotations

import hashlib
from pathlib import Path

import nox

nox.options.default_venv_backend = "virtualenv"  # pip finds the local CPU wheel of torch; uv does not
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["docs-test"]

PYTHON = "3.11"
ROOT = Path(__file__).parent
ENV = {
    "NO_MKDOCS_2_WARNING": "1",
    "PYTHONHASHSEED": "0",
    "MPLBACKEND": "Agg",
    # Python's default: keep compiled modules in __pycache__ (git-ignored). A machine that sets this variable would
    # otherwise recompile the engine, the tests and pytest's rewritten asserts in every process of every run.
    "PYTHONDONTWRITEBYTECODE": "",
}


def install(session: nox.Session) -> None:
    """Install the pinned requirements and the engine once per virtualenv, again only when they change."""
    wanted = hashlib.sha256((ROOT / "requirements.txt").read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = Path(session.virtualenv.location) / ".installed-requirements"
    if stamp.is_file() and stamp.read_text() == wanted:
        return
    session.install("-r", "requirements.txt")
    session.install("--no-deps", "-e", ".")
    stamp.write_text(wanted)


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Strict build into site/: any drifted output, exception, bad LaTeX, missing include or broken link fails."""
    install(session)
    session.run("mkdocs", "build", "--strict", *session.posargs, env=ENV)


@nox.session(python=PYTHON)
def serve(session: nox.Session) -> None:
    """Live preview at http://127.0.0.1:8000; a failing block is shown on its page instead of stopping the server."""
    install(session)
    session.run("mkdocs", "serve", "--no-strict", *session.posargs, env=ENV)


@nox.session(name="docs-test", python=PYTHON)
def docs_test(session: nox.Session) -> None:
    """Every page, notebook, formula twin and engine test, and one strict build of the whole site."""
    install(session)
    session.run("pytest", *session.posargs, env=ENV)


@nox.session(name="docs-update", python=PYTHON)
def docs_update(session: nox.Session) -> None:
    """Rewrite every expected-output fence from a real run; review the result with `git diff`."""
    install(session)
    session.run("python", "-m", "verified", "update", *(session.posargs or ["docs"]), env=ENV)


@nox.session(python=PYTHON)
def portability(session: nox.Session) -> None:
    """Every page re-run under each variation of the reference arithmetic (docs-test runs the same check)."""
    install(session)
    session.run("python", "-m", "verified", "portability", *(session.posargs or ["docs"]), env=ENV)


@nox.session(python=PYTHON)
def mutate(session: nox.Session) -> None:
    """Each twin check of docs/frameworks/ broken on purpose, in a copy: every mutation must fail its page (~10 min)."""
    install(session)
    session.run("python", "-m", "tests.mutations.frameworks", *session.posargs, env=ENV)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    session.install("ruff==0.17.6")
    session.run("ruff", "check", "verified", "tests", "snippets", "benchmarks", "noxfile.py")
    session.run("ruff", "format", "--check", "--diff", "verified", "tests", "snippets", "benchmarks", "noxfile.py")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Speed of builds, serve, tests and math, as ratios to `python -c "import torch"`; see benchmarks/latest.md."""
    install(session)
    session.run("python", "benchmarks/bench.py", env=ENV)
