"""Run a from-scratch twin (snippets/) beside its torch.optim class on the same gradients, step by step.

A twin is a class built like torch's: `Twin(params, **hyperparameters)` with torch's argument names (less the
implementation switches), a `step()` and an `lr` attribute that a schedule may change mid-run. The run itself is
snippets/twin_check.py's, the one the chapter pages show and run in their twin checks. Below it, the checks and
hypothesis strategies that several twin tests share; what a single optimizer's test checks stays in its file."""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence

import pytest
import torch
from hypothesis import strategies as st
from torch.testing._internal.common_optimizers import optim_db

from snippets.twin_check import IMPLEMENTATION_FLAGS, run_pair

__all__ = [
    "assert_close_run",
    "assert_defaults_match",
    "assert_differentiable_path_agrees",
    "assert_no_fused_path",
    "assert_one_step_agrees",
    "assert_params_equal",
    "assert_paths_agree",
    "assert_paths_agree_at_every_step",
    "assert_state_matches_after_skipped_steps",
    "assert_state_matches_at_every_step",
    "betas_near_0_or_1",
    "db_configs",
    "eps_1e_16_to_10",
    "final_params",
    "grad_scales",
    "run_pair",
    "run_pair_keeping_optimizers",
    "shape_lists",
    "weight_decays",
]

F64 = torch.float64
EPS64 = torch.finfo(F64).eps
TOL = {"rtol": 1e-12, "atol": 1e-12}  # float64 rounding level: the twins' tolerance (the test files say why)


def db_configs(names: set[str]) -> Iterator:
    """PyTorch's own test configurations (`optim_db`, CPU) for the named optimizers, as pytest params."""
    for info in optim_db:
        name = info.optim_cls.__name__
        if name in names:
            for optim_input in info.optim_inputs_func(device="cpu"):
                yield pytest.param(info.optim_cls, optim_input.kwargs, id=f"{name}-{optim_input.desc}")


def assert_close_run(*args, tol=None, **kwargs) -> None:
    """`run_pair`, with the twin held to torch after every step (float64, `rtol = atol = 1e-12` unless given)."""
    tol = tol or TOL
    for p_torch, p_twin in run_pair(*args, **kwargs):
        for a, b in zip(p_torch, p_twin, strict=True):
            torch.testing.assert_close(b.detach(), a.detach(), **tol)


# Twin against torch: state, defaults, one step.


def run_pair_keeping_optimizers(torch_class: type, twin_class: type, kwargs: dict, **options) -> Iterator:
    """`run_pair`, yielding also torch's optimizer and the twin after each step, to compare their state."""
    made = {}

    def keep(cls: type, key: str):  # type: ignore[no-untyped-def]
        def build(params, **kw):  # type: ignore[no-untyped-def]
            made[key] = cls(params, **kw)
            return made[key]

        return build

    for theirs, ours in run_pair(keep(torch_class, "torch"), keep(twin_class, "twin"), kwargs, **options):
        yield theirs, ours, made["torch"], made["twin"]


def assert_state_matches_at_every_step(torch_class: type, twin_class: type, kwargs: dict, state: dict[str, str]) -> None:
    """Over `run_pair`'s 60 steps (the first parameter skipping every 5th), `state` (twin attribute → torch's state key)
    within rtol 1e-12 and t = torch's step after every step; the first parameter's t lags, the second's reaches 60."""
    for theirs, _, optimizer, twin in run_pair_keeping_optimizers(torch_class, twin_class, kwargs, none_every=5):
        for i, p in enumerate(theirs):
            torch_state = optimizer.state[p]
            for attribute, key in state.items():
                torch.testing.assert_close(getattr(twin, attribute)[i], torch_state[key], rtol=1e-12, atol=0)
            assert twin.t[i] == torch_state["step"].item()
    assert twin.t[0] < twin.t[1] == 60


def assert_state_matches_after_skipped_steps(torch_class: type, twin_class: type, kwargs: dict, state: dict[str, str], seed: int) -> None:
    """20 steps on a (3,) and a (2, 2) parameter, the first without a gradient on every 3rd step: `state` (twin attribute
    → torch's state key) within 1e-12, and t = torch's step = [13, 20]."""
    gen = torch.Generator().manual_seed(seed)
    start = [torch.randn(s, generator=gen, dtype=F64) for s in [(3,), (2, 2)]]
    theirs, ours = [p.clone().requires_grad_() for p in start], [p.clone().requires_grad_() for p in start]
    optimizer, twin = torch_class(theirs, **kwargs), twin_class(ours, **kwargs)
    for k in range(20):
        for j, (a, b) in enumerate(zip(theirs, ours, strict=True)):
            a.grad = b.grad = None if (j == 0 and k % 3 == 0) else torch.randn(a.shape, generator=gen, dtype=F64)
        twin.step()  # first: a twin that changed the shared gradient in place would move torch off its path
        optimizer.step()
    for i, p in enumerate(theirs):
        torch_state = optimizer.state[p]
        for attribute, key in state.items():
            torch.testing.assert_close(getattr(twin, attribute)[i], torch_state[key], **TOL)
        assert twin.t[i] == torch_state["step"].item()
    assert twin.t == [13, 20]


def assert_defaults_match(torch_class: type, twin_class: type, switches: set[str]) -> None:
    """The twin takes every argument of torch's but the implementation `switches`, each with torch's default, as torch's
    signature and its `defaults` state it."""
    twin = {name: p.default for name, p in inspect.signature(twin_class).parameters.items() if name != "params"}
    torch_signature = {name: p.default for name, p in inspect.signature(torch_class).parameters.items() if name != "params"}
    torch_defaults = torch_class([torch.zeros(1)]).defaults
    assert switches <= set(IMPLEMENTATION_FLAGS)
    assert set(twin) <= set(torch_defaults)
    assert set(torch_defaults) - set(twin) == set(torch_signature) - set(twin) == switches
    for name, default in twin.items():
        assert torch_defaults[name] == torch_signature[name] == default, name


