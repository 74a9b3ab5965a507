"""Rendering work that depends only on its input, kept under .cache/ between builds: highlighted code, search entries.

A warm build then re-does neither Pygments nor Material's search parsing for an unchanged block or page. Each entry is
keyed by a digest of everything its output depends on (the input, the options, the package versions); the file keeps
what the last Memo.KEEP builds used, so it does not grow without bound."""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import logging
import os
import re
import time
from importlib.metadata import version
from pathlib import Path

VERSIONS = "|".join(version(name) for name in ("pygments", "pymdown-extensions", "mkdocs-material", "markdown"))


class Memo:
    """Entries by key; each remembers the last build that used it. A build keeps what it used and what was used in
    the last KEEP builds, so a `serve --dirty` rebuild of one page does not throw away the rest of the site."""

    KEEP = 20

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            self.build, self.entries = stored["build"] + 1, stored["entries"]
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            self.build, self.entries = 1, {}
        self.changed = False
        self.misses = 0

    @staticmethod
    def key(*parts: object) -> str:
        return hashlib.sha256(json.dumps([VERSIONS, *parts], sort_keys=True, default=repr).encode()).hexdigest()

    def get(self, key: str) -> object | None:
        entry = self.entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        if entry[0] != self.build:
            entry[0], self.changed = self.build, True
        return entry[1]

    def put(self, key: str, value: object) -> None:
        self.entries[key] = [self.build, value]
        self.changed = True

    def save(self) -> None:
        """Write the entries back with the builds that last used them (a small JSON file; written on every build that
        used something, since using an entry is a change), dropping those unused for KEEP builds."""
        kept = {key: entry for key, entry in self.entries.items() if entry[0] > self.build - self.KEEP}
        if not self.changed and len(kept) == len(self.entries):
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")  # two builds may save at once (xdist workers)
        temporary.write_text(json.dumps({"build": self.build, "entries": kept}), encoding="utf-8")
        temporary.replace(self.path)
        self.entries, self.changed = kept, False


_memos: dict[str, Memo] = {}


