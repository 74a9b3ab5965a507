"""nox -s bench: the site's speed, as ratios to `python -c "import torch"` measured in the same run.

Runs on a copy of the committed tree (git ls-files) so the working tree and its .cache/ are never touched.
Prints a table (median, min, max of N runs) and writes the same figures to benchmarks/latest.json.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "MPLBACKEND": "Agg"}
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SERVE_ARGS = ["--dirty"]  # `nox -s serve -- --dirty`: re-render only the edited page

BUDGETS = {  # figure: at most this many T0 (issue 8)
    "cold strict build": 8,
    "warm build, nothing changed": 2,
    "serve --dirty: one page's prose edited": 1,
    "docs-test, virtualenv ready": 15,
    "portability check, nothing changed": 2,
}


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env or ENV, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return elapsed


def copy_tree(destination: Path) -> Path:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    return destination


def import_torch() -> float:
    return timed([PYTHON, "-c", "import torch"], ROOT)


def build(tree: Path) -> float:
    return timed([PYTHON, "-m", "mkdocs", "build", "--strict", "-d", str(tree / "site")], tree)


def digests(site: Path) -> dict[str, str]:
    """Every built file's digest; the sitemap is left out (mkdocs writes the build date into it)."""
    return {
        p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(site.rglob("*"))
        if p.is_file() and not p.name.startswith("sitemap")
    }


