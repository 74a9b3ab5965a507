"""The Rprop twin (snippets/rprop.py) against torch.optim.Rprop, and torch's foreach and differentiable paths against
its for-loop.

Tolerance: none. The twin multiplies the step size by the same η₊, η₋ or 1 (`eta * delta` against torch's
`step_size.mul_(sign)`), clamps it with the same `clamp`, and subtracts Δ·sign(g), where torch adds
(−1)·sign(g)·Δ with `addcmul_`: a product by ±1 or 0 is exact, so both round only in the one subtraction, and the
same one. So every comparison here is bit for bit (`rtol = atol = 0`), as the page's twin check finds. That also
matters for the method: Rprop branches on signs, so a twin that was merely close could take another branch.
"""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.rprop import Rprop
from tests.optim_twins import (
    assert_close_run,
    assert_defaults_match,
    assert_differentiable_path_agrees,
    assert_no_fused_path,
    assert_one_step_agrees,
    assert_paths_agree_at_every_step,
    assert_state_matches_at_every_step,
    db_configs,
    grad_scales,
    run_pair,
    shape_lists,
)

# A twin compared with torch: its verdict depends only on the files and packages it reads (tests/verdicts.py).
pytestmark = pytest.mark.reuse_passing_verdict

F64 = torch.float64
EXACT = {"rtol": 0.0, "atol": 0.0}
CONFIGS = list(db_configs({"Rprop"}))


@pytest.mark.parametrize(("torch_cls", "kwargs"), CONFIGS)
def test_twin_is_torch_bit_for_bit_on_optim_db(torch_cls, kwargs):
    assert_close_run(torch_cls, Rprop, kwargs, tol=EXACT, none_every=5)


@pytest.mark.parametrize(("torch_cls", "kwargs"), CONFIGS)
def test_state_matches_torch_on_optim_db(torch_cls, kwargs):
    """Δ, g_prev and the step count t after every step, beside torch's state["step_size"], state["prev"] and
    state["step"] (the page's twin check compares the parameters only); the first parameter skips every 5th step."""
    assert_state_matches_at_every_step(torch_cls, Rprop, kwargs, {"delta": "step_size", "g_prev": "prev"})


@pytest.mark.parametrize(("torch_cls", "kwargs"), CONFIGS)
def test_foreach_is_the_for_loop_bit_for_bit(torch_cls, kwargs):
    """On the CPU `_multi_tensor_rprop` runs the for-loop's operations on each tensor in turn: equal after every step of
    60 (ulps = 0: rtol = atol = 0)."""
    assert_paths_agree_at_every_step(torch_cls, kwargs, {"foreach": True}, ulps=0, none_every=4)


@pytest.mark.parametrize(("torch_cls", "kwargs"), CONFIGS)
def test_differentiable_path_is_the_for_loop_bit_for_bit(torch_cls, kwargs):
    """differentiable=True only clones `prev` before the product (rprop.py line 265)."""
    assert_differentiable_path_agrees(torch_cls, kwargs)


@pytest.mark.parametrize(("torch_cls", "kwargs"), CONFIGS)
def test_foreach_is_the_for_loop_bit_for_bit_in_float32(torch_cls, kwargs):
    """The page's path check in float32 too: the same kernels on float32 numbers."""
    gen = torch.Generator().manual_seed(4)
    start = [torch.randn(s, generator=gen, dtype=torch.float32) for s in [(3,), (2, 4), ()]]
    loop, batched = [p.clone() for p in start], [p.clone() for p in start]
    optimizers = [torch_cls(loop, **kwargs, foreach=False), torch_cls(batched, **kwargs, foreach=True)]
    for _ in range(60):
        noise = [torch.randn(p.shape, generator=gen, dtype=torch.float32) for p in start]
        for params, optimizer in zip((loop, batched), optimizers, strict=True):
            for p, n in zip(params, noise, strict=True):
                p.grad = n + 0.5 * p
            optimizer.step()
        assert all(map(torch.equal, loop, batched))


def test_rprop_has_no_fused_implementation():
    assert_no_fused_path(torch.optim.Rprop)


