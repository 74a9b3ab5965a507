"""Python blocks of a page: pytest-codeblocks' parser and directives, plus positions, `raises` and refusals."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from pytest_codeblocks import extract_from_buffer

from verified.directives import DIRECTIVES, KNOWN, REPORT_SECTIONS
from verified.errors import PageError
from verified.source import Source

RUN = "python"
# Fences that look like Python but would be skipped by pytest-codeblocks: refused, never silently ignored.
LOOKS_LIKE_PYTHON = re.compile(r"^(py|py3|python3|pycon|ipython|ipython3|\{.*python.*\})$")
OWN_DIRECTIVE = re.compile(r"^<!--\s*verified:(?P<name>[\w-]+)\s*(?P<arg>.*?)\s*-->$")
IMPORTS_SNIPPETS = re.compile(r"^\s*(from|import)\s+snippets\b", re.MULTILINE)
EXPECTED_OUTPUT = re.compile(r"^<!--[-\s]*pytest-codeblocks:expected-output(-ignore-whitespace)?[-\s]*-->$")


@dataclass
class Block:
    line: int  # opening fence, expanded-text line number (1-based)
    code: str
    expected: str | None  # None: the block has no expected-output fence
    ignore_whitespace: bool
    end: int  # closing fence of the code, expanded line number
    output_fence: tuple[int, int] | None  # opening and closing line of the expected-output fence, expanded numbers
    directives: dict[str, str] = field(default_factory=dict)  # <!--verified:NAME ARGUMENT--> above it (verified.directives)

    @property
    def raises(self) -> str | None:
        """The exception class name the block must raise."""
        return self.directives.get("raises")

    @property
    def twin(self) -> str | None:
        """The formula twin this block checks against torch."""
        return self.directives.get("twin-check")

    @property
    def platform_dependent(self) -> str | None:
        """Why the output is the reference arithmetic's last bits: the page shows a note; off the reference arithmetic
        its numbers are compared by verified.compare's stated rule."""
        return self.directives.get("platform-dependent")

    @property
    def figure(self) -> str | None:
        """What the figure the block draws shows: its alt text."""
        return self.directives.get("figure")

    @property
    def reads(self) -> tuple[str, ...]:
        """Files or folders of the project the block reads as data: part of the cache key."""
        return tuple(self.directives.get("reads", "").split())


def _fence_close(lines: list[str], opening: int) -> int:
    """Expanded line number of the fence that closes the one opening at `opening` (1-based)."""
    stripped = lines[opening - 1].lstrip()
    ticks = len(stripped) - len(stripped.lstrip("`"))
    for number in range(opening + 1, len(lines) + 1):
        if lines[number - 1].lstrip().startswith("`" * ticks):
            return number
    raise ValueError("unclosed fence")


def _next_nonblank(lines: list[str], after: int) -> int | None:
    for number in range(after + 1, len(lines) + 1):
        if lines[number - 1].strip():
            return number
    return None


def _previous_nonblank(lines: list[str], before: int) -> int | None:
    for number in range(before - 1, 0, -1):
        if lines[number - 1].strip():
            return number
    return None


def _refuse_directives(source: Source) -> None:
    for number, line in enumerate(source.lines, start=1):
        text = line.strip()
        if re.match(r"^<!--[-\s]*pytest-codeblocks:(cont|skip|skipif|skipfile|importorskip|expect-exception|expect-error)", text):
            raise PageError(
                source.display,
                source.origins[number - 1].line,
                f"{text} is not supported here: all blocks of a page already share one session, and nothing is skipped",
            )
        if re.match(r"^<!--[-\s]*pytest\.mark\.", text):
            raise PageError(
                source.display,
                source.origins[number - 1].line,
                f"{text}: pytest marks on blocks are not supported; nothing is skipped or expected to fail",
            )
        own = OWN_DIRECTIVE.match(text)
        if own and own.group("name") not in (*DIRECTIVES, "report"):
            raise PageError(source.display, source.origins[number - 1].line, f"unknown directive {text}; the engine knows {KNOWN}")
        if own and own.group("name") == "report" and own.group("arg") not in REPORT_SECTIONS:
            raise PageError(
                source.display,
                source.origins[number - 1].line,
                f"{text}: the report has the sections {', '.join(REPORT_SECTIONS)}; name one",
            )


