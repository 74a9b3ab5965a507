"""Walkthrough notebooks (jupytext percent `.py`): their code cells as blocks, so the engine runs them like a page."""

from __future__ import annotations

import re
from pathlib import Path

from verified.blocks import Block
from verified.errors import PageError
from verified.project import Project
from verified.source import Origin, Source

CELL = re.compile(r"^# %%(?P<rest>.*)$")


def read(path: Path, project: Project) -> tuple[Source, list[Block]]:
    display = project.display(path)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    markers = [number for number, line in enumerate(lines, start=1) if CELL.match(line)]
    if not markers:
        raise PageError(
            display,
            1,
            "a .py file under docs/ must be a jupytext percent notebook (cells start with `# %%`); move other Python to snippets/",
        )
    origins = [Origin(display, number) for number in range(1, len(lines) + 1)]
    source = Source(path=path, display=display, text=text, lines=lines, origins=origins)
    blocks = []
    for start, stop in zip(markers, [*markers[1:], len(lines) + 1], strict=True):
        if "[markdown]" in CELL.match(lines[start - 1]).group("rest"):
            continue
        code = "".join(line + "\n" for line in lines[start : stop - 1])
        blocks.append(Block(line=start, code=code, expected=None, ignore_whitespace=False, end=stop - 1, output_fence=None))
    return source, blocks
