"""The Adagrad twin (snippets/adagrad.py) against torch.optim.Adagrad, and torch's foreach and fused paths against its for-loop.

Tolerance: float64 throughout, `rtol = atol = 1e-12`. The twin computes the page's formula in nearly torch's order
(torch writes `addcmul_` and `addcdiv_(value=-γ̃)` where the twin writes `s + g²` and `θ − γ̃g / (√s + ε)`), so the
two differ by at most a rounding or two per step: the largest gap the page's twin check measures (`largest_difference`
of snippets/twin_check.py, 60 steps of every optim_db configuration, on the reference arithmetic) is 2.2e-16.
1e-12 is rounding level; a wrong formula misses it by many orders of magnitude.
"""

import inspect

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.adagrad import Adagrad
from snippets.twin_check import IMPLEMENTATION_FLAGS
from tests.optim_twins import assert_close_run, db_configs, run_pair

# A twin compared with torch: its verdict depends only on the files and packages it reads (tests/verdicts.py).
pytestmark = pytest.mark.reuse_passing_verdict

TOL = {"rtol": 1e-12, "atol": 1e-12}
F64 = torch.float64


@pytest.mark.parametrize(("torch_cls", "kwargs"), list(db_configs({"Adagrad"})))
def test_twin_matches_torch_on_optim_db(torch_cls, kwargs):
    assert_close_run(torch_cls, Adagrad, kwargs)


@pytest.mark.parametrize(("torch_cls", "kwargs"), list(db_configs({"Adagrad"})))
def test_state_matches_torch_on_optim_db(torch_cls, kwargs):
    """The sum s and the step count t after every step, beside torch's state["sum"] and state["step"] (the page's
    twin check compares the parameters only); the first parameter skips every 5th step, so its t lags."""
    made = {}

    def make_torch(params, **kw):
        made["torch"] = torch_cls(params, **kw)
        return made["torch"]

    def make_twin(params, **kw):
        made["twin"] = Adagrad(params, **kw)
        return made["twin"]

    for theirs, _ in run_pair(make_torch, make_twin, kwargs, none_every=5):
        for i, p in enumerate(theirs):
            state = made["torch"].state[p]
            torch.testing.assert_close(made["twin"].s[i], state["sum"], rtol=1e-12, atol=0)
            assert made["twin"].t[i] == state["step"].item()
    assert made["twin"].t[0] < made["twin"].t[1] == 60


def test_twin_defaults_are_torch_defaults():
    """Every hyperparameter of torch's `defaults` (less the implementation switches) is the twin's, with its value."""
    torch_defaults = torch.optim.Adagrad([torch.zeros(1)]).defaults
    twin = inspect.signature(Adagrad).parameters
    assert {name for name in twin if name in torch_defaults} == set(torch_defaults) - set(IMPLEMENTATION_FLAGS)
    for name in set(torch_defaults) - set(IMPLEMENTATION_FLAGS):
        assert twin[name].default == torch_defaults[name], name


@pytest.mark.parametrize(("torch_cls", "kwargs"), list(db_configs({"Adagrad"})))
@pytest.mark.parametrize("impl", [{"foreach": True}, {"fused": True}])
def test_foreach_and_fused_agree_with_the_for_loop(torch_cls, kwargs, impl):
    """CPU, float64, 60 steps: foreach is bit-identical to the for-loop (the same kernels on the same numbers);
    the fused kernel rounds a few products in its own order, so it is held to 4 ulp (it ends within 1 ulp here)."""
    loop = list(run_pair(torch_cls, torch_cls, {**kwargs, "foreach": False}))[-1][0]
    other = list(run_pair(torch_cls, torch_cls, {**kwargs, **impl}))[-1][0]
    for a, b in zip(loop, other, strict=True):
        if "foreach" in impl:
            assert torch.equal(a, b)
        else:
            torch.testing.assert_close(b, a, rtol=4 * torch.finfo(F64).eps, atol=0)


@settings(derandomize=True, deadline=None, max_examples=40)
@given(
    lr=st.floats(1e-4, 1.0),
    tensor_lr=st.booleans(),
    lr_decay=st.sampled_from([0.0, 1e-3, 0.1, 0.5, 3.0]),
    weight_decay=st.sampled_from([0.0, 1e-3, 0.1, 1.0]),
    initial_accumulator_value=st.sampled_from([0.0, 1e-3, 0.1, 1.0, 10.0]),
    eps=st.sampled_from([1e-16, 1e-10, 1e-3, 1.0]),  # eps = 0: see test_eps_zero_and_no_gradient_yet_is_nan_in_both
    maximize=st.booleans(),
    grad_scale=st.sampled_from([1e-6, 1.0, 1e4]),
    shapes=st.lists(st.sampled_from([(), (1,), (5,), (2, 3), (2, 1, 3)]), min_size=1, max_size=3),
    new_lr=st.floats(1e-4, 1.0),
)
def test_twin_matches_torch_on_random_hyperparameters(
    lr, tensor_lr, lr_decay, weight_decay, initial_accumulator_value, eps, maximize, grad_scale, shapes, new_lr
):
    kwargs = {"lr": torch.tensor(lr, dtype=F64) if tensor_lr else lr, "lr_decay": lr_decay, "weight_decay": weight_decay}
    kwargs |= {"initial_accumulator_value": initial_accumulator_value, "eps": eps, "maximize": maximize}
    assert_close_run(
        torch.optim.Adagrad,
        Adagrad,
        kwargs,
        shapes=shapes,
        steps=50,
        grad_scale=grad_scale,
        none_every=4,
        lr_schedule={25: new_lr},
        resync=True,
    )


