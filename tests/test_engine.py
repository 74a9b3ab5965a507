"""The engine on bad and good input: every failure names the file and line, nothing is skipped silently."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.helpers import FENCE, ROOT, make_project, page, run
from verified import arithmetic, cache, directives, engine, project, render, twins, versions

GOOD = page(
    """
    # Good

    ~~~python
    import torch
    x = torch.tensor([1.0, 2.0])
    print(x * 2)
    ~~~

    <!--pytest-codeblocks:expected-output-->

    ~~~text
    tensor([2., 4.])
    ~~~

    Prose between blocks.

    ~~~python
    y = x + 1
    print(y)
    ~~~

    <!--pytest-codeblocks:expected-output-->

    ~~~text
    tensor([2., 3.])
    ~~~
    """
)


@pytest.fixture(autouse=True)
def _fresh_project_cache():
    project.load.cache_clear()
    yield
    project.load.cache_clear()


def write(tmp_path: Path, name: str, text: str, snippets: dict[str, str] | None = None) -> Path:
    make_project(tmp_path, {name: text}, snippets)
    return tmp_path / "docs" / name


def test_good_page_passes_and_shares_one_session(tmp_path):
    report = engine.check_page(write(tmp_path, "good.md", GOOD), use_cache=False)
    assert report.ok, report.text()
    assert [run.output for run in report.runs] == ["tensor([2., 4.])\n", "tensor([2., 3.])\n"]


def test_changed_digit_fails_with_line_and_unified_diff(tmp_path):
    path = write(tmp_path, "drift.md", GOOD.replace("tensor([2., 3.])", "tensor([2., 7.])"))
    report = engine.check_page(path, use_cache=False)
    assert not report.ok
    message = report.text()
    assert message.startswith("docs/drift.md:17: the printed output differs")
    assert "--- expected (docs/drift.md:24)\n+++ actual (this run)" in message
    assert "-tensor([2., 7.])\n+tensor([2., 3.])" in message


def test_bad_latex_is_a_problem_of_the_page_in_every_front_end(tmp_path):
    """One verdict: the pytest item and the build get the same math problems from check_page, at their lines."""
    from verified.pytest_plugin import PageFailure, PageItem

    path = write(tmp_path, "math.md", "# Math\n\nFine $`a^2`$.\n\nBroken $`\\frac{1}{`$ here.\n\n## Heading $`x`$\n")
    report = engine.check_page(path, use_cache=False)
    assert [problem.where for problem in report.problems] == ["docs/math.md:5", "docs/math.md:7"]
    assert "bad LaTeX in $`\\frac{1}{`$: ParseError: KaTeX parse error" in report.problems[0].message
    assert "in a heading garbles the table of contents" in report.problems[1].message
    assert sorted(report.math_problems) == [5, 7] and list(report.formulas.values()) == ["a^2"]
    item = PageItem.from_parent(pytest.Session.from_config(pytest.Config.fromdictargs({}, [])), name="page", path=path)
    with pytest.raises(PageFailure, match=r"docs/math.md:5: bad LaTeX"):
        item.runtest()
    assert engine.check_page(path, math=False).ok  # the build's workers only run the page


def test_update_restores_the_output_and_touches_nothing_else(tmp_path):
    path = write(tmp_path, "drift.md", GOOD.replace("tensor([2., 3.])", "tensor([2., 7.])"))
    report, changed = engine.update_page(path)
    assert changed and report.ok
    assert path.read_text(encoding="utf-8") == GOOD
    report, changed = engine.update_page(path)
    assert not changed


def test_update_adds_a_fence_under_a_block_that_prints_without_one(tmp_path):
    text = page("# P", "~~~python\nprint('hello')\n~~~", "After.")
    path = write(tmp_path, "new.md", text)
    report = engine.check_page(path, use_cache=False)
    assert "printed output but has no expected-output fence" in report.text()
    assert report.problems[0].where == "docs/new.md:3"
    engine.update_page(path)
    assert path.read_text(encoding="utf-8") == page(
        "# P", "~~~python\nprint('hello')\n~~~", "<!--pytest-codeblocks:expected-output-->", "~~~text\nhello\n~~~", "After."
    )


def test_raising_block_points_at_the_markdown_line_and_stops_the_page(tmp_path):
    text = page(
        "# Raise",
        "Some prose.",
        "~~~python\nimport torch\nx = torch.ones(2)\nx @ torch.ones(3)\n~~~",
        "~~~python\nprint('never runs')\n~~~",
    )
    report = engine.check_page(write(tmp_path, "raise.md", text), use_cache=False)
    message = report.text()
    assert message.startswith("docs/raise.md:5: the block raised an exception:")
    assert 'File "docs/raise.md", line 8, in <module>\n    x @ torch.ones(3)' in message
    assert "RuntimeError" in message
    assert "docs/raise.md:11: 1 later block(s) on this page were not run" in message


def test_expected_exception_is_checked_output(tmp_path):
    text = page(
        "# Expect",
        "<!--verified:raises ZeroDivisionError-->",
        "~~~python\nprint('before')\n1 / 0\n~~~",
        "<!--pytest-codeblocks:expected-output-->",
        "~~~text\nbefore\nZeroDivisionError: division by zero\n~~~",
    )
    assert engine.check_page(write(tmp_path, "expect.md", text), use_cache=False).ok
    text_no_raise = text.replace("1 / 0", "1 / 1")
    report = engine.check_page(write(tmp_path, "expect.md", text_no_raise), use_cache=False)
    assert "expected the block to raise ZeroDivisionError, but it raised nothing" in report.text()


def test_a_long_expected_exception_is_wrapped_so_the_reader_does_not_scroll_sideways(tmp_path):
    words = " ".join(f"word{n}" for n in range(30))  # 208 characters on one line
    text = page("# Long", "<!--verified:raises ValueError-->", f"~~~python\nraise ValueError({words!r} + '\\n  kept as it is')\n~~~")
    report = engine.check_page(write(tmp_path, "long.md", text), use_cache=False)
    lines = report.runs[0].output.splitlines()
    assert " ".join(lines[:-1]) == f"ValueError: {words}" and lines[-1] == "  kept as it is"
    assert max(len(line) for line in lines) <= 80 and len(lines) == 4


def test_orphan_raises_directive_is_refused(tmp_path):
    text = page("# Orphan", "<!--verified:raises ValueError-->", "Prose, not a block.")
    report = engine.check_page(write(tmp_path, "orphan.md", text), use_cache=False)
    assert report.text().startswith("docs/orphan.md:3: <!--verified:raises ValueError--> is not directly followed")


@pytest.mark.parametrize("fence", ["py", "python3", "pycon", "{.python}"])
def test_python_fence_the_engine_would_not_run_is_refused(tmp_path, fence):
    text = page("# Fence", f"~~~{fence}\nprint(1)\n~~~")
    report = engine.check_page(write(tmp_path, "fence.md", text), use_cache=False)
    assert report.text().startswith(f"docs/fence.md:3: ```{fence} is not run by the engine")


@pytest.mark.parametrize("directive", ["<!--pytest-codeblocks:cont-->", "<!--pytest-codeblocks:skip-->", "<!--pytest.mark.skip-->"])
def test_directives_that_skip_or_chain_are_refused(tmp_path, directive):
    text = page("# Skip", "~~~python\nx = 1\n~~~", directive, "~~~python\nprint(x)\n~~~")
    report = engine.check_page(write(tmp_path, "skip.md", text), use_cache=False)
    assert report.text().startswith(f"docs/skip.md:7: {directive}")


def test_variables_do_not_leak_between_pages(tmp_path):
    make_project(tmp_path, {"a.md": page("# A", "~~~python\nshared = 1\n~~~"), "b.md": page("# B", "~~~python\nprint(shared)\n~~~")})
    assert engine.check_page(tmp_path / "docs" / "a.md", use_cache=False).ok
    message = engine.check_page(tmp_path / "docs" / "b.md", use_cache=False).text()
    assert "NameError: name 'shared' is not defined" in message
    assert 'File "docs/b.md", line 4, in <module>' in message


def test_global_torch_state_does_not_leak_between_pages(tmp_path):
    changer = page(
        "# Changer",
        "~~~python\nimport torch\ntorch.set_default_dtype(torch.float64)\ntorch.set_printoptions(precision=10)\n"
        "torch.manual_seed(1234)\ntorch.set_grad_enabled(False)\n~~~",
    )
    reader = page(
        "# Reader",
        "~~~python\nimport torch\nprint(torch.get_default_dtype(), torch.is_grad_enabled(), torch.rand(2), torch.tensor(1 / 3))\n~~~",
    )
    make_project(tmp_path, {"changer.md": changer, "reader.md": reader})
    before = engine.check_page(tmp_path / "docs" / "reader.md", use_cache=False).runs[0].output
    assert engine.check_page(tmp_path / "docs" / "changer.md", use_cache=False).ok
    after = engine.check_page(tmp_path / "docs" / "reader.md", use_cache=False).runs[0].output
    assert before == after == "torch.float32 True tensor([0.4963, 0.7682]) tensor(0.3333)\n"


def test_global_jax_and_keras_state_does_not_leak_between_pages(tmp_path):
    setup = 'import os\nos.environ["KERAS_BACKEND"] = "torch"\nimport jax\nimport jax.numpy as jnp\nimport keras\n'
    changer = page(
        "# Changer",
        f"~~~python\n{setup}jax.config.update('jax_enable_x64', True)\nkeras.config.set_floatx('float64')\n"
        "keras.config.set_epsilon(0.1)\nkeras.layers.Dense(1)\n~~~",
    )
    reader = page(
        "# Reader",
        f"~~~python\n{setup}print(jnp.ones(1).dtype, keras.config.floatx(), keras.config.epsilon(), keras.layers.Dense(1).name)\n~~~",
    )
    make_project(tmp_path, {"changer.md": changer, "reader.md": reader})
    before = engine.check_page(tmp_path / "docs" / "reader.md", use_cache=False).runs[0].output
    assert engine.check_page(tmp_path / "docs" / "changer.md", use_cache=False).ok
    after = engine.check_page(tmp_path / "docs" / "reader.md", use_cache=False).runs[0].output
    assert before == after == "float32 float32 1e-07 dense\n"


def test_jax_compiles_for_the_reference_instruction_set_with_one_thread():
    """XLA generates code for the CPU it runs on unless told otherwise: the pins hold it to AVX2 on x86-64."""
    flags = arithmetic.environment(arithmetic.REFERENCE)["XLA_FLAGS"]
    assert flags == "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1 --xla_cpu_max_isa=AVX2"
    assert arithmetic.xla_flags({**arithmetic.REFERENCE, "xla": "unset"}, x86_64=True).count("max_isa") == 0
    assert "max_isa" not in arithmetic.xla_flags(arithmetic.REFERENCE, x86_64=False)  # an x86 name, not passed elsewhere


def test_include_runs_the_file_and_tracebacks_name_the_snippet(tmp_path):
    snippet = "def twin(x):\n    return x * 2\n\n\ndef broken():\n    return 1 / 0\n"
    text = page("# Inc", '~~~python\n--8<-- "snippets/twin.py"\nprint(twin(21))\nbroken()\n~~~')
    report = engine.check_page(write(tmp_path, "inc.md", text, {"twin.py": snippet}), use_cache=False)
    assert report.runs[0].output == "42\n"
    assert 'File "docs/inc.md", line 6, in <module>\n    broken()' in report.text()
    assert 'File "snippets/twin.py", line 6, in broken\n    return 1 / 0' in report.text()


def test_importing_a_snippet_instead_of_including_it_is_refused(tmp_path):
    text = page("# Import", "~~~python\nimport torch\nfrom snippets.twin import twin\n~~~")
    report = engine.check_page(write(tmp_path, "import.md", text, {"twin.py": "twin = 1\n"}), use_cache=False)
    assert report.text().startswith("docs/import.md:5: a page must not import from snippets/")


def test_missing_include_names_page_and_line(tmp_path):
    text = page("# Missing", "Prose.", '~~~python\n--8<-- "snippets/nope.py"\n~~~')
    report = engine.check_page(write(tmp_path, "missing.md", text), use_cache=False)
    assert report.text().startswith("docs/missing.md:6: missing include:")
    assert "nope.py" in report.text()


def test_cache_serves_unchanged_pages_and_notices_a_changed_snippet(tmp_path):
    text = page(
        "# Cached",
        '~~~python\n--8<-- "snippets/value.py"\nprint(VALUE)\n~~~',
        "<!--pytest-codeblocks:expected-output-->",
        "~~~text\n1\n~~~",
    )
    path = write(tmp_path, "cached.md", text, {"value.py": "VALUE = 1\n"})
    assert engine.check_page(path).executed
    assert not engine.check_page(path).executed
    path.write_text(text.replace("# Cached", "# Cached\n\nNew prose, which moves the block down two lines."), encoding="utf-8")
    assert not engine.check_page(path).executed  # prose and line numbers are not in the key
    (tmp_path / "snippets" / "value.py").write_text("VALUE = 2\n", encoding="utf-8")
    report = engine.check_page(path)
    assert report.executed and "-1\n+2" in report.text()


def test_the_run_key_covers_every_engine_module_a_run_imports():
    """The page cache is keyed on cache.RUN_MODULES, not the whole engine: each of them may import only others of them
    (verified/engine.py runs a page only through session.run_page)."""
    import ast

    for name in cache.RUN_MODULES:
        tree = ast.parse((cache.ENGINE_DIR / f"{name}.py").read_text(encoding="utf-8"))
        imported = {
            alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module == "verified" for alias in node.names
        }
        imported |= {
            node.module.split(".")[1]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("verified.")
        }
        assert imported <= set(cache.RUN_MODULES), f"verified/{name}.py imports {sorted(imported - set(cache.RUN_MODULES))}"


def test_the_run_key_names_every_library_a_page_imports():
    """A page's runs are kept until torch, Python or a library it imports changes version: every module a page (or
    a snippet it includes, or a notebook) imports is the standard library's, torch's, the engine's or a distribution
    in cache.LIBRARY_NAMES, whose versions are in the key."""
    import ast
    import sys
    from importlib.metadata import packages_distributions

    from verified import blocks, notebook, source

    proj = project.load(ROOT)
    distributions = packages_distributions()
    imported: dict[str, str] = {}
    for path in sorted(proj.docs_dir.rglob("*.md")) + sorted(proj.docs_dir.rglob("*.py")):
        src, found = notebook.read(path, proj) if path.suffix == ".py" else (src := source.read(path, proj), blocks.parse(src))
        for block in found:
            for node in ast.walk(ast.parse(block.code)):
                names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
                names += [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
                for name in names:
                    imported.setdefault(name.split(".")[0], src.where(block.line))
    allowed = set(sys.stdlib_module_names) | {"torch", "verified"}
    unkeyed = {
        module: where
        for module, where in imported.items()
        if module not in allowed and not set(distributions.get(module, [module])) & set(cache.LIBRARY_NAMES)
    }
    assert "jax" in imported and "numpy" in imported  # the walk sees what the pages import
    assert not unkeyed, f"pages import libraries the run key does not name (add them to cache.LIBRARY_NAMES): {unkeyed}"


def test_a_worker_that_dies_leaves_its_page_to_the_check_which_runs_it_and_reports(tmp_path):
    """As a worker killed for lack of memory: its page (and any the pool had not run) runs where it is checked, and
    the check reports on it as always. In a fresh process: workers are forked, and this one may run JAX's threads."""
    make_project(tmp_path, {f"p{n}.md": page(f"# Page {n}", f"~~~python\nprint({n})\n~~~") for n in range(1, 5)})
    script = """
import os, sys
from pathlib import Path
from verified import engine
pages = sorted(Path("docs").resolve().glob("p*.md"))
check = engine.check_page
engine.check_page = lambda path, **options: os._exit(1) if path.name == "p2.md" else check(path, **options)
ran = engine.run_pages(pages, 2)  # the workers are forked with that check_page
report = check(Path("docs/p2.md"))
print(*sorted(path.name for path in ran))
print(report.executed)
print(report.text())
"""
    result = run([sys.executable, "-c", script], tmp_path)
    assert result.returncode == 0, result.stderr
    ran, executed, problem = result.stdout.split("\n", 2)
    assert "p2.md" not in ran and executed == "True"  # the pool stops at a death: what it had not run runs here
    assert problem.startswith("docs/p2.md:3: the block printed output but has no expected-output fence")


