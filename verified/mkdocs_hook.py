"""Front end 1: the mkdocs hook. Runs and checks every page as it is built; strict turns problems into failure."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort, PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from verified import (
    arithmetic,
    engine,
    katex,
    kernel,
    memo,
    notebook,
    notebook_export,
    notebook_page,
    prefetch,
    project,
    render,
    report,
    source,
    twins,
    versions,
)
from verified.errors import PageError

log = logging.getLogger("mkdocs.verified")

_generated: dict[Path, str] = {}  # files the build writes into site/: figures, page notebooks, shared CSS
_stylesheets: dict[str, str] = {}  # the notebooks' shared stylesheet, by site path
_counts = {"pages": 0, "executed": 0, "notebooks": 0}
_reports: dict[str, engine.PageReport] = {}  # this build's engine report for each Markdown page, by src_uri
_rows: dict[str, report.PageRow] = {}  # and the verification report's row for each page and notebook
_executed_notebooks: set[str] = set()  # notebooks mkdocs-jupyter executed in this build (not from its cache)
_katex_options: dict = {}


class _LinkLineFilter(logging.Filter):
    """mkdocs reports a broken link or anchor without a line; add `docs/page.md:LINE:` in front of its message."""

    PATTERN = re.compile(r"^Doc file '(?P<page>[^']+)' contains a link '(?P<link>[^']+)'")

    def __init__(self, docs_dir: Path, root: Path) -> None:
        super().__init__()
        self.docs_dir, self.root = docs_dir, root

    def filter(self, record: logging.LogRecord) -> bool:
        match = self.PATTERN.match(record.getMessage())
        if match:
            path = self.docs_dir / match.group("page")
            lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
            line = next(
                (n for n, text in enumerate(lines, start=1) if f"({match.group('link')}" in text or f"]: {match.group('link')}" in text), 1
            )
            record.msg, record.args = f"{path.relative_to(self.root).as_posix()}:{line}: {record.getMessage()}", ()
        return True


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    root = Path(config.config_file_path).resolve().parent
    pages_log = logging.getLogger("mkdocs.structure.pages")
    pages_log.filters = [f for f in pages_log.filters if not isinstance(f, _LinkLineFilter)]
    pages_log.addFilter(_LinkLineFilter(Path(config.docs_dir).resolve(), root))
    mismatch = versions.mismatch(root)
    if mismatch:
        raise PluginError(mismatch)
    if not arithmetic.is_reference():  # said once, at the top of the build
        for line in arithmetic.announcement():
            log.info("verified: %s", line.strip())
    cache_dir = project.load(root).cache_dir
    katex.configure(cache_dir)
    memo.highlighted_code(cache_dir)
    if any(name.split("/")[-1] == "search" for name in config.plugins):
        _index_without_katex(memo.search_entries(cache_dir))
    _katex_options.update(project.load(root).katex_options)  # the options the engine checks every formula with
    if "mkdocs-jupyter" in config.plugins:
        jupyter = config.plugins["mkdocs-jupyter"]
        # Its own cache key ignores the environment: a torch upgrade must not serve stale notebook output.
        jupyter.config["cache_dir"] = str(root / ".cache" / "mkdocs-jupyter" / f"torch-{versions.running_torch()}")
        notebook_page.record_executions(_executed_notebooks)
        kernel.use_for_this_process()  # the notebook's kernel is forked from the server that imported torch
    return config


def _index_without_katex(entries: memo.Memo) -> None:
    """Let Material's search index a page with its formulas as TeX, not as KaTeX markup (the page itself is unchanged),
    and reuse the entries of an unchanged page from the last build instead of parsing its HTML again."""
    from material.plugins.search import plugin as search

    original = getattr(search.SearchIndex.add_entry_from_context, "_original", search.SearchIndex.add_entry_from_context)

    def add_entry_from_context(self, page):  # type: ignore[no-untyped-def]
        formulas = getattr(page, "verified_search_formulas", None)
        full = page.content
        if formulas:
            page.content = katex.search_text(page.content, formulas)
        page.content = _without_code_spans(page.content)
        toc = [(item.id, item.url, item.title, item.level) for item in _walk(page.toc)]
        key = memo.Memo.key(page.content, page.url, page.title, page.meta, toc)
        try:
            cached = entries.get(key)
            if cached is None:
                before = len(self.entries)
                original(self, page)
                cached = self.entries[before:]
                entries.put(key, cached)
            else:
                self.entries.extend(json.loads(json.dumps(cached)))  # a copy: the index may change its entries
        finally:
            page.content = full

    add_entry_from_context._original = original  # type: ignore[attr-defined]
    search.SearchIndex.add_entry_from_context = add_entry_from_context


PRE = re.compile(r"<pre\b.*?</pre>", re.DOTALL)
SPAN_TAG = re.compile(r"</?span\b[^>]*>")


def _without_code_spans(html: str) -> str:
    """The page without Pygments' `<span>` tags inside `<pre>`, for the search parser only: they were most of its
    work, and inside `<pre>` the parser keeps every piece of text as it comes, so it indexes the same text."""
    return PRE.sub(lambda pre: SPAN_TAG.sub("", pre.group(0)), html)


def _walk(toc):  # type: ignore[no-untyped-def]
    for item in toc:
        yield item
        yield from _walk(item.children)


def on_pre_build(config: MkDocsConfig) -> None:
    _generated.clear()
    _stylesheets.clear()
    _counts.update(pages=0, executed=0, notebooks=0)
    _reports.clear()
    _rows.clear()
    _executed_notebooks.clear()
    katex.stats.rendered = 0


def on_files(files: Files, config: MkDocsConfig) -> Files:
    pages = [Path(file.abs_src_path) for file in files.documentation_pages() if file.src_uri.endswith((".md", ".py"))]
    sent = prefetch.start(pages)  # uncached pages start running in worker processes now; each is waited for below
    if "mkdocs-jupyter" in config.plugins:
        notebooks = [file.abs_src_path for file in files.documentation_pages() if file.src_uri.endswith(".py")]
        notebook_page.execute_early(config.plugins["mkdocs-jupyter"], notebooks)
    if sent:  # the build would now wait for the first of those runs: render their formulas meanwhile
        katex.prerender(_sources([path for path in sent if path.suffix == ".md"]), _katex_options)
    return files


def _sources(paths: list[Path]) -> Iterator[source.Source]:
    for path in paths:
        try:
            yield source.read(path, project.for_path(path))
        except PageError:
            pass  # a page that cannot be read is reported, with its line, when the build reaches it


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if page.file.src_uri.endswith(".py"):
        return markdown  # a notebook: mkdocs-jupyter executes and renders it
    path = Path(page.file.abs_src_path)
    ran_in_worker = prefetch.wait(path)
    report = engine.check_page(path)
    _counts["pages"] += 1
    _counts["executed"] += report.executed or ran_in_worker
    _reports[page.file.src_uri] = report
    if report.source is None:  # the page could not be read at all: show why, and fail under strict
        for problem in report.problems:
            log.warning(str(problem))
        # Escape the includes (pymdownx.snippets' `;--8<--`) so a missing one is reported, not raised without a line.
        markdown = re.sub(r"^(\s*)(-+8<-+\s)", r"\1;\2", markdown, flags=re.MULTILINE)
        return "\n".join(render.problem_box(report.text())) + "\n" + markdown
    src = report.source
    front_matter = len(src.text.splitlines()) - len(markdown.splitlines()) if src.text != markdown else 0
    math_problems = report.math_problems
    if math_problems:
        # A formula KaTeX rejects would abort the build with no line number: show it as code, with the message below.
        src.lines = katex.neutralise(src.lines, set(math_problems))
    for problem in report.problems:
        log.warning(str(problem))
    text, figures = render.page_markdown(report, Path(page.file.src_uri).stem, front_matter, math_problems)
    destination = Path(page.file.abs_dest_path).parent
    for figure in figures:
        _generated[destination / figure.name] = figure.svg
    page.verified_search_formulas = report.formulas  # type: ignore[attr-defined]  # see _index_without_katex
    if report.blocks and report.ok:
        # "Download as notebook": the page's prose, code and checked outputs, runnable top to bottom in Jupyter.
        notebook = f"{Path(page.file.src_uri).stem}.ipynb"
        _generated[destination / notebook] = notebook_export.page_notebook(report)
        page.nb_url = notebook  # type: ignore[attr-defined]
    return text


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if page.file.src_uri.endswith(".py"):
        _counts["notebooks"] += 1
        formulas: dict[str, str] = {}
        html = notebook_page.stable_cell_ids(notebook_page.render(html, _katex_options, page.file.src_uri, log, formulas))
        page.verified_search_formulas = formulas  # type: ignore[attr-defined]  # see _index_without_katex
        html = notebook_page.rewrite_links(html, page, files, log)
        html = notebook_page.share_styles(html, page, _stylesheets)
        notebook = Path(page.file.abs_dest_path).parent / (Path(page.file.src_uri).stem + ".ipynb")
        prefetch.wait(Path(page.file.abs_src_path))
        runs = engine.check_page(Path(page.file.abs_src_path)).runs  # its cells' outputs, for the download
        _generated[notebook] = notebook_page.as_ipynb(page.file.abs_src_path, runs)
        page.nb_url = notebook.name  # type: ignore[attr-defined]  # the download button in overrides/main.html
    _rows[page.file.src_uri] = _page_row(page, html)
    stamp = (
        f"Every output on this page was produced and checked with torch {versions.running_torch()} and Python "
        f"{versions.running_python()}, on {_arithmetic_stamp()}."
    )
    return html + f'\n<p class="verified-stamp">{stamp}</p>\n'


def _arithmetic_stamp() -> str:
    if arithmetic.is_reference():
        return f"the reference arithmetic ({arithmetic.REFERENCE_MACHINE}; {arithmetic.describe(arithmetic.REFERENCE)})"
    return f"an arithmetic that is not the site's reference ({arithmetic.machine()}, {arithmetic.describe(arithmetic.requested())})"


def _page_row(page: Page, html: str) -> report.PageRow:
    """The verification report's line for a page, from this build's engine report (or, for a notebook, its cells)."""
    path = Path(page.file.abs_src_path)
    row = report.PageRow(
        title=page.title or page.file.src_uri,
        url=page.url,
        source=project.for_path(path).display(path),
        notebook=page.file.src_uri.endswith(".py"),
        blocks=0,
        run=0,
        compared=0,
        raised=0,
        declared=0,
        figures=html.count("jp-RenderedImage"),
        formulas=html.count('<span class="katex">'),
        problems=0,
    )
    if row.notebook:  # run by mkdocs-jupyter's kernel: its environment is not recorded, so not counted either
        row.blocks = row.run = len(notebook.read(path, project.for_path(path))[1])
        return row
    result = _reports[page.file.src_uri]
    row.blocks, row.run, row.problems = len(result.blocks), len(result.runs), len(result.problems)
    row.compared = sum(1 for block, run in zip(result.blocks, result.runs, strict=False) if block.expected is not None and not run.error)
    row.raised = sum(1 for block, run in zip(result.blocks, result.runs, strict=False) if block.raises and not run.error)
    row.declared = sum(1 for block in result.blocks if block.platform_dependent and block.expected is not None)
    row.figures = sum(len(run.figures) for run in result.runs)
    row.environment = result.environment
    return row


def _twin_rows(order: list[str], here: Page) -> list[report.TwinRow]:
    rows = []
    for uri in order:
        result = _reports.get(uri)
        if result is None or result.source is None:
            continue
        for block, run in zip(result.blocks, result.runs, strict=False):
            if block.twin and not run.error and twins.problem(run.output) is None:
                where = result.source.where(block.line)
                url = get_relative_url(_rows[uri].url, here.url)
                rows.append(report.TwinRow(block.twin, twins.fields(run.output), where, url, _rows[uri].title))
    return rows


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    if page.file.src_uri.endswith(".py"):
        return output  # a notebook page keeps each cell's code, for its copy button, in a plain <div>
    return render.without_indentation(output)


@event_priority(50)  # before Material's search indexes the page, so the report's tables are searchable
def on_page_context(context: dict, page: Page, config: MkDocsConfig, nav: Navigation) -> dict:
    """Every page has been run and checked by now: fill in the report, where a page asks for it."""
    if page.content is None or not report.MARKER.search(page.content):
        return context
    order = [other.file.src_uri for other in nav.pages if other.file.src_uri != page.file.src_uri]
    rows = [dataclasses.replace(_rows[uri], url=get_relative_url(_rows[uri].url, page.url)) for uri in order if uri in _rows]
    missing = [uri for uri in order if uri not in _rows]
    tools = {
        "mkdocs": version("mkdocs"),
        "Material for MkDocs": version("mkdocs-material"),
        "markdown-katex": version("markdown-katex"),
        "KaTeX": katex.katex_version(),
        "mkdocs-jupyter": version("mkdocs-jupyter"),
    }
    sections = {
        "pages": lambda: report.pages(rows, missing),
        "twins": lambda: report.twins(_twin_rows(order, page)),
        "environment": lambda: report.environment(rows, tools),
    }
    page.content = report.MARKER.sub(lambda match: sections[match.group("section")](), page.content)
    return context


def on_post_build(config: MkDocsConfig) -> None:
    memo.save()
    for path, _ in notebook_page.unused_early_runs():
        log.warning("%s: executed ahead of time but mkdocs-jupyter did not ask for it (its arguments changed?)", path)
    for name, css in _stylesheets.items():
        _generated[Path(config.site_dir) / name] = css
    for path, text in _generated.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    log.info(
        "verified: %d pages checked (%d executed, %d from cache); %d notebooks (%d executed, %d from cache); "
        "%d formulas rendered anew; %d code blocks highlighted anew; %d pages indexed anew; torch %s",
        _counts["pages"],
        _counts["executed"],
        _counts["pages"] - _counts["executed"],
        _counts["notebooks"],
        len(_executed_notebooks),
        _counts["notebooks"] - len(_executed_notebooks),
        katex.stats.rendered,
        memo.misses("highlight"),
        memo.misses("search"),
        "imported" if "torch" in sys.modules else "not imported",
    )
    failed = [result for result in _reports.values() if not result.ok]
    if config.strict and failed:
        # mkdocs counts warnings for --strict only while its logger shows them: under --quiet it never sees ours
        # (mkdocs/mkdocs#4126). A page that fails its check fails a strict build by itself, at any verbosity.
        if not logging.getLogger("mkdocs").isEnabledFor(logging.WARNING):
            for result in failed:
                log.error(result.text())
        problems = sum(len(result.problems) for result in failed)
        raise Abort(f"Aborted: {problems} problem(s) on {len(failed)} page(s) in strict mode (listed above)")
