"""Front end 2: the pytest collector. Each page (or notebook) under docs/ is one test item: one call into the engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from verified import engine, project, versions


def pytest_sessionstart(session: pytest.Session) -> None:
    try:
        root = project.find_root(Path(session.config.rootpath))
    except FileNotFoundError:
        return
    mismatch = versions.mismatch(root)
    if mismatch:
        pytest.exit(mismatch, returncode=3)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix not in {".md", ".py"}:
        return None
    try:
        docs_dir = project.for_path(file_path).docs_dir.resolve()
    except FileNotFoundError:
        return None
    if docs_dir not in file_path.resolve().parents:
        return None
    return VerifiedPage.from_parent(parent, path=file_path)


class VerifiedPage(pytest.File):
    def collect(self):  # type: ignore[no-untyped-def]
        yield PageItem.from_parent(self, name="page" if self.path.suffix == ".md" else "notebook")


class PageFailure(Exception):
    pass


class PageItem(pytest.Item):
    def runtest(self) -> None:
        # Tests always run the page; the result is stored so the strict build after them reuses it.
        report = engine.check_page(self.path, use_cache=False)
        if not report.ok:
            raise PageFailure(report.text())

    def repr_failure(self, excinfo, style=None):  # type: ignore[no-untyped-def]
        if isinstance(excinfo.value, PageFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):  # type: ignore[no-untyped-def]
        return self.path, 0, f"{self.path.name}: every block run, every output checked"
