"""The verification report: tables the build writes into the page that asks for them with <!--verified:report SECTION-->.

Every number comes from the build that renders it: the page records are the engine's reports for this build,
the twin rows are the outputs of the twin-check blocks it ran (or took from the cache, keyed on their code)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

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
