"""The Adamax twin (snippets/adamax.py) against torch.optim.Adamax, and torch's other code paths against its for-loop.

Tolerance: float64 throughout, `rtol = atol = 1e-12`. The infinity norm u = max(β₂u, |g| + ε) is one multiply
and one add, rounded the same way in the twin and in torch; the rest is computed literally by the twin
(m̂ = m / (1 − β₁ᵗ), then γ m̂ / u) while torch folds it (`lerp_`, `addcdiv_` with `lr / (1 − β₁ᵗ)`), so the
two differ by a few units in the last place per step (float64 ulp ≈ 2.2e-16), below 1e-14 over the 60 steps
of every optim_db configuration (asserted by the page's twin check, the same run). 1e-12 is rounding level,
and a wrong term misses it by many orders of magnitude.

The random hyperparameters are compared step by step from torch's parameters (`resync=True`), with β₁ and β₂
from 0 to 1 − 1e-6, gradients from 1e-6 to 1e4 times the noise and ε from 1e-16 to 10, and no exclusion.
(Before `resync`, β₂ < 0.5 and gradients of 1e-6 had to be left out: each run followed its own chaotic path.)
"""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.adamax import Adamax
from tests.optim_twins import (
    assert_close_run,
    assert_defaults_match,
    assert_no_fused_path,
    assert_paths_agree,
    assert_state_matches_after_skipped_steps,
    betas_near_0_or_1,
    db_configs,
    eps_1e_16_to_10,
    grad_scales,
    shape_lists,
    weight_decays,
)

# A twin compared with torch: its verdict depends only on the files and packages it reads (tests/verdicts.py).
pytestmark = pytest.mark.reuse_passing_verdict

CONFIGS = list(db_configs({"Adamax"}))


@pytest.mark.parametrize(("torch_cls", "kwargs"), CONFIGS)
def test_twin_matches_torch_on_optim_db(torch_cls, kwargs):
    assert_close_run(torch_cls, Adamax, kwargs)


@pytest.mark.parametrize(("torch_cls", "kwargs"), CONFIGS)
def test_foreach_is_the_for_loop_bit_for_bit(torch_cls, kwargs):
    """On the CPU each `_foreach_*` op runs the for-loop's kernel on each tensor, in the for-loop's order."""
    assert_paths_agree(torch_cls, kwargs, {"foreach": True}, none_every=4)


def test_adamax_has_no_fused_implementation():
    assert_no_fused_path(torch.optim.Adamax)


def test_differentiable_path_cat_amax_is_torch_maximum_bit_for_bit():
    """differentiable=True takes u from `amax(cat(β₂u, |g| + ε))` instead of `torch.maximum`: a max picks one of
    the same two numbers, so the runs agree exactly."""
    runs = []
    for differentiable in (False, True):
        gen = torch.Generator().manual_seed(5)
        theta = torch.randn(6, generator=gen, dtype=torch.float64)
        optimizer = torch.optim.Adamax([theta], lr=0.1, weight_decay=0.1, differentiable=differentiable)
        for k in range(30):
            theta.grad = torch.randn(6, generator=gen, dtype=torch.float64) * (0.0 if k % 5 == 2 else 1.0)
            optimizer.step()
        runs.append((theta, optimizer.state[theta]["exp_inf"]))
    assert torch.equal(runs[0][0], runs[1][0]) and torch.equal(runs[0][1], runs[1][1])


@settings(derandomize=True, deadline=None, max_examples=40)
@given(
    lr=st.floats(1e-4, 0.5),
    tensor_lr=st.booleans(),
    beta1=betas_near_0_or_1(),
    beta2=betas_near_0_or_1(),
    eps=eps_1e_16_to_10,  # eps = 0 with a zero first gradient is 0/0 in both
    weight_decay=weight_decays,
    maximize=st.booleans(),
    grad_scale=grad_scales,
    shapes=shape_lists,
    new_lr=st.floats(1e-4, 0.5),
)
def test_twin_matches_torch_on_random_hyperparameters(lr, tensor_lr, beta1, beta2, eps, weight_decay, maximize, grad_scale, shapes, new_lr):
    kwargs = {"lr": torch.tensor(lr, dtype=torch.float64) if tensor_lr else lr, "betas": (beta1, beta2), "eps": eps}
    kwargs |= {"weight_decay": weight_decay, "maximize": maximize}
    assert_close_run(
        torch.optim.Adamax,
        Adamax,
        kwargs,
        shapes=shapes,
        steps=50,
        grad_scale=grad_scale,
        none_every=5,
        lr_schedule={25: new_lr},
        resync=True,
    )


def test_state_matches_torch_state_including_the_step_count():
    """m, u and t against torch's `exp_avg`, `exp_inf` and `step`, with skipped steps."""
    kwargs = {"lr": 0.05, "betas": (0.8, 0.9), "weight_decay": 0.1}
    state = {"m": "exp_avg", "u": "exp_inf"}
    assert_state_matches_after_skipped_steps(torch.optim.Adamax, Adamax, kwargs, state, seed=3)


def test_first_infinity_norm_is_abs_g_plus_eps_exactly():
    """u₁ = max(β₂·0, |g₁| + ε) = |g₁| + ε, not (1 − β₂)|g₁|: the reason u needs no bias correction (torch and twin)."""
    g = torch.tensor([0.0, 3.0, -1e-8], dtype=torch.float64)
    theta, twin_theta = torch.zeros(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)
    theta.grad, twin_theta.grad = g.clone(), g.clone()
    optimizer, twin = torch.optim.Adamax([theta]), Adamax([twin_theta])
    optimizer.step()
    twin.step()
    assert torch.equal(optimizer.state[theta]["exp_inf"], g.abs() + 1e-8)
    assert torch.equal(twin.u[0], g.abs() + 1e-8)


def test_twin_defaults_are_torch_defaults():
    """Every argument the twin shares with torch has torch's default, in the signature and in `optimizer.defaults`."""
    assert_defaults_match(torch.optim.Adamax, Adamax, {"foreach", "capturable", "differentiable"})
