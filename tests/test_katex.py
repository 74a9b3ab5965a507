"""verified.katex gives markdown-katex's HTML byte for byte, keeps what it renders, and finds every formula."""

from __future__ import annotations

import re
import shutil

import markdown
import markdown_katex
import pytest

from verified import katex

FORMULAS = [
    (r"\frac{\partial L}{\partial a_i} = 9 a_i^2", True),
    (r"\hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}", True),
    (r"\theta_t = \theta_{t-1} - \gamma\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}", False),
    (r"\begin{aligned} b_t &= \mu b_{t-1} + (1-\tau) g_t \\ \theta_t &= \theta_{t-1} - \gamma b_t \end{aligned}", True),
    (r"\eta_t = \eta_{\min} + \tfrac12(\eta_{\max}-\eta_{\min})\left(1+\cos\frac{T_{cur}}{T_{max}}\pi\right)", False),
    (r"\mathrm{fl}(g_\text{old} + g_\text{new}) \ne \lVert w \rVert^2", False),
]

PAGE = r"""# Adam

The update $`\theta_t = \theta_{t-1} - \gamma\, \hat m_t`$ uses $``\beta_1^t``$ and *emphasised $`x`$* math.

```math
\hat m_t = \frac{m_t}{1-\beta_1^t}
```

1. In a list:

    ```math
    \begin{aligned} a &= b \\ c &= d \end{aligned}
    ```

| symbol | meaning |
| --- | --- |
| $`\gamma`$ | `lr` |

```python
price = "$`not math`$"
```

~~~math
\sqrt{\hat v_t} + \epsilon
~~~

Twice on a line: $`a`$ and $`b`$, and `code` then $`c`$.
"""


@pytest.fixture(autouse=True)
def _node():
    assert shutil.which("node"), "these tests need Node.js (Debian: apt-get install nodejs; .ci/run installs it)"


@pytest.fixture
def renderer(tmp_path, monkeypatch):
    """The module's renderer, keeping formulas under tmp_path for this test only; its Node process ended after."""
    monkeypatch.setattr(katex.renderer, "folder", tmp_path / "katex")
    yield katex.renderer
    katex.renderer.close()


def test_a_page_converts_to_the_html_markdown_katex_gives(tmp_path, monkeypatch, renderer):
    ours = markdown.markdown(PAGE, extensions=["verified.katex"])
    with monkeypatch.context() as patch:
        patch.setenv("PATH", str(tmp_path / "no-node"))
        patch.setattr(markdown_katex.wrapper, "CACHE_DIR", tmp_path / "mdkatex")
        theirs = markdown.markdown(PAGE, extensions=["markdown_katex"], extension_configs={"markdown_katex": {"insert_fonts_css": False}})
    assert ours == theirs
    assert ours.count('<span class="katex">') == 10 and "not math" in ours and "md_katex" not in ours


def test_without_node_the_bundled_binary_renders_the_same(tmp_path, monkeypatch):
    """Where Node is missing, markdown-katex's own binary renders (x86-64 only), never another `katex` on PATH."""
    renderer = katex.Renderer()  # nothing kept: each call renders
    node = [renderer.html(tex, display) for tex, display in FORMULAS]
    with pytest.raises(katex.MathError, match="ParseError: KaTeX parse error"):
        renderer.html(r"\frac{1}{", False)
    renderer.close()
    impostor = tmp_path / "bin" / "katex"  # what markdown-katex's tex2html would have run first
    impostor.parent.mkdir()
    impostor.write_text("#!/bin/sh\necho 0.0.0\n", encoding="utf-8")
    impostor.chmod(0o755)
    monkeypatch.setenv("PATH", str(impostor.parent))
    assert [renderer.html(tex, display) for tex, display in FORMULAS] == node and renderer.process is None
    with pytest.raises(katex.MathError, match="ParseError: KaTeX parse error"):
        renderer.html(r"\frac{1}{", False)
    monkeypatch.setattr(katex.platform, "machine", lambda: "aarch64")
    with pytest.raises(katex.MathError, match=r"no KaTeX binary for aarch64, and Node\.js is not on PATH"):
        renderer.html("x", False)


