"""The strict build of the real site, checked as a reader gets it; and the build's failures on bad pages."""

from __future__ import annotations

import html
import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import FENCE, ROOT, make_project, mkdocs_build, page, run
from verified import arithmetic, engine, memo, twins, versions

# Anything the browser would fetch from another host: scripts, stylesheets, icons, images, frames, media.
# (An <a href> to a cited PyTorch issue is a link the reader may follow, not a request the page makes.)
EXTERNAL = re.compile(r"""<(?!a\b)[a-z]+\b[^>]*\b(?:src|href|srcset|poster|data)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)
SCRIPT_EXTERNAL = re.compile(r"""(?:import|fetch)\(\s*["'`](?:https?:)?//""")
CSS_EXTERNAL = re.compile(r"""url\(\s*["']?(?:https?:)?//|@import\s+["']?(?:https?:)?//""")


@pytest.fixture(scope="module")
def site(strict_site) -> Path:
    """The strict build of the real site."""
    return strict_site


def html_pages(site_dir: Path) -> list[Path]:
    return sorted(p for p in site_dir.rglob("*.html") if p.name != "404.html")


def test_no_asset_or_link_from_another_host(site):
    site_dir = site
    for path in [*html_pages(site_dir), site_dir / "404.html"]:
        text = path.read_text(encoding="utf-8")
        assert not EXTERNAL.search(text) and not SCRIPT_EXTERNAL.search(text), path
    for path in site_dir.rglob("*.css"):
        assert not CSS_EXTERNAL.search(path.read_text(encoding="utf-8")), path
    fonts = {p.name for p in (site_dir / "assets" / "katex" / "fonts").iterdir()}
    for font in re.findall(r"url\(fonts/([^)]+)\)", (site_dir / "assets" / "katex" / "katex.min.css").read_text()):
        assert font in fonts


def test_every_page_states_its_versions_and_has_rendered_math_only(site):
    stamp = (
        f"produced and checked with torch {versions.running_torch()} and Python {versions.running_python()}, on the reference arithmetic"
    )
    for path in html_pages(site):
        text = path.read_text(encoding="utf-8")
        assert stamp in text, path
        visible = re.sub(r"<(script|style|code|pre)\b.*?</\1>", "", text, flags=re.DOTALL)
        assert "$`" not in visible and "\\(" not in visible and "$$" not in visible, path
        assert "MathJax" not in text and "tmp_inline_md_katex" not in text and "tmp_block_md_katex" not in text, path


def test_pages_show_outputs_figures_and_math(site):
    text = (site / "autograd" / "gradients-by-hand" / "index.html").read_text(encoding="utf-8")
    assert text.count('class="katex"') >= 10
    assert "tensor([36., 81.])" in text and 'class="filename">Output' in text
    for path in html_pages(site):
        for image in re.findall(r'<img src="([^"]+\.svg)"', path.read_text(encoding="utf-8")):
            assert (path.parent / image).is_file(), (path, image)


def test_every_built_page_weighs_under_200_kb(site):
    """A page a reader loads whole (issue 8's budget): a long chapter is split into pages instead."""
    sizes = {path.relative_to(site).as_posix(): path.stat().st_size for path in html_pages(site)}
    heavy = {name: f"{size / 1000:.0f} KB" for name, size in sorted(sizes.items()) if size > 200_000}
    assert not heavy, f"pages over 200 KB of HTML: {heavy}"


def test_notebook_page_is_executed_rendered_and_downloadable(site):
    folder = site / "walkthroughs" / "adam-two-steps"
    text = (folder / "index.html").read_text(encoding="utf-8")
    assert text.count('class="katex"') >= 8 and "cdnjs" not in text
    assert "torch a: tensor([1.9000, 2.9000])" in text  # an output of the executed notebook
    assert len(text.encode()) < 200_000  # Jupyter's CSS is one shared file, not inlined in every page
    notebook = json.loads((folder / "adam-two-steps.ipynb").read_text(encoding="utf-8"))
    assert [cell["id"] for cell in notebook["cells"]] == [f"cell-{n}" for n in range(1, len(notebook["cells"]) + 1)]
    assert 'href="adam-two-steps.ipynb" download' in text
    assert "os.environ.update(" in "".join(notebook["cells"][0]["source"])  # the reference arithmetic, before torch
    printed = "".join("".join(out.get("text", "")) for cell in notebook["cells"] for out in cell.get("outputs", []))
    assert "torch a: tensor([1.9000, 2.9000])" in printed  # the download carries the outputs, as the page shows them
    assert "Download as notebook" in text
    ids = re.findall(r'id="cell-id=([^"]*)"', text)  # numbered, not jupytext's random ids: same bytes every build
    assert ids == [f"cell-{n}" for n in range(1, len(ids) + 1)] and len(ids) >= 5


@pytest.mark.reuse_passing_verdict(inputs=["docs"])
def test_second_build_executes_nothing_renders_nothing_and_is_byte_identical(site, request):
    first, (second, log) = site, request.getfixturevalue("second_build")  # built only when this test runs
    summary = re.search(r"verified: (.*)", log).group(1)
    assert re.search(
        r"\(0 executed, \d+ from cache\); \d+ notebooks \(0 executed, \d+ from cache\); 0 pages converted anew; "
        r"0 formulas rendered anew; "
        r"0 code blocks highlighted anew; 0 pages indexed anew; torch not imported",
        summary,
    ), summary
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file() and not p.name.startswith("sitemap"))
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file() and not p.name.startswith("sitemap"))
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


