"""Run a from-scratch twin (snippets/) beside its torch.optim class on the same gradients, step by step.

A twin is a class built like torch's: `Twin(params, **hyperparameters)` with torch's argument names (less the
implementation switches below), a `step()` and an `lr` attribute that a schedule may change mid-run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from torch.testing._internal.common_optimizers import optim_db

IMPL_KWARGS = ("foreach", "fused", "differentiable", "capturable")
SHAPES = [(3,), (2, 4), ()]
STEPS = 60


def db_configs(names: set[str]) -> Iterator:
    """PyTorch's own test configurations (`optim_db`, CPU) for the named optimizers, as pytest params."""
    for info in optim_db:
        name = info.optim_cls.__name__
        if name in names:
            for optim_input in info.optim_inputs_func(device="cpu"):
                yield pytest.param(info.optim_cls, optim_input.kwargs, id=f"{name}-{optim_input.desc}")


def gradient(theta: torch.Tensor, noise: torch.Tensor, k: int) -> torch.Tensor:
    """A gradient that depends on θ (so errors feed back), with exact zeros on some steps."""
    scale = 0.0 if k % 7 == 3 else 1.0
    return (noise + 0.5 * theta.detach()) * scale


def run_pair(torch_cls, twin_cls, kwargs, shapes=SHAPES, steps=STEPS, grad_scale=10.0, none_every=0, lr_schedule=None, seed=0):
    """Run torch and the twin side by side on the same gradients; yield (torch params, twin params) after each step.
    `none_every`: the first parameter gets no gradient on steps k with k % none_every == 1; `lr_schedule`: {step: lr}."""
    gen = torch.Generator().manual_seed(seed)
    start = [torch.randn(s, generator=gen, dtype=torch.float64) for s in shapes]
    p_torch = [p.clone().requires_grad_() for p in start]
    p_twin = [p.clone().requires_grad_() for p in start]
    opt_torch = torch_cls(p_torch, **kwargs)
    opt_twin = twin_cls(p_twin, **{k: v for k, v in kwargs.items() if k not in IMPL_KWARGS})
    for k in range(steps):
        if lr_schedule is not None and k in lr_schedule:
            opt_torch.param_groups[0]["lr"] = lr_schedule[k]
            opt_twin.lr = lr_schedule[k]
        noise = [grad_scale * torch.randn(s, generator=gen, dtype=torch.float64) for s in shapes]
        for j, (a, b, n) in enumerate(zip(p_torch, p_twin, noise, strict=True)):
            skip = none_every and j == 0 and k % none_every == 1
            a.grad = None if skip else gradient(a, n, k)
            b.grad = None if skip else gradient(b, n, k)
        opt_torch.step()
        opt_twin.step()
        yield p_torch, p_twin


def assert_close_run(*args, tol=None, **kwargs) -> None:
    """`run_pair`, with the twin held to torch after every step (float64, `rtol = atol = 1e-12` unless given)."""
    tol = tol or {"rtol": 1e-12, "atol": 1e-12}
    for p_torch, p_twin in run_pair(*args, **kwargs):
        for a, b in zip(p_torch, p_twin, strict=True):
            torch.testing.assert_close(b.detach(), a.detach(), **tol)
