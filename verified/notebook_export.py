"""Every Markdown page as a Jupyter notebook: its prose, its code (includes expanded) and its checked outputs."""

from __future__ import annotations

import json

from verified import arithmetic, katex, session
from verified.blocks import EXPECTED_OUTPUT, OWN_DIRECTIVE
from verified.engine import PageReport


def _setup() -> str:
    """The state every page starts from (verified/session.py, verified/arithmetic.py), as code the reader can run."""
    variables = arithmetic.environment(arithmetic.REFERENCE)
    aten = variables.pop("ATEN_CPU_CAPABILITY", None) or arithmetic.REFERENCE["aten"]
    variables["XLA_FLAGS"] = arithmetic.xla_flags(arithmetic.REFERENCE, x86_64=False)
    isa = arithmetic.xla_isa_flag(arithmetic.REFERENCE)
    kept = "".join(f"        {name!r}: {value!r},\n" for name, value in variables.items() if value is not None)
    return f"""\
# The state every page of the site starts from, so this notebook prints what the page shows.
# First the site's reference arithmetic, which must be set before torch is imported (restart
# the kernel if it already is): ATen's AVX2 kernels on x86-64, MKL's code path that is the same
# on Intel and AMD, JAX's compiler held to AVX2, one thread. Other machines may print other last
# digits on the few blocks the page labels "platform-dependent".
import os
import platform

os.environ.update(
    {{
{kept}    }}
)
if platform.machine().lower() in ("x86_64", "amd64"):
    os.environ["ATEN_CPU_CAPABILITY"] = {aten!r}
    os.environ["XLA_FLAGS"] += {isa!r}

""" + session.start_state(int(arithmetic.REFERENCE["threads"]))


SETUP = _setup()


def _jupyter_math(lines: list[str]) -> list[str]:
    """markdown-katex syntax to Jupyter's: $`x`$ -> $x$, ```math fences -> $$ blocks."""
    out = list(lines)
    for formula in reversed(katex.scan(lines).formulas):
        if formula.display:
            out[formula.line - 1 : formula.last] = ["$$", *lines[formula.line : formula.last - 1], "$$"]
        else:
            line, (start, end) = out[formula.line - 1], formula.columns
            out[formula.line - 1] = line[:start] + f"${formula.tex}$" + line[end:]
    return out


def _markdown_cell(lines: list[str]) -> dict | None:
    kept = [line for line in lines if not EXPECTED_OUTPUT.match(line.strip()) and not OWN_DIRECTIVE.match(line.strip())]
    text = "\n".join(_jupyter_math(kept)).strip("\n")
    if not text.strip():
        return None
    return {"cell_type": "markdown", "metadata": {}, "source": text.splitlines(keepends=True)}


def page_notebook(report: PageReport) -> str:
    """Deterministic .ipynb text (stable cell ids, sorted keys): same page, same bytes."""
    assert report.source is not None
    src = report.source
    cells: list[dict] = [
        {"cell_type": "code", "metadata": {}, "source": SETUP.splitlines(keepends=True), "outputs": [], "execution_count": None}
    ]
    position = 1
    for block, run in zip(report.blocks, report.runs, strict=False):
        prose = _markdown_cell(src.lines[position - 1 : block.line - 1])
        if prose:
            cells.append(prose)
        outputs: list[dict] = []
        # The output the page shows (it matched this run): the same bytes on every build, memory addresses included.
        printed = block.expected if block.expected is not None else run.output
        if printed:
            outputs.append({"output_type": "stream", "name": "stdout", "text": printed.splitlines(keepends=True)})
        for svg in run.figures:
            outputs.append({"output_type": "display_data", "metadata": {}, "data": {"image/svg+xml": svg.splitlines(keepends=True)}})
        metadata = {"tags": ["raises-exception"]} if block.raises else {}
        cells.append(
            {
                "cell_type": "code",
                "metadata": metadata,
                "source": block.code.rstrip("\n").splitlines(keepends=True),
                "outputs": outputs,
                "execution_count": None,
            }
        )
        position = (block.output_fence[1] if block.output_fence else block.end) + 1
    prose = _markdown_cell(src.lines[position - 1 :])
    if prose:
        cells.append(prose)
    for number, cell in enumerate(cells, start=1):
        cell["id"] = f"cell-{number}"
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def expected_stdout(cell: dict) -> str:
    return "".join("".join(output.get("text", [])) for output in cell.get("outputs", []) if output.get("name") == "stdout")