@settings(derandomize=True, deadline=None, max_examples=40)
@given(
    lr=st.sampled_from([1e-8, 1e-6, 1e-3, 0.01, 0.5, 10.0, 100.0]),  # below Γmin and above Γmax too
    tensor_lr=st.booleans(),
    eta_minus=st.floats(0.01, 0.99),
    eta_plus=st.floats(1.01, 3.0),
    step_min=st.sampled_from([1e-8, 1e-6, 1e-3]),
    step_max=st.sampled_from([1e-2, 1.0, 50.0, 1e3]),
    maximize=st.booleans(),
    grad_scale=grad_scales,
    shapes=shape_lists,
    new_lr=st.floats(1e-4, 0.5),
)
def test_twin_is_torch_bit_for_bit_on_random_hyperparameters(
    lr, tensor_lr, eta_minus, eta_plus, step_min, step_max, maximize, grad_scale, shapes, new_lr
):
    """The lr changed mid-run is ignored by both: lr is read once, at a parameter's first step."""
    kwargs = {"lr": torch.tensor(lr, dtype=F64) if tensor_lr else lr, "etas": (eta_minus, eta_plus)}
    kwargs |= {"step_sizes": (step_min, step_max), "maximize": maximize}
    assert_close_run(
        torch.optim.Rprop,
        Rprop,
        kwargs,
        tol=EXACT,
        shapes=shapes,
        steps=50,
        grad_scale=grad_scale,
        none_every=5,
        lr_schedule={25: new_lr},
    )


def test_lr_is_read_once_so_a_later_change_does_nothing():
    """torch fills state["step_size"] with lr at the first step (rprop.py line 110), the twin sets Δ₀ = γ then: an lr
    changed after step 5, as a scheduler changes it, leaves both on the path they had without the change."""
    ends = {}
    for schedule in (None, {5: 1e-5}, {5: 40.0}):
        *_, (theirs, ours) = run_pair(torch.optim.Rprop, Rprop, {"lr": 0.5}, steps=30, lr_schedule=schedule)
        ends[str(schedule)] = [p.detach().clone() for p in theirs + ours]
    reference = ends["None"]
    assert all(torch.equal(a, b) for end in ends.values() for a, b in zip(reference, end, strict=True))


@pytest.mark.parametrize(("lr", "first_step"), [(100.0, 50.0), (0.0, 1e-6), (1e-8, 1e-6), (0.3, 0.3)])
def test_first_step_is_lr_clamped_to_step_sizes(lr, first_step):
    """Torch clamps Δ on every step, the first included (line 279), where its docstring keeps Δ₁ = lr."""
    theta = assert_one_step_agrees(torch.optim.Rprop, Rprop, [1.0, -2.0], lr=lr)
    assert theta.tolist() == [1.0 - first_step, 1.0 + first_step]


def test_sign_change_does_not_move_and_stores_a_zero_gradient():
    """θ²/2 from 1 with lr = 0.4 (the page's run): steps 4 and 7 change sign, halve Δ, stay put and store prev = 0;
    the steps after them keep Δ. In torch and in the twin."""
    for cls in (torch.optim.Rprop, Rprop):
        theta = torch.ones(1, dtype=F64)
        optimizer = cls([theta], lr=0.4)
        history = []
        for _ in range(9):
            theta.grad = theta.clone()
            optimizer.step()
            state = optimizer.state[theta] if cls is torch.optim.Rprop else {"step_size": optimizer.delta[0], "prev": optimizer.g_prev[0]}
            history.append((theta.item(), state["step_size"].item(), state["prev"].item()))
        for t in (4, 7):
            (before, delta_before, _), (after, delta, prev) = history[t - 2], history[t - 1]
            assert after == before and delta == 0.5 * delta_before and prev == 0.0
            assert history[t][1] == delta  # the next step neither grows nor shrinks Δ
        assert [round(h[0], 12) for h in history[:4]] == [0.6, 0.12, -0.456, -0.456]


def test_steps_ignore_the_size_of_the_gradient():
    """Rprop on 1000 f and on f/1000 takes f's path, bit for bit (positive scaling keeps every sign)."""
    ends = []
    for scale in (1.0, 1e3, 1e-3):
        theta = torch.tensor([-4.0, 1.0], dtype=F64)
        optimizer = torch.optim.Rprop([theta], lr=0.5)
        for _ in range(30):
            theta.grad = scale * theta * torch.tensor([1.0, 25.0], dtype=F64)
            optimizer.step()
        ends.append(theta)
    assert torch.equal(ends[0], ends[1]) and torch.equal(ends[0], ends[2])


def test_twin_defaults_are_torch_defaults():
    """Every hyperparameter of torch's `defaults` (less the implementation switches) is the twin's, with its value."""
    assert_defaults_match(torch.optim.Rprop, Rprop, {"foreach", "capturable", "differentiable"})
