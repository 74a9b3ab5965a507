"""Run a page, compare every output, then report or fix: the one mode switch both front ends call."""

from __future__ import annotations

import dataclasses
import gc
import importlib
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from verified import arithmetic, cache, compare, directives, fix, katex, notebook, project, session, source, versions
from verified import blocks as block_parser
from verified.blocks import Block
from verified.errors import PageError
from verified.session import BlockRun


@dataclass
class Problem:
    path: str
    line: int
    message: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def __str__(self) -> str:
        return f"{self.where}: {self.message.rstrip()}"


@dataclass
class PageReport:
    display: str
    source: source.Source | None = None
    blocks: list[Block] = field(default_factory=list)
    runs: list[BlockRun] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    executed: bool = False  # False: results came from .cache/
    environment: dict[str, str] = field(default_factory=dict)  # torch, Python, platform that produced the runs
    math_problems: dict[int, list[str]] = field(default_factory=dict)  # expanded line -> what KaTeX said there
    formulas: dict[str, str] = field(default_factory=dict)  # each formula's HTML -> its TeX (for the search index)

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        return "\n\n".join(str(problem) for problem in self.problems)


def _problems(src: source.Source, blocks: list[Block], runs: list[BlockRun], outputs_checked: bool) -> list[Problem]:
    problems = []
    for block, run in zip(blocks, runs, strict=False):
        origin = src.origins[block.line - 1]
        where = f"{origin.path}:{origin.line}"
        if run.error:
            problems.append(Problem(origin.path, origin.line, f"the block raised an exception:\n{run.error}"))
            continue
        if not outputs_checked:
            continue
        if block.expected is None:
            if run.output.strip():
                problems.append(
                    Problem(
                        origin.path,
                        origin.line,
                        f"the block printed output but has no expected-output fence; `nox -s docs-update` adds it:\n{run.output}",
                    )
                )
        elif not _output_matches(block, run.output):
            fence = src.where(block.output_fence[0]) if block.output_fence else where
            rule = f" (compared as {compare.OFF_REFERENCE_RULE})" if _declared_off_reference(block) else ""
            problems.append(
                Problem(
                    origin.path,
                    origin.line,
                    f"the printed output differs from the expected-output fence{rule}:\n" + compare.diff(block.expected, run.output, fence),
                )
            )
        if not run.laid_out:
            problems.append(
                Problem(
                    origin.path,
                    origin.line,
                    'the block draws a figure that is not laid out: call fig.tight_layout() or plt.subplots(layout="constrained") '
                    "(figures are saved uncropped: without a layout, labels outside the default margins are cut off)",
                )
            )
        problems.extend(Problem(origin.path, origin.line, message) for message in directives.problems(block, run))
    not_run = len(blocks) - len(runs)
    if not_run:
        origin = src.origins[blocks[len(runs)].line - 1]
        problems.append(
            Problem(origin.path, origin.line, f"{not_run} later block(s) on this page were not run because an earlier block failed")
        )
    return problems


def _declared_off_reference(block: Block) -> bool:
    return block.platform_dependent is not None and not arithmetic.is_reference()


def _output_matches(block: Block, output: str) -> bool:
    """Byte for byte after the declared filters; a declared block off the reference arithmetic by its stated rule."""
    assert block.expected is not None
    if _declared_off_reference(block):
        return compare.matches_off_reference(block.expected, output)
    return compare.matches(block.expected, output, block.ignore_whitespace)


def _read(path: Path, proj: project.Project, text: str | None = None) -> tuple[source.Source, list[Block]]:
    """The page expanded and parsed; kept while neither its text nor any file it includes changes (a build asks twice:
    for the cache key when it hands pages to its workers, and when it checks them)."""
    if path.suffix == ".py":
        return notebook.read(path, proj)
    if text is None:
        text = path.read_text(encoding="utf-8")
    kept = _parsed.get(path)
    if kept is not None and kept[0] == text and kept[1] == _included_files(kept[2], proj):
        return dataclasses.replace(kept[2]), kept[3]  # a copy: the hook may replace the lines of a page with bad math
    src = source.read(path, proj, text)
    blocks = block_parser.parse(src)
    _parsed[path] = (text, _included_files(src, proj), src, blocks)
    return dataclasses.replace(src), blocks


_parsed: dict[Path, tuple[str, list[tuple[str, bytes | None]], source.Source, list[Block]]] = {}


def _included_files(src: source.Source, proj: project.Project) -> list[tuple[str, bytes | None]]:
    """Each file the page includes, with its bytes (None if it is gone): a snippet edited in the same second counts."""
    names = sorted({origin.path for origin in src.origins} - {src.display})
    return [(name, (proj.root / name).read_bytes() if (proj.root / name).is_file() else None) for name in names]


# Imported before the workers are forked, so none imports them again: torch (~1 s) and torch._dynamo (~1.4 s, which
# torch.optim imports on the first optimizer a page builds).
PRELOAD = ["numpy", "torch", "torch._dynamo", "matplotlib.pyplot"]