BROKEN_PAGES = {
    "drift.md": page("# Drift", "~~~python\nprint(1 + 1)\n~~~", "<!--pytest-codeblocks:expected-output-->", "~~~text\n3\n~~~"),
    "raise.md": page("# Raise", "Prose.", "~~~python\nx = 1\nraise ValueError('boom')\n~~~"),
    "math.md": page("# Math", "Fine $`a^2`$.", "", "Broken $`\\frac{1}{`$ here.", "", "Split $`a +", "b`$ over two lines."),
    "include.md": page("# Include", '~~~python\n--8<-- "snippets/absent.py"\n~~~'),
    "links.md": page("# Links", "A [missing page](absent.md).", "", "A [missing anchor](drift.md#no-such-heading)."),
}


@pytest.mark.reuse_passing_verdict
def test_strict_build_fails_on_each_bad_page_with_file_and_line(tmp_path):
    make_project(tmp_path, BROKEN_PAGES)
    result = mkdocs_build(tmp_path, strict=True)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "docs/drift.md:3: the printed output differs from the expected-output fence" in log
    assert "-3\n+2" in log
    assert "docs/raise.md:5: the block raised an exception" in log and 'File "docs/raise.md", line 7' in log
    assert "docs/math.md:7: bad LaTeX in $`\\frac{1}{`$: ParseError: KaTeX parse error: Unexpected end of input" in log
    assert "docs/math.md:11: inline math $`...`$ must open and close on the same line" in log
    assert "docs/math.md:3" not in log
    assert "docs/include.md:4: missing include" in log
    assert "docs/links.md:3: Doc file 'links.md' contains a link 'absent.md'" in log
    assert "docs/links.md:7: Doc file 'links.md' contains a link 'drift.md#no-such-heading'" in log
    assert "Aborted: 5 problem(s) on 4 page(s) in strict mode" in log  # the hook fails the build itself (see below)


@pytest.mark.reuse_passing_verdict
@pytest.mark.parametrize("verbosity", ["-q", "-v"])
def test_a_page_that_fails_its_check_fails_a_strict_build_at_any_verbosity(tmp_path, verbosity):
    """--quiet raises mkdocs' log level above WARNING, so strict mode's warning counter never sees the page's problems
    (mkdocs/mkdocs#4126): the hook fails the build itself, and says why at the level --quiet still shows."""
    make_project(tmp_path, {"drift.md": BROKEN_PAGES["drift.md"]})
    result = run([sys.executable, "-m", "mkdocs", "build", "--strict", verbosity, "-d", str(tmp_path / "site")], tmp_path)
    log = result.stdout + result.stderr
    assert result.returncode != 0, log
    assert "docs/drift.md:3: the printed output differs from the expected-output fence" in log and "-3\n+2" in log
    assert "Aborted: 1 problem(s) on 1 page(s) in strict mode" in log


@pytest.mark.reuse_passing_verdict
def test_serve_mode_shows_the_problem_on_the_page(tmp_path):
    make_project(tmp_path, {"drift.md": BROKEN_PAGES["drift.md"]})
    result = mkdocs_build(tmp_path, strict=False)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "site" / "drift" / "index.html").read_text(encoding="utf-8")
    assert "Verification failed" in text and "docs/drift.md:3: the printed output differs" in text


