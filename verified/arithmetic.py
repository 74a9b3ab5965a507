"""The reference arithmetic: the floating-point settings pinned in every process that runs page code.

The same torch wheel rounds differently from machine to machine: ATen picks its vector kernels from the CPU, MKL
(float32 matmul, float64 dot and solve, vector sqrt/exp/log) picks its code path from the CPU, and thread counts
change the order of reductions; JAX's compiler (XLA) generates code for the CPU it runs on. So before torch (or JAX)
is imported the engine pins one arithmetic that any x86-64 CPU
with AVX2, Intel or AMD, computes alike; outputs are compared byte for byte on it. `VERIFIED_ARITHMETIC` replaces
pins by name (`aten=default,mkl=AVX512,threads=2`): the portability check re-runs every page that way.

Nothing here imports torch: a warm build keys its cache on `fingerprint()` without paying for it."""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import sys
from collections.abc import Iterator

from verified.compare import OFF_REFERENCE_RULE

VARIABLE = "VERIFIED_ARITHMETIC"
REFERENCE_MACHINE = "x86-64 with AVX2"
# The pins, by the name a variation uses. `aten`: ATen's own vector kernels (AVX2 is the widest every x86-64 CPU of
# the last ten years has). `mkl`: MKL's conditional numerical reproducibility branch; COMPATIBLE is the one documented
# to give the same results on Intel and non-Intel CPUs (its AVX2/AVX512 branches are honoured on Intel only).
# `xla`: the widest instruction set JAX's CPU compiler (XLA) may generate code for; by default it compiles for this CPU.
# `threads`: torch, MKL, OpenMP and XLA, with dynamic threading off, so reductions add in one order.
REFERENCE = {"aten": "avx2", "mkl": "COMPATIBLE", "xla": "AVX2", "threads": "1"}
# What the portability check varies, one setting at a time, on top of the reference (tests/test_portability.py).
VARIATIONS = ["aten=default", "aten=avx512", "mkl=AVX2", "mkl=AVX512", "mkl=unset", "xla=AVX512", "threads=2"]
# Also set after torch is imported (verified.session.reset_global_state): oneDNN off, float32 matmul at full precision.


def requested() -> dict[str, str]:
    """The reference pins with the variation named in VERIFIED_ARITHMETIC applied."""
    return requested_from(os.environ.get(VARIABLE, ""))


def requested_from(variation: str) -> dict[str, str]:
    """The reference pins with a variation (`aten=default,threads=2`) applied; a bad name is an error."""
    settings = dict(REFERENCE)
    for item in filter(None, (part.strip() for part in variation.split(","))):
        name, _, value = item.partition("=")
        if name not in REFERENCE or not value:
            raise ValueError(f"{VARIABLE}={variation!r}: each item is aten=…, mkl=…, xla=… or threads=…; got {item!r}")
        settings[name] = value
    return settings


@contextlib.contextmanager
def variation(name: str) -> Iterator[None]:
    """Keys and comparison rules as under the variation, in this process: for reading runs from the cache, never for
    running code (the pins are set once, before torch is imported)."""
    requested_from(name)  # a bad name is an error here too
    before = os.environ.get(VARIABLE)
    os.environ[VARIABLE] = name
    try:
        yield
    finally:
        if before is None:
            del os.environ[VARIABLE]
        else:
            os.environ[VARIABLE] = before


def environment(settings: dict[str, str]) -> dict[str, str | None]:
    """The variables that carry the settings (None: unset)."""
    threads = settings["threads"]
    variables: dict[str, str | None] = {
        "ATEN_CPU_CAPABILITY": settings["aten"] if _x86_64() else None,  # an x86 name: torch warns and ignores it elsewhere
        "MKL_CBWR": None if settings["mkl"] == "unset" else settings["mkl"],
        "MKL_NUM_THREADS": threads,
        "OMP_NUM_THREADS": threads,
        "MKL_DYNAMIC": "FALSE",
        "OMP_DYNAMIC": "FALSE",
        "XLA_FLAGS": xla_flags(settings, _x86_64()),
    }
    return variables


def xla_flags(settings: dict[str, str], x86_64: bool) -> str:
    """XLA's threads, and on x86-64 its instruction set."""
    threads = settings["threads"]
    flags = f"--xla_cpu_multi_thread_eigen={'false' if threads == '1' else 'true'} intra_op_parallelism_threads={threads}"
    return flags + xla_isa_flag(settings) if x86_64 else flags


def xla_isa_flag(settings: dict[str, str]) -> str:
    """The instruction set XLA may compile for, appended to XLA_FLAGS (an x86 name; `unset`: XLA's own choice)."""
    return "" if settings["xla"] == "unset" else f" --xla_cpu_max_isa={settings['xla']}"


def pin() -> None:
    """Set the variables in this process (and so in every process it starts). Too late once torch is imported."""
    variables = environment(requested())
    if "torch" in sys.modules and any(os.environ.get(name) != value for name, value in variables.items()):
        raise RuntimeError(
            "torch was imported before the page engine could pin the reference arithmetic; import verified "
            "(or run through nox, pytest or mkdocs) before torch"
        )
    for name, value in variables.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def threads() -> int:
    return int(requested()["threads"])


def _x86_64() -> bool:
    return platform.machine().lower() in {"x86_64", "amd64"}


@functools.cache
def _cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def machine_holds_pins() -> bool:
    """Whether this machine can compute the reference arithmetic at all: Linux on x86-64 with AVX2 and FMA."""
    return platform.system() == "Linux" and _x86_64() and {"avx2", "fma"} <= _cpu_flags()


def is_reference() -> bool:
    """Outputs are compared byte for byte only here; elsewhere declared blocks follow verified.compare's stated rule."""
    return machine_holds_pins() and requested() == REFERENCE


def describe(settings: dict[str, str]) -> str:
    threads = settings["threads"]
    kernels = f"ATen {settings['aten'].upper()} kernels" if _x86_64() else "ATen's kernels for this CPU"
    xla = f"XLA {settings['xla']}" if _x86_64() else "XLA for this CPU"
    return f"{kernels}, MKL_CBWR={settings['mkl']}, {xla}, {threads} thread{'s' if threads != '1' else ''}, oneDNN off"


def machine() -> str:
    """This machine as the fingerprint names it: by the reference's name only while it computes the reference."""
    if is_reference():
        return REFERENCE_MACHINE
    avx2 = f" ({'with' if 'avx2' in _cpu_flags() else 'without'} AVX2)" if _x86_64() else ""
    return f"{platform.system()} {platform.machine()}{avx2}"


def fingerprint() -> str:
    """One line naming the arithmetic this process computes with: in every cache and verdict key, on every page."""
    return f"{'reference' if is_reference() else 'not the reference'}: {machine()}, {describe(requested())}"


def announcement() -> list[str]:
    """What every front end says once, at the top of a run: this arithmetic, and how outputs are compared on it."""
    lines = [f"arithmetic: {fingerprint()}"]
    if not is_reference():
        lines.append(f"  outputs are compared exactly, except blocks declared platform-dependent, compared as {OFF_REFERENCE_RULE}")
    return lines


def stamp() -> str:
    """The arithmetic every page foot names."""
    if is_reference():
        return f"the reference arithmetic ({REFERENCE_MACHINE}; {describe(REFERENCE)})"
    return f"an arithmetic that is not the site's reference ({machine()}, {describe(requested())})"