def test_a_renderer_that_dies_says_so(renderer, monkeypatch):
    monkeypatch.setattr(renderer, "folder", None)  # nothing kept: every formula goes to Node
    renderer.html("x", False)
    renderer.process.kill()
    renderer.process.wait()
    renderer.process.poll = lambda: None  # as if it died after the check, while the formula was on its way
    with pytest.raises(RuntimeError, match=r"the KaTeX renderer \(node .*render\.js\) ended without answering"):
        renderer.html("y", False)


def test_what_is_rendered_is_kept_under_the_cache_by_its_tex_mode_and_renderer(renderer, monkeypatch):
    monkeypatch.setattr(renderer, "rendered", 0)
    monkeypatch.setattr(renderer, "digest", renderer.digest)
    first = [renderer.html(tex, display) for tex, display in FORMULAS]
    assert renderer.rendered == len(FORMULAS) == len(list(renderer.folder.glob("*.html")))
    assert [renderer.html(tex, display) for tex, display in FORMULAS] == first
    assert renderer.rendered == len(FORMULAS)  # every formula from the cache
    renderer.html(FORMULAS[0][0], not FORMULAS[0][1])  # the same TeX in the other mode is another formula
    assert renderer.rendered == len(FORMULAS) + 1
    renderer.digest = "another KaTeX"  # render.js or katex.min.js changed: everything anew
    [renderer.html(tex, display) for tex, display in FORMULAS]
    assert renderer.rendered == 2 * len(FORMULAS) + 1


def test_scan_finds_every_formula_with_its_line_and_each_fault():
    lines = ["Before $`a`$.", "```math", "b", "```", "After $`c`$ and $``d``$.", "```python", "x = '$`e`$'", "```", "$`f`$"]
    found = katex.scan(lines)
    assert [(f.line, f.tex, f.display) for f in found.formulas] == [
        (1, "a", False),
        (2, "\nb\n", True),
        (5, "c", False),
        (5, "d", False),
        (9, "f", False),
    ]
    assert found.formulas[2].columns == (6, 11) and found.formulas[1].last == 4 and not found.faults
    faults = katex.scan(["Opens $`x and closes", "next line`$.", '```math {"leqno": true}', "x", "```", "```math", "y"]).faults
    assert [line for line, _ in faults] == [1, 3, 6]
    assert "same line" in faults[0][1] and "nothing may follow" in faults[1][1] and "never closed" in faults[2][1]
    # markdown-katex's loop reads line[-1] for a backtick in column 0 (here: an empty formula) and indexes past the end
    # of "$`x`" (IndexError): neither is a formula
    assert katex.scan(["`x`$ costs 5$", "$`x`"]).formulas == []


def test_neutralise_turns_the_formulas_of_a_bad_line_into_code():
    lines = ["Good $`a`$.", "Bad $`\\frac{`$ and $`b`$.", "```math", "\\frac{", "```"]
    assert katex.neutralise(lines, {2, 3}) == ["Good $`a`$.", "Bad `\\frac{` and `b`.", "```text", "\\frac{", "```"]


def test_a_bad_formula_markdown_meets_is_a_warning_and_code_and_the_rest_still_renders(renderer, caplog):
    """The engine reports a bad formula at its line before the build converts the page; a page it could not read
    is converted as it is, and a bad formula there must not abort the build without saying where."""
    html = markdown.markdown(
        "A $`x`$ then $`\\frac{1}{`$ then $`y`$.\n\n```math\n\\frac{\n```\n", extensions=["verified.katex", "fenced_code"]
    )
    paragraph = re.sub(r'<span class="katex">.*?</annotation>.*?</span></span></span></span>', "K", html.split("\n")[0])
    assert paragraph == "<p>A K then <code>\\frac{1}{</code> then K.</p>"
    assert '<pre><code class="language-text">\\frac{' in html
    assert [record.getMessage().split(":")[0] for record in caplog.records] == ["bad LaTeX in \\frac{", "bad LaTeX in \\frac{1}{"]
