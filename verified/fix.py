"""Update mode: write each block's real output into its expected-output fence, touching nothing else."""

from __future__ import annotations

from collections.abc import Callable

from verified import compare
from verified.blocks import Block
from verified.errors import PageError
from verified.session import BlockRun
from verified.source import Source


def rewrite(src: Source, blocks: list[Block], runs: list[BlockRun], unchanged: Callable[[Block, str], bool]) -> str:
    """`unchanged(block, output)`: the check's own verdict that a fence already holds the output (equal after the
    declared filters, say): such a fence is left byte for byte as it is."""
    lines = src.text.splitlines(keepends=True)
    edits: list[tuple[int, int, list[str]]] = []  # (first source line, last source line, replacement), 1-based
    for block, run in zip(blocks, runs, strict=False):
        if run.error:
            continue  # nothing to write from a failed run; the report says why
        text = compare.as_fence_text(run.output)
        if block.output_fence:
            opening, closing = (src.origins[n - 1] for n in block.output_fence)
            if opening.path != src.display or closing.path != src.display:
                raise PageError(opening.path, opening.line, "an expected-output fence inside an include cannot be updated")
            if block.expected is not None and unchanged(block, run.output):
                continue
            edits.append((opening.line + 1, closing.line - 1, _indented(text, _indent(src.lines[block.output_fence[0] - 1]))))
        elif text:
            end = src.origins[block.end - 1]
            indent = _indent(src.lines[block.line - 1])
            body = _indented(text, indent)
            added = ["\n", f"{indent}<!--pytest-codeblocks:expected-output-->\n", "\n", f"{indent}```text\n", *body, f"{indent}```\n"]
            edits.append((end.line + 1, end.line, added))
    for first, last, replacement in sorted(edits, reverse=True):
        if first - 1 <= len(lines) and first - 2 >= 0 and not lines[first - 2].endswith("\n"):
            lines[first - 2] += "\n"
        lines[first - 1 : last] = replacement
    return "".join(lines)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _indented(text: str, indent: str) -> list[str]:
    """Fences inside admonitions or lists keep their indentation."""
    return [indent + line if line.strip() else line for line in text.splitlines(keepends=True)]
