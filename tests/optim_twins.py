"""Run a from-scratch twin (snippets/) beside its torch.optim class on the same gradients, step by step.

A twin is a class built like torch's: `Twin(params, **hyperparameters)` with torch's argument names (less the
implementation switches), a `step()` and an `lr` attribute that a schedule may change mid-run. The run itself is
snippets/twin_check.py's, the one the chapter pages show and run in their twin checks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from torch.testing._internal.common_optimizers import optim_db

from snippets.twin_check import run_pair

__all__ = ["assert_close_run", "db_configs", "run_pair"]


def db_configs(names: set[str]) -> Iterator:
    """PyTorch's own test configurations (`optim_db`, CPU) for the named optimizers, as pytest params."""
    for info in optim_db:
        name = info.optim_cls.__name__
        if name in names:
            for optim_input in info.optim_inputs_func(device="cpu"):
                yield pytest.param(info.optim_cls, optim_input.kwargs, id=f"{name}-{optim_input.desc}")


def assert_close_run(*args, tol=None, **kwargs) -> None:
    """`run_pair`, with the twin held to torch after every step (float64, `rtol = atol = 1e-12` unless given)."""
    tol = tol or {"rtol": 1e-12, "atol": 1e-12}
    for p_torch, p_twin in run_pair(*args, **kwargs):
        for a, b in zip(p_torch, p_twin, strict=True):
            torch.testing.assert_close(b.detach(), a.detach(), **tol)
