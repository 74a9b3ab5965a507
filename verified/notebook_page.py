"""Notebook pages from mkdocs-jupyter, made like the rest: KaTeX math, real links, no CDN script, shared CSS."""

from __future__ import annotations

import functools
import hashlib
import html as html_lib
import json
import logging
import posixpath
import re
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path, PurePath

from mkdocs_jupyter import plugin as jupyter_plugin

from verified import engine, katex, versions

_early: dict[tuple[str, str], Future[str]] = {}  # notebooks mkdocs-jupyter will execute, started ahead of time
_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notebook")


def _call_key(nb_path: object, kwargs: dict) -> tuple[str, str]:
    """The notebook's path, its bytes (a save during the build must not hand over the older run) and the arguments."""
    content = hashlib.sha256(Path(str(nb_path)).read_bytes()).hexdigest()
    return str(nb_path), content + json.dumps(kwargs, sort_keys=True, default=repr)


def configure(plugin: object, root: Path, executed: set[str]) -> None:
    """mkdocs-jupyter's cache keyed on torch's version as well (its own key ignores the environment: a torch upgrade
    must not serve stale output); every execution recorded in `executed`."""
    plugin.config["cache_dir"] = str(root / ".cache" / "mkdocs-jupyter" / f"torch-{versions.running_torch()}")  # type: ignore[attr-defined]
    record_executions(executed)


def finish(html: str, page, files, log: logging.Logger, stylesheets: dict[str, str]) -> tuple[str, str, int]:  # type: ignore[no-untyped-def]
    """A notebook page made like the rest; returns its HTML, the notebook to download (with the outputs of the engine's
    run of its cells) and how many code cells it has. Sets the page's formulas (HTML -> TeX, for the search index)
    and its notebook's link (the download button in overrides/main.html), as the hook does for a Markdown page."""
    page.verified_search_formulas = {}  # see memo.search_entries
    html = stable_cell_ids(render(html, page.file.src_uri, log, page.verified_search_formulas))
    html = share_styles(rewrite_links(html, page, files, log), page, stylesheets)
    checked = engine.check_page(Path(page.file.abs_src_path))
    page.nb_url = f"{Path(page.file.abs_src_path).stem}.ipynb"
    return html, as_ipynb(page.file.abs_src_path, checked.runs), len(checked.blocks)


def record_executions(executed: set[str]) -> None:
    """Note the source path of every notebook mkdocs-jupyter executes (a cache hit does not call nb2html), and hand
    it the result of an execution started early (see `execute_early`) when its call is exactly the one started."""
    convert = jupyter_plugin.convert
    if getattr(convert.nb2html, "_verified", False):
        convert.nb2html._executed = executed  # type: ignore[attr-defined]
        return
    original = convert.nb2html

    @functools.wraps(original)
    def recorded(nb_path, **kwargs):  # type: ignore[no-untyped-def]
        recorded._executed.add(str(nb_path))  # type: ignore[attr-defined]
        early = _early.pop(_call_key(nb_path, kwargs), None)
        return early.result() if early is not None else original(nb_path, **kwargs)

    recorded._verified = True  # type: ignore[attr-defined]
    recorded._original = original  # type: ignore[attr-defined]
    recorded._executed = executed  # type: ignore[attr-defined]
    convert.nb2html = recorded


def unused_early_runs() -> list[tuple[str, str]]:
    """Early executions nobody asked for: each one a notebook run twice. Cleared, so each build reports its own."""
    unused = list(_early)
    _early.clear()
    return unused


def execute_early(plugin: object, paths: list[str]) -> None:
    """Start executing, in a thread, each notebook that mkdocs-jupyter will not find in its cache, with the very
    arguments it will pass (its `on_pre_page`): the kernel runs while this process renders the Markdown pages."""
    config = plugin.config  # type: ignore[attr-defined]
    for path in paths:
        exec_nb = config["execute"] and not any(PurePath(path).match(pattern) for pattern in config["execute_ignore"] or [])
        if config["cache"]:
            key = jupyter_plugin._compute_cache_key(path, config, exec_nb)
            if jupyter_plugin._get_cache_path(config["cache_dir"], key).exists():
                continue  # a cache hit: nothing will be executed
        kwargs = {"execute": exec_nb, "kernel_name": config["kernel_name"], "theme": config["theme"]}
        for name in ("allow_errors", "show_input", "no_input", "no_prompt", "remove_tag_config", "highlight_extra_classes"):
            kwargs[name] = config[name]
        kwargs["include_requirejs"], kwargs["custom_mathjax_url"] = config["include_requirejs"], config["custom_mathjax_url"]
        original = jupyter_plugin.convert.nb2html._original
        _early[_call_key(path, kwargs)] = _thread.submit(original, path, **kwargs)


CELL_ID = re.compile(r'id="cell-id=[^"]*"')


