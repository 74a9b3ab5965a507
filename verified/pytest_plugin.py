"""Front end 2: the pytest collector. Each page (or notebook) under docs/ is one test item: one call into the engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from verified import arithmetic, cache, engine, project, versions


def pytest_sessionstart(session: pytest.Session) -> None:
    try:
        root = project.find_root(Path(session.config.rootpath))
    except FileNotFoundError:
        return
    mismatch = versions.mismatch(root)
    if mismatch:
        pytest.exit(mismatch, returncode=3)


def pytest_report_header() -> list[str]:
    return arithmetic.announcement()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say what ran and what came from .cache/: pages, and the slow checks that keep verdicts (read from the reports,
    so it also holds under xdist)."""
    counts: dict[str, dict[str, int]] = {"verified": {}, "verdict": {}}
    for report in terminalreporter.getreports("passed") + terminalreporter.getreports("failed"):
        for name, value in getattr(report, "user_properties", []):
            if name in counts and report.when == "call":
                counts[name][value] = counts[name].get(value, 0) + 1
    labels = {"verified": "pages", "verdict": "slow checks (notebooks, browser, fresh processes)"}
    parts = [f"{labels[name]}: " + ", ".join(f"{n} {what}" for what, n in sorted(seen.items())) for name, seen in counts.items() if seen]
    if parts:
        terminalreporter.write_line(f"verified: {'; '.join(parts)} (VERIFIED_FRESH=1 runs everything again)")


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
        # As the build does: runs of unchanged code (same engine, torch, Python) come from .cache/, and every output
        # is compared with the page again. VERIFIED_FRESH=1, or a clean checkout such as CI's, runs every page.
        report = engine.check_page(self.path, use_cache=not cache.fresh())
        self.user_properties.append(("verified", "run" if report.executed else "from cache"))
        if not report.ok:
            raise PageFailure(report.text())

    def repr_failure(self, excinfo, style=None):  # type: ignore[no-untyped-def]
        if isinstance(excinfo.value, PageFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):  # type: ignore[no-untyped-def]
        return self.path, 0, f"{self.path.name}: every block run, every output checked"
