"""markdown-katex, made offline, persistent and checkable: no npx probe, a cache under .cache/, errors at page lines."""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from html import escape, unescape
from pathlib import Path

from markdown import Markdown
from markdown.extensions import Extension
from markdown_katex import extension, wrapper

from verified.source import Source


@dataclass
class Stats:
    rendered: int = 0  # formulas rendered anew (not served from .cache/katex) since the last reset


stats = Stats()
_original_write = wrapper._write_tex2html


def _bundled_binary() -> list[str]:
    """markdown-katex's KaTeX binary; where it ships none (it has one for x86_64 only: aarch64, say), the same KaTeX
    through Node (katex/render.js takes the binary's arguments), or a message that says what to install."""
    try:
        return [str(wrapper._get_pkg_bin_path())]
    except NotImplementedError:
        if shutil.which("node") is None:
            raise NotImplementedError(
                f"markdown-katex ships no KaTeX binary for {wrapper.MACHINE}-{wrapper.OSNAME}, and Node.js is not on PATH: "
                "install Node.js (Debian: apt-get install nodejs) to render the site's math"
            ) from None
        return ["node", str(NodeRenderer.SCRIPT)]


# Upstream issue #22: markdown-katex looks for `npx --no-install katex` on every PATH entry, never caching a miss:
# ~1 s per formula, and ~0.8 s when the extension starts (it asks the binary for its options). Patched on import.
wrapper.get_bin_cmd = _bundled_binary


class ImportFirst(Extension):
    """`- verified.katex` listed before `- markdown_katex` in mkdocs.yml: mkdocs builds the Markdown extensions
    before it loads the hook, so this entry is what imports this module (and its patch) before markdown-katex starts.
    It adds nothing to Markdown itself."""

    def extendMarkdown(self, md: Markdown) -> None:
        pass


def makeExtension(**kwargs: object) -> ImportFirst:  # the name Python-Markdown looks for
    return ImportFirst(**kwargs)


def configure(cache_dir: Path) -> None:
    """Patch markdown-katex once per process; its syntax, options and HTML stay exactly as they are."""
    wrapper.CACHE_DIR = cache_dir / "katex"
    wrapper.CACHE_DIR.mkdir(parents=True, exist_ok=True)
    # The render cache is ours to keep, not a temp folder emptied after 24 hours.
    wrapper._cleanup_cache_dir = lambda: None
    # Key on the binary's name (KaTeX version), not on the virtualenv it happens to live in.
    wrapper._cmd_digest = _cmd_digest
    wrapper._write_tex2html = _counting_write


def _cmd_digest(tex: str, cmd_parts: list[str]) -> str:
    digest = hashlib.sha256(tex.encode("utf-8"))
    names = 2 if cmd_parts[0] == "node" else 1  # the binary (KaTeX's version, the platform) or `node render.js`: by name
    for number, part in enumerate(cmd_parts):
        part = Path(part).name if number < names else part
        digest.update(part.encode("utf-8"))
    return digest.hexdigest()


# The bundled CLI's flags without a value, as KaTeX options: the only ones the long-lived renderer takes.
FLAGS = {
    "--display-mode": ("displayMode", True),
    "--leqno": ("leqno", True),
    "--fleqn": ("fleqn", True),
    "--no-throw-on-error": ("throwOnError", False),
    "--color-is-text-color": ("colorIsTextColor", True),
    "--strict": ("strict", True),
    "--trust": ("trust", True),
}


