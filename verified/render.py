"""The Markdown a page becomes on the site: includes expanded, figures placed, problems shown where they happen."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from verified import arithmetic, katex, versions
from verified.engine import PageReport


@dataclass
class Figure:
    name: str  # file name, written next to the page's index.html
    svg: str


def problem_box(message: str) -> list[str]:
    """A visible admonition, so `mkdocs serve` shows a drifted output on the page itself."""
    body = html.escape(message).replace("$", "&#36;")  # a quoted formula must not be rendered (or fail) again
    return ["", '!!! failure "Verification failed"', "", "    <pre><code>" + body.replace("\n", "\n    ") + "</code></pre>", ""]


def platform_note(reason: str) -> list[str]:
    """What the reader sees under a block declared <!--verified:platform-dependent REASON-->."""
    reference = arithmetic.describe(arithmetic.REFERENCE)
    reason = reason[:1].upper() + reason[1:].rstrip(".")
    text = (
        f"{reason}. The last digits above come from the site's reference arithmetic (x86-64, {reference}); on your machine they may differ."
    )
    return ["", '!!! note "Platform-dependent digits"', "", "    " + text, ""]


def page_markdown(report: PageReport, markdown: str) -> tuple[str, list[Figure]]:
    """What mkdocs converts instead of `markdown` (the page as it read it, front matter removed): the expanded page with
    its figures, platform notes and problems placed under their blocks; a page that could not be read, with why."""
    if report.source is None:  # shown with the reason; the includes escaped (pymdownx.snippets' `;--8<--`), so a
        # missing one is reported, not raised by the build without a line
        markdown = re.sub(r"^(\s*)(-+8<-+\s)", r"\1;\2", markdown, flags=re.MULTILINE)
        return "\n".join(problem_box(report.text())) + "\n" + markdown, []
    src = report.source
    if report.math_problems:  # KaTeX would abort the build with no line number: show such a formula as code
        src.lines = katex.neutralise(src.lines, set(report.math_problems))
    skip_lines = len(src.text.splitlines()) - len(markdown.splitlines()) if src.text != markdown else 0  # front matter
    stem, extra_problems = src.path.stem, report.math_problems
    after: dict[int, list[str]] = {}
    figures: list[Figure] = []
    by_line: dict[tuple[str, int], list[str]] = {}
    for problem in report.problems:
        by_line.setdefault((problem.path, problem.line), []).append(str(problem))
    for block, run in zip(report.blocks, report.runs, strict=False):
        anchor = block.output_fence[1] if block.output_fence else block.end
        for svg in run.figures:
            figure = Figure(f"{stem}-figure-{len(figures) + 1}.svg", svg)
            figures.append(figure)
            after.setdefault(anchor, []).extend(
                ["", f'<figure class="verified-figure"><img src="{figure.name}" alt="{html.escape(block.figure or "")}"></figure>', ""]
            )
    for block in report.blocks:
        if block.platform_dependent:
            after.setdefault(block.output_fence[1] if block.output_fence else block.end, []).extend(platform_note(block.platform_dependent))
    for block in report.blocks:
        origin = src.origins[block.line - 1]
        for message in by_line.pop((origin.path, origin.line), []):
            anchor = block.output_fence[1] if block.output_fence else block.end
            after.setdefault(anchor, []).extend(problem_box(message))
    for line, messages in extra_problems.items():
        for message in messages:
            after.setdefault(line, []).extend(problem_box(message))
    lines = list(src.lines)
    for block in report.blocks:
        if block.output_fence:
            # The reader sees which fence is output: a titled code block, distinct from the code above it.
            opening = block.output_fence[0] - 1
            if "title=" not in lines[opening]:
                lines[opening] = lines[opening].rstrip() + ' title="Output"'
    leftover = [message for messages in by_line.values() for message in messages]
    out: list[str] = []
    if leftover:
        out.extend(problem_box("\n\n".join(leftover)))
    for number, line in enumerate(lines, start=1):
        if number > skip_lines:
            out.append(line)
        out.extend(after.get(number, []))
    return "\n".join(out) + "\n", figures


def stamp() -> str:
    """The line at the foot of every page: what produced and checked its outputs."""
    made = f"torch {versions.running_torch()} and Python {versions.running_python()}, on {arithmetic.stamp()}"
    return f'\n<p class="verified-stamp">Every output on this page was produced and checked with {made}.</p>\n'


# Where whitespace is kept as written: preformatted text, and code and keys, which Material styles pre-wrap.
KEPT = re.compile(r"(<(pre|code|kbd|textarea|script)\b.*?</\2>)", re.DOTALL | re.IGNORECASE)
INDENTATION = re.compile(r"\n[ \t]*(?:\n[ \t]*)*")


def without_indentation(page_html: str) -> str:
    """The built page without the theme's indentation: outside the elements that keep whitespace (KEPT), a run of
    whitespace that holds a line break renders as one space, as one line break does. (Material's indented templates
    were 5% of a page's bytes.)"""
    parts = KEPT.split(page_html)  # with its two groups: [text, element, tag name, text, element, tag name, ..., text]
    texts = [INDENTATION.sub("\n", part) for part in parts[::3]]
    return "".join(text + "".join(parts[3 * i + 1 : 3 * i + 2]) for i, text in enumerate(texts))
