"""A throwaway project (mkdocs.yml, docs/, snippets/) for feeding the engine and the build bad input."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_project(folder: Path, pages: dict[str, str], snippets: dict[str, str] | None = None) -> Path:
    """The real mkdocs.yml (nav dropped, paths made absolute) with the given pages and snippets."""
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config = config[: config.index("\nnav:")] + "\n"
    config = config.replace("verified/mkdocs_hook.py", str(ROOT / "verified" / "mkdocs_hook.py"))
    config = config.replace("custom_dir: overrides", f"custom_dir: {ROOT / 'overrides'}")
    (folder / "mkdocs.yml").write_text(config, encoding="utf-8")
    shutil.copy(ROOT / "requirements.txt", folder / "requirements.txt")
    shutil.copytree(ROOT / "docs" / "assets" / "katex", folder / "docs" / "assets" / "katex", dirs_exist_ok=True)
    shutil.copy(ROOT / "docs" / "assets" / "verified.css", folder / "docs" / "assets" / "verified.css")
    for name, text in {"index.md": "# Home\n", **pages}.items():
        path = folder / "docs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    (folder / "snippets").mkdir(exist_ok=True)  # mkdocs.yml watches it
    for name, text in (snippets or {}).items():
        path = folder / "snippets" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


# What the builds and pytest runs of the tests see: this virtualenv first, then the system's programs (node).
SUBPROCESS_PATH = str(Path(sys.executable).parent) + ":/usr/bin:/bin"


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"NO_MKDOCS_2_WARNING": "1", "PATH": SUBPROCESS_PATH, "MPLBACKEND": "Agg"}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env, timeout=600)


def mkdocs_build(folder: Path, strict: bool = True) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "mkdocs", "build", "--strict" if strict else "--no-strict", "-d", str(folder / "site")], folder)


FENCE = "```"


def page(*parts: str) -> str:
    """Join dedented page parts; FENCE stands for three backticks, so fixtures read like pages."""
    return "\n".join(textwrap.dedent(part).strip("\n") + "\n" for part in parts).replace("~~~", FENCE)