class NodeRenderer:
    """One Node process running the same KaTeX as the bundled CLI, fed JSON lines: ~1 ms a formula instead of ~100."""

    SCRIPT = Path(__file__).parent / "katex" / "render.js"

    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None

    @staticmethod
    def wanted() -> bool:
        return os.environ.get("VERIFIED_KATEX", "node") != "binary" and shutil.which("node") is not None

    def render(self, tex: str, options: dict[str, object]) -> dict[str, str]:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(
                ["node", str(self.SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8"
            )
            atexit.register(self.close)
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps({"tex": tex, "options": options}) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        """End the renderer and reap it, so the interpreter exits without a still-running child or open pipes."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            for pipe in (self.process.stdin, self.process.stdout):
                if pipe:
                    pipe.close()
            self.process = None


node = NodeRenderer()


def katex_version() -> str:
    """The vendored KaTeX's version, read from the file itself (markdown-katex bundles the same one)."""
    text = (Path(__file__).parent / "katex" / "katex.min.js").read_text(encoding="utf-8")
    match = re.search(r'version:"([\d.]+)"', text)
    return match.group(1) if match else "unknown"


def _counting_write(cmd_parts, tex, tmp_output_file):  # type: ignore[no-untyped-def]
    """Render one uncached formula: with the long-lived renderer where it can, else with the bundled binary."""
    stats.rendered += 1
    flags = cmd_parts[1:]
    if not NodeRenderer.wanted() or any(flag not in FLAGS for flag in flags):
        return _original_write(cmd_parts, tex, tmp_output_file)
    answer = node.render(tex, dict(FLAGS[flag] for flag in flags))
    if "error" in answer:
        raise wrapper.KatexError(f"Error processing '{tex}': {answer['error']}")
    Path(tmp_output_file).write_text(answer["html"] + "\n", encoding="utf-8")


@dataclass
class Formula:
    line: int  # expanded line number of the formula (first line of a ```math fence)
    tex: str
    display: bool


def find(src_lines: list[str]) -> list[Formula]:
    """The formulas markdown-katex will render, found the way its preprocessor finds them, with their lines."""
    formulas = []
    fence_close: str | None = None
    math_start = 0
    math_lines: list[str] = []
    for number, line in enumerate(src_lines, start=1):
        if math_lines:
            math_lines.append(line)
            if line.rstrip() == fence_close:
                block = "\n".join(part[len(math_lines[0]) - len(math_lines[0].lstrip()) :] for part in math_lines).rstrip()
                formulas.append(Formula(math_start, block, display=True))
                math_lines, fence_close = [], None
            continue
        if fence_close is not None:
            if line.rstrip() == fence_close:
                fence_close = None
            continue
        math_match = extension.BLOCK_START_RE.match(line)
        fence_match = extension.FENCE_RE.match(line)
        if math_match:
            math_start, math_lines = number, [line]
            fence_close = math_match.group(1) + math_match.group(2)
        elif fence_match:
            fence_close = fence_match.group(1) + fence_match.group(2)
        else:
            formulas.extend(Formula(number, item.inline_text, display=False) for item in extension.iter_inline_katex(line))
    return formulas


def _tex_of(formula: Formula) -> str:
    if formula.display:
        return extension._clean_block_text(formula.tex).strip()
    return extension._clean_inline_text(formula.tex)


def search_text(html: str, rendered: dict[str, str]) -> str:
    """The page for the search index: each formula's KaTeX markup (MathML and a tree of spans) replaced by its
    readable text, the symbols a reader sees (`θt = θt−1 − γ …`), not its TeX.

    Material's search plugin re-parses every page's HTML, and KaTeX markup made that a quarter of a warm build."""
    for formula_html in rendered:
        html = html.replace(formula_html, f"<span>{escape(readable(formula_html))}</span>")
    return html


MATHML = re.compile(r"<math\b.*?</math>", re.DOTALL)
ANNOTATION = re.compile(r"<annotation\b.*?</annotation>", re.DOTALL)
TOKEN = re.compile(r"<(mi|mn|mo|mtext|ms)\b[^>]*>(.*?)</\1>", re.DOTALL)
RELATIONS = set("=<>≤≥≈≠→←∈+−×·")


def readable(formula_html: str) -> str:
    """A rendered formula as text: its MathML tokens in order (KaTeX writes them beside the visible spans), with
    spaces around relations and operators; the TeX annotation left out."""
    math = MATHML.search(formula_html)
    if math is None:
        return ""
    parts = []
    for kind, text in TOKEN.findall(ANNOTATION.sub("", math.group(0))):
        text = unescape(re.sub(r"<[^>]+>", "", text))
        parts.append(f" {text} " if kind == "mo" and text in RELATIONS else text)
    return " ".join("".join(parts).split())


def _unclosed_inline_math(src_lines: list[str]) -> list[int]:
    """Lines outside fences where a `$`` opens inline math that markdown-katex will not find (it would show raw TeX)."""
    unclosed = []
    fence_close: str | None = None
    for number, line in enumerate(src_lines, start=1):
        if fence_close is not None:
            fence_close = None if line.rstrip() == fence_close else fence_close
            continue
        fence = extension.FENCE_RE.match(line)
        if fence:
            fence_close = fence.group(1) + fence.group(2)
            continue
        rest = line
        for item in extension.iter_inline_katex(line):
            rest = rest.replace(item.inline_text, "", 1)
        if "$`" in rest:
            unclosed.append(number)
    return unclosed


def render(formula: Formula, options: dict) -> str:
    """Exactly the call markdown-katex's preprocessor makes, so the HTML lands in the shared cache."""
    return extension.md_block2html(formula.tex, dict(options)) if formula.display else extension.md_inline2html(formula.tex, dict(options))


HEADING = re.compile(r"^#{1,6}\s")


def check(src: Source, options: dict, rendered: dict[str, str] | None = None) -> list[tuple[int, str]]:
    """Render every formula of the page; return (expanded line, message) for each that fails or garbles a heading.

    `rendered`, if given, collects each formula's HTML -> its TeX (what the search index gets instead)."""
    problems = []
    for number in _unclosed_inline_math(src.lines):
        problems.append((number, "inline math $`...`$ must open and close on the same line (markdown-katex reads one line at a time)"))
    for formula in find(src.lines):
        if not formula.display and HEADING.match(src.lines[formula.line - 1]):
            problems.append(
                (
                    formula.line,
                    f"inline math {formula.tex} in a heading garbles the table of contents and the heading's id; "
                    "write the symbol in Unicode there",
                )
            )
            continue
        try:
            html = render(formula, options)
            if rendered is not None:
                rendered[html] = _tex_of(formula)
        except wrapper.KatexError as error:
            lines = [line.strip() for line in str(error).splitlines() if line.strip()]
            reason = next((line[line.index("ParseError") :] for line in lines if "ParseError" in line), lines[-1] if lines else "")
            problems.append((formula.line, f"bad LaTeX in {formula.tex.strip()}: {reason}"))
    return problems


def neutralise(src_lines: list[str], bad_lines: set[int]) -> list[str]:
    """Turn the formulas on `bad_lines` into code, so the build goes on and every bad formula is reported."""
    lines = list(src_lines)
    for number in bad_lines:
        line = lines[number - 1]
        if extension.BLOCK_START_RE.match(line):
            lines[number - 1] = line.replace("math", "text", 1)
        else:
            for item in reversed(list(extension.iter_inline_katex(line))):
                line = line[: item.start] + item.inline_text[1:-1] + line[item.end :]
            lines[number - 1] = line
    return lines
