"""Every name of another package that the engine patches or reads though it is private: what for, and what it saves.

When an upgrade moves one of them, tests/test_upstream.py fails with the package, its version and the name."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib.metadata import version


@dataclass(frozen=True)
class Private:
    package: str  # the distribution, for its version
    module: str
    name: str  # dotted, inside the module
    used_in: str
    why: str


NAMES = [
    Private(
        "markdown-katex",
        "markdown_katex.wrapper",
        "_write_tex2html",
        "verified/katex.py",
        "renders a formula in one long-lived Node process: ~1 ms a formula instead of ~100 ms for one binary per formula "
        "(cold math of the whole site 0.88 s for 1563 formulas, benchmarks/latest.md)",
    ),
    Private(
        "markdown-katex",
        "markdown_katex.wrapper",
        "_cmd_digest",
        "verified/katex.py",
        "keys the formula cache on the KaTeX binary's name, not on the virtualenv it lives in: a recreated nox "
        "virtualenv keeps every rendered formula (tests/test_katex.py)",
    ),
    Private(
        "markdown-katex",
        "markdown_katex.wrapper",
        "_cleanup_cache_dir",
        "verified/katex.py",
        "keeps .cache/katex past markdown-katex's 24 hours: a warm build renders no formula (tests/test_site.py)",
    ),
    Private(
        "markdown-katex",
        "markdown_katex.wrapper",
        "_get_pkg_bin_path",
        "verified/katex.py",
        "finds the bundled binary without markdown-katex's probe for npx on every PATH entry (~0.8 s at start-up, "
        "~1 s per uncached formula, upstream issue #22)",
    ),
    Private(
        "markdown-katex",
        "markdown_katex.extension",
        "_clean_inline_text",
        "verified/katex.py, verified/notebook_export.py",
        "the TeX of a formula exactly as markdown-katex reads it, for the search index and the notebooks",
    ),
    Private("markdown-katex", "markdown_katex.extension", "_clean_block_text", "verified/katex.py", "the same, for ```math fences"),
    Private(
        "mkdocs-jupyter",
        "mkdocs_jupyter.plugin",
        "_compute_cache_key",
        "verified/notebook_page.py",
        "the key of mkdocs-jupyter's own cache, to start executing an uncached notebook early, in a thread, "
        "while the Markdown pages render (cold build 52.1 s instead of 55.5, mean of two runs each)",
    ),
    Private("mkdocs-jupyter", "mkdocs_jupyter.plugin", "_get_cache_path", "verified/notebook_page.py", "the same"),
    Private(
        "mkdocs",
        "mkdocs.structure.pages",
        "Page._title_from_render",
        "verified/memo.py",
        "the title Page.render reads from a page's first heading, kept with its HTML so an unchanged page is not "
        "converted again: warm build 2.5-2.8 s instead of 3.4-3.5 s (T0 1.5-1.8 s)",
    ),
]


def missing() -> list[str]:
    """A message for each name that the installed packages no longer have."""
    messages = []
    for private in NAMES:
        where = importlib.import_module(private.module)
        try:
            for part in private.name.split("."):
                # an attribute set on each instance: then it is one the class's __init__ assigns
                where = getattr(where, part) if hasattr(where, part) or not isinstance(where, type) else _assigned(where, part)
        except AttributeError:
            release = version(private.package) if private.package != "python" else "this Python"
            messages.append(f"{private.package} {release}: {private.module}.{private.name} is gone (used in {private.used_in})")
    return messages


def _assigned(cls: type, name: str) -> str:
    if name not in cls.__init__.__code__.co_names:
        raise AttributeError(name)
    return name