def assert_one_step_agrees(torch_class: type, twin_class: type, grad: Sequence[float], **kwargs) -> torch.Tensor:
    """One step of each from θ = 1 on `grad`: the twin's θ is torch's within 1e-12, NaN where torch's is; returns torch's θ."""
    p_torch = torch.ones(len(grad), dtype=F64, requires_grad=True)
    p_twin = torch.ones(len(grad), dtype=F64, requires_grad=True)
    for p in (p_torch, p_twin):
        p.grad = torch.tensor(grad, dtype=F64)
    torch_class([p_torch], **kwargs).step()
    twin_class([p_twin], **kwargs).step()
    torch.testing.assert_close(p_twin.detach(), p_torch.detach(), **TOL, equal_nan=True)
    return p_torch.detach()


# Torch against torch: its foreach, fused and autograd code paths beside its for-loop.


def assert_params_equal(expected: Sequence[torch.Tensor], actual: Sequence[torch.Tensor], tol: dict | None = None) -> None:
    """Each parameter of `actual` is `expected`'s: bit for bit, or within `tol` (assert_close's rtol and atol)."""
    for a, b in zip(expected, actual, strict=True):
        if tol is None:
            assert torch.equal(a, b)
        else:
            torch.testing.assert_close(b, a, **tol)


def assert_paths_agree(torch_class: type, kwargs: dict, path: dict, ulps: int = 0, none_every: int = 0) -> None:
    """After `run_pair`'s 60 steps, torch on `path` (e.g. {"fused": True}) ends where its for-loop ends: bit for bit
    (ulps = 0), or within `ulps` float64 ulps of each entry (atol 0)."""
    loop = list(run_pair(torch_class, torch_class, {**kwargs, "foreach": False}, none_every=none_every))[-1][0]
    other = list(run_pair(torch_class, torch_class, {**kwargs, **path}, none_every=none_every))[-1][0]
    assert_params_equal(loop, other, {"rtol": ulps * EPS64, "atol": 0} if ulps else None)


def assert_paths_agree_at_every_step(torch_class: type, kwargs: dict, path: dict, ulps: int, none_every: int) -> None:
    """At each of `run_pair`'s 60 steps, torch on `path` is its for-loop's within `ulps` float64 ulps of each entry plus
    `ulps` ulps of that step's largest |θ| (rtol = ulps·eps, atol = ulps·eps·max|θ|)."""
    loop = run_pair(torch_class, torch_class, {**kwargs, "foreach": False}, none_every=none_every)
    other = run_pair(torch_class, torch_class, {**kwargs, **path}, none_every=none_every)
    for (p_loop, _), (p_other, _) in zip(loop, other, strict=True):
        scale = max(p.detach().abs().max().item() for p in p_loop)
        assert_params_equal(p_loop, p_other, {"rtol": ulps * EPS64, "atol": ulps * EPS64 * scale})


def final_params(torch_class: type, kwargs: dict, steps: int = 60) -> list[torch.Tensor]:
    """torch's parameters after `steps` steps on parameters that do not require grad, so `differentiable=True` may
    update them in place (gradient 10·noise + 0.5 θ, seed 0, shapes (3,), (2, 4) and ())."""
    gen = torch.Generator().manual_seed(0)
    params = [torch.randn(s, generator=gen, dtype=F64) for s in [(3,), (2, 4), ()]]
    optimizer = torch_class(params, **kwargs)
    for _ in range(steps):
        for p in params:
            p.grad = 10 * torch.randn(p.shape, generator=gen, dtype=F64) + 0.5 * p
        optimizer.step()
    return params


def assert_differentiable_path_agrees(torch_class: type, kwargs: dict, tol: dict | None = None) -> None:
    """`final_params` with differentiable=True is the for-loop's: bit for bit, or within `tol` (rtol and atol)."""
    loop = final_params(torch_class, {**kwargs, "foreach": False})
    autograd = final_params(torch_class, {**kwargs, "foreach": False, "differentiable": True})
    assert_params_equal(loop, autograd, tol)


def assert_no_fused_path(torch_class: type) -> None:
    """Torch has no fused implementation of this optimizer: `fused=True` is refused."""
    with pytest.raises(TypeError, match="fused"):
        torch_class([torch.zeros(1, requires_grad=True)], fused=True)


# Hypothesis strategies that several twin tests draw from (the ranges one optimizer needs stay in its file).

shape_lists = st.lists(st.sampled_from([(), (1,), (5,), (2, 3), (2, 1, 3)]), min_size=1, max_size=3)
grad_scales = st.sampled_from([1e-6, 1.0, 1e4])  # times the noise: gradients from tiny to large
weight_decays = st.sampled_from([0.0, 1e-3, 0.1, 1.0])
eps_1e_16_to_10 = st.sampled_from([1e-16, 1e-8, 1e-3, 1.0, 10.0])


def betas_near_0_or_1(*also: float) -> st.SearchStrategy[float]:
    """A β from [0, 0.05], [0.05, 0.95], or one of `also` and 0.99, 0.999, 0.9999, 1 − 1e-6."""
    return st.one_of(st.floats(0.0, 0.05), st.floats(0.05, 0.95), st.sampled_from([*also, 0.99, 0.999, 0.9999, 1 - 1e-6]))
