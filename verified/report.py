"""The verification report: tables the build writes into the page that asks for them with <!--verified:report SECTION-->.

Every number comes from the build that renders it: the page records are the engine's reports for this build,
the twin rows are the outputs of the twin-check blocks it ran (or took from the cache, keyed on their code)."""

from __future__ import annotations

import dataclasses
import html
import re
from dataclasses import dataclass, field
from importlib.metadata import version

from verified import katex
from verified import twins as twin_output
from verified.engine import PageReport

MARKER = re.compile(r"<!--\s*verified:report\s+(?P<section>[\w-]+)\s*-->")


@dataclass
class PageRow:
    title: str
    url: str  # relative to the report page
    source: str  # docs/…, as problems name it
    notebook: bool
    blocks: int
    run: int
    compared: int  # outputs compared with their expected-output fence
    raised: int  # blocks that raised the exception their directive names
    declared: int  # outputs declared platform-dependent (the reference arithmetic's last bits, labelled on the page)
    figures: int
    formulas: int
    problems: int
    environment: dict[str, str] = field(default_factory=dict)


@dataclass
class TwinRow:
    name: str
    fields: dict[str, str]
    where: str  # docs/page.md:LINE of the checking block
    url: str
    title: str  # of the page it is on


def _table(head: list[str], rows: list[list[str]], numeric: set[int], name: str) -> str:
    """A table as Material styles one of its own Markdown tables (raw strings here are already HTML)."""

    def cell(tag: str, index: int, text: str) -> str:
        align = ' style="text-align: right"' if index in numeric else ""
        return f"<{tag}{align}>{text}</{tag}>"

    header = "".join(cell("th", i, text) for i, text in enumerate(head))
    body = "".join("<tr>" + "".join(cell("td", i, text) for i, text in enumerate(row)) + "</tr>" for row in rows)
    return (
        f'<div class="md-typeset__scrollwrap verified-report-{name}"><div class="md-typeset__table">'
        f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table></div></div>"
    )


def _link(title: str, url: str, tooltip: str = "") -> str:
    hover = f' title="{html.escape(tooltip)}"' if tooltip else ""
    return f'<a href="{html.escape(url)}"{hover}>{html.escape(title)}</a>'


def pages(rows: list[PageRow], missing: list[str]) -> str:
    head = ["Page", "Blocks", "Checked", "Raised", "Platform-dependent", "Figures", "Formulas"]
    body = []
    for row in rows:
        body.append(
            [
                _link(row.title, row.url, row.source),
                f"{row.run}/{row.blocks}",
                "assertions" if row.notebook else str(row.compared),
                str(row.raised),
                str(row.declared),
                str(row.figures),
                str(row.formulas),
            ]
        )
    total = {
        name: sum(getattr(row, name) for row in rows) for name in ("blocks", "run", "compared", "raised", "declared", "figures", "formulas")
    }
    body.append(
        [
            f"<strong>{len(rows)} pages</strong>",
            f"<strong>{total['run']}/{total['blocks']}</strong>",
            f"<strong>{total['compared']}</strong>",
            f"<strong>{total['raised']}</strong>",
            f"<strong>{total['declared']}</strong>",
            f"<strong>{total['figures']}</strong>",
            f"<strong>{total['formulas']}</strong>",
        ]
    )
    problems = [row for row in rows if row.problems]
    if problems:  # under `serve`; a strict build with a problem writes this too, then fails (and is not published)
        head.append("Problems")
        for line, row in zip(body, [*rows, None], strict=True):
            line.append(str(row.problems) if row else f"<strong>{sum(p.problems for p in problems)}</strong>")
    text = _table(head, body, numeric={1, 2, 3, 4, 5, 6, 7}, name="pages")
    if missing:
        names = ", ".join(f"<code>{html.escape(name)}</code>" for name in missing)
        text += (
            f'<p class="verified-report-partial">Not in this table: {names}. They were not rebuilt by this '
            "<code>serve --dirty</code> rebuild; <code>nox -s docs</code> builds the full report.</p>"
        )
    return text


