"""Normalise and compare a block's output; all normalisation lives here."""

from __future__ import annotations

import difflib
import re

# The only declared filters: values that differ from run to run by nature, never by a change in torch.
FILTERS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"0x[0-9a-fA-F]{6,}"), "0x…"),  # memory addresses in reprs
]


def normalise(text: str, ignore_whitespace: bool = False) -> str:
    for pattern, replacement in FILTERS:
        text = pattern.sub(replacement, text)
    if ignore_whitespace:
        return " ".join(text.split())
    return "\n".join(line.rstrip() for line in text.rstrip("\n").splitlines())


def as_fence_text(output: str) -> str:
    """What update mode writes into an expected-output fence: the output, trailing spaces trimmed."""
    text = normalise_lines(output)
    return text + "\n" if text else ""


def normalise_lines(output: str) -> str:
    return "\n".join(line.rstrip() for line in output.rstrip("\n").splitlines())


def matches(expected: str, actual: str, ignore_whitespace: bool = False) -> bool:
    return normalise(expected, ignore_whitespace) == normalise(actual, ignore_whitespace)


# Off the reference arithmetic, and only for a block declared platform-dependent: its lesson is the reference's last
# bits, which another arithmetic may move. Its text must still match, with every number masked and runs of spaces
# folded (a tensor's repr pads its columns to the widest number); what the block asserts still runs everywhere.
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|\b(?:inf|nan)\b")
OFF_REFERENCE_RULE = "the same text with every number masked (a declared block's numbers are the reference arithmetic's)"


def masked(text: str) -> str:
    return " ".join(NUMBER.sub("#", normalise(text)).split())


def matches_off_reference(expected: str, actual: str) -> bool:
    return masked(expected) == masked(actual)


def diff(expected: str, actual: str, where: str) -> str:
    lines = difflib.unified_diff(
        normalise_lines(expected).splitlines(),
        normalise_lines(actual).splitlines(),
        fromfile=f"expected ({where})",
        tofile="actual (this run)",
        lineterm="",
    )
    return "\n".join(lines)