def test_from_the_cache_only_a_page_of_code_needs_its_run_and_a_page_of_prose_none(tmp_path):
    """check_page(execute=False), as the portability check reads a variation from .cache/: never runs code."""
    prose = write(tmp_path, "prose.md", "# Prose\n\nNo code.\n")
    assert engine.check_page(prose, execute=False).ok
    code = write(tmp_path, "code.md", page("# Code", "~~~python\nx = 1\n~~~"))
    with pytest.raises(LookupError, match=r"docs/code\.md: no run in \.cache/"):
        engine.check_page(code, execute=False)


def test_cached_traceback_is_not_served_once_its_lines_have_moved(tmp_path):
    text = page("# Fails", "~~~python\nraise ValueError('boom')\n~~~")
    path = write(tmp_path, "fails.md", text)
    assert 'File "docs/fails.md", line 4' in engine.check_page(path).text()
    path.write_text(text.replace("# Fails", "# Fails\n\nProse."), encoding="utf-8")
    report = engine.check_page(path)
    assert report.executed and 'File "docs/fails.md", line 6' in report.text()


def test_other_torch_gets_one_message_with_both_versions(tmp_path, monkeypatch):
    make_project(tmp_path, {})
    assert versions.mismatch(tmp_path) is None
    monkeypatch.setattr(versions, "running_torch", lambda: "9.9.9")
    message = versions.mismatch(tmp_path)
    assert "produced with torch 2.13.0" in message and "this is torch 9.9.9" in message and "nox -s docs-update" in message


