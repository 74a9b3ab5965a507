"""Every name of another package that the engine patches or reads though it is private: what for, and what it saves.

When an upgrade moves one of them, tests/test_upstream.py fails with the package, its version and the name."""

from __future__ import annotations

import dis
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
    return messages + _page_render_sets_more()


def _page_render_sets_more() -> list[str]:
    """memo.PageHtml stands in for Page.render with what it kept of an earlier render: whatever else a newer
    Page.render sets would be missing from a kept page."""
    from mkdocs.structure.pages import Page

    from verified.memo import PageHtml

    new = {step.argval for step in dis.get_instructions(Page.render) if step.opname == "STORE_ATTR"} - set(PageHtml.KEPT)
    return [f"mkdocs {version('mkdocs')}: Page.render now sets {', '.join(sorted(new))}, which memo.PageHtml does not keep"] if new else []


def _assigned(cls: type, name: str) -> str:
    if name not in cls.__init__.__code__.co_names:
        raise AttributeError(name)
    return name