def stable_cell_ids(html: str) -> str:
    """jupytext gives each cell of a percent notebook a random id, and nbconvert writes it into the page: number them
    instead, as the downloadable .ipynb does (cell-1, cell-2, ...), so the same notebook gives the same bytes."""
    numbers = iter(range(1, 10**6))
    return CELL_ID.sub(lambda _: f'id="cell-id=cell-{next(numbers)}"', html)


MATHJAX = re.compile(
    r'<script src="">\s*</script>\s*<!-- MathJax configuration -->\s*<script type="text/x-mathjax-config">.*?</script>', re.DOTALL
)
MARKDOWN_CELL = re.compile(r'(<div class="[^"]*jp-RenderedMarkdown[^"]*"[^>]*>)(.*?)(</div>)', re.DOTALL)
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)([^$\n]+?)(?<!\\)\$")


def render(html: str, where: str, log: logging.Logger, rendered: dict[str, str]) -> str:
    """Math in Markdown cells, rendered at build as a Markdown page's; MathJax (with its empty URL) removed.
    `rendered` collects each formula's HTML (and its TeX), for the search index as a Markdown page's."""
    html, removed = MATHJAX.subn("", html)
    if not removed and "MathJax" in html:
        log.warning("%s: mkdocs-jupyter's MathJax block changed shape; math would be left to a script", where)

    def tex(match: re.Match[str], display: bool) -> str:
        source = html_lib.unescape(match.group(1)).strip()
        try:  # a ```math fence's TeX starts and ends with its line breaks
            rendered[result := katex.renderer.html(f"\n{source}\n" if display else source, display)] = source
            return result
        except katex.MathError as error:
            log.warning("%s: bad LaTeX in a Markdown cell: %s", where, " ".join(str(error).split()[-12:]))
            return match.group(0)

    def cell(match: re.Match[str]) -> str:
        body = DISPLAY_MATH.sub(lambda m: tex(m, True), match.group(2))
        body = INLINE_MATH.sub(lambda m: tex(m, False), body)
        return match.group(1) + body + match.group(3)

    return MARKDOWN_CELL.sub(cell, html)


LINK = re.compile(r'href="(?!https?:|#|mailto:)([^"#]+\.(?:md|py))(#[^"]*)?"')


def rewrite_links(html: str, page, files, log: logging.Logger) -> str:  # type: ignore[no-untyped-def]
    """Links to other pages written as `../x/y.md`, resolved like mkdocs does for Markdown pages; a missing one warns."""
    from mkdocs.utils import get_relative_url

    folder = posixpath.dirname(page.file.src_uri)

    def resolve(match: re.Match[str]) -> str:
        target = posixpath.normpath(posixpath.join(folder, match.group(1)))
        file = files.get_file_from_path(target)
        if file is None:
            log.warning("%s: link to %s, which is not a page of the site", page.file.src_uri, match.group(1))
            return match.group(0)
        return f'href="{get_relative_url(file.url, page.file.url)}{match.group(2) or ""}"'

    return LINK.sub(resolve, html)


MERMAID = re.compile(r'<script type="module">(?:(?!</script>).)*?cdnjs\.cloudflare\.com.*?</script>', re.DOTALL)
STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL)
WRAPPER = '<div class="jupyter-wrapper">'


def share_styles(html: str, page, stylesheets: dict[str, str]) -> str:  # type: ignore[no-untyped-def]
    """Drop the Mermaid loader (it imports from a CDN) and move the ~600 KB of inlined Jupyter CSS into one shared file."""
    from mkdocs.utils import get_relative_url

    html = MERMAID.sub("", html)
    head, wrapper, body = html.partition(WRAPPER)
    if not wrapper:
        return html
    css = "\n".join(STYLE.findall(head))
    name = f"assets/notebook-{hashlib.sha256(css.encode()).hexdigest()[:12]}.css"
    stylesheets[name] = css
    head = STYLE.sub("", head)
    link = f'<link rel="stylesheet" href="{get_relative_url(name, page.file.url)}">'
    return link + head + wrapper + body


def as_ipynb(path: str, runs: list) -> str:  # runs: list[verified.session.BlockRun], one per code cell
    """The walkthrough as a notebook to download, with the outputs of the engine's run of its cells (as a page's
    notebook carries its checked outputs) and stable cell ids: same source, same bytes."""
    import jupytext
    import nbformat

    from verified.notebook_export import SETUP

    notebook = jupytext.read(path, fmt="py:percent")
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    if len(code_cells) != len(runs):
        raise ValueError(f"{path}: {len(code_cells)} code cells but {len(runs)} runs (a failed cell stops the run)")
    for cell, run in zip(code_cells, runs, strict=True):
        if run.output:
            cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=run.output))
        for svg in run.figures:
            cell.outputs.append(nbformat.v4.new_output("display_data", data={"image/svg+xml": svg}))
    notebook.cells.insert(0, nbformat.v4.new_code_cell(SETUP))  # the reference arithmetic, as on every page's notebook
    for number, cell in enumerate(notebook.cells, start=1):
        cell["id"] = f"cell-{number}"
    return jupytext.writes(notebook, fmt="ipynb")
