"""Rendering work that depends only on its input, kept under .cache/ between builds: highlighted code, search entries.

A warm build then re-does neither Pygments nor Material's search parsing for an unchanged block or page. Each entry is
keyed by a digest of everything its output depends on (the input, the options, the package versions); the file keeps
only what the last build used, so it never grows stale."""

from __future__ import annotations

import hashlib
import json
import os
from importlib.metadata import version
from pathlib import Path

VERSIONS = "|".join(version(name) for name in ("pygments", "pymdown-extensions", "mkdocs-material", "markdown"))


class Memo:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.stored: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            self.stored = {}
        self.used: dict[str, object] = {}

    @staticmethod
    def key(*parts: object) -> str:
        return hashlib.sha256(json.dumps([VERSIONS, *parts], sort_keys=True, default=repr).encode()).hexdigest()

    def get(self, key: str) -> object | None:
        if key in self.stored:
            self.used[key] = self.stored[key]
        return self.used.get(key)

    def put(self, key: str, value: object) -> None:
        self.used[key] = value

    def save(self) -> None:
        if self.used == self.stored:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")  # two builds may save at once (xdist workers)
        temporary.write_text(json.dumps(self.used), encoding="utf-8")
        temporary.replace(self.path)
        self.stored = dict(self.used)


_memos: dict[str, Memo] = {}


def highlighted_code(cache_dir: Path) -> None:
    """Memoise pymdownx.highlight's Pygments call for blocks without a title (a title goes through the page's HTML stash)."""
    from pymdownx import highlight

    memo = _memos["highlight"] = Memo(cache_dir / "highlight.json")
    original = getattr(highlight.Highlight.highlight, "_original", highlight.Highlight.highlight)

    def memoised(self, src, language, *args, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("title") or len(args) >= 9:
            return original(self, src, language, *args, **kwargs)
        options = {name: value for name, value in vars(self).items() if name != "md"}
        key = Memo.key(src, language, args, kwargs, options)
        cached = memo.get(key)
        if cached is None:
            cached = original(self, src, language, *args, **kwargs)
            memo.put(key, cached)
        return cached

    memoised._original = original  # type: ignore[attr-defined]
    highlight.Highlight.highlight = memoised


def search_entries(cache_dir: Path) -> Memo:
    memo = _memos["search"] = Memo(cache_dir / "search-entries.json")
    return memo


def save() -> None:
    for memo in _memos.values():
        memo.save()
