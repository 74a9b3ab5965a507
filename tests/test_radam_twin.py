"""The RAdam twin (snippets/radam.py) against torch.optim.RAdam, and torch's foreach and autograd paths against its for-loop.

Tolerance: float64 throughout, `rtol = atol = 1e-12`. The twin computes the page's formula literally
(m̂ = m / (1 − β₁ᵗ), l_t = √(1 − β₂ᵗ) / (√v + ε), then γ m̂ r_t l_t) while torch folds it (`lerp_`, one product
`m̂ · lr · l_t · r_t`), so the two round differently: a few units in the last place per step (float64 ulp ≈ 2.2e-16),
below 1e-14 over the 60 steps of every optim_db configuration (asserted by the page's twin check, the same run).
ρ_t and r_t are computed by the same Python expression as torch's, so both take the same branch at every step.
1e-12 is rounding level; a wrong formula misses it by orders.
"""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.radam import RAdam
from tests.optim_twins import (
    assert_close_run,
    assert_defaults_match,
    assert_differentiable_path_agrees,
    assert_paths_agree_at_every_step,
    betas_near_0_or_1,
    db_configs,
    grad_scales,
    shape_lists,
    weight_decays,
)

# A twin compared with torch: its verdict depends only on the files and packages it reads (tests/verdicts.py).
pytestmark = pytest.mark.reuse_passing_verdict


@pytest.mark.parametrize(("torch_cls", "kwargs"), list(db_configs({"RAdam"})))
def test_twin_matches_torch_on_optim_db(torch_cls, kwargs):
    assert_close_run(torch_cls, RAdam, kwargs, none_every=5, lr_schedule={30: 0.05})


@pytest.mark.parametrize(("torch_cls", "kwargs"), list(db_configs({"RAdam"})))
def test_foreach_agrees_with_the_for_loop(torch_cls, kwargs):
    """Not bit for bit (foreach folds both branches into one multiplier of m), but within a few ulps: in
    these runs at most 0.25 ulp of the largest parameter (max |Δ| / (eps·max|θ|) over every step); held to 4 ulps."""
    assert_paths_agree_at_every_step(torch_cls, kwargs, {"foreach": True}, ulps=4, none_every=5)


@pytest.mark.parametrize(("torch_cls", "kwargs"), list(db_configs({"RAdam"})))
def test_differentiable_path_is_the_for_loop_bit_for_bit(torch_cls, kwargs):
    """The autograd branch differs from the loop only in `add` for `add_`: the same kernels on the same numbers."""
    assert_differentiable_path_agrees(torch_cls, kwargs)


betas_with_some_that_never_adapt = betas_near_0_or_1(0.6, 0.7)  # β₂ ≤ 2/3 never adapts; 0.7 adapts from t = 10


@settings(derandomize=True, deadline=None, max_examples=40)
@given(
    lr=st.floats(1e-4, 0.5),
    tensor_lr=st.booleans(),
    beta1=betas_with_some_that_never_adapt,
    beta2=betas_with_some_that_never_adapt,
    eps=st.sampled_from([0.0, 1e-16, 1e-8, 1e-3, 1.0, 10.0]),
    weight_decay=weight_decays,
    decoupled=st.booleans(),
    maximize=st.booleans(),
    grad_scale=grad_scales,
    shapes=shape_lists,
    new_lr=st.floats(1e-4, 0.5),
)
def test_twin_matches_torch_on_random_hyperparameters(
    lr, tensor_lr, beta1, beta2, eps, weight_decay, decoupled, maximize, grad_scale, shapes, new_lr
):
    kwargs = {"lr": torch.tensor(lr, dtype=torch.float64) if tensor_lr else lr, "betas": (beta1, beta2), "eps": eps}
    kwargs |= {"weight_decay": weight_decay, "decoupled_weight_decay": decoupled, "maximize": maximize}
    assert_close_run(
        torch.optim.RAdam,
        RAdam,
        kwargs,
        shapes=shapes,
        steps=50,
        grad_scale=grad_scale,
        none_every=5,
        lr_schedule={25: new_lr},
        resync=True,
    )


def test_first_five_steps_are_plain_momentum_and_the_sixth_is_not():
    """β₂ = 0.999: ρ_t ≤ 5 for t ≤ 5 (torch's threshold; the paper's 4 would adapt at t = 5), so θ ← θ − γ m̂."""
    gen = torch.Generator().manual_seed(3)
    theta = torch.zeros(4, dtype=torch.float64)
    optimizer = torch.optim.RAdam([theta], lr=0.01)
    m = torch.zeros(4, dtype=torch.float64)
    for t in range(1, 7):
        before = theta.clone()
        theta.grad = 100 * torch.randn(4, generator=gen, dtype=torch.float64)
        optimizer.step()
        m = 0.9 * m + 0.1 * theta.grad
        plain = torch.allclose(before - theta, 0.01 * m / (1 - 0.9**t), rtol=1e-12, atol=1e-15)
        assert plain == (t <= 5), t


def test_twin_defaults_are_torch_defaults():
    assert_defaults_match(torch.optim.RAdam, RAdam, {"foreach", "capturable", "differentiable"})
