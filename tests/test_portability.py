"""The portability check: every page re-run under each variation of the reference arithmetic must print what it
printed on the reference, except blocks declared platform-dependent (compared with their numbers masked)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.helpers import FENCE, ROOT, make_project, page, run
from verified import arithmetic


def _check(folder, variation: str, *args: str, fresh: bool = True) -> subprocess.CompletedProcess[str]:
    """`python -m verified check` in a fresh process (the pins must be set before torch is imported); `fresh=False`:
    without VERIFIED_FRESH even if this run has it (a throwaway project's own cache, read on purpose)."""
    env = {**os.environ, arithmetic.VARIABLE: variation}
    if not fresh:
        env.pop("VERIFIED_FRESH", None)
    return subprocess.run([sys.executable, "-m", "verified", *args], cwd=folder, env=env, capture_output=True, text=True, timeout=1200)


@pytest.mark.reuse_passing_verdict(inputs=["docs"])
@pytest.mark.parametrize("variation", arithmetic.VARIATIONS)
def test_every_page_prints_the_same_under(variation):
    """Runs of unchanged pages come from .cache/ (keyed on the arithmetic): cheap to repeat, as the other slow checks."""
    result = _check(ROOT, variation, "check", "docs")
    assert result.returncode == 0, f"under {arithmetic.VARIABLE}={variation}:\n{result.stderr}"
    assert (
        f"arithmetic: not the reference: Linux x86_64 (with AVX2), {arithmetic.describe(arithmetic.requested_from(variation))}"
        in result.stderr
    )


# A float32 dot product of 1000 numbers: MKL's SGEMM sums it in an order chosen by its code path.
REDUCTION = page(
    """
    # A reduction

    ~~~python
    import torch
    x = torch.rand(1000, generator=torch.Generator().manual_seed(0))
    print(repr((x @ x).item()))
    ~~~
    """
)


REASON = "MKL sums the 1000 products in an order of its choosing"


def _recorded(tmp_path, text: str):
    """A throwaway project whose page has its outputs written by a real run on the reference arithmetic."""
    make_project(tmp_path, {"sum.md": text})
    update = run([sys.executable, "-m", "verified", "update", "docs/sum.md"], tmp_path)
    assert update.returncode == 0 and "updated   docs/sum.md" in update.stdout, update.stdout + update.stderr
    return tmp_path


@pytest.mark.reuse_passing_verdict
def test_a_full_repr_of_a_float32_reduction_fails_naming_the_page_the_line_and_the_setting(tmp_path):
    folder = _recorded(tmp_path, REDUCTION)
    # First in a fresh process that runs the page, then again from .cache/, in the checking process: the same verdict.
    for where in ("", " (from .cache/)"):
        result = _check(folder, "", "portability", "docs", "-j", "1", "--variation", "mkl=AVX2", fresh=False)
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"CHANGED   under VERIFIED_ARITHMETIC=mkl=AVX2{where}\n" in result.stdout
        assert "docs/sum.md:3: the printed output differs from the expected-output fence:" in result.stderr
        assert "MKL_CBWR=AVX2" in result.stderr  # the arithmetic it ran under, said at the top of the run


@pytest.mark.reuse_passing_verdict
def test_a_declared_block_passes_with_its_numbers_masked_and_shows_the_note(tmp_path):
    declared = REDUCTION.replace(f"{FENCE}python", f"<!--verified:platform-dependent {REASON}-->\n{FENCE}python")
    folder = _recorded(tmp_path, declared)
    for where in ("", " (from .cache/)"):
        result = _check(folder, "", "portability", "docs", "-j", "1", "--variation", "mkl=AVX2", fresh=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"unchanged under VERIFIED_ARITHMETIC=mkl=AVX2{where}\n" in result.stdout
    build = run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(folder / "site")], folder)
    assert build.returncode == 0, build.stderr
    html = (folder / "site" / "sum" / "index.html").read_text(encoding="utf-8")
    assert "Platform-dependent digits" in html and f"{REASON}." in html
    assert "MKL_CBWR=COMPATIBLE" in html  # the note and the page foot name the reference arithmetic