def test_notebook_cells_run_and_asserts_are_the_checks(tmp_path):
    notebook = "# %% [markdown]\n# # NB\n\n# %%\nx = 1\n\n# %%\nassert x == 2, 'x is not 2'\n"
    make_project(tmp_path, {"nb.py": notebook})
    message = engine.check_page(tmp_path / "docs" / "nb.py", use_cache=False).text()
    assert message.startswith("docs/nb.py:7: the block raised an exception:")
    assert 'File "docs/nb.py", line 8, in <module>' in message and "AssertionError: x is not 2" in message


def test_python_file_that_is_not_a_notebook_is_refused(tmp_path):
    make_project(tmp_path, {"helper.py": "def f():\n    return 1\n"})
    message = engine.check_page(tmp_path / "docs" / "helper.py", use_cache=False).text()
    assert message.startswith("docs/helper.py:1: a .py file under docs/ must be a jupytext percent notebook")


TWIN_CHECK = page(
    "# Twin",
    "<!--verified:twin-check Doubling-->",
    "~~~python\nprint('configurations: 3 numbers')\nprint('steps: 1')\nprint('largest difference from torch: 0.0')\n~~~",
    "<!--pytest-codeblocks:expected-output-->",
    "~~~text\nconfigurations: 3 numbers\nsteps: 1\nlargest difference from torch: 0.0\n~~~",
)


