"""Front end 1: the mkdocs hook. Runs and checks every page as it is built; strict turns problems into failure."""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort, PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from verified import arithmetic, engine, katex, memo, notebook_export, notebook_page, project, render, report, versions

log = logging.getLogger("mkdocs.verified")


class Build:
    """What the build has made and seen so far; `serve` resets it for each rebuild."""

    def __init__(self) -> None:
        self.page_html: memo.PageHtml | None = None  # rendered pages kept under .cache/ (on_config)
        self.executed_notebooks: set[str] = set()  # notebooks mkdocs-jupyter executed (not from its cache)
        self.reset()

    def reset(self) -> None:
        self.executed_notebooks.clear()  # in place: mkdocs-jupyter's recorder holds on to this set
        self.generated: dict[Path, str] = {}  # files the build writes into site/: figures, page notebooks, shared CSS
        self.stylesheets: dict[str, str] = {}  # the notebooks' shared stylesheet, by site path
        self.reports: dict[str, engine.PageReport] = {}  # the engine's report for each Markdown page, by src_uri
        self.rows: dict[str, report.PageRow] = {}  # the verification report's row for each page and notebook
        self.executed = 0  # pages run by this build (the others came from .cache/)
        self.ran: set[Path] = set()  # pages run ahead of the build, in worker processes


build = Build()


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
            link = match.group("link")
            line = next((n for n, text in enumerate(lines, start=1) if f"({link}" in text or f"]: {link}" in text), 1)
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
    build.page_html = memo.PageHtml(cache_dir)
    memo.highlighted_code(cache_dir)
    if any(name.split("/")[-1] == "search" for name in config.plugins):
        memo.search_entries(cache_dir)
    if "mkdocs-jupyter" in config.plugins:
        notebook_page.configure(config.plugins["mkdocs-jupyter"], root, build.executed_notebooks)
    return config


def on_pre_build(config: MkDocsConfig) -> None:
    build.reset()
    katex.renderer.rendered = 0


def on_files(files: Files, config: MkDocsConfig) -> Files:
    pages = [Path(file.abs_src_path) for file in files.documentation_pages() if file.src_uri.endswith((".md", ".py"))]
    build.ran = set(engine.run_pages(pages, os.cpu_count() or 1))  # uncached pages, one worker process per core
    if "mkdocs-jupyter" in config.plugins:  # a notebook mkdocs-jupyter will execute starts now, in a thread
        notebook_page.execute_early(config.plugins["mkdocs-jupyter"], [str(path) for path in pages if path.suffix == ".py"])
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if page.file.src_uri.endswith(".py"):
        return markdown  # a notebook: mkdocs-jupyter executes and renders it
    path = Path(page.file.abs_src_path)
    result = build.reports[page.file.src_uri] = engine.check_page(path)
    build.executed += result.executed or path.resolve() in build.ran
    for problem in result.problems:
        log.warning(str(problem))  # and shown on the page (render.page_markdown)
    text, figures = render.page_markdown(result, markdown)
    destination = Path(page.file.abs_dest_path).parent
    build.generated.update({destination / figure.name: figure.svg for figure in figures})
    page.verified_search_formulas = result.formulas  # type: ignore[attr-defined]  # see memo.search_entries
    if result.blocks and result.ok:  # "Download as notebook": prose, code and checked outputs, runnable in Jupyter
        build.generated[destination / f"{path.stem}.ipynb"] = notebook_export.page_notebook(result)
        page.nb_url = f"{path.stem}.ipynb"  # type: ignore[attr-defined]
    if result.ok and build.page_html is not None:  # a page with a problem is rendered afresh: it shows the problem
        page.render = functools.partial(build.page_html.render, page)  # type: ignore[method-assign]
    return text


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    path = Path(page.file.abs_src_path)
    proj = project.for_path(path)
    title, source = page.title or page.file.src_uri, proj.display(path)
    if page.file.src_uri.endswith(".py"):  # sets the page's search formulas and its notebook's link, as for a page
        html, ipynb, cells = notebook_page.finish(html, page, files, log, build.stylesheets)
        build.generated[Path(page.file.abs_dest_path).parent / f"{path.stem}.ipynb"] = ipynb
        build.rows[page.file.src_uri] = report.notebook_row(title, page.url, source, cells, html)
    else:
        build.rows[page.file.src_uri] = report.page_row(build.reports[page.file.src_uri], title, page.url, html)
    return html + render.stamp()


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
    rows = [build.rows[uri] for uri in order if uri in build.rows]
    checked = [(build.rows[uri], build.reports[uri]) for uri in order if uri in build.reports]

    def relative(url: str) -> str:
        return get_relative_url(url, page.url)

    twins = report.twin_rows(checked, relative)
    page.content = report.fill(page.content, rows, [uri for uri in order if uri not in build.rows], twins, relative)
    return context


def on_post_build(config: MkDocsConfig) -> None:
    memo.save()
    memo.prune(project.load(Path(config.config_file_path).resolve().parent).cache_dir)
    for path, _ in notebook_page.unused_early_runs():
        log.warning("%s: executed ahead of time but mkdocs-jupyter did not ask for it (its arguments changed?)", path)
    build.generated.update({Path(config.site_dir) / name: css for name, css in build.stylesheets.items()})
    for path, text in build.generated.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    pages, notebooks = len(build.reports), len(build.rows) - len(build.reports)
    log.info(
        "verified: %d pages checked (%d executed, %d from cache); %d notebooks (%d executed, %d from cache); "
        "%d pages converted anew; %d formulas rendered anew; %d code blocks highlighted anew; %d pages indexed anew; torch %s",
        *(pages, build.executed, pages - build.executed, notebooks, len(build.executed_notebooks)),
        *(notebooks - len(build.executed_notebooks), build.page_html.misses if build.page_html else 0),
        *(katex.renderer.rendered, memo.misses("highlight"), memo.misses("search")),
        "imported" if "torch" in sys.modules else "not imported",
    )
    failed = [result for result in build.reports.values() if not result.ok]
    if config.strict and failed:
        # mkdocs counts warnings for --strict only while its logger shows them: under --quiet it never sees ours
        # (mkdocs/mkdocs#4126). A page that fails its check fails a strict build by itself, at any verbosity.
        if not logging.getLogger("mkdocs").isEnabledFor(logging.WARNING):
            for result in failed:
                log.error(result.text())
        problems = sum(len(result.problems) for result in failed)
        raise Abort(f"Aborted: {problems} problem(s) on {len(failed)} page(s) in strict mode (listed above)")
