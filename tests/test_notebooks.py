"""Every page's "Download as notebook" runs top to bottom in a real Jupyter kernel and prints what the page shows."""

from __future__ import annotations

from pathlib import Path

import nbclient
import nbformat
import pytest
from jupyter_client.manager import start_new_kernel

from tests import verdicts
from tests.helpers import ROOT
from verified import compare, engine, notebook_export, session

PAGES = sorted((ROOT / "docs").rglob("*.md"))


@pytest.fixture(scope="module")
def kernel():
    """One kernel for all pages (a kernel start is an `import torch`); each notebook starts with %reset and its own setup cell."""
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(ROOT))
    yield manager, client
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def cell_output(cell: nbformat.NotebookNode) -> str:
    text = ""
    for output in cell.outputs:
        if output.output_type == "stream" and output.name == "stdout":
            text += output.text
        elif output.output_type == "error":
            # the line traceback.format_exception_only writes, as the page shows it (wrapped at 80 columns)
            text += session.wrapped_exception(f"{output.ename}: {output.evalue}" if output.evalue else output.ename)
    return text


@pytest.mark.parametrize("path", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_page_notebook_runs_in_jupyter_and_prints_the_checked_outputs(path: Path, request):
    report = engine.check_page(path, use_cache=not verdicts.cache.fresh())
    assert report.ok, report.text()
    if not report.blocks:
        return
    text = notebook_export.page_notebook(report)
    check = verdicts.key(text, Path(__file__).read_bytes(), packages=("nbclient", "ipykernel", "jupyter-client"))
    if verdicts.passed_before("notebook", check, request.node):
        return  # this very notebook passed in this environment before
    run_in_kernel(report, text, request.getfixturevalue("kernel"))
    verdicts.record_pass("notebook", check)


def run_in_kernel(report: engine.PageReport, text: str, kernel) -> None:  # type: ignore[no-untyped-def]
    notebook = nbformat.reads(text, as_version=4)
    expected = [notebook_export.expected_stdout(cell) for cell in notebook.cells if cell.cell_type == "code"]
    manager, client = kernel
    client.execute_interactive("%reset -f", timeout=60)
    runner = nbclient.NotebookClient(notebook, km=manager, timeout=600, resources={"metadata": {"path": str(ROOT)}})
    runner.kc = client
    code_cells = [(index, cell) for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    for (index, cell), want in zip(code_cells, expected, strict=True):
        runner.execute_cell(cell, index)  # raises CellExecutionError unless the cell is tagged raises-exception
        got = cell_output(cell)
        assert compare.matches(want, got), f"{report.display}, notebook cell {index}:\n" + compare.diff(want, got, report.display)