def test_twin_check_block_is_attached_and_its_fields_read(tmp_path):
    report = engine.check_page(write(tmp_path, "twin.md", TWIN_CHECK), use_cache=False)
    assert report.ok, report.text()
    assert [block.twin for block in report.blocks] == ["Doubling"]
    assert twins.fields(report.runs[0].output) == {"configurations": "3 numbers", "steps": "1", "largest difference from torch": "0.0"}


def test_twin_check_that_does_not_say_what_it_compared_fails_at_its_line(tmp_path):
    text = TWIN_CHECK.replace("print('steps: 1')\n", "print('worked fine')\n").replace("steps: 1\n", "worked fine\n")
    report = engine.check_page(write(tmp_path, "twin.md", text), use_cache=False)
    assert report.text().startswith("docs/twin.md:5: twin check 'Doubling': it must print one line each of")
    assert "missing steps" in report.text() and "lines without a field: ['worked fine']" in report.text()


@pytest.mark.parametrize(
    ("directive", "message"),
    [
        ("<!--verified:twin-check Doubling-->", "<!--verified:twin-check Doubling--> is not directly followed by a ```python block"),
        ("<!--verified:report everything-->", "the report has the sections pages, twins, environment; name one"),
        ("<!--verified:raise ValueError-->", "unknown directive <!--verified:raise ValueError-->; the engine knows"),
    ],
)
def test_misplaced_or_misspelt_directive_is_refused_with_its_line(tmp_path, directive, message):
    report = engine.check_page(write(tmp_path, "directive.md", page("# Directive", directive, "Prose, not a block.")), use_cache=False)
    assert report.text().startswith("docs/directive.md:3: ") and message in report.text(), report.text()


