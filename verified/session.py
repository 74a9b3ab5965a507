"""A page session: one namespace for all blocks of a page, reset global state, captured stdout and figures."""

from __future__ import annotations

import contextlib
import io
import linecache
import os
import sys
import textwrap
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from verified import arithmetic
from verified.blocks import Block
from verified.source import Source

os.environ.setdefault("MPLBACKEND", "Agg")
# Before torch is imported (every front end imports this module first): see verified/arithmetic.py.
arithmetic.pin()


@dataclass
class BlockRun:
    output: str
    error: str | None = None  # formatted traceback at Markdown lines, for an unexpected exception
    figures: list[str] = field(default_factory=list)  # SVG text of each figure the block drew
    laid_out: bool = True  # every figure had a layout (saved uncropped, an unlaid one may cut off its labels)


def start_state(threads: int) -> str:
    """The state every page starts from, as code: run before each page (reset_global_state), and the first cell of
    every notebook the site offers (after the environment variables that must precede torch's import)."""
    return f"""\
import random
import sys

import numpy
import torch

random.seed(0)
numpy.random.seed(0)
numpy.set_printoptions(
{_numpy_arguments()})
torch.manual_seed(0)
torch.set_default_dtype(torch.float32)
torch.set_printoptions(profile="default", sci_mode=None)
torch.set_grad_enabled(True)
torch.autograd.set_detect_anomaly(False)
torch.use_deterministic_algorithms(False)
torch.set_warn_always(False)
# The reference arithmetic's settings that live in torch: one thread, so float reductions add in one order;
# oneDNN off; float32 matmuls at full precision.
torch.set_num_threads({threads})
torch.backends.mkldnn.set_flags(False)
torch.set_float32_matmul_precision("highest")
if "jax" in sys.modules:  # JAX's default: 32-bit, unless the page asks for 64
    import jax

    jax.config.update("jax_enable_x64", False)
if "keras" in sys.modules:  # Keras's defaults, and its layer-name counters back at zero
    import keras

    keras.config.set_floatx("float32")
    keras.config.set_epsilon(1e-07)
    keras.utils.clear_session()
if "matplotlib" in sys.modules:  # no figure left open, matplotlib's default style
    import matplotlib
    import matplotlib.pyplot

    matplotlib.pyplot.close("all")
    matplotlib.rcdefaults()
"""


def reset_global_state() -> None:
    """Same clean start for every page, so pages cannot leak into each other and run order does not matter. (oneDNN
    is turned off with set_flags, not the attribute, which refuses once a page has imported torch's test utilities:
    they call torch.backends.disable_global_flags().)"""
    threads = arithmetic.threads()
    if threads not in _START_STATE:
        _START_STATE[threads] = compile(start_state(threads), "<page start state>", "exec")
    exec(_START_STATE[threads], {"__name__": "verified_start_state"})


def _numpy_arguments() -> str:
    return "".join(f"    {name}={value!r},\n" for name, value in _NUMPY_PRINT_DEFAULTS.items())


def _numpy_print_defaults() -> dict:
    import numpy

    return numpy.get_printoptions()


_NUMPY_PRINT_DEFAULTS = _numpy_print_defaults()
_START_STATE: dict[int, object] = {}


def _laid_out(figure) -> bool:  # type: ignore[no-untyped-def]
    """A layout engine, axes placed by hand (none on a subplot grid), or margins that tight_layout (or the page)
    moved from matplotlib's defaults."""
    from matplotlib import rcParamsDefault

    if figure.get_layout_engine() is not None or all(axes.get_subplotspec() is None for axes in figure.axes):
        return True
    params = figure.subplotpars
    return any(getattr(params, side) != rcParamsDefault[f"figure.subplot.{side}"] for side in ("left", "right", "bottom", "top"))


def _take_figures() -> tuple[list[str], bool]:
    """Every open figure as SVG, closed; and whether each was laid out."""
    if "matplotlib.pyplot" not in sys.modules:
        return [], True
    import matplotlib
    import matplotlib.pyplot as plt

    svgs, laid_out = [], True
    for number in plt.get_fignums():
        figure = plt.figure(number)
        laid_out = laid_out and _laid_out(figure)
        buffer = io.StringIO()
        # Same figure, same bytes: fixed SVG ids and no timestamp. Saved as the page laid it out, uncropped:
        # bbox_inches="tight" would draw every figure twice (a third of the site's figure time, measured).
        with matplotlib.rc_context({"svg.hashsalt": "verified"}):
            figure.savefig(buffer, format="svg", metadata={"Date": None})
        svgs.append(buffer.getvalue())
        plt.close(figure)
    return svgs, laid_out


def wrapped_exception(message: str, width: int = 80) -> str:
    """An expected exception as the page shows it: its lines wrapped at `width` columns, so a long message does not
    make the reader scroll sideways (the words and their order are the exception's)."""
    lines = [
        line if len(line) <= width else textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False)
        for line in message.splitlines()
    ]
    return "\n".join(lines) + "\n"


class PageSession:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.filename = f"<page {source.display}>"
        self.namespace: dict[str, object] = {"__name__": "__main__"}
        # Tracebacks and inspect.getsource see the expanded page, line for line.
        linecache.cache[self.filename] = (len(source.expanded), None, source.expanded.splitlines(True), self.filename)
        reset_global_state()

    def run(self, block: Block) -> BlockRun:
        padded = "\n" * block.line + block.code  # line numbers of the code object = expanded page lines
        stdout = io.StringIO()
        error: str | None = None
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
            try:
                exec(compile(padded, self.filename, "exec"), self.namespace)
                if block.raises:
                    error = f"expected the block to raise {block.raises}, but it raised nothing"
            except BaseException as exception:  # a page's exception is a result, reported with its lines
                if isinstance(exception, KeyboardInterrupt):
                    raise
                if block.raises and type(exception).__name__ == block.raises:
                    stdout.write(wrapped_exception("".join(traceback.format_exception_only(exception))))
                else:
                    error = self.format_traceback(exception)
            figures, laid_out = _take_figures()  # inside the redirect: matplotlib's warnings are the page's
        return BlockRun(stdout.getvalue(), error=error, figures=figures, laid_out=laid_out)

    def format_traceback(self, error: BaseException) -> str:
        """The traceback from the first page frame on, each page frame named by its Markdown (or snippet) line."""
        summary = traceback.TracebackException.from_exception(error)
        frames = list(summary.stack)
        first = next((i for i, frame in enumerate(frames) if frame.filename == self.filename), 0)
        mapped = []
        for frame in frames[first:]:
            if frame.filename == self.filename and frame.lineno:
                origin = self.source.origins[frame.lineno - 1]
                frame = traceback.FrameSummary(origin.path, origin.line, frame.name, line=self.source.lines[frame.lineno - 1])
            mapped.append(frame)
        summary.stack = traceback.StackSummary.from_list(mapped)
        return "".join(summary.format())


def run_page(source: Source, blocks: list[Block], root: Path) -> list[BlockRun]:
    """Every block in one session, from the project's root folder (where `<!--verified:reads PATH-->` is resolved)."""
    if not blocks:
        return []  # a page of prose: no session, so no torch import for it
    session = PageSession(source)
    runs = []
    with contextlib.chdir(root):
        for block in blocks:
            run = session.run(block)
            runs.append(run)
            if run.error and not block.raises:
                break  # later blocks build on this one; the report says how many were not run
    return runs