def serve_edit(tree: Path, page: str, edit, marker: str, port: int) -> float:
    """Seconds from saving an edit to the served page showing it, with `mkdocs serve` already running."""
    path = tree / "docs" / page
    original = path.read_text(encoding="utf-8")
    log = tree / f"serve-{port}.log"  # a file, not a pipe: an unread pipe fills up and blocks the server
    with log.open("w") as sink:
        server = subprocess.Popen(
            [PYTHON, "-m", "mkdocs", "serve", "--no-strict", "-a", f"127.0.0.1:{port}", *SERVE_ARGS],
            cwd=tree,
            env=ENV,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        while "Serving on" not in log.read_text():
            if server.poll() is not None:
                raise SystemExit(f"mkdocs serve stopped:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        url = f"http://127.0.0.1:{port}/{page.removesuffix('.md')}/"
        start = time.perf_counter()
        path.write_text(edit(original), encoding="utf-8")
        while time.perf_counter() - start < 300:
            try:
                if marker in urllib.request.urlopen(url, timeout=5).read().decode():
                    return time.perf_counter() - start
            except OSError:
                pass
            time.sleep(0.02)
        raise SystemExit(f"serve never showed the edit of {page}")
    finally:
        server.terminate()
        server.wait()
        path.write_text(original, encoding="utf-8")


def math_throughput(tree: Path) -> dict[str, float]:
    script = f"""
import sys, time, tempfile
from pathlib import Path
sys.path.insert(0, {str(tree)!r})
from verified import katex, project, source
proj = project.load(Path({str(tree)!r}))
formulas = []
for page in sorted(proj.docs_dir.rglob("*.md")):
    formulas += katex.scan(source.read(page, proj).lines).formulas
katex.configure(Path(tempfile.mkdtemp()))
start = time.perf_counter()
for formula in formulas:
    katex.renderer.html(formula.tex, formula.display)
print(len(formulas), time.perf_counter() - start)
"""
    out = subprocess.run([PYTHON, "-c", script], cwd=tree, env=ENV, capture_output=True, text=True, check=True).stdout.split()
    count, seconds = int(out[0]), float(out[1])
    return {"formulas": count, "seconds": seconds, "per_second": count / seconds}


def page_costs(tree: Path) -> dict[str, dict[str, float]]:
    """Each page's run in one process that has imported what the build's workers start with: CPU seconds and
    optimizer steps. The cold build runs every page, so this is the content's share of it, page by page."""
    script = f"""
import json, sys, time
sys.path.insert(0, {str(tree)!r})
from pathlib import Path
from verified import engine, __main__ as cli
for name in engine.PRELOAD:
    __import__(name)
from torch.optim.optimizer import register_optimizer_step_post_hook
steps = [0]
register_optimizer_step_post_hook(lambda optimizer, args, kwargs: steps.__setitem__(0, steps[0] + 1))
costs = {{}}
for page in cli._pages(["docs"]):
    steps[0], start = 0, time.process_time()
    engine.check_page(page, use_cache=False, math=False)
    costs[page.as_posix()] = {{"cpu_s": time.process_time() - start, "steps": steps[0]}}
print(json.dumps(costs))
"""
    run = subprocess.run([PYTHON, "-c", script], cwd=tree, env=ENV, capture_output=True, text=True, check=True)
    return json.loads(run.stdout)


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main() -> None:
    results: dict[str, dict[str, float]] = {}
    # T0 is sampled all through the run (before each cold build and each docs-test run too), so the ratios compare
    # with the machine's speed over the whole run, not just at its start.
    t0 = [import_torch() for _ in range(RUNS)]
    with tempfile.TemporaryDirectory() as folder:
        tree = copy_tree(Path(folder) / "tree")
        cold, warm, prose, code, cold_sites = [], [], [], [], []
        for run in range(RUNS):
            shutil.rmtree(tree / ".cache", ignore_errors=True)
            t0.append(import_torch())
            cold.append(build(tree))
            cold_sites.append(digests(tree / "site"))  # same commit, same bytes: every cold build runs every page afresh
            warm.append(build(tree))
            prose.append(
                serve_edit(
                    tree,
                    "autograd/gradients-by-hand.md",
                    lambda t, r=run: t.replace("Gradients by hand\n", f"Gradients by hand\n\nBench edit {r}.\n", 1),
                    f"Bench edit {run}.",
                    8790 + run,
                )
            )
            code.append(
                serve_edit(
                    tree,
                    "autograd/gradients-by-hand.md",
                    lambda t, r=run: t.replace("import torch\n", f'import torch\nprint("bench edit {r}")\n', 1),
                    f"bench edit {run}",
                    8795 + run,
                )
            )
        results["cold strict build"] = summary(cold)
        results["warm build, nothing changed"] = summary(warm)
        results["serve --dirty: one page's prose edited"] = summary(prose)
        results["serve --dirty: one code block edited"] = summary(code)
        # `nox -s docs-test` with its virtualenv ready is its pytest run: time that, on the copy, with the
        # project's own virtualenv (installing into it from the copy would point its engine at a temp folder).
        subprocess.run([shutil.which("nox") or "nox", "-s", "docs-test", "--install-only"], cwd=ROOT, env=ENV, check=True)
        pytest = [str(ROOT / ".nox" / "docs-test" / "bin" / "python"), "-m", "pytest", "-q"]
        timed(pytest, tree)  # warm the page cache, as after any first run
        suite = []
        for _ in range(RUNS):
            t0.append(import_torch())
            suite.append(timed(pytest, tree))
        results["docs-test, virtualenv ready"] = summary(suite)
        # What CI pays on its clean checkout: no .cache/ at all.
        from_nothing = []
        for _ in range(RUNS):
            shutil.rmtree(tree / ".cache", ignore_errors=True)
            from_nothing.append(timed(pytest, tree))
        results["docs-test, empty .cache/ (as CI)"] = summary(from_nothing)
        # The portability check alone (docs-test runs it too): every page under six variations of the arithmetic.
        portability = [PYTHON, "-m", "verified", "portability", "docs"]
        cold_check, warm_check = [], []
        for _ in range(RUNS):
            shutil.rmtree(tree / ".cache", ignore_errors=True)
            t0.append(import_torch())
            cold_check.append(timed(portability, tree))
            warm_check.append(timed(portability, tree))
        results["portability check, empty .cache/"] = summary(cold_check)
        results["portability check, nothing changed"] = summary(warm_check)
        shutil.rmtree(tree / ".cache", ignore_errors=True)
        math = math_throughput(tree)
        costs = page_costs(tree)
        sizes = {p.relative_to(tree / "site").as_posix(): p.stat().st_size for p in (tree / "site").rglob("*.html")}
    T0 = statistics.median(t0)
    results = {f"T0: python -c 'import torch' ({len(t0)} samples through the run)": summary(t0), **results}
    differing = sorted(
        {name for site in cold_sites[1:] for name in site.keys() | cold_sites[0].keys() if site.get(name) != cold_sites[0].get(name)}
    )
    report(results, T0, math, sizes, differing, costs)
    if differing:
        raise SystemExit(f"the {RUNS} cold builds are not byte-identical: {', '.join(differing)}")


def report(
    results: dict[str, dict[str, float]],
    T0: float,
    math: dict[str, float],
    sizes: dict[str, int],
    differing: list[str],
    costs: dict[str, dict[str, float]],
) -> None:
    rows = ["| figure | median s | min s | max s | × T0 | budget |", "| --- | ---: | ---: | ---: | ---: | --- |"]
    verdicts = {}
    for name, figures in results.items():
        ratio = figures["median"] / T0
        limit = BUDGETS.get(name)
        budget = f"≤ {limit} × T0: {'met' if ratio <= limit else 'NOT MET'}" if limit is not None else ""
        verdicts[name] = budget
        rows.append(f"| {name} | {figures['median']:.2f} | {figures['min']:.2f} | {figures['max']:.2f} | {ratio:.2f} | {budget} |")
    math_verdict = f"{math['per_second']:.0f}/s, ≥ 200/s: {'met' if math['per_second'] >= 200 else 'NOT MET'}"
    rows.append(f"| math rendering, cold ({math['formulas']} formulas) | {math['seconds']:.2f} | | | | {math_verdict} |")
    biggest = max(sizes, key=sizes.get)
    size_verdict = f"≤ 200 KB: {'met' if sizes[biggest] <= 200_000 else 'NOT MET'}"
    rows.append(f"| largest page: {biggest} | {sizes[biggest] / 1000:.0f} KB | | | | {size_verdict} |")
    identical = "yes" if not differing else f"NO: {', '.join(differing)}"
    rows.append(f"| {RUNS} cold builds byte-identical | {identical} | | | | same commit, same bytes |")
    total = sum(cost["cpu_s"] for cost in costs.values())
    steps = sum(cost["steps"] for cost in costs.values())
    heaviest = sorted(costs, key=lambda page: -costs[page]["cpu_s"])[:10]
    rows += [
        "",
        f"Running the {len(costs)} pages' code, one after another in one process: {total:.1f} CPU-s ({total / T0:.1f} × T0), "
        f"{steps} optimizer steps. The ten heaviest:",
        "",
        "| page | CPU s | optimizer steps |",
        "| --- | ---: | ---: |",
        *(f"| {page} | {costs[page]['cpu_s']:.2f} | {costs[page]['steps']:.0f} |" for page in heaviest),
    ]
    table = "\n".join(rows)
    print(table)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    data = {
        "machine": machine,
        "runs": RUNS,
        "T0": T0,
        "results": results,
        "budgets": verdicts,
        "math": math,
        "page_sizes": sizes,
        "cold_builds_differ_in": differing,
        "page_costs": costs,
    }
    (ROOT / "benchmarks" / "latest.json").write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (ROOT / "benchmarks" / "latest.md").write_text(f"Measured on {machine}, {RUNS} runs each.\n\n{table}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