@pytest.mark.parametrize("name", sorted(directives.DIRECTIVES))
def test_every_directive_without_its_argument_is_refused_in_the_registry_words(tmp_path, name):
    text = page("# Bare", f"<!--verified:{name}-->", f"{FENCE}python", "x = 1", FENCE)
    report = engine.check_page(write(tmp_path, "bare.md", text), use_cache=False)
    assert report.text() == f"docs/bare.md:3: <!--verified:{name} ...--> {directives.DIRECTIVES[name].needs}", report.text()


def test_a_new_directive_is_one_registry_entry_parsed_and_checked_on_its_block(tmp_path, monkeypatch):
    """Sybil's region + evaluator: the entry's argument rule and check are all the engine needs to know."""
    quiet = directives.Directive(
        "WHY", bool, "needs a reason", lambda argument, block, run: "printed nothing" if argument and not run.output else None
    )
    monkeypatch.setitem(directives.DIRECTIVES, "prints", quiet)
    text = page("# New", "<!--verified:prints because-->", f"{FENCE}python", "x = 1", FENCE)
    report = engine.check_page(write(tmp_path, "new.md", text), use_cache=False)
    assert report.blocks[0].directives == {"prints": "because"}
    assert report.text() == "docs/new.md:5: printed nothing", report.text()