def run_pages(paths: list[Path], jobs: int) -> list[Path]:
    """Run every page that has no cache entry in `jobs` worker processes, which store the runs in .cache/ for the
    checks that follow (in any order: every page starts from the same reset state in whichever process runs it).
    Returns the pages run; with fewer than two pages or jobs, none: each is run as it is checked. A worker that dies
    leaves its page without a cache entry, so checking it runs it again, here, and reports what went wrong."""
    missing = [Path(path).resolve() for path in paths if needs_run(path)]
    jobs = min(jobs, len(missing))
    if jobs < 2 or "jax" in sys.modules:  # JAX's threads do not survive a fork (a `serve` that ran a JAX page)
        return []
    for name in PRELOAD:
        importlib.import_module(name)
    gc.freeze()  # what the workers are forked with never becomes garbage: their collector stops walking it
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            for future in [pool.submit(_run, path) for path in missing]:
                future.exception()  # a page whose run failed in a worker runs again where it is checked, and says why
    except BrokenProcessPool:
        pass
    finally:
        gc.unfreeze()
    return [path for path in missing if not needs_run(path)]


def _run(path: Path) -> None:
    check_page(path, math=False)  # in a worker: only the run, which the cache keeps


def needs_run(path: Path) -> bool:
    """Whether checking the page would execute code: it has blocks and no cache entry. A page that cannot be read has
    nothing to run (checking it reports why)."""
    path = Path(path).resolve()
    proj = project.for_path(path)
    try:
        src, blocks = _read(path, proj)
    except PageError:
        return False
    return bool(blocks) and cache.load(proj.cache_dir, cache.key(src.display, blocks, proj.root), blocks) is None


def _check_math(report: PageReport, proj: project.Project) -> None:
    """Every formula rendered as the build renders it; one that KaTeX rejects (or that garbles a heading) is a problem."""
    assert report.source is not None
    katex.configure(proj.cache_dir)
    key = "\n".join(report.source.lines)
    if key not in _math:  # a page checked again in this process (each variation of the portability check)
        formulas: dict[str, str] = {}
        _math[key] = katex.check(report.source, formulas), formulas
    found, formulas = _math[key]
    report.formulas.update(formulas)
    for line, message in found:
        origin = report.source.origins[line - 1]
        report.problems.append(Problem(origin.path, origin.line, message))
        report.math_problems.setdefault(line, []).append(f"{origin.path}:{origin.line}: {message}")


_math: dict[str, tuple[list[tuple[int, str]], dict[str, str]]] = {}


def check_page(path: Path, use_cache: bool = True, text: str | None = None, math: bool = True, execute: bool = True) -> PageReport:
    """Parse, run (or take from the cache), compare, render the math (`math=False`: only run, as the build's workers
    do; `execute=False`: from the cache only, LookupError if a run is missing). Never raises for a page's own faults:
    they are problems."""
    path = Path(path).resolve()
    proj = project.for_path(path)
    report = PageReport(display=proj.display(path))
    try:
        src, blocks = _read(path, proj, text)
    except PageError as error:
        report.problems.append(Problem(error.path, error.line, error.message))
        return report
    report.source, report.blocks = src, blocks
    for block in blocks:
        for name in block.reads:
            if Path(name).is_absolute() or ".." in Path(name).parts or not (proj.root / name).exists():
                origin = src.origins[block.line - 1]
                message = f"<!--verified:reads {name}--> names no file or folder under the project's root"
                report.problems.append(Problem(origin.path, origin.line, message))
    if report.problems:
        return report
    page_key = cache.key(src.display, blocks, proj.root)
    cached = cache.load(proj.cache_dir, page_key, blocks) if use_cache else None
    if cached is None:
        if not execute and blocks:  # a page of prose runs nothing
            raise LookupError(f"{report.display}: no run in .cache/ under this arithmetic")
        runs = session.run_page(src, blocks, proj.root)
        cached = runs, versions.environment() if blocks else {}
        report.executed = True
        cache.store(proj.cache_dir, page_key, blocks, *cached)
    report.runs, report.environment = cached
    report.problems = _problems(src, blocks, report.runs, outputs_checked=path.suffix == ".md")
    if math and path.suffix == ".md":
        _check_math(report, proj)
    return report


def update_page(path: Path, use_cache: bool = False) -> tuple[PageReport, bool]:
    """Rewrite every expected-output fence of the page from a real run; returns whether the file changed."""
    report = check_page(path, use_cache=use_cache)
    if report.source is None or Path(path).suffix != ".md":
        return report, False
    new_text = fix.rewrite(report.source, report.blocks, report.runs, _output_matches)
    changed = new_text != report.source.text
    if changed:
        Path(path).write_text(new_text, encoding="utf-8")
        report = check_page(path, use_cache=True)
    return report, changed
