"""Block directives, `<!--verified:NAME ARGUMENT-->` above a ```python block: each one's argument rule and its check.

A new directive is one entry in DIRECTIVES (blocks.py parses it and refuses a bad argument with this entry's words);
what it changes on the page, if anything, is one rule in render.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from verified import twins

if TYPE_CHECKING:
    from verified.blocks import Block
    from verified.session import BlockRun

# What is wrong with a block's run given the directive's argument (None: the directive is absent); None if nothing.
Check = Callable[["str | None", "Block", "BlockRun"], "str | None"]


def _nothing(argument: str | None, block: Block, run: BlockRun) -> str | None:
    return None


def _twin_check(argument: str | None, block: Block, run: BlockRun) -> str | None:
    problem = twins.problem(run.output) if argument else None
    return f"twin check {argument!r}: {problem}" if problem else None


def _figure(argument: str | None, block: Block, run: BlockRun) -> str | None:
    if run.figures and argument is None:
        return "the block draws a figure: say what it shows in <!--verified:figure DESCRIPTION--> above the block (its alt text)"
    if argument is not None and len(run.figures) != 1:
        return f"<!--verified:figure ...--> describes one figure, but the block drew {len(run.figures)}"
    return None


def _platform_dependent(argument: str | None, block: Block, run: BlockRun) -> str | None:
    if argument is not None and block.expected is None:
        return "a block declared platform-dependent must have an expected-output fence"
    return None


@dataclass(frozen=True)
class Directive:
    placeholder: str  # the argument as the error messages spell it
    valid: Callable[[str], bool]
    needs: str  # what a valid argument is, said when it is not
    check: Check = _nothing


DIRECTIVES: dict[str, Directive] = {
    # The block must raise this exception; the session runs it so (verified.session), and its message is the output.
    "raises": Directive("ExceptionName", str.isidentifier, "needs one exception class name"),
    # The block prints a twin check's fields (verified.twins); the report lists them.
    "twin-check": Directive("TwinName", bool, "needs the twin's name", _twin_check),
    # The output is the reference arithmetic's last bits: a note on the page; compared by a stated rule elsewhere.
    "platform-dependent": Directive("REASON", bool, "needs the reason, for the reader (it is shown on the page)", _platform_dependent),
    "figure": Directive(
        "DESCRIPTION", bool, "needs a description of what the figure shows (its alt text, for readers who cannot see it)", _figure
    ),
    # Files or folders the block reads as data: part of the page's cache key (verified.cache).
    "reads": Directive("PATH ...", bool, "needs the files or folders the block reads, relative to the project's root"),
}
REPORT_SECTIONS = ("pages", "twins", "environment")  # <!--verified:report SECTION-->, on a line of its own
KNOWN = ", ".join(f"<!--verified:{name} {d.placeholder}-->" for name, d in DIRECTIVES.items()) + (
    f" and <!--verified:report {'|'.join(REPORT_SECTIONS)}-->"
)


def problems(block: Block, run: BlockRun) -> list[str]:
    """What every directive's check finds wrong with a block's run (each directive checked, present or not)."""
    found = (directive.check(block.directives.get(name), block, run) for name, directive in DIRECTIVES.items())
    return [problem for problem in found if problem]