DECLARED = page(
    """
    # Declared

    <!--verified:platform-dependent the order of the additions decides the last bit-->
    ~~~python
    print("sum: 0.30000000000000004")
    ~~~

    <!--pytest-codeblocks:expected-output-->

    ~~~text
    sum: 0.30000000000000004
    ~~~

    ~~~python
    print("rounded: 0.3")
    ~~~

    <!--pytest-codeblocks:expected-output-->

    ~~~text
    rounded: 0.3
    ~~~
    """
)


def test_declared_block_keeps_byte_for_byte_on_the_reference_and_masks_numbers_only_off_it(tmp_path, monkeypatch):
    """Off the reference (forced here by naming a variation) a declared block's numbers may move, its words may not;
    every other output is still compared exactly, so a real drift fails there too."""
    moved = DECLARED.replace(f"{FENCE}text\nsum: 0.30000000000000004", f"{FENCE}text\nsum:   0.3000000000000001")
    path = write(tmp_path, "declared.md", moved)
    assert "docs/declared.md:4: the printed output differs" in engine.check_page(path, use_cache=False).text()
    monkeypatch.setenv(arithmetic.VARIABLE, "aten=default")
    assert not arithmetic.is_reference()
    report = engine.check_page(path, use_cache=False)
    assert report.ok, report.text()
    assert [block.platform_dependent for block in report.blocks] == ["the order of the additions decides the last bit", None]
    reworded = write(tmp_path, "declared.md", moved.replace(f"{FENCE}text\nsum:", f"{FENCE}text\ntotal:"))
    assert "differs from the expected-output fence (compared as the same text with every number masked" in (
        engine.check_page(reworded, use_cache=False).text()
    )
    drift = write(tmp_path, "declared.md", DECLARED.replace(f"{FENCE}text\nrounded: 0.3", f"{FENCE}text\nrounded: 0.4"))
    assert engine.check_page(drift, use_cache=False).text().startswith("docs/declared.md:14: the printed output differs")


def test_platform_dependent_needs_a_reason_and_stacks_with_other_directives(tmp_path):
    bare = DECLARED.replace("platform-dependent the order of the additions decides the last bit", "platform-dependent")
    assert (
        "docs/declared.md:3: <!--verified:platform-dependent ...--> needs the reason"
        in engine.check_page(write(tmp_path, "declared.md", bare), use_cache=False).text()
    )
    twice = DECLARED.replace("<!--verified:platform-dependent", "<!--verified:platform-dependent again-->\n<!--verified:platform-dependent")
    assert (
        "two <!--verified:platform-dependent ...--> directives on one block"
        in engine.check_page(write(tmp_path, "declared.md", twice), use_cache=False).text()
    )
    stacked = TWIN_CHECK.replace(
        "<!--verified:twin-check Doubling-->", "<!--verified:twin-check Doubling-->\n<!--verified:platform-dependent why-->"
    )
    report = engine.check_page(write(tmp_path, "twin.md", stacked), use_cache=False)
    assert report.ok and [(b.twin, b.platform_dependent) for b in report.blocks] == [("Doubling", "why")], report.text()
    no_fence = page("# No fence", "<!--verified:platform-dependent why-->", "~~~python\nx = 1\n~~~")
    assert (
        "a block declared platform-dependent must have an expected-output fence"
        in engine.check_page(write(tmp_path, "nofence.md", no_fence), use_cache=False).text()
    )


def test_update_leaves_a_fence_that_matches_after_normalisation_byte_for_byte(tmp_path):
    text = page(
        "# Address",
        "~~~python\nprint(object())\n~~~",
        "<!--pytest-codeblocks:expected-output-->",
        "~~~text\n<object object at 0x7f0000000000>\n~~~",
    )
    path = write(tmp_path, "address.md", text)
    report, changed = engine.update_page(path)
    assert report.ok and not changed
    assert path.read_text(encoding="utf-8") == text


