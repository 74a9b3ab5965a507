"""Which torch produced the outputs (the pin in requirements.txt) and which torch is running."""

from __future__ import annotations

import functools
import platform
import re
from importlib.metadata import version
from pathlib import Path


@functools.cache
def running_torch() -> str:
    """Without importing torch: a warm build must not pay for it (nor, cached, for reading package metadata twice)."""
    return version("torch").split("+")[0]


def running_python() -> str:
    return platform.python_version()


def environment() -> dict[str, str]:
    """What produced a page's outputs, recorded right after its blocks ran (so torch is imported) and kept with the
    cache entry: the kernels are the ones torch chose (the reference arithmetic pins them where the CPU has them)."""
    import torch

    from verified import arithmetic

    return {
        "torch": running_torch(),
        "python": running_python(),
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpu kernels": str(torch.backends.cpu.get_cpu_capability()).upper(),
        "arithmetic": arithmetic.fingerprint(),
    }


def pinned_torch(root: Path) -> str:
    requirements = root / "requirements.txt"
    match = re.search(r"^torch==([\w.]+)\s*$", requirements.read_text(encoding="utf-8"), flags=re.MULTILINE)
    if match is None:
        raise RuntimeError(f"{requirements}: no exact `torch==X.Y.Z` pin; the outputs must say which torch made them")
    return match.group(1)


def mismatch(root: Path) -> str | None:
    """A one-paragraph message if the running torch is not the one the outputs were produced with."""
    pinned, running = pinned_torch(root), running_torch()
    if pinned == running:
        return None
    return (
        f"The outputs on these pages were produced with torch {pinned} (pinned in requirements.txt), "
        f"but this is torch {running}. To re-generate them for torch {running}: set `torch=={running}` "
        f"in requirements.txt, run `nox -s docs-update`, and review `git diff`."
    )
