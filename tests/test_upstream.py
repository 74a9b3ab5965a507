"""The private names of other packages that the engine relies on (verified/upstream.py) are all still there, and
the list is complete: a private name used anywhere in verified/ is listed."""

import re
from pathlib import Path

from verified import upstream


def test_every_private_name_the_engine_uses_still_exists():
    assert upstream.missing() == []


def test_a_name_an_upgrade_removed_is_reported_with_package_version_and_use(monkeypatch):
    gone = upstream.Private("markdown-katex", "markdown_katex.wrapper", "_no_such_name", "verified/katex.py", "a test")
    monkeypatch.setattr(upstream, "NAMES", [gone])
    [message] = upstream.missing()
    assert re.fullmatch(r"markdown-katex [\d.]+: markdown_katex\.wrapper\._no_such_name is gone \(used in verified/katex\.py\)", message)


def test_an_instance_attribute_an_upgrade_removed_is_reported(monkeypatch):
    """Page._title_from_render is set by Page.__init__, not on the class: checked in what __init__ assigns."""
    gone = upstream.Private("mkdocs", "mkdocs.structure.pages", "Page._no_such_attribute", "verified/memo.py", "a test")
    monkeypatch.setattr(upstream, "NAMES", [gone])
    [message] = upstream.missing()
    assert "mkdocs.structure.pages.Page._no_such_attribute is gone (used in verified/memo.py)" in message


def test_every_private_name_used_in_the_engine_is_listed():
    """`module._name` where module is another package's (wrapper, extension, jupyter_plugin), or a mkdocs page's
    private attribute: listed."""
    listed = {private.name.split(".")[-1] for private in upstream.NAMES}
    used = set()
    for path in Path(upstream.__file__).parent.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"\b(?:wrapper|extension|jupyter_plugin|page)\.(_\w+)", text))
        used |= set(re.findall(r'getattr\([\w.]+, "(_\w+)"', text)) - {"_original", "_verified"}  # our own markers
    assert used and used <= listed, used - listed


def test_an_attribute_page_render_sets_that_the_page_memo_does_not_keep_is_reported(monkeypatch):
    from verified import memo

    monkeypatch.setattr(memo.PageHtml, "KEPT", tuple(name for name in memo.PageHtml.KEPT if name != "toc"))
    [message] = upstream.missing()
    assert re.fullmatch(r"mkdocs [\d.]+: Page.render now sets toc, which memo.PageHtml does not keep", message)