def test_arithmetic_variations_are_named_checked_and_keyed(monkeypatch):
    assert arithmetic.requested_from("") == arithmetic.REFERENCE
    assert arithmetic.requested_from("aten=default, threads=2") == {**arithmetic.REFERENCE, "aten": "default", "threads": "2"}
    with pytest.raises(ValueError, match="each item is aten=…, mkl=…, xla=… or threads=…; got 'blas=mkl'"):
        arithmetic.requested_from("blas=mkl")
    assert arithmetic.environment(arithmetic.requested_from("mkl=unset"))["MKL_CBWR"] is None
    assert arithmetic.environment(arithmetic.REFERENCE)["MKL_CBWR"] == "COMPATIBLE"
    monkeypatch.delenv(arithmetic.VARIABLE, raising=False)
    reference = arithmetic.fingerprint()
    assert reference.startswith("reference: ") == arithmetic.machine_holds_pins()
    keys = set()
    for variation in ["", *arithmetic.VARIATIONS]:
        monkeypatch.setenv(arithmetic.VARIABLE, variation)
        keys.add(cache.key("docs/x.md", [], Path(".")))
    assert len(keys) == 1 + len(arithmetic.VARIATIONS)  # a run under one arithmetic is never served under another
    monkeypatch.setenv(arithmetic.VARIABLE, "threads=2")  # torch is imported: pinning anything else now is refused
    with pytest.raises(RuntimeError, match="torch was imported before the page engine could pin"):
        arithmetic.pin()


FIGURE = page(
    """
    # Figure

    <!--verified:figure A straight line rising from (0, 0) to (1, 1)-->
    ~~~python
    import matplotlib.pyplot as plt
    plt.plot([0, 1], [0, 1])
    plt.tight_layout()
    ~~~
    """
)


def test_a_figure_carries_its_description_as_alt_text_and_cannot_go_without_one(tmp_path):
    report = engine.check_page(write(tmp_path, "figure.md", FIGURE), use_cache=False)
    assert report.ok, report.text()
    text, figures = render.page_markdown(report, report.source.text)
    assert len(figures) == 1 and 'alt="A straight line rising from (0, 0) to (1, 1)"' in text
    bare = FIGURE.replace("<!--verified:figure A straight line rising from (0, 0) to (1, 1)-->\n", "")
    message = engine.check_page(write(tmp_path, "figure.md", bare), use_cache=False).text()
    assert message.startswith("docs/figure.md:3: the block draws a figure: say what it shows in <!--verified:figure DESCRIPTION-->")
    none_drawn = FIGURE.replace("plt.plot([0, 1], [0, 1])\nplt.tight_layout()", "x = 1")
    message = engine.check_page(write(tmp_path, "figure.md", none_drawn), use_cache=False).text()
    assert "<!--verified:figure ...--> describes one figure, but the block drew 0" in message


def test_a_figure_must_be_laid_out_since_figures_are_saved_uncropped(tmp_path):
    for layout in ("plt.subplots(layout='constrained')", "plt.subplots(layout='tight')", "plt.figure(), plt.axes([0, 0, 1, 1])"):
        laid_out = FIGURE.replace("plt.plot([0, 1], [0, 1])\nplt.tight_layout()", f"fig, ax = {layout}\nax.plot([0, 1])")
        assert engine.check_page(write(tmp_path, "figure.md", laid_out), use_cache=False).ok
    unlaid = FIGURE.replace("plt.tight_layout()\n", "")
    message = engine.check_page(write(tmp_path, "figure.md", unlaid), use_cache=False).text()
    assert message.startswith("docs/figure.md:4: the block draws a figure that is not laid out: call fig.tight_layout()")


def test_a_block_inside_a_note_keeps_its_blank_lines_so_tracebacks_name_the_right_line(tmp_path):
    """pytest-codeblocks drops the blank lines of an indented fence; the engine runs the code as the page has it."""
    folded = page('# Folded\n\n??? note "Details"\n\n    ~~~python\n    a = 1\n\n\n    raise ValueError("line 9")\n    ~~~')
    report = engine.check_page(write(tmp_path, "folded.md", folded), use_cache=False)
    assert 'File "docs/folded.md", line 9, in <module>' in report.text(), report.text()
    assert report.blocks[0].code == 'a = 1\n\n\nraise ValueError("line 9")\n'