@pytest.mark.reuse_passing_verdict
def test_pytest_runs_exactly_one_page_and_names_its_line(tmp_path):
    make_project(tmp_path, {"ok.md": page("# Ok", "~~~python\nx = 1\n~~~"), "drift.md": BROKEN_PAGES["drift.md"]})
    one = run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "docs/ok.md"], tmp_path)
    assert one.returncode == 0 and "1 passed" in one.stdout, one.stdout
    both = run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "docs"], tmp_path)
    assert both.returncode == 1 and "1 failed, 2 passed" in both.stdout, both.stdout
    assert "docs/drift.md:3: the printed output differs" in both.stdout and "-3\n+2" in both.stdout


@pytest.mark.reuse_passing_verdict
def test_pytest_and_build_under_another_torch_stop_with_one_message(tmp_path):
    make_project(tmp_path, {"ok.md": page("# Ok", "~~~python\nx = 1\n~~~")})
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(requirements.read_text().replace(f"torch=={versions.running_torch()}", "torch==2.99.0"))
    tests = run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "docs"], tmp_path)
    expected = f"produced with torch 2.99.0 (pinned in requirements.txt), but this is torch {versions.running_torch()}"
    assert tests.returncode == 3 and expected in tests.stdout + tests.stderr
    build = mkdocs_build(tmp_path)
    assert build.returncode != 0 and expected in build.stdout + build.stderr


@pytest.mark.reuse_passing_verdict
def test_pages_run_by_worker_processes_are_checked_as_always(tmp_path):
    """Nine uncached pages: the build runs them in its worker processes first; one wrong digit still fails at its line.
    Each page notes the process that started the one running it: the build's (a worker), not this test's (the build);
    and that the heap it was forked with is frozen (gc.freeze: the collector does not walk torch's objects again)."""
    parent = "import gc, os\nwith open('parents.txt', 'a') as file:\n    print(os.getppid(), gc.get_freeze_count() > 0, file=file)\n"
    pages = {
        f"p{n}.md": page(
            f"# Page {n}",
            f"~~~python\n{parent}import torch\nprint(torch.arange({n}).sum().item())\n~~~",
            "<!--pytest-codeblocks:expected-output-->",
            f"~~~text\n{sum(range(n))}\n~~~",
        )
        for n in range(1, 10)
    }
    pages["p9.md"] = pages["p9.md"].replace(f"{FENCE}text\n36\n", f"{FENCE}text\n37\n")
    assert "37" in pages["p9.md"]
    make_project(tmp_path, pages)
    result = mkdocs_build(tmp_path)
    log = result.stdout + result.stderr
    assert result.returncode != 0 and "docs/p9.md:3: the printed output differs" in log and "-37\n+36" in log, log
    assert "verified: 10 pages checked (10 executed, 0 from cache)" in log
    parents, frozen = zip(*(line.split() for line in (tmp_path / "parents.txt").read_text().splitlines()), strict=True)
    assert len(parents) == 9 and str(os.getpid()) not in parents  # each page ran once, in a worker
    assert set(frozen) == {"True"}


@pytest.mark.reuse_passing_verdict
def test_memoised_highlighting_and_search_entries_give_the_same_bytes(tmp_path):
    code = page("# Code", "~~~python\nx = [1, 2]\nprint(x)\n~~~", "<!--pytest-codeblocks:expected-output-->", "~~~text\n[1, 2]\n~~~")
    make_project(tmp_path, {"code.md": code + "\n## A section\n\nWords to index.\n"})
    first_build = mkdocs_build(tmp_path)
    assert first_build.returncode == 0 and re.search(r"; [1-9]\d* code blocks highlighted anew; 2 pages indexed anew;", first_build.stderr)
    assert "; 2 pages converted anew;" in first_build.stderr
    (tmp_path / "site").rename(tmp_path / "first")
    assert (tmp_path / ".cache" / "highlight.json").is_file() and (tmp_path / ".cache" / "search-entries.json").is_file()
    kept = sorted((tmp_path / ".cache" / "rendered").glob("*.json"))
    month = time.time() - (memo.KEEP_DAYS + 1) * 24 * 3600
    for path in [*kept, tmp_path / ".cache" / "rendered" / "unused.json"]:
        path.touch()
        os.utime(path, (month, month))  # as if last used a month ago: a build that uses one keeps it
    second_build = mkdocs_build(tmp_path)  # highlighted code and search entries now come from .cache/
    assert second_build.returncode == 0
    assert sorted((tmp_path / ".cache" / "rendered").glob("*.json")) == kept  # used and kept; the unused one pruned
    assert "; 0 code blocks highlighted anew; 0 pages indexed anew;" in second_build.stderr, second_build.stderr
    assert "; 0 pages converted anew;" in second_build.stderr  # their HTML too
    first = {p.relative_to(tmp_path / "first"): p.read_bytes() for p in (tmp_path / "first").rglob("*") if p.is_file()}
    second = {p.relative_to(tmp_path / "site"): p.read_bytes() for p in (tmp_path / "site").rglob("*") if p.is_file()}
    assert {name for name in first if not name.name.startswith("sitemap") and first[name] != second.get(name)} == set()


