"""A twin check: a block marked <!--verified:twin-check Name--> prints what it compared, one `field: value` per line.

The verification report collects these from the build that ran them; the engine refuses an output it cannot read."""

from __future__ import annotations

FIELDS = ("configurations", "steps", "largest difference from torch")
OPTIONAL = ("tolerance",)


def fields(output: str) -> dict[str, str]:
    """The `field: value` lines of a twin check's output, in order."""
    found = {}
    for line in output.splitlines():
        name, colon, value = line.partition(":")
        if colon and line.strip():
            found[name.strip()] = value.strip()
    return found


def problem(output: str) -> str | None:
    """Why this output is not a twin check the report can show, or None."""
    found = fields(output)
    missing = [name for name in FIELDS if not found.get(name)]
    unknown = [name for name in found if name not in FIELDS + OPTIONAL]
    stray = [line for line in output.splitlines() if line.strip() and ":" not in line]
    if not (missing or unknown or stray):
        return None
    wanted = ", ".join(f"`{name}: …`" for name in FIELDS)
    said = "; ".join(
        part
        for part in (
            f"missing {', '.join(missing)}" if missing else "",
            f"unknown field(s) {', '.join(unknown)} (optional: {', '.join(OPTIONAL)})" if unknown else "",
            f"lines without a field: {stray[:2]}" if stray else "",
        )
        if part
    )
    return f"it must print one line each of {wanted}: {said}"
