"""The site as a reader gets it: every page opened in headless Chromium, driven over the DevTools protocol.

For every page: no request to another host, no console error, every formula rendered (as many as the source
has, no raw TeX left in the text), every image loaded, a clean table of contents, a copy button that copies
exactly the code; at 375 px wide, no horizontal scroll. Site-wide: search, and the light/dark toggle.
Screenshots of a few pages are saved under .cache/screenshots/. The checks return their problems as
messages, so the tests below can show that each one fails on a deliberately broken page.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import jupytext
import pytest
import websocket
from markdown_katex import extension

from tests import verdicts
from tests.helpers import ROOT, make_project, mkdocs_build, page
from verified import blocks, project, source

CHROMIUM = "chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--remote-debugging-port=0",
]
DESKTOP = {"width": 1280, "height": 1000, "deviceScaleFactor": 1, "mobile": False}
PHONE = {"width": 375, "height": 812, "deviceScaleFactor": 2, "mobile": True}
SCREENSHOTS = ROOT / ".cache" / "screenshots"
SCREENSHOT_PAGES = [
    "",
    "autograd/gradients-by-hand/",
    "sgd/momentum/",
    "adam/step-by-step/",
    "lbfgs/closure/",
    "schedulers/cosine/",
    "walkthroughs/adam-two-steps/",
]
SEARCHES = ["nesterov", "bias correction", "closure"]


# --- a minimal DevTools protocol client ---------------------------------------------------------------


class DevTools:
    """One page's DevTools connection: send a command and wait for its result; keep every event in `events`."""

    def __init__(self, url: str) -> None:
        self.socket = websocket.create_connection(url, timeout=30, suppress_origin=True)
        self.last_id = 0
        self.events: list[dict] = []

    def send(self, method: str, **params: object) -> dict:
        self.last_id += 1
        self.socket.send(json.dumps({"id": self.last_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.last_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error'].get('message')}")
                return message["result"]
            if "method" in message:
                self.events.append(message)

    def wait_event(self, method: str, timeout: float = 15) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event["method"] == method:
                    return event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {method} within {timeout} s")
            self.socket.settimeout(remaining)
            try:
                message = json.loads(self.socket.recv())
            finally:
                self.socket.settimeout(30)
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression: str) -> object:
        """The value of a JavaScript expression (promises awaited); a JavaScript exception is raised here."""
        reply = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"{expression[:80]}: {reply['exceptionDetails'].get('exception', {}).get('description')}")
        return reply["result"].get("value")

    def wait_until(self, expression: str, timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def click(self, selector: str) -> None:
        """A real (trusted) mouse click in the middle of the element, as a reader's click."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView({{block: 'center'}});"
            " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        x, y = box  # type: ignore[misc]
        self.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def open(self, url: str) -> None:
        """Navigate and wait until the page, its fonts and Material's scripts are ready."""
        self.events.clear()
        self.send("Page.bringToFront")  # the tab in front: a tab behind may get no animation frames
        self.send("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")
        self.evaluate("document.fonts.ready.then(() => true)")
        # Material adds the copy buttons to code blocks once its bundle has run.
        self.wait_until("!document.querySelector('pre > code') || !!document.querySelector('.md-code__button')", timeout=5)

    def close(self) -> None:
        self.socket.close()


class Chromium:
    """Debian's headless Chromium with a fresh profile and two tabs, each with its own DevTools connection: `page` at
    desktop width and `phone` at 375 px. Each tab keeps its size (resizing a tab back and forth once hung Chromium for
    good on a loaded machine)."""

    def __init__(self, profile: Path) -> None:
        if shutil.which(CHROMIUM) is None:
            pytest.fail(
                "the browser test needs Debian's chromium and it is not installed: "
                "`apt-get install chromium` (.ci/run installs it on a clean machine)",
                pytrace=False,
            )
        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 20
        while not (port_file.is_file() and port_file.read_text().count("\n") >= 1):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.quit()
                pytest.fail(f"chromium did not start (exit code {self.process.returncode})", pytrace=False)
            time.sleep(0.05)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as response:
            targets = json.load(response)
        self.page = self._tab(next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page"), DESKTOP)
        with urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT")) as response:
            self.phone = self._tab(json.load(response)["webSocketDebuggerUrl"], PHONE)

    @staticmethod
    def _tab(url: str, metrics: dict) -> DevTools:
        tab = DevTools(url)
        for domain in ("Page", "Runtime", "Log", "Network"):
            tab.send(f"{domain}.enable")
        tab.send("Emulation.setDeviceMetricsOverride", **metrics)
        return tab

    def quit(self) -> None:
        for tab in ("page", "phone"):
            if hasattr(self, tab):
                getattr(self, tab).close()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # our own process group, started above
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
        pass


class Server:
    """The built site served by the standard library on 127.0.0.1, on a free port, in a thread."""

    def __init__(self, site_dir: Path) -> None:
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site_dir)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --- what a page should show, from its source ----------------------------------------------------------


def pages_of(site_dir: Path, proj: project.Project) -> list[tuple[str, Path]]:
    """Every built page (404.html aside) as (url path, source file); a page without a source is an error."""
    sources = {}
    for path in sorted(proj.docs_dir.rglob("*")):
        if path.suffix in (".md", ".py"):
            stem = path.relative_to(proj.docs_dir).with_suffix("").as_posix()
            url = "" if stem == "index" else (stem[: -len("index")] if stem.endswith("/index") else stem + "/")
            sources[url] = path
    found = []
    for html in sorted(site_dir.rglob("index.html")):
        url = html.parent.relative_to(site_dir).as_posix()
        url = "" if url == "." else url + "/"
        assert url in sources, f"{html} has no source page under {proj.docs_dir}"
        found.append((url, sources[url]))
    return found


def notebook_cells(path: Path) -> list:
    return jupytext.read(path).cells


def count_formulas(lines: list[str]) -> int:
    """The formulas markdown-katex renders, counted with its preprocessor's own loop and patterns (not the engine's)."""
    count, close = 0, None  # close: the fence line that ends the current ```math or code fence
    for line in lines:
        if close is not None:
            close = None if line.rstrip() == close else close
        elif fence := extension.FENCE_RE.match(line):
            count += bool(extension.BLOCK_START_RE.match(line))
            close = fence.group(1) + fence.group(2)
        else:
            count += len(list(extension.iter_inline_katex(line)))
    return count


def expected_formulas(path: Path, proj: project.Project) -> int:
    """How many formulas the page's source has: markdown-katex's count for a page; `$`/`$$` pairs in a notebook."""
    if path.suffix == ".md":
        return count_formulas(source.read(path, proj).lines)
    count = 0
    for cell in notebook_cells(path):
        if cell.cell_type == "markdown":
            text = cell.source.replace("\\$", "")
            display = text.count("$$") // 2
            count += display + (text.count("$") - 4 * display) // 2
    return count


def expected_first_code(path: Path, proj: project.Project) -> str | None:
    """The first Python code the reader sees on the page (not one folded in a note), as the reader should copy it, or
    None if the page has none."""
    if path.suffix == ".md":
        src = source.read(path, proj)
        shown = [block for block in blocks.parse(src) if not src.lines[block.line - 1].startswith((" ", "\t"))]
        return shown[0].code.rstrip() if shown else None
    code = [cell.source for cell in notebook_cells(path) if cell.cell_type == "code"]
    return code[0].rstrip() if code else None


# --- the checks ----------------------------------------------------------------------------------------

# Everything the page shows of itself, measured in the page. Visible text leaves out code, scripts and the
# rendered formulas (whose hidden MathML keeps the TeX as an annotation).
INSPECT = r"""(() => {
  const skip = "pre, code, script, style, textarea, .katex, .md-search";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const text = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement.closest(skip)) text.push(node.data);
  }
  return {
    katex: document.querySelectorAll(".katex").length,
    katexErrors: document.querySelectorAll(".katex-error").length,
    text: text.join(" ").replace(/\s+/g, " "),
    images: [...document.images].map(i => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0})),
    toc: [...document.querySelectorAll(".md-nav--secondary .md-nav__link")].map(a => a.textContent.trim()),
  };
})()"""

RAW_TEX = ["$`", "`$", "$$", "\\(", "\\)", "\\[", "\\]", "$", "\\frac", "\\sum", "\\theta", "\\hat", "\\beta", "\\sqrt", "\\mathrm"]

# Material copies with clipboard.js (a hidden textarea and execCommand("copy")); mkdocs-jupyter's button
# calls navigator.clipboard.writeText. Both are captured here; the copy still happens as usual.
CAPTURE_COPY = r"""(() => {
  window.__copied = [];
  document.addEventListener("copy", event => {
    const t = event.target;
    window.__copied.push(t && t.value !== undefined ? t.value.slice(t.selectionStart, t.selectionEnd) : String(getSelection()));
  }, true);
  navigator.clipboard.writeText = text => { window.__copied.push(text); return Promise.resolve(); };
  return true;
})()"""

FIND_COPY_BUTTON = r"""((code) => {
  document.querySelectorAll("[data-copy-check]").forEach(e => e.removeAttribute("data-copy-check"));
  for (const pre of document.querySelectorAll("pre")) {
    if (pre.textContent.trimEnd() !== code) continue;
    const holder = pre.closest(".highlight, .jp-Cell-inputWrapper") || pre.parentElement;
    const button = holder.querySelector(".md-code__button[data-md-type='copy'], button.md-clipboard, clipboard-copy");
    if (!button) return "no copy button";
    button.setAttribute("data-copy-check", "");
    return "ok";
  }
  return "not found";
})"""

# Content wider than the viewport that is not inside its own scrolling box (where a wide code block or a
# display formula may scroll, as they should).
OVERFLOW = r"""(() => {
  const width = document.documentElement.clientWidth, scrollWidth = document.documentElement.scrollWidth;
  const culprits = [];
  if (scrollWidth > width) {
    const scrolls = e => ["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(e).overflowX);
    for (const e of document.body.querySelectorAll("*")) {
      if (e.getBoundingClientRect().right <= width + 1 || culprits.some(c => c.contains(e))) continue;
      if (getComputedStyle(e).position === "fixed") continue;  // placed against the widened viewport: a symptom
      let inside = false;
      for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) if (scrolls(p)) { inside = true; break; }
      if (!inside) culprits.push(e);
    }
  }
  const label = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + [...e.classList].map(c => "." + c).join("")
    + " (right edge " + Math.round(e.getBoundingClientRect().right) + " px)";
  return {scrollWidth: scrollWidth, innerWidth: innerWidth, culprits: culprits.slice(0, 5).map(label)};
})()"""


# Output blocks and formulas wider than their column: the reader would have to scroll them sideways to see a result.
# (Material scrolls a wide block inside itself, so the page does not; the block's own scroll width tells.)
WIDE = r"""(() => {
  const wide = [];
  const label = (kind, text, e) => `${kind} ${JSON.stringify(text.trim().split("\n")[0].slice(0, 60))}: ` +
    `${e.scrollWidth} px wide in ${e.clientWidth} px`;
  for (const title of document.querySelectorAll(".highlight > .filename")) {
    const code = title.textContent.trim() === "Output" && title.parentElement.querySelector("pre > code");
    if (code && code.scrollWidth > code.clientWidth + 1) wide.push(label("output", code.textContent, code));
  }
  for (const e of document.querySelectorAll(".katex-display")) {
    const tex = (e.querySelector("annotation") || e).textContent;
    if (e.scrollWidth > e.clientWidth + 1) wide.push(label("formula", tex, e));
  }
  const column = document.querySelector("article.md-content__inner");
  const right = column ? column.getBoundingClientRect().right : innerWidth;
  for (const e of document.querySelectorAll("article .katex")) {
    if (e.closest(".katex-display")) continue;
    const box = e.getBoundingClientRect();
    if (box.right > right + 1) wide.push(label("inline formula", (e.querySelector("annotation") || e).textContent, e));
  }
  return wide;
})()"""
# How many output blocks and display formulas are too wide at phone width, page by page (said, not failed: a phone
# column holds about 40 characters of code).
PHONE_WIDE: dict[str, int] = {}


def external_requests(events: list[dict]) -> list[str]:
    urls = []
    for event in events:
        if event["method"] == "Network.requestWillBeSent":
            url = event["params"]["request"]["url"]
            parts = urllib.parse.urlsplit(url)
            if parts.scheme not in ("data", "blob", "about") and parts.hostname != "127.0.0.1":
                urls.append(url)
    return urls


def console_errors(events: list[dict]) -> list[str]:
    errors = []
    for event in events:
        params = event["params"]
        if event["method"] == "Runtime.consoleAPICalled" and params["type"] == "error":
            errors.append("console.error: " + " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
        elif event["method"] == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            errors.append("uncaught exception: " + details.get("exception", {}).get("description", details.get("text", "")))
        elif event["method"] == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            errors.append(f"{entry['source']} error: {entry['text']}" + (f" ({entry['url']})" if entry.get("url") else ""))
    return errors


def check_page(
    browser: DevTools, phone: DevTools, base: str, url: str, src: Path, proj: project.Project, screenshots: Path | None = None
) -> list[str]:
    """Open one page at desktop width, check it, then check it at phone width; return its problems, each naming the page."""
    name = "/" + url
    browser.open(base + url)
    seen = browser.evaluate(INSPECT)
    problems = []
    for request in external_requests(browser.events):
        problems.append(f"{name}: requests another host: {request}")
    for error in console_errors(browser.events):
        problems.append(f"{name}: {error}")
    wanted = expected_formulas(src, proj)
    if seen["katex"] != wanted or seen["katexErrors"]:
        problems.append(f"{name}: {seen['katex']} formulas rendered ({seen['katexErrors']} KaTeX errors), the source has {wanted}")
    raw = sorted({marker for marker in RAW_TEX if marker in seen["text"]})
    if raw:
        where = min(seen["text"].find(marker) for marker in raw)
        problems.append(f"{name}: raw TeX in the text ({' '.join(raw)}): ...{seen['text'][max(0, where - 40) : where + 40]!r}...")
    for image in seen["images"]:
        if not image["ok"]:
            problems.append(f"{name}: image not loaded: {image['src']}")
    for entry in seen["toc"]:
        if not entry or any(bad in entry for bad in ("tmp_", "md_katex", "<", "$", "\\", "&lt;", "&amp;")):
            problems.append(f"{name}: table of contents entry is not clean text: {entry!r}")
    for wide in browser.evaluate(WIDE):
        problems.append(f"{name}: scrolls sideways at {DESKTOP['width']} px: {wide}")
    shot = (url.strip("/").replace("/", "-") or "home") if screenshots and url in SCREENSHOT_PAGES else None
    if shot:
        screenshot(browser, screenshots / f"{shot}.png")
    code = expected_first_code(src, proj)
    if code is not None:
        problems.extend(f"{name}: {problem}" for problem in check_copy(browser, code))
    phone_shot = screenshots / f"{shot}-phone.png" if shot else None
    problems.extend(f"{name}: {problem}" for problem in check_narrow(phone, base + url, phone_shot))
    return problems


def screenshot(browser: DevTools, path: Path) -> None:
    browser.evaluate("window.scrollTo(0, 0) || new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    path.write_bytes(base64.b64decode(browser.send("Page.captureScreenshot", format="png")["data"]))


def check_copy(browser: DevTools, code: str) -> list[str]:
    """Click the copy button of the page's first Python block: it must copy exactly that code, no output."""
    found = browser.evaluate(f"{FIND_COPY_BUTTON}({json.dumps(code)})")
    if found != "ok":
        return [f"copy button of the first Python block: {found} (looked for a block showing exactly {code.splitlines()[0]!r}...)"]
    browser.evaluate(CAPTURE_COPY)
    browser.click("[data-copy-check]")
    if not browser.wait_until("window.__copied.length > 0", timeout=3):
        return ["the copy button of the first Python block copied nothing"]
    copied = browser.evaluate("window.__copied[0]")
    if copied.rstrip() != code:
        return [f"the copy button copied {copied!r}, not exactly the code {code!r}"]
    return []


def check_narrow(phone: DevTools, url: str, shot: Path | None) -> list[str]:
    """The page in the phone-sized tab: the page itself must not scroll sideways (its code and display math may)."""
    phone.open(url)
    phone.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    seen = phone.evaluate(OVERFLOW)
    PHONE_WIDE[url] = len(phone.evaluate(WIDE))
    if shot:
        screenshot(phone, shot)
    if seen["scrollWidth"] > min(seen["innerWidth"], PHONE["width"]):
        return [f"scrolls sideways at {PHONE['width']} px wide (content {seen['scrollWidth']} px wide): {', '.join(seen['culprits'])}"]
    return []


def check_search(browser: DevTools, base: str, query: str) -> list[str]:
    """Type the query into Material's search box: at least one result, and its words in the results."""
    browser.open(base)
    browser.evaluate("document.querySelector('.md-search__input').focus() || true")
    # Real key presses: Material reads the query on `keyup`, so inserted text alone is searched only if the
    # index happens to finish loading afterwards (a race that failed CI once).
    for char in query:
        browser.send("Input.dispatchKeyEvent", type="keyDown", key=char, text=char)
        browser.send("Input.dispatchKeyEvent", type="keyUp", key=char)
    # Material answers each keystroke's query in turn and rebuilds the result list for each: read the meta line,
    # the items and their text in one go, and only once that reading has stayed the same for 0.6 s.
    reading = (
        "JSON.stringify([(document.querySelector('.md-search-result__meta') || {}).textContent || '',"
        " document.querySelectorAll('.md-search-result__item').length,"
        " ((document.querySelector('.md-search-result__list') || {}).textContent || '').toLowerCase()])"
    )
    deadline, previous, unchanged = time.monotonic() + 20, None, 0
    while True:
        current = browser.evaluate(reading)
        meta, items, found = json.loads(current)
        answered = "no matching" in meta.lower() or ("matching document" in meta.lower() and items > 0)
        unchanged = unchanged + 1 if answered and current == previous else 0
        if unchanged == 2:
            break
        if time.monotonic() > deadline:
            return [f"search for {query!r}: no settled answer within 20 s ({meta.strip()!r}, {items} items)"]
        previous = current
        time.sleep(0.3)
    if not items:
        return [f"search for {query!r} found nothing ({meta.strip()!r})"]
    missing = [word for word in query.lower().split() if word not in found]
    return [f"search for {query!r}: the results do not mention {missing}"] if missing else []


def check_palette(browser: DevTools, base: str) -> list[str]:
    """Click the header's light/dark toggle twice: the colour scheme must change, then change back."""
    browser.open(base)
    scheme = "document.body.getAttribute('data-md-color-scheme')"
    toggle = "form[data-md-component='palette'] label:not([hidden])"
    schemes = [browser.evaluate(scheme)]
    for _ in range(2):
        browser.click(toggle)
        browser.wait_until(f"{scheme} !== {json.dumps(schemes[-1])}", timeout=3)
        schemes.append(browser.evaluate(scheme))
    if not (schemes[0] != schemes[1] and schemes[2] == schemes[0]):
        return [f"the light/dark toggle did not switch the colour scheme and back: {' -> '.join(map(str, schemes))}"]
    return []


def check_site(
    site_dir: Path, proj: project.Project, profile: Path, searches: list[str] = SEARCHES, screenshots: Path | None = None
) -> list[str]:
    """Every page at desktop and phone width; then search and the light/dark toggle. The problems found, as messages."""
    server = Server(site_dir)
    try:
        chromium = Chromium(profile)
        try:
            problems = []
            for url, src in pages_of(site_dir, proj):
                problems += check_page(chromium.page, chromium.phone, server.url, url, src, proj, screenshots)
            for query in searches:
                problems += check_search(chromium.page, server.url, query)
            return problems + check_palette(chromium.page, server.url)
        finally:
            chromium.quit()
    finally:
        server.stop()


# --- the tests -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built_site(strict_site) -> Path:
    return strict_site


def test_every_page_reads_well_in_a_real_browser(built_site, tmp_path, request):
    check = verdicts.key(verdicts.tree(built_site), Path(__file__).read_bytes(), verdicts.tool(CHROMIUM))
    if verdicts.passed_before("browser", check, request.node, rerun=not SCREENSHOTS.is_dir()):  # screenshots wanted
        return  # this very site passed in this browser before
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    problems = check_site(built_site, project.load(ROOT), tmp_path / "profile", screenshots=SCREENSHOTS)
    print(f"\nbrowser checks: {time.monotonic() - started:.1f} s; screenshots in {SCREENSHOTS}")
    wide = {url: n for url, n in PHONE_WIDE.items() if n}
    print(f"at {PHONE['width']} px, {sum(wide.values())} output blocks and formulas scroll sideways, on {len(wide)} pages: {wide}")
    assert not problems, "\n".join(problems)
    verdicts.record_pass("browser", check)


BROKEN = {
    "elsewhere.md": page("# Elsewhere", "Fine.", "", '<img src="https://example.invalid/x.png" alt="from another host">'),
    "rawtex.md": page("# Raw TeX", "Rendered: $`a^2`$.", "", "<p>$\\frac{a}{b}$</p>"),
    "console.md": page("# Console", "Fine.", "", '<script>console.error("boom")</script>'),
    "missing-image.md": page("# Missing image", "Fine.", "", '<img src="absent.png" alt="not there">'),
    "wide.md": page("# Wide", "Fine.", "", '<div class="too-wide" style="width: 900px">A box wider than a phone.</div>'),
    "wide-output.md": page(
        "# Wide output",
        "~~~python\nprint('wide ' * 40)\n~~~",
        "<!--pytest-codeblocks:expected-output-->",
        "~~~text\n" + "wide " * 40 + "\n~~~",
        "",
        "~~~math\n" + " + ".join(f"x_{{{n}}}^2" for n in range(60)) + "\n~~~",
    ),
}


@pytest.mark.reuse_passing_verdict
def test_the_checks_fail_on_broken_pages_naming_the_page_and_the_problem(tmp_path):
    (tmp_path / "project").mkdir()
    folder = make_project(tmp_path / "project", BROKEN)
    result = mkdocs_build(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    problems = check_site(folder / "site", project.load(folder), tmp_path / "profile", searches=["elsewhere", "zyxwvutsrq"])
    report = "\n".join(problems)
    print("\n" + report)
    assert "/elsewhere/: requests another host: https://example.invalid/x.png" in report
    assert "/rawtex/: raw TeX in the text ($ \\frac): " in report
    assert "/console/: console.error: boom" in report
    assert "/missing-image/: image not loaded: " in report and "absent.png" in report
    assert "/wide/: scrolls sideways at 375 px wide (content " in report and "div.too-wide" in report
    assert '/wide-output/: scrolls sideways at 1280 px: output "wide wide wide' in report
    assert '/wide-output/: scrolls sideways at 1280 px: formula "x_{0}^2 + x_{1}^2' in report
    assert "search for 'zyxwvutsrq' found nothing ('No matching documents')" in report
    assert not [problem for problem in problems if problem.startswith("/: ") or "'elsewhere'" in problem]  # the plain home page passes
    assert [problem.split(": ")[0] for problem in problems if "/rawtex/" in problem] == ["/rawtex/"]  # its formula is fine
