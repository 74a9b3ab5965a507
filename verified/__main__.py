"""Command line: `python -m verified check|update [PATH ...]` (nox -s docs-update calls `update`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from verified import engine, project, versions


def _pages(paths: list[str]) -> list[Path]:
    pages: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            pages.extend(sorted(p for p in path.rglob("*") if p.suffix in {".md", ".py"} and "assets" not in p.parts))
        elif path.is_file():
            pages.append(path)
        else:
            raise SystemExit(f"no such page or folder: {name}")
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m verified", description=__doc__)
    parser.add_argument("mode", choices=["check", "update"])
    parser.add_argument("paths", nargs="*", default=["docs"])
    args = parser.parse_args(argv)
    root = project.find_root(Path.cwd())
    if args.mode == "check" and (mismatch := versions.mismatch(root)):
        print(mismatch, file=sys.stderr)
        return 3
    failed = 0
    for page in _pages(args.paths):
        if args.mode == "update":
            report, changed = engine.update_page(page)
            print(f"{'updated  ' if changed else 'unchanged'} {report.display}")
        else:
            report = engine.check_page(page)
        if not report.ok:
            failed += 1
            print(report.text(), file=sys.stderr)
    print(f"{failed} page(s) with problems" if failed else "all pages verified")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