def twins(rows: list[TwinRow]) -> str:
    head = ["Twin", "Configurations", "Steps", "Largest difference from torch", "Tolerance", "Checked on"]
    body = [
        [
            f"<strong>{html.escape(row.name)}</strong>",
            html.escape(row.fields["configurations"]),
            html.escape(row.fields["steps"]),
            html.escape(row.fields["largest difference from torch"]),
            html.escape(row.fields.get("tolerance", "")),
            _link(row.title, row.url, row.where),
        ]
        for row in rows
    ]
    if not body:
        return '<p class="verified-report-partial">No twin-check block ran in this build.</p>'
    return _table(head, body, numeric=set(), name="twins")


def environment(rows: list[PageRow], tools: dict[str, str]) -> str:
    """Which torch, Python and platform produced the outputs; several lines if cached runs came from elsewhere."""
    seen: dict[tuple[tuple[str, str], ...], int] = {}
    for row in rows:
        if row.environment:
            key = tuple(row.environment.items())
            seen[key] = seen.get(key, 0) + 1
    head = ["torch", "Python", "Platform", "CPU kernels", "Arithmetic", "Pages"]
    names = ("torch", "python", "platform", "cpu kernels", "arithmetic")
    body = [[html.escape(dict(key).get(name, "")) for name in names] + [str(count)] for key, count in seen.items()]
    built = ", ".join(f"{html.escape(name)} {html.escape(value)}" for name, value in tools.items())
    return _table(head, body, numeric={5}, name="environment") + f"<p>Built with {built}.</p>"


def page_row(result: PageReport, title: str, url: str, html_text: str) -> PageRow:
    """A Markdown page's line, from the engine's report of this build."""
    pairs = list(zip(result.blocks, result.runs, strict=False))
    return PageRow(
        title=title,
        url=url,
        source=result.display,
        notebook=False,
        blocks=len(result.blocks),
        run=len(result.runs),
        compared=sum(1 for block, run in pairs if block.expected is not None and not run.error),
        raised=sum(1 for block, run in pairs if block.raises and not run.error),
        declared=sum(1 for block in result.blocks if block.platform_dependent and block.expected is not None),
        figures=sum(len(run.figures) for run in result.runs),
        formulas=html_text.count('<span class="katex">'),
        problems=len(result.problems),
        environment=result.environment,
    )


def notebook_row(title: str, url: str, source: str, cells: int, html_text: str) -> PageRow:
    """A notebook's line: run by mkdocs-jupyter's kernel, whose environment is not recorded, so not counted either."""
    figures, formulas = html_text.count("jp-RenderedImage"), html_text.count('<span class="katex">')
    return PageRow(title, url, source, True, cells, cells, 0, 0, 0, figures, formulas, 0)


def twin_rows(results: list[tuple[PageRow, PageReport]], relative_url) -> list[TwinRow]:  # type: ignore[no-untyped-def]
    """Every twin-check block that ran and said what it compared, in the order of the pages."""
    rows = []
    for row, result in results:
        if result.source is None:
            continue
        for block, run in zip(result.blocks, result.runs, strict=False):
            if block.twin and not run.error and twin_output.problem(run.output) is None:
                where = result.source.where(block.line)
                rows.append(TwinRow(block.twin, twin_output.fields(run.output), where, relative_url(row.url), row.title))
    return rows


def fill(content: str, rows: list[PageRow], missing: list[str], twins_found: list[TwinRow], relative_url) -> str:  # type: ignore[no-untyped-def]
    """The page with each <!--verified:report SECTION--> replaced by its table (links made relative to the page)."""
    tools = {
        "mkdocs": version("mkdocs"),
        "Material for MkDocs": version("mkdocs-material"),
        "markdown-katex": version("markdown-katex"),
        "KaTeX": katex.katex_version(),
        "mkdocs-jupyter": version("mkdocs-jupyter"),
    }
    rows = [dataclasses.replace(row, url=relative_url(row.url)) for row in rows]
    sections = {
        "pages": lambda: pages(rows, missing),
        "twins": lambda: twins(twins_found),
        "environment": lambda: environment(rows, tools),
    }
    return MARKER.sub(lambda match: sections[match.group("section")](), content)