@pytest.mark.reuse_passing_verdict
def test_a_page_kept_from_the_last_build_still_warns_of_its_broken_links(tmp_path):
    """An unchanged page is not converted again (its HTML, contents and anchors come from .cache/rendered): its link
    into a page whose heading changed since must still fail the strict build, at its line; a render that warned (a
    link to no page) is never kept, so it warns on every build."""
    pages = {"a.md": page("# A", "See [the section](b.md#section)."), "b.md": page("# B", "## Section", "", "Text.")}
    make_project(tmp_path, {**pages, "c.md": page("# C", "A [missing page](absent.md).")})
    first = mkdocs_build(tmp_path)
    assert first.returncode != 0 and "; 4 pages converted anew;" in first.stderr, first.stderr
    assert "docs/c.md:3: Doc file 'c.md' contains a link 'absent.md'" in first.stderr
    (tmp_path / "docs" / "b.md").write_text(page("# B", "## Renamed", "", "Text."), encoding="utf-8")
    second = mkdocs_build(tmp_path)
    assert "; 2 pages converted anew;" in second.stderr, second.stderr  # b.md, changed, and c.md, which warned
    assert "docs/c.md:3: Doc file 'c.md' contains a link 'absent.md'" in second.stderr
    assert "docs/a.md:3: Doc file 'a.md' contains a link 'b.md#section', but" in second.stderr


@pytest.mark.reuse_passing_verdict
def test_a_render_under_quiet_is_not_kept_since_its_warnings_were_not_said(tmp_path):
    """--quiet silences the broken-link warning during the render: that render must not be kept, or the next build
    would serve the page without ever warning."""
    make_project(tmp_path, {"c.md": page("# C", "A [missing page](absent.md).")})
    run([sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(tmp_path / "site")], tmp_path)
    second = mkdocs_build(tmp_path)
    assert second.returncode != 0 and "docs/c.md:3: Doc file 'c.md' contains a link 'absent.md'" in second.stderr


def _report_cells(row_html: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row_html)]


