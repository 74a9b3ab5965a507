"""The Adadelta twin (snippets/adadelta.py) against torch.optim.Adadelta, and torch's foreach path against its for-loop.

Tolerance: float64 throughout, `rtol = atol = 1e-12`. The twin computes the page's formula literally
(`ρv + (1 − ρ)g²`, `√(u + ε) / √(v + ε) · g`) where torch writes `mul_(ρ).addcmul_(g, g, value=1 − ρ)` and
`sqrt_().div_().mul_()`, so the two round differently: the largest gap the page's twin check measures
(`largest_difference` of snippets/twin_check.py, 60 steps of every optim_db configuration, on the reference
arithmetic) is 1.1e-16. 1e-12 is rounding level; a wrong formula misses it by many orders of magnitude.
"""

import inspect

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.adadelta import Adadelta
from snippets.twin_check import IMPLEMENTATION_FLAGS
from tests.optim_twins import assert_close_run, db_configs, run_pair

# A twin compared with torch: its verdict depends only on the files and packages it reads (tests/verdicts.py).
pytestmark = pytest.mark.reuse_passing_verdict

TOL = {"rtol": 1e-12, "atol": 1e-12}
F64 = torch.float64


@pytest.mark.parametrize(("torch_cls", "kwargs"), list(db_configs({"Adadelta"})))
def test_twin_matches_torch_on_optim_db(torch_cls, kwargs):
    assert_close_run(torch_cls, Adadelta, kwargs)


@pytest.mark.parametrize(("torch_cls", "kwargs"), list(db_configs({"Adadelta"})))
def test_state_matches_torch_on_optim_db(torch_cls, kwargs):
    """v, u and the step count t after every step, beside torch's state["square_avg"], state["acc_delta"] and
    state["step"] (the page's twin check compares the parameters only); the first parameter skips every 5th step."""
    made = {}

    def make_torch(params, **kw):
        made["torch"] = torch_cls(params, **kw)
        return made["torch"]

    def make_twin(params, **kw):
        made["twin"] = Adadelta(params, **kw)
        return made["twin"]

    for theirs, _ in run_pair(make_torch, make_twin, kwargs, none_every=5):
        twin = made["twin"]
        for i, p in enumerate(theirs):
            state = made["torch"].state[p]
            torch.testing.assert_close(twin.v[i], state["square_avg"], rtol=1e-12, atol=0)
            torch.testing.assert_close(twin.u[i], state["acc_delta"], rtol=1e-12, atol=0)
            assert twin.t[i] == state["step"].item()
    assert made["twin"].t[0] < made["twin"].t[1] == 60


def test_twin_defaults_are_torch_defaults():
    """Every hyperparameter of torch's `defaults` (less the implementation switches) is the twin's, with its value."""
    torch_defaults = torch.optim.Adadelta([torch.zeros(1)]).defaults
    twin = inspect.signature(Adadelta).parameters
    assert {name for name in twin if name in torch_defaults} == set(torch_defaults) - set(IMPLEMENTATION_FLAGS)
    for name in set(torch_defaults) - set(IMPLEMENTATION_FLAGS):
        assert twin[name].default == torch_defaults[name], name


@pytest.mark.parametrize(("torch_cls", "kwargs"), list(db_configs({"Adadelta"})))
def test_foreach_is_the_for_loop_bit_for_bit(torch_cls, kwargs):
    """CPU, float64, 60 steps: the foreach path runs the loop's operations in the loop's order, batched."""
    loop = list(run_pair(torch_cls, torch_cls, {**kwargs, "foreach": False}))[-1][0]
    other = list(run_pair(torch_cls, torch_cls, {**kwargs, "foreach": True}))[-1][0]
    for a, b in zip(loop, other, strict=True):
        assert torch.equal(a, b)


def test_torch_has_no_fused_adadelta():
    with pytest.raises(TypeError, match="fused"):
        torch.optim.Adadelta([torch.zeros(1)], fused=True)


@settings(derandomize=True, deadline=None, max_examples=40)
@given(
    lr=st.floats(1e-3, 2.0),
    tensor_lr=st.booleans(),
    rho=st.sampled_from([0.0, 0.5, 0.9, 0.95, 0.99, 1.0]) | st.floats(0.0, 1.0),
    eps=st.sampled_from([1e-10, 1e-6, 1e-3, 1.0]),  # eps = 0: see test_eps_zero_never_moves_and_zero_gradient_is_nan
    weight_decay=st.sampled_from([0.0, 1e-3, 0.1, 0.9]),
    maximize=st.booleans(),
    grad_scale=st.sampled_from([1e-6, 1.0, 1e4]),
    shapes=st.lists(st.sampled_from([(), (1,), (5,), (2, 3), (2, 1, 3)]), min_size=1, max_size=3),
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
    gen = torch.Generator().manual_seed(1)
    p_torch = [torch.randn(s, generator=gen, dtype=F64, requires_grad=True) for s in [(3,), (2, 2)]]
    p_twin = [p.detach().clone().requires_grad_() for p in p_torch]
    opt_torch, opt_twin = torch.optim.Adadelta(p_torch, **kwargs), Adadelta(p_twin, **kwargs)
    for k in range(20):
        for j, (a, b) in enumerate(zip(p_torch, p_twin, strict=True)):
            a.grad = b.grad = None if (j == 0 and k % 3 == 0) else torch.randn(a.shape, generator=gen, dtype=F64)
        opt_torch.step()
        opt_twin.step()
    for i, p in enumerate(p_torch):
        torch.testing.assert_close(opt_twin.v[i], opt_torch.state[p]["square_avg"], **TOL)
        torch.testing.assert_close(opt_twin.u[i], opt_torch.state[p]["acc_delta"], **TOL)
        assert opt_twin.t[i] == opt_torch.state[p]["step"].item() == (13 if i == 0 else 20)


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
