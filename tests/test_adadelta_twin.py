"""The Adadelta twin (snippets/adadelta.py) against torch.optim.Adadelta, and torch's foreach path against its for-loop.

Tolerance: float64 throughout, `rtol = atol = 1e-12`. The twin computes the page's formula literally
(`ρv + (1 − ρ)g²`, `√(u + ε) / √(v + ε) · g`) where torch writes `mul_(ρ).addcmul_(g, g, value=1 − ρ)` and
`sqrt_().div_().mul_()`, so the two round differently: the largest gap the page's twin check measures
(`largest_difference` of snippets/twin_check.py, 60 steps of every optim_db configuration, on the reference
arithmetic) is 1.1e-16. 1e-12 is rounding level; a wrong formula misses it by many orders of magnitude.
"""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.adadelta import Adadelta
from tests.optim_twins import (
    assert_close_run,
    assert_defaults_match,
    assert_no_fused_path,
    assert_paths_agree,
    assert_state_matches_after_skipped_steps,
    assert_state_matches_at_every_step,
    db_configs,
    grad_scales,
    shape_lists,
)

# A twin compared with torch: its verdict depends only on the files and packages it reads (tests/verdicts.py).
pytestmark = pytest.mark.reuse_passing_verdict

F64 = torch.float64


@pytest.mark.parametrize(("torch_cls", "kwargs"), list(db_configs({"Adadelta"})))
def test_twin_matches_torch_on_optim_db(torch_cls, kwargs):
    assert_close_run(torch_cls, Adadelta, kwargs)


@pytest.mark.parametrize(("torch_cls", "kwargs"), list(db_configs({"Adadelta"})))
def test_state_matches_torch_on_optim_db(torch_cls, kwargs):
    """v, u and the step count t after every step, beside torch's state["square_avg"], state["acc_delta"] and
    state["step"] (the page's twin check compares the parameters only); the first parameter skips every 5th step."""
    assert_state_matches_at_every_step(torch_cls, Adadelta, kwargs, {"v": "square_avg", "u": "acc_delta"})


def test_twin_defaults_are_torch_defaults():
    """Every hyperparameter of torch's `defaults` (less the implementation switches) is the twin's, with its value."""
    assert_defaults_match(torch.optim.Adadelta, Adadelta, {"foreach", "capturable", "differentiable"})


@pytest.mark.parametrize(("torch_cls", "kwargs"), list(db_configs({"Adadelta"})))
def test_foreach_is_the_for_loop_bit_for_bit(torch_cls, kwargs):
    """CPU, float64, 60 steps: the foreach path runs the loop's operations in the loop's order, batched."""
    assert_paths_agree(torch_cls, kwargs, {"foreach": True})


def test_torch_has_no_fused_adadelta():
    assert_no_fused_path(torch.optim.Adadelta)


@settings(derandomize=True, deadline=None, max_examples=40)
@given(
    lr=st.floats(1e-3, 2.0),
    tensor_lr=st.booleans(),
    rho=st.sampled_from([0.0, 0.5, 0.9, 0.95, 0.99, 1.0]) | st.floats(0.0, 1.0),
    eps=st.sampled_from([1e-10, 1e-6, 1e-3, 1.0]),  # eps = 0: see test_eps_zero_never_moves_and_zero_gradient_is_nan
    weight_decay=st.sampled_from([0.0, 1e-3, 0.1, 0.9]),
    maximize=st.booleans(),
    grad_scale=grad_scales,
    shapes=shape_lists,
    new_lr=st.floats(1e-3, 2.0),
)
def test_twin_matches_torch_on_random_hyperparameters(lr, tensor_lr, rho, eps, weight_decay, maximize, grad_scale, shapes, new_lr):
    kwargs = {"lr": torch.tensor(lr, dtype=F64) if tensor_lr else lr, "rho": rho, "eps": eps}
    kwargs |= {"weight_decay": weight_decay, "maximize": maximize}
    assert_close_run(
        torch.optim.Adadelta,
        Adadelta,
        kwargs,
        shapes=shapes,
        steps=50,
        grad_scale=grad_scale,
        none_every=4,
        lr_schedule={25: new_lr},
        resync=True,
    )


def test_state_matches_torch():
    """v (square_avg), u (acc_delta) and the step count, not only the parameters; with lr ≠ 1, so that a twin that
    accumulated γΔx instead of Δx would fail here."""
    kwargs = {"lr": 0.3, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1}
    state = {"v": "square_avg", "u": "acc_delta"}
    assert_state_matches_after_skipped_steps(torch.optim.Adadelta, Adadelta, kwargs, state, seed=1)


def test_torch_refuses_sparse_gradients():
    """Torch's own refusal, which the page shows; the twin has no sparse check (there is no torch behaviour to follow)."""
    p = torch.zeros(3, 2, dtype=F64, requires_grad=True)
    p.grad = torch.sparse_coo_tensor([[1]], torch.ones(1, 2, dtype=F64), (3, 2), check_invariants=True)
    with pytest.raises(RuntimeError, match="Adadelta does not support sparse gradients"):
        torch.optim.Adadelta([p]).step()


def test_rho_one_is_sgd_bit_for_bit():
    """ρ = 1: v and u stay 0, Δx = √ε/√ε · g = g exactly, and the step is SGD's `add_(g, alpha=-lr)`."""
    gen = torch.Generator().manual_seed(2)
    p_delta = torch.randn(5, generator=gen, dtype=F64, requires_grad=True)
    p_sgd = p_delta.detach().clone().requires_grad_()
    opt_delta, opt_sgd = torch.optim.Adadelta([p_delta], lr=0.1, rho=1.0), torch.optim.SGD([p_sgd], lr=0.1)
    for _ in range(10):
        p_delta.grad = torch.randn(5, generator=gen, dtype=F64)
        p_sgd.grad = p_delta.grad.clone()
        opt_delta.step()
        opt_sgd.step()
    assert torch.equal(p_delta, p_sgd)


def test_eps_zero_never_moves_and_zero_gradient_is_nan():
    """ε = 0: u₀ = 0 makes every Δx = √0 / √v · g = 0, so θ never moves; a zero gradient at the first step is 0/0."""
    for cls in (torch.optim.Adadelta, Adadelta):
        p = torch.ones(2, dtype=F64, requires_grad=True)
        opt = cls([p], eps=0.0)
        for _ in range(3):
            p.grad = torch.tensor([2.0, 0.0], dtype=F64)
            opt.step()
        assert p[0].item() == 1.0 and p[1].isnan()