def test_verification_report_is_filled_in_by_the_build_from_what_it_checked(site):
    text = (site / "verification" / "index.html").read_text(encoding="utf-8")
    assert "verified:report" not in text  # every section was filled in
    rows = dict(re.findall(r'title="(docs/[^"]+)">[^<]*</a></td>(.*?)</tr>', text))
    sources = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").rglob("*.md") if p.name != "verification.md")
    assert sorted(name for name in rows if name.endswith(".md")) == sources  # every page, once
    assert "docs/walkthroughs/adam-two-steps.py" in rows
    expected_twins = []
    all_compared = all_declared = 0
    for source in sources:
        report = engine.check_page(ROOT / source)  # from the cache the build filled: the same runs
        compared = sum(1 for block in report.blocks if block.expected is not None)
        raised = sum(1 for block in report.blocks if block.raises)
        declared = sum(1 for block in report.blocks if block.platform_dependent)
        figures = sum(len(run.figures) for run in report.runs)
        blocks, checked, raised_cell, declared_cell, figures_cell, _ = _report_cells(rows[source])
        assert (blocks, checked, raised_cell, declared_cell, figures_cell) == (
            f"{len(report.runs)}/{len(report.blocks)}",
            str(compared),
            str(raised),
            str(declared),
            str(figures),
        ), source
        all_compared += compared
        all_declared += declared
        runs = zip(report.blocks, report.runs, strict=True)
        expected_twins += [(block.twin, twins.fields(run.output)) for block, run in runs if block.twin]
    adaptive = ["Adadelta", "Adagrad", "Adamax", "NAdam", "RAdam", "RMSprop"]
    others = ["Rprop", "ASGD", "SparseAdam", "Adafactor", "Muon"]
    conversions = [  # docs/frameworks/: optax's and Keras's settings that compute what torch does
        *("optax.adam as torch Adam", "Keras Adam as torch Adam", "optax.adamw as torch AdamW", "Keras AdamW as torch AdamW"),
        "optax.amsgrad as torch Adam(amsgrad=True)",
        *("optax.sgd as torch SGD", "Keras SGD as torch SGD", "optax.sgd with a schedule as torch SGD with a scheduler"),
        "Keras SGD, velocity rescaled, as torch SGD with a scheduler",
        "optax.add_decayed_weights + optax.sgd as torch SGD weight_decay",
        "Keras SGD with λθ added to the gradient as torch SGD weight_decay",
        *("optax.rmsprop as torch RMSprop", "Keras RMSprop as torch RMSprop"),
        *("optax.rmsprop centered as torch RMSprop centered", "Keras RMSprop centered as torch RMSprop centered"),
        "optax chain with lr last as torch RMSprop with changing lr",
        *("optax.adagrad as torch Adagrad", "Keras Adagrad as torch Adagrad"),
        *("optax warmup_cosine_decay_schedule as torch SequentialLR", "Keras CosineDecay as torch SequentialLR"),
        "optax exponential_decay as torch StepLR and ExponentialLR",
        "Keras ExponentialDecay as torch StepLR and ExponentialLR",
        *("optax.clip_by_global_norm as torch clip_grad_norm_", "optax clip_like_torch as torch clip_grad_norm_"),
        *("Keras global_clipnorm as torch clip_grad_norm_", "Keras clipnorm as torch clip_grad_norm_ per parameter"),
    ]
    expected_names = ["Adam and AdamW", "L-BFGS", "Learning-rate schedulers", "SGD", *adaptive, *others, *conversions]
    assert sorted(name for name, _ in expected_twins) == sorted(expected_names)
    # Outputs whose lesson is the reference arithmetic's last bits stay rare (DESIGN.md, "Portability").
    assert all_declared <= 0.05 * all_compared, f"{all_declared} of {all_compared} checked outputs declared platform-dependent"
    for name, fields in expected_twins:
        row = re.search(rf"<tr><td[^>]*><strong>{re.escape(name)}</strong></td>(.*?)</tr>", text).group(1)
        assert _report_cells(row)[:4] == [fields[key] for key in (*twins.FIELDS, "tolerance")], name
    assert f"<td>{versions.running_torch()}</td><td>{versions.running_python()}</td>" in text
    assert f"<td>{arithmetic.fingerprint()}</td>" in text
    links = re.findall(r'<a href="([^"#]+)"[^>]*title="docs/', text)
    # a link to every page, and one to the page of every twin check (its title names the file and line)
    assert len(links) == len(rows) and sorted(name for name in rows if ":" in name) == sorted(
        f"docs/{name}" for name in re.findall(r'title="docs/([^"]+:\d+)"', text)
    )
    assert sum(":" in name for name in rows) == len(expected_twins)
    for link in links:
        assert (site / "verification" / link / "index.html").resolve().is_file(), link


def test_search_parser_indexes_the_same_text_without_the_code_spans(site):
    """The build hands Material's search parser each page without Pygments' spans inside <pre> (far less to parse);
    on every built page (code, KaTeX, notebook cells) the parser must find exactly the same sections and text."""
    from material.plugins.search.plugin import Parser

    from verified import memo

    def sections(html: str) -> list[tuple]:
        parser = Parser()
        parser.feed(html)
        parser.close()
        return [(section.el.tag, section.id, "".join(section.title), "".join(section.text)) for section in parser.data]

    spans_removed = 0
    for path in html_pages(site):
        text = path.read_text(encoding="utf-8")
        article = text[text.index("<article") : text.rindex("</article>")]
        lighter = memo._without_code_spans(article)
        spans_removed += article.count("<span") - lighter.count("<span")
        assert sections(lighter) == sections(article), path
    assert spans_removed > 10_000  # the pages do have highlighted code


def test_search_entries_show_formulas_as_readable_text_not_tex(site):
    """A search result's snippet shows a formula as the symbols a reader sees (θ, β, √), never as TeX source."""
    entries = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    prose = {entry["location"]: re.sub(r"<pre>.*?</pre>|<code>.*?</code>", "", entry["text"], flags=re.DOTALL) for entry in entries}
    tex = [where for where, text in prose.items() if re.search(r"\\(frac|theta|beta|hat|sqrt|mathrm|gamma|epsilon)\b", text)]
    assert not tex, f"entries with TeX in their text: {tex}"
    assert any("β" in entry["text"] for entry in entries if entry["location"].startswith("adam/step-by-step/"))
