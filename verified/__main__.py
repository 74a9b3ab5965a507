"""Command line: `python -m verified check|update|portability [PATH ...]` (nox -s docs-update calls `update`)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from verified import arithmetic, cache, engine, memo, project, versions


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


def portability(paths: list[str], variations: list[str], jobs: int) -> int:
    """Every page re-checked under each variation of the reference arithmetic. A variation whose every run is in
    .cache/ (keyed on the arithmetic too) is compared here, from the cache; any other is checked in a fresh process,
    since the pins are set before torch is imported."""

    def from_cache(variation: str) -> str | None:
        """The problems under the variation ("" for none), or None if a page must run."""
        with arithmetic.variation(variation):
            if cache.fresh():
                return None
            try:
                reports = [engine.check_page(page, execute=False) for page in _pages(paths)]
            except LookupError:  # a page's run is not in .cache/ under this arithmetic: a fresh process runs it
                return None
            problems = [report.text() for report in reports if not report.ok]
            return "\n".join([*arithmetic.announcement(), *problems]) if problems else ""

    def check(variation: str) -> tuple[str, str]:
        env = {**os.environ, arithmetic.VARIABLE: variation}
        workers = max(1, (os.cpu_count() or 1) // jobs)  # the variations checked at once share the cores
        command = [sys.executable, "-m", "verified", "-j", str(workers), "check", *paths]
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        return variation, (result.stderr or f"exit code {result.returncode}") if result.returncode else ""

    cached = {variation: from_cache(variation) for variation in variations}  # one at a time: it sets os.environ
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        checked = dict(pool.map(check, [variation for variation, problems in cached.items() if problems is None]))
    failed = 0
    for variation in variations:
        problems = cached[variation] if cached[variation] is not None else checked[variation]
        where = " (from .cache/)" if cached[variation] is not None else ""
        print(f"{'CHANGED' if problems else 'unchanged':9} under {arithmetic.VARIABLE}={variation}{where}")
        if problems:
            failed += 1
            print(problems, file=sys.stderr)
    print(
        f"{failed} of {len(variations)} arithmetic variation(s) changed an output" if failed else "every output holds under every variation"
    )
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m verified", description=__doc__)
    parser.add_argument("mode", choices=["check", "update", "portability"])
    parser.add_argument("paths", nargs="*", default=["docs"])
    parser.add_argument(
        "-j", "--jobs", type=int, default=os.cpu_count() or 1, help="check: pages run at once; portability: variations checked at once"
    )
    parser.add_argument(
        "--variation",
        action="append",
        help=f"portability: a variation to check (repeatable; default: {', '.join(arithmetic.VARIATIONS)})",
    )
    args = parser.parse_args(argv)
    root = project.find_root(Path.cwd())
    if args.mode in ("check", "portability") and (mismatch := versions.mismatch(root)):
        print(mismatch, file=sys.stderr)
        return 3
    if args.mode == "portability":
        return portability(args.paths, args.variation or arithmetic.VARIATIONS, args.jobs)
    print("\n".join(arithmetic.announcement()), file=sys.stderr)
    failed = 0
    pages = _pages(args.paths)
    if args.mode == "check" and not cache.fresh():
        engine.run_pages(pages, args.jobs)  # what the cache lacks, in worker processes; then each page is checked in turn
    for page in pages:
        if args.mode == "update":
            report, changed = engine.update_page(page)
            print(f"{'updated  ' if changed else 'unchanged'} {report.display}")
        else:
            report = engine.check_page(page, use_cache=not cache.fresh())
        if not report.ok:
            failed += 1
            print(report.text(), file=sys.stderr)
    memo.prune(project.load(root).cache_dir)
    print(f"{failed} page(s) with problems" if failed else "all pages verified")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
