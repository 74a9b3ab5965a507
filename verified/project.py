"""Where the project is and what its mkdocs.yml says, read once for both front ends."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class _PermissiveLoader(yaml.SafeLoader):
    """Reads mkdocs.yml without resolving mkdocs' own tags (!ENV, !!python/name)."""


_PermissiveLoader.add_multi_constructor("", lambda loader, suffix, node: None)
_PermissiveLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


@dataclass(frozen=True)
class Project:
    root: Path
    docs_dir: Path
    cache_dir: Path
    snippets_config: dict[str, Any]

    def display(self, path: Path) -> str:
        """The path as messages show it: relative to the project root, e.g. docs/autograd/x.md."""
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def find_root(start: Path) -> Path:
    for folder in [start, *start.parents]:
        if (folder / "mkdocs.yml").is_file():
            return folder
    raise FileNotFoundError(f"no mkdocs.yml in {start} or any folder above it")


@functools.cache
def load(root: Path) -> Project:
    config = yaml.load((root / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_PermissiveLoader)
    snippets: dict[str, Any] = {}
    for entry in config.get("markdown_extensions", []):
        if isinstance(entry, dict) and "pymdownx.snippets" in entry:
            snippets = dict(entry["pymdownx.snippets"] or {})
    # Resolve include paths against the project root, as `mkdocs build` run from the root does.
    snippets["base_path"] = [str(root / p) for p in snippets.get("base_path", ["."])]
    return Project(
        root=root,
        docs_dir=root / config.get("docs_dir", "docs"),
        cache_dir=root / ".cache",
        snippets_config=snippets,
    )


def for_path(path: Path) -> Project:
    return load(find_root(path.resolve().parent))