def parse(source: Source) -> list[Block]:
    _refuse_directives(source)
    lines = source.lines
    try:
        found = extract_from_buffer(io.StringIO(source.expanded), max_num_lines=10**6)
    except RuntimeError as error:
        raise PageError(source.display, 1, f"pytest-codeblocks cannot parse this page: {error}") from None
    blocks = []
    for found_block in found:
        info = (found_block.syntax or "").strip()
        language = info.split()[0] if info else ""
        where = source.origins[found_block.lineno - 1]
        if LOOKS_LIKE_PYTHON.match(language):
            raise PageError(
                where.path,
                where.line,
                f"```{info} is not run by the engine (nor by pytest-codeblocks); "
                "write ```python so it runs and its output is checked, or ```text if it is not Python to run",
            )
        if language != RUN:
            continue
        end = _fence_close(lines, found_block.lineno)
        # The code as the page has it, line for line: pytest-codeblocks drops the blank lines of an indented fence (one
        # inside an admonition or a `??? note`), which would shift every later line of a traceback.
        indent = len(lines[found_block.lineno - 1]) - len(lines[found_block.lineno - 1].lstrip())
        code = "".join(line[indent:] + "\n" for line in lines[found_block.lineno : end - 1])
        imported = IMPORTS_SNIPPETS.search(code)
        if imported:
            line = found_block.lineno + code[: imported.start()].count("\n") + 1
            raise PageError(
                where.path,
                source.origins[line - 1].line,
                "a page must not import from snippets/ (the reader would not see that code, and the build cannot import it); "
                'include the file with --8<-- "snippets/<name>.py" instead',
            )
        output_fence = None
        marker = _next_nonblank(lines, end)
        if found_block.expected_output is not None and marker and EXPECTED_OUTPUT.match(lines[marker - 1].strip()):
            opening = _next_nonblank(lines, marker)
            assert opening is not None
            output_fence = (opening, _fence_close(lines, opening))
        blocks.append(
            Block(
                line=found_block.lineno,
                code=code,
                expected=found_block.expected_output,
                ignore_whitespace=found_block.expected_output_ignore_whitespace,
                end=end,
                output_fence=output_fence,
                directives=_directives_above(source, found_block.lineno),
            )
        )
    _refuse_orphan_directives(source, blocks)
    return blocks


def _directive_lines_above(lines: list[str], opening: int) -> list[int]:
    """The lines of the block directives stacked right above a fence (blank lines between them allowed)."""
    found = []
    number = _previous_nonblank(lines, opening)
    while number:
        own = OWN_DIRECTIVE.match(lines[number - 1].strip())
        if not own or own.group("name") not in DIRECTIVES:
            break
        found.append(number)
        number = _previous_nonblank(lines, number)
    return found


def _directives_above(source: Source, opening: int) -> dict[str, str]:
    directives: dict[str, str] = {}
    for number in _directive_lines_above(source.lines, opening):
        own = OWN_DIRECTIVE.match(source.lines[number - 1].strip())
        assert own is not None
        name, argument, origin = own.group("name"), own.group("arg"), source.origins[number - 1]
        if name in directives:
            raise PageError(origin.path, origin.line, f"two <!--verified:{name} ...--> directives on one block")
        if not DIRECTIVES[name].valid(argument):
            raise PageError(origin.path, origin.line, f"<!--verified:{name} ...--> {DIRECTIVES[name].needs}")
        directives[name] = argument
    return directives


def _refuse_orphan_directives(source: Source, blocks: list[Block]) -> None:
    """A block directive that no python block follows would otherwise be silently ignored."""
    attached = {number for block in blocks for number in _directive_lines_above(source.lines, block.line)}
    for number, line in enumerate(source.lines, start=1):
        own = OWN_DIRECTIVE.match(line.strip())
        if own and own.group("name") in DIRECTIVES and number not in attached:
            origin = source.origins[number - 1]
            raise PageError(origin.path, origin.line, f"{line.strip()} is not directly followed by a ```python block")
