"""The long-lived KaTeX renderer gives exactly the bundled markdown-katex binary's HTML, and the same errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from markdown_katex import wrapper

from verified import katex

FORMULAS = [
    (r"\frac{\partial L}{\partial a_i} = 9 a_i^2", True),
    (r"\hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}", True),
    (r"\theta_t = \theta_{t-1} - \gamma\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}", False),
    (r"\begin{aligned} b_t &= \mu b_{t-1} + (1-\tau) g_t \\ \theta_t &= \theta_{t-1} - \gamma b_t \end{aligned}", True),
    (r"\eta_t = \eta_{\min} + \tfrac12(\eta_{\max}-\eta_{\min})\left(1+\cos\frac{T_{cur}}{T_{max}}\pi\right)", False),
    (r"\mathrm{fl}(g_\text{old} + g_\text{new}) \ne \lVert w \rVert^2", False),
]


def render_all(mode: str, cache_dir, monkeypatch) -> list[str]:
    monkeypatch.setenv("VERIFIED_KATEX", mode)
    monkeypatch.setattr(wrapper, "CACHE_DIR", wrapper.CACHE_DIR)  # restored after the test: configure() rebinds it
    katex.configure(cache_dir)
    return [wrapper.tex2html(tex, {"display-mode": True} if display else {}) for tex, display in FORMULAS]


@pytest.fixture(autouse=True)
def _node():
    assert shutil.which("node"), "these tests need Node.js (Debian: apt-get install nodejs; .ci/run installs it)"


def test_node_renderer_matches_the_bundled_binary(tmp_path, monkeypatch):
    binary = render_all("binary", tmp_path / "binary", monkeypatch)
    node = render_all("node", tmp_path / "node", monkeypatch)
    assert node == binary
    with pytest.raises(wrapper.KatexError, match="ParseError: KaTeX parse error"):
        wrapper.tex2html(r"\frac{1}{", {})


def test_where_markdown_katex_ships_no_binary_node_stands_in_with_the_same_html(tmp_path, monkeypatch):
    """markdown-katex has a KaTeX binary for x86_64 only; on aarch64 katex/render.js takes its arguments instead."""
    binary = render_all("binary", tmp_path / "binary", monkeypatch)

    def no_binary_for_this_machine():  # what markdown-katex does on aarch64
        raise NotImplementedError("Platform not supported, katex binary not found.")

    monkeypatch.setattr(wrapper, "_get_pkg_bin_path", no_binary_for_this_machine)
    assert katex._bundled_binary() == ["node", str(katex.NodeRenderer.SCRIPT)]
    assert render_all("binary", tmp_path / "stand-in", monkeypatch) == binary  # one `node render.js` per formula
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(NotImplementedError, match=r"ships no KaTeX binary for .* install Node.js"):
        katex._bundled_binary()


def test_cache_is_persistent_and_keyed_without_the_virtualenv_path(tmp_path, monkeypatch):
    render_all("binary", tmp_path, monkeypatch)
    before = katex.stats.rendered
    render_all("binary", tmp_path, monkeypatch)
    assert katex.stats.rendered == before  # every formula came from .cache/katex
    assert wrapper._cleanup_cache_dir() is None and len(list((tmp_path / "katex").glob("*.html"))) == len(FORMULAS)
    # The same KaTeX binary in another virtualenv (another folder): still every formula from .cache/katex.
    binary = Path(wrapper._get_pkg_bin_path())
    moved = tmp_path / "another-venv" / "bin" / binary.name
    moved.parent.mkdir(parents=True)
    shutil.copy2(binary, moved)
    monkeypatch.setattr(wrapper, "_get_pkg_bin_path", lambda *args: moved)
    assert katex._bundled_binary() == [str(moved)]
    render_all("binary", tmp_path, monkeypatch)
    assert katex.stats.rendered == before
    # A different binary name (another KaTeX version or platform) is a different key: rendered anew.
    renamed = moved.with_name(binary.name + "-other")
    shutil.copy2(binary, renamed)
    monkeypatch.setattr(wrapper, "_get_pkg_bin_path", lambda *args: renamed)
    render_all("binary", tmp_path, monkeypatch)
    assert katex.stats.rendered == before + len(FORMULAS)


def test_find_sees_every_formula_after_a_math_fence():
    lines = ["Before $`a`$.", "```math", "b", "```", "After $`c`$ and $`d`$.", "```python", "x = '$`e`$'", "```", "$`f`$"]
    found = [(formula.line, formula.tex) for formula in katex.find(lines)]
    assert found == [(1, "$`a`$"), (2, "```math\nb\n```"), (5, "$`c`$"), (5, "$`d`$"), (9, "$`f`$")]
