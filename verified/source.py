"""A page's text with its `--8<--` includes expanded by pymdownx.snippets, and where each line came from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import markdown
from pymdownx.snippets import SnippetMissingError, SnippetPreprocessor

from verified.errors import PageError
from verified.project import Project


@dataclass(frozen=True)
class Origin:
    path: str  # as messages show it, e.g. snippets/sgd.py
    line: int  # 1-based


@dataclass
class Source:
    path: Path
    display: str
    text: str
    lines: list[str]  # expanded, without line ends
    origins: list[Origin]  # one per expanded line

    @property
    def expanded(self) -> str:
        return "\n".join(self.lines) + "\n"

    def where(self, expanded_line: int) -> str:
        origin = self.origins[expanded_line - 1]
        return f"{origin.path}:{origin.line}"


def _snippet_preprocessor(project: Project) -> SnippetPreprocessor:
    md = markdown.Markdown(extensions=["pymdownx.snippets"], extension_configs={"pymdownx.snippets": project.snippets_config})
    return md.preprocessors["snippet"]


def read(path: Path, project: Project, text: str | None = None) -> Source:
    """Expand includes line by line with the build's own preprocessor, so the code that runs is the code shown."""
    display = project.display(path)
    if text is None:
        text = path.read_text(encoding="utf-8")
    snippets = _snippet_preprocessor(project)
    lines: list[str] = []
    origins: list[Origin] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = snippets.RE_ALL_SNIPPETS.match(line) if "8<-" in line else None
        if match is None or match.group("escape"):
            lines.append(line)
            origins.append(Origin(display, number))
            continue
        if not match.group("inline_marker"):
            raise PageError(display, number, 'block-form `--8<--` includes are not supported; write one `--8<-- "path"` line per file')
        snippets.seen, snippets.bases, snippets.failed = set(), None, set()  # what SnippetPreprocessor.run sets up
        try:
            expanded = snippets.parse_snippets([line])
        except SnippetMissingError as error:
            raise PageError(display, number, f"missing include: {error}") from None
        target = snippets.parse_snippet_target(match.group("snippet")[1:-1].strip()) or {}
        included = project.display(Path(snippets.get_snippet_path(target.get("path", "")) or target.get("path", "")))
        starts = target.get("start") or []
        # A single `path:START:END` range keeps real line numbers; other selections count from the first line shown.
        first = starts[0] + 1 if len(starts) == 1 and starts[0] is not None and starts[0] >= 0 else 1
        for offset, included_line in enumerate(expanded):
            lines.append(included_line)
            origins.append(Origin(included, first + offset))
    return Source(path=path, display=display, text=text, lines=lines, origins=origins)
