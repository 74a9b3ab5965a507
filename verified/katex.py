"""Math at build time: a Markdown extension of the project's own (`- verified.katex` in mkdocs.yml).

markdown-katex's syntax ($`x`$ on one line, ```math fences) and its HTML, byte for byte (tests/test_katex.py renders
the same page with both; not where markdown-katex misreads a line: a backtick in column 0 paired with a `$` at the end,
delimiters stripped twice, options after ```math, which check() refuses); each formula found with its page line, so
an error is reported there; rendered by one long-lived Node process running the vendored KaTeX, kept under .cache/katex.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import logging
import os
import platform
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape, unescape
from pathlib import Path

from markdown import Markdown
from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor

from verified.source import Source

FOLDER = Path(__file__).parent / "katex"
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})")  # markdown-katex's patterns, so the same formulas are found
MATH_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})math")
DELIMITER = re.compile(r"`{1,2}")
HEADING = re.compile(r"^#{1,6}\s")


class MathError(Exception):
    """KaTeX rejected a formula; the message is KaTeX's."""


@dataclass
class Formula:
    line: int  # expanded line number (a fence's opening line)
    last: int  # a fence's closing line; an inline formula's own line
    columns: tuple[int, int]  # an inline formula's span on its line, dollars included
    tex: str  # as KaTeX gets it
    display: bool

    @property
    def marker(self) -> str:
        """What stands in for the formula while Markdown converts the page (markdown-katex's, so it is treated alike)."""
        kind = "block" if self.display else "inline"
        return f"tmp_{kind}_md_katex_{hashlib.md5((kind + self.tex).encode()).hexdigest()}"


@dataclass
class Scan:
    formulas: list[Formula] = field(default_factory=list)
    faults: list[tuple[int, str]] = field(default_factory=list)  # (line, message): math that would show as raw TeX


def inline(line: str) -> Iterator[tuple[int, int, str]]:
    """Each $`...`$ (or $``...``$) of a line: its columns and its TeX, paired as markdown-katex's loop pairs them."""
    position = 0
    while (opening := DELIMITER.search(line, position)) is not None:
        delimiter, start = opening.group(), opening.start()
        closing = line.find(delimiter, start + len(delimiter))
        if closing < 0:
            position = opening.end()
            continue
        position = end = closing + len(delimiter) - 1  # the closing delimiter's last backtick
        if start > 0 and end + 1 < len(line) and line[start - 1] == "$" == line[end + 1]:
            yield start - 1, end + 2, line[start + len(delimiter) : closing]
            position = end + len(delimiter)


def scan(lines: list[str]) -> Scan:
    """Every formula of the page, outside code fences; a ```math fence is display math (its TeX is what follows
    `math`, up to the closing fence, as markdown-katex passes it on)."""
    found = Scan()
    close, first = None, 0  # the fence line that ends the current fence; its opening line if it is math
    for number, line in enumerate(lines, start=1):
        if close is not None:
            if line.rstrip() == close:
                if first:
                    indent = len(lines[first - 1]) - len(lines[first - 1].lstrip())
                    text = "\n".join(part[indent:] for part in lines[first - 1 : number]).rstrip()
                    tex = text[text.index("math") + 4 : -len(close.lstrip())]
                    if tex.split("\n", 1)[0].strip():
                        found.faults.append((first, "nothing may follow ```math on its line (markdown-katex read it as options)"))
                    found.formulas.append(Formula(first, number, (0, 0), tex, display=True))
                close = None
            continue
        if fence := FENCE.match(line):
            close, first = fence.group(1) + fence.group(2), number if MATH_FENCE.match(line) else 0
            continue
        rest = line
        for start, end, tex in inline(line):
            found.formulas.append(Formula(number, number, (start, end), tex, display=False))
            rest = rest.replace(line[start:end], "", 1)
        if "$`" in rest:
            found.faults.append((number, "inline math $`...`$ must open and close on the same line"))
    if close is not None and first:
        found.faults.append((first, "this ```math fence is never closed"))
    return found