def test_state_sum_and_step_count_match_torch():
    """The accumulator and the per-parameter step count, not only the parameters: a parameter without a gradient
    on some steps keeps its t, so its γ̃ decays more slowly than its neighbour's."""
    kwargs = {"lr": 0.1, "lr_decay": 0.2, "weight_decay": 0.1, "initial_accumulator_value": 0.3}
    gen = torch.Generator().manual_seed(1)
    p_torch = [torch.randn(s, generator=gen, dtype=F64, requires_grad=True) for s in [(3,), (2, 2)]]
    p_twin = [p.detach().clone().requires_grad_() for p in p_torch]
    opt_torch, opt_twin = torch.optim.Adagrad(p_torch, **kwargs), Adagrad(p_twin, **kwargs)
    for k in range(20):
        for j, (a, b) in enumerate(zip(p_torch, p_twin, strict=True)):
            a.grad = b.grad = None if (j == 0 and k % 3 == 0) else torch.randn(a.shape, generator=gen, dtype=F64)
        opt_torch.step()
        opt_twin.step()
    for i, p in enumerate(p_torch):
        torch.testing.assert_close(opt_twin.s[i], opt_torch.state[p]["sum"], **TOL)
        assert opt_twin.t[i] == opt_torch.state[p]["step"].item() == (13 if i == 0 else 20)


def test_twin_refuses_sparse_gradients():
    p = torch.zeros(3, 2, dtype=F64, requires_grad=True)
    p.grad = torch.sparse_coo_tensor([[1]], torch.ones(1, 2, dtype=F64), (3, 2), check_invariants=True)
    with pytest.raises(NotImplementedError, match="dense gradients"):
        Adagrad([p]).step()


@pytest.mark.filterwarnings("ignore:Sparse invariant checks are implicitly disabled")  # raised inside torch's adagrad.py
def test_torch_sparse_gradient_is_its_dense_gradient_with_zero_rows():
    """Rows outside the sparse gradient keep their value and their sum bit for bit; the dense run's zero rows
    do too (a zero gradient adds 0 to the sum and moves θ by −γ̃·0/(√s + ε) = 0); rows with a gradient agree to rounding."""
    weight = torch.arange(1.0, 9.0, dtype=F64).reshape(4, 2)
    runs = {}
    for sparse in (True, False):
        emb = torch.nn.Embedding(4, 2, sparse=sparse, _weight=weight.clone())
        opt = torch.optim.Adagrad(emb.parameters(), lr=0.1, lr_decay=0.1, initial_accumulator_value=0.5)
        for ids in ([0, 2], [0], [2, 2]):
            opt.zero_grad()
            (emb(torch.tensor(ids)) ** 2).sum().backward()
            opt.step()
        runs[sparse] = emb.weight.detach(), opt.state[emb.weight]["sum"]
    (w_sparse, s_sparse), (w_dense, s_dense) = runs[True], runs[False]
    untouched = [1, 3]
    assert torch.equal(w_sparse[untouched], weight[untouched]) and torch.equal(w_dense[untouched], weight[untouched])
    assert (s_sparse[untouched] == 0.5).all() and (s_dense[untouched] == 0.5).all()
    torch.testing.assert_close(w_sparse, w_dense, **TOL)
    torch.testing.assert_close(s_sparse, s_dense, **TOL)


def test_eps_zero_and_no_gradient_yet_is_nan_in_both():
    """ε = 0, τ = 0 and a zero gradient: γ̃ · 0 / (√0 + 0) is 0/0, and both torch and the twin write NaN."""
    p_torch = torch.ones(2, dtype=F64, requires_grad=True)
    p_twin = torch.ones(2, dtype=F64, requires_grad=True)
    opt_torch, opt_twin = torch.optim.Adagrad([p_torch], eps=0.0), Adagrad([p_twin], eps=0.0)
    for p in (p_torch, p_twin):
        p.grad = torch.tensor([2.0, 0.0], dtype=F64)
    opt_torch.step()
    opt_twin.step()
    torch.testing.assert_close(p_twin.detach(), p_torch.detach(), **TOL, equal_nan=True)
    assert p_torch[0].item() == 1 - 1e-2 and p_torch[1].isnan()