def test_built_pages_drop_indentation_but_keep_whitespace_where_it_shows():
    page_html = (
        "<div>\n    <p>a\n      b <code>k\n   j</code> <kbd>x  y</kbd></p>\n"
        "<pre><code>x\n    y\n</code></pre>\n  <span>c</span>   <span>d</span>\n\n\n  <script>\n  f();\n</script>\n  end"
    )
    assert render.without_indentation(page_html) == (
        "<div>\n<p>a\nb <code>k\n   j</code> <kbd>x  y</kbd></p>\n"
        "<pre><code>x\n    y\n</code></pre>\n<span>c</span>   <span>d</span>\n<script>\n  f();\n</script>\nend"
    )


READER = page(
    """
    # Reads a file

    <!--verified:reads data.txt-->
    ~~~python
    from pathlib import Path
    print(Path("data.txt").read_text())
    ~~~
    """
)


def test_a_block_that_reads_a_file_runs_again_when_the_file_changes_and_says_so(tmp_path):
    path = write(tmp_path, "reads.md", READER)  # the page runs from its project's root, whatever this folder is
    (tmp_path / "data.txt").write_text("one")
    first = engine.check_page(path)
    assert first.executed and first.runs[0].output == "one\n"
    assert not engine.needs_run(path)  # cached while the file is the same
    (tmp_path / "data.txt").write_text("two")
    assert engine.needs_run(path)
    assert engine.check_page(path).runs[0].output == "two\n"
    undeclared = READER.replace("<!--verified:reads data.txt-->\n", "")
    message = engine.check_page(write(tmp_path, "reads.md", undeclared.replace("data", "tada")), use_cache=False)
    assert "FileNotFoundError" in message.text()  # without the file the block fails on its own
    bare = READER.replace("<!--verified:reads data.txt-->", "<!--verified:reads-->")
    message = engine.check_page(write(tmp_path, "reads.md", bare)).text()
    expected = "<!--verified:reads ...--> needs the files or folders the block reads, relative to the project's root"
    assert message == f"docs/reads.md:3: {expected}"


def test_reads_takes_folders_and_refuses_a_path_that_names_nothing(tmp_path):
    folder_reader = READER.replace("reads data.txt", "reads data").replace('Path("data.txt").read_text()', 'Path("data/a.txt").read_text()')
    path = write(tmp_path, "reads.md", folder_reader)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("one")
    assert engine.check_page(path).runs[0].output == "one\n"
    (tmp_path / "data" / "a.txt").write_text("two")
    assert engine.needs_run(path)
    for wrong in ("dta.txt", "../data.txt"):
        message = engine.check_page(write(tmp_path, "reads.md", READER.replace("reads data.txt", f"reads {wrong}"))).text()
        assert message == f"docs/reads.md:4: <!--verified:reads {wrong}--> names no file or folder under the project's root"


def test_what_nothing_used_for_thirty_days_is_pruned_and_a_use_keeps_an_entry(tmp_path, monkeypatch):
    """Each use of a page run, a converted page or a formula touches its file; memo.prune removes what nothing has
    used for memo.KEEP_DAYS, so .cache/ does not keep every run there ever was."""
    import os
    import time

    from verified import katex, memo

    make_project(
        tmp_path,
        {"a.md": page("# A", f"{FENCE}python\nprint(1)\n{FENCE}", "<!--pytest-codeblocks:expected-output-->", f"{FENCE}text\n1\n{FENCE}")},
    )
    assert engine.check_page(tmp_path / "docs" / "a.md").executed
    cache_dir = tmp_path / ".cache"
    (run,) = (cache_dir / "pages").glob("*.json")
    stale = [cache_dir / folder / f"old.{n}" for n, folder in enumerate(memo.FOLDERS)]
    fresh = cache_dir / "katex" / "recent.html"
    for path in [*stale, fresh]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")
    month = time.time() - (memo.KEEP_DAYS + 1) * 24 * 3600
    for path in [*stale, run]:
        os.utime(path, (month, month))
    assert not engine.check_page(tmp_path / "docs" / "a.md").executed  # the run is used, so touched
    monkeypatch.setattr(katex.renderer, "folder", cache_dir / "katex")
    katex.renderer.html("x", False)  # a formula, rendered a month ago
    (formula,) = [path for path in katex.renderer.folder.glob("*.html") if path != fresh]
    os.utime(formula, (month, month))
    katex.renderer.html("x", False)  # used again: touched
    assert memo.prune(cache_dir) == len(stale)
    assert run.is_file() and fresh.is_file() and formula.is_file() and not any(path.exists() for path in stale)