class Renderer:
    """KaTeX's renderToString in one long-lived Node process (~1 ms a formula; KaTeX's command line takes ~100), each
    formula's HTML kept under .cache/katex by its TeX, its mode and the renderer's own files. Without Node,
    markdown-katex's bundled KaTeX binary renders it (x86-64 only), one process per formula."""

    SCRIPT = FOLDER / "render.js"

    def __init__(self) -> None:
        self.folder: Path | None = None  # set by configure(); None: nothing kept
        self.process: subprocess.Popen[str] | None = None
        self.rendered = 0  # formulas rendered anew, not read from .cache/katex (the build's summary says how many)
        self.digest = hashlib.sha256(self.SCRIPT.read_bytes() + (FOLDER / "katex.min.js").read_bytes()).hexdigest()

    def html(self, tex: str, display: bool) -> str:
        key = hashlib.sha256(json.dumps([tex, display, self.digest]).encode()).hexdigest()
        kept = self.folder / f"{key}.html" if self.folder else None
        if kept is not None and kept.is_file():
            with contextlib.suppress(FileNotFoundError):  # pruned by another build meanwhile: a miss
                os.utime(kept)  # used now: memo.prune keeps it
                return kept.read_text(encoding="utf-8")
        self.rendered += 1
        node = self.process is not None or shutil.which("node")  # PATH is searched once, not for every formula
        html = self._node(tex, display) if node else self._binary(tex, display)
        if kept is not None:
            kept.parent.mkdir(parents=True, exist_ok=True)
            temporary = kept.with_suffix(f".{os.getpid()}.tmp")  # two builds may render at once (xdist workers)
            temporary.write_text(html, encoding="utf-8")
            temporary.replace(kept)
        return html

    def _node(self, tex: str, display: bool) -> str:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(
                ["node", str(self.SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8"
            )
            atexit.register(self.close)
        assert self.process.stdin and self.process.stdout
        try:
            self.process.stdin.write(json.dumps({"tex": tex, "options": {"displayMode": display}}) + "\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:  # Node ended (killed, out of memory) before it answered
            self.close()
            raise RuntimeError(f"the KaTeX renderer (node {self.SCRIPT}) ended without answering; run the build again")
        answer = json.loads(line)
        if "error" in answer:
            raise MathError(answer["error"])
        return answer["html"].strip()

    @staticmethod
    def _binary(tex: str, display: bool) -> str:
        """markdown-katex's bundled binary itself (not its tex2html, which runs the first `katex` command it finds)."""
        import markdown_katex

        machine = {"AMD64": "x86_64"}.get(platform.machine(), platform.machine())
        binaries = sorted((Path(markdown_katex.__file__).parent / "bin").glob(f"*_{machine}-{platform.system()}*"))
        if not binaries:
            raise MathError(
                f"markdown-katex ships no KaTeX binary for {machine}, and Node.js is not on PATH: install "
                "Node.js (Debian: apt-get install nodejs) to render the site's math"
            )
        command = [str(binaries[-1]), *(["--display-mode"] if display else [])]
        result = subprocess.run(command, input=tex, capture_output=True, text=True, encoding="utf-8")
        if result.returncode:
            raise MathError(result.stderr.strip() or f"{command[0]} ended with exit code {result.returncode}")
        return result.stdout.strip()

    def close(self) -> None:
        """End the renderer and reap it, so the interpreter exits without a still-running child or open pipes."""
        process, self.process = self.process, None
        if process is not None:
            process.kill()
            process.wait()
            for pipe in (process.stdin, process.stdout):
                if pipe:
                    with contextlib.suppress(BrokenPipeError):  # a request it never read
                        pipe.close()


renderer = Renderer()


def configure(cache_dir: Path) -> None:
    renderer.folder = cache_dir / "katex"


def katex_version() -> str:
    """The vendored KaTeX's version, read from the file itself."""
    match = re.search(r'version:"([\d.]+)"', (FOLDER / "katex.min.js").read_text(encoding="utf-8"))
    return match.group(1) if match else "unknown"


class _Formulas(Preprocessor):
    """Each formula rendered and replaced by its marker; the HTML goes in after every other step (_Html)."""

    def __init__(self, md: Markdown, html: dict[str, str]) -> None:
        super().__init__(md)
        self.html = html

    def run(self, lines: list[str]) -> list[str]:
        self.html.clear()  # one Markdown object may convert several texts
        lines = list(lines)
        for formula in reversed(scan(lines).formulas):
            try:
                math = renderer.html(formula.tex, formula.display)
            except MathError as error:  # the engine reports it at its line (a page it could not read, here)
                logging.getLogger("mkdocs.verified").warning("bad LaTeX in %s: %s", formula.tex.strip(), error)
                _as_code(lines, formula)
                continue
            if formula.display:
                self.html[formula.marker] = f"<p>{math}</p>"
                opening = lines[formula.line - 1]
                lines[formula.line - 1 : formula.last] = [opening[: len(opening) - len(opening.lstrip())] + formula.marker]
            else:
                self.html[formula.marker] = math
                line, (start, end) = lines[formula.line - 1], formula.columns
                lines[formula.line - 1] = line[:start] + formula.marker + line[end:]
        return lines


class _Html(Postprocessor):
    def __init__(self, md: Markdown, html: dict[str, str]) -> None:
        super().__init__(md)
        self.html = html

    def run(self, text: str) -> str:
        for marker, html in self.html.items():  # (toc runs the postprocessors on each heading too)
            text = text.replace(f"<p>{marker}</p>" if marker.startswith("tmp_block") else marker, html).replace(marker, html)
        return text


class KatexExtension(Extension):
    def __init__(self, **kwargs: object) -> None:
        self.html: dict[str, str] = {}  # marker -> the formula's HTML, for the page being converted
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(_Formulas(md, self.html), "verified_katex", 50)  # before raw HTML is stashed (20)
        md.postprocessors.register(_Html(md, self.html), "verified_katex", 0)  # after it is put back (30)
        md.registerExtension(self)


def makeExtension(**kwargs: object) -> KatexExtension:  # the name Python-Markdown looks for
    return KatexExtension(**kwargs)


def check(src: Source, rendered: dict[str, str] | None = None) -> list[tuple[int, str]]:
    """Render every formula of the page; (expanded line, message) for each that fails, garbles a heading or would
    show as raw TeX. `rendered`, if given, collects each formula's HTML -> its TeX (what the search index gets)."""
    found = scan(src.lines)
    problems = list(found.faults)
    for formula in found.formulas:
        written = formula.tex.strip() if formula.display else src.lines[formula.line - 1][slice(*formula.columns)]
        if not formula.display and HEADING.match(src.lines[formula.line - 1]):
            problems.append(
                (
                    formula.line,
                    f"inline math {written} in a heading garbles the table of contents and the heading's id; "
                    "write the symbol in Unicode there",
                )
            )
            continue
        try:
            html = renderer.html(formula.tex, formula.display)
        except MathError as error:
            lines = [line.strip() for line in str(error).splitlines() if line.strip()]
            reason = next((line[line.index("ParseError") :] for line in lines if "ParseError" in line), lines[-1] if lines else "")
            problems.append((formula.line, f"bad LaTeX in {written}: {reason}"))
            continue
        if rendered is not None:
            rendered[html] = formula.tex.strip() if formula.display else formula.tex
    return sorted(problems)


def neutralise(src_lines: list[str], bad_lines: set[int]) -> list[str]:
    """The formulas on `bad_lines` turned into code, so the build goes on and every bad formula is reported."""
    lines = list(src_lines)
    for formula in reversed(scan(src_lines).formulas):
        if formula.line in bad_lines:
            _as_code(lines, formula)
    return lines


def _as_code(lines: list[str], formula: Formula) -> None:
    """A ```math fence becomes ```text; $`x`$ becomes `x` (the formulas right of it on its line keep their columns)."""
    line = lines[formula.line - 1]
    if formula.display:
        lines[formula.line - 1] = line.replace("math", "text", 1)
    else:
        start, end = formula.columns
        lines[formula.line - 1] = line[:start] + line[start + 1 : end - 1] + line[end:]


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