def highlighted_code(cache_dir: Path) -> None:
    """Memoise pymdownx.highlight's Pygments call for code blocks (a plain-text title, such as every output fence's
    "Output", is one more argument). Not for an HTML title or an auto-title (it may go through the page's HTML stash,
    whose placeholders depend on the page), nor inline code (an element, not text)."""
    from pymdownx import highlight

    memo = _memos["highlight"] = Memo(cache_dir / "highlight.json")
    original = getattr(highlight.Highlight.highlight, "_original", highlight.Highlight.highlight)
    signature = inspect.signature(original)

    def memoised(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        call = signature.bind(self, *args, **kwargs)
        call.apply_defaults()
        arguments = {name: value for name, value in call.arguments.items() if name != "self"}
        if arguments["inline"] or self.auto_title or (arguments["title"] and self.title_mode != "text"):
            memo.misses += 1
            return original(self, *args, **kwargs)
        options = {name: value for name, value in vars(self).items() if name != "md"}
        key = Memo.key(arguments, options)
        cached = memo.get(key)
        if cached is None:
            cached = original(self, *args, **kwargs)
            memo.put(key, cached)
        return cached

    memoised._original = original  # type: ignore[attr-defined]
    highlight.Highlight.highlight = memoised


def search_entries(cache_dir: Path) -> None:
    """Let Material's search index a page with its formulas as TeX, not as KaTeX markup (the page itself is unchanged),
    and reuse the entries of an unchanged page from the last build instead of parsing its HTML again. The formulas
    come from the page's `verified_search_formulas` (HTML -> TeX), set by the hook."""
    from material.plugins.search import plugin as search

    from verified import katex

    memo = _memos["search"] = Memo(cache_dir / "search-entries.json")
    original = getattr(search.SearchIndex.add_entry_from_context, "_original", search.SearchIndex.add_entry_from_context)

    def add_entry_from_context(self, page):  # type: ignore[no-untyped-def]
        formulas = getattr(page, "verified_search_formulas", None)
        full = page.content
        if formulas:
            page.content = katex.search_text(page.content, formulas)
        page.content = _without_code_spans(page.content)
        toc = [(item.id, item.url, item.title, item.level) for item in _walk(page.toc)]
        key = Memo.key(page.content, page.url, page.title, page.meta, toc)
        try:
            cached = memo.get(key)
            if cached is None:
                before = len(self.entries)
                original(self, page)
                cached = self.entries[before:]
                memo.put(key, cached)
            else:
                self.entries.extend(json.loads(json.dumps(cached)))  # a copy: the index may change its entries
        finally:
            page.content = full

    add_entry_from_context._original = original  # type: ignore[attr-defined]
    search.SearchIndex.add_entry_from_context = add_entry_from_context


class PageHtml:
    """Page.render for a Markdown page whose rendering inputs have not changed since a build that kept it: its HTML,
    table of contents, title and anchors from .cache/rendered/, instead of Markdown and every extension again (about
    a third of a warm build). Keyed on the page's Markdown as the hook hands it over (includes expanded, outputs and
    figures placed), where it is and where every file of the site is (links resolve against them), the Markdown
    configuration, the packages that render and KaTeX's version. A render that logs a warning (a broken link) is
    never kept, so it warns on every build. Set per page object, as mkdocs-jupyter sets its own render."""

    KEPT = ("content", "toc", "_title_from_render", "present_anchor_ids", "links_to_anchors")  # what Page.render sets

    def __init__(self, cache_dir: Path) -> None:
        self.folder = cache_dir / "rendered"
        self.misses = 0
        self.files: object = None  # the build's Files, for which `site` was computed
        self.site = ""

    def render(self, page, config, files) -> None:  # type: ignore[no-untyped-def]
        from mkdocs.structure.pages import Page
        from mkdocs.structure.toc import get_toc

        from verified import katex

        if files is not self.files:  # once a build: where every file is, and what converts Markdown (math included)
            site = sorted((file.src_uri, file.url) for file in files)
            katex_code = hashlib.sha256(Path(katex.__file__).read_bytes()).hexdigest()
            markdown = (config["markdown_extensions"], config["mdx_configs"], config["validation"], katex.renderer.digest, katex_code)
            self.files, self.site = files, Memo.key(version("mkdocs"), site, markdown)
        key = Memo.key(self.site, page.markdown, page.file.src_uri, page.file.url)
        path = self.folder / f"{key}.json"
        kept = None
        with contextlib.suppress(FileNotFoundError):  # never kept, or pruned by another build meanwhile
            kept = json.loads(path.read_text(encoding="utf-8"))
            os.utime(path)  # used now: prune keeps it
        if kept is not None:
            page.content, page.toc = kept["content"], get_toc(kept["toc"])
            page._title_from_render = kept["title"]
            page.present_anchor_ids = set(kept["anchors"])
            if _PAGES_LOG.getEffectiveLevel() > logging.DEBUG:  # as Page.render: no anchor check under --verbose
                page.links_to_anchors = {files.get_file_from_path(uri): links for uri, links in kept["links"].items()}
            return
        self.misses += 1
        warnings = _Count()
        logging.getLogger("mkdocs").addHandler(warnings)
        try:
            Page.render(page, config, files)
        finally:
            logging.getLogger("mkdocs").removeHandler(warnings)
        # Kept only from a render that would have said every warning (not under --quiet) and recorded its links into
        # other pages' anchors (not under --verbose), and said none.
        if warnings.count or not _PAGES_LOG.isEnabledFor(logging.WARNING) or _PAGES_LOG.isEnabledFor(logging.DEBUG):
            return
        kept = {
            "content": page.content,
            "toc": [_token(item) for item in page.toc],
            "title": page._title_from_render,
            "anchors": sorted(page.present_anchor_ids),
            "links": {file.src_uri: anchors for file, anchors in page.links_to_anchors.items()},
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(kept), encoding="utf-8")
        temporary.replace(path)


_PAGES_LOG = logging.getLogger("mkdocs.structure.pages")  # where Page.render warns of a broken link


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def _token(item):  # type: ignore[no-untyped-def]
    """A table-of-contents entry back as the token mkdocs.structure.toc.get_toc reads."""
    return {"level": item.level, "id": item.id, "name": item.title, "children": [_token(child) for child in item.children]}


PRE = re.compile(r"<pre\b.*?</pre>", re.DOTALL)
SPAN_TAG = re.compile(r"</?span\b[^>]*>")


def _without_code_spans(html: str) -> str:
    """The page without Pygments' `<span>` tags inside `<pre>`, for the search parser only: they were most of its
    work, and inside `<pre>` the parser keeps every piece of text as it comes, so it indexes the same text."""
    return PRE.sub(lambda pre: SPAN_TAG.sub("", pre.group(0)), html)


def _walk(toc):  # type: ignore[no-untyped-def]
    for item in toc:
        yield item
        yield from _walk(item.children)


KEEP_DAYS = 30
FOLDERS = ("pages", "rendered", "katex")  # one file per entry: page runs, converted pages, formulas


def prune(cache_dir: Path, now: float | None = None) -> int:
    """Remove what no build or check has used for KEEP_DAYS (each use touches the file), so .cache/ does not keep
    every run of every engine, torch and page edit there ever was. Returns how many files went."""
    limit = (time.time() if now is None else now) - KEEP_DAYS * 24 * 3600
    old = [path for folder in FOLDERS for path in (cache_dir / folder).glob("*") if _modified(path) < limit]
    for path in old:
        path.unlink(missing_ok=True)
    return len(old)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # another build (an xdist worker) removed it meanwhile
        return float("inf")


def save() -> None:
    for memo in _memos.values():
        memo.save()


def misses(name: str) -> int:
    """How many entries the named memo had to compute in this build (0 when all came from .cache/)."""
    return _memos[name].misses if name in _memos else 0
