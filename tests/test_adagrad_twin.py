"""The Adagrad twin (snippets/adagrad.py) against torch.optim.Adagrad, and torch's foreach and fused paths against its for-loop.

Tolerance: float64 throughout, `rtol = atol = 1e-12`. The twin computes the page's formula in nearly torch's order
(torch writes `addcmul_` and `addcdiv_(value=-γ̃)` where the twin writes `s + g²` and `θ − γ̃g / (√s + ε)`), so the
two differ by at most a rounding or two per step: the largest gap the page's twin check measures (`largest_difference`
of snippets/twin_check.py, 60 steps of every optim_db configuration, on the reference arithmetic) is 2.2e-16.
1e-12 is rounding level; a wrong formula misses it by many orders of magnitude.
"""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.adagrad import Adagrad
from tests.optim_twins import (
    assert_close_run,
    assert_defaults_match,
    assert_one_step_agrees,
    assert_paths_agree,
    assert_state_matches_after_skipped_steps,
    assert_state_matches_at_every_step,
    db_configs,
    grad_scales,
    shape_lists,
    weight_decays,
)

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
    assert_state_matches_at_every_step(torch_cls, Adagrad, kwargs, {"s": "sum"})


def test_twin_defaults_are_torch_defaults():
    """Every hyperparameter of torch's `defaults` (less the implementation switches) is the twin's, with its value."""
    assert_defaults_match(torch.optim.Adagrad, Adagrad, {"foreach", "differentiable", "fused"})


@pytest.mark.parametrize(("torch_cls", "kwargs"), list(db_configs({"Adagrad"})))
@pytest.mark.parametrize("impl", [{"foreach": True}, {"fused": True}])
def test_foreach_and_fused_agree_with_the_for_loop(torch_cls, kwargs, impl):
    """CPU, float64, 60 steps: foreach is bit-identical to the for-loop (the same kernels on the same numbers);
    the fused kernel rounds a few products in its own order, so it is held to 4 ulp (it ends within 1 ulp here)."""
    assert_paths_agree(torch_cls, kwargs, impl, ulps=0 if "foreach" in impl else 4)


@settings(derandomize=True, deadline=None, max_examples=40)
@given(
    lr=st.floats(1e-4, 1.0),
    tensor_lr=st.booleans(),
    lr_decay=st.sampled_from([0.0, 1e-3, 0.1, 0.5, 3.0]),
    weight_decay=weight_decays,
    initial_accumulator_value=st.sampled_from([0.0, 1e-3, 0.1, 1.0, 10.0]),
    eps=st.sampled_from([1e-16, 1e-10, 1e-3, 1.0]),  # eps = 0: see test_eps_zero_and_no_gradient_yet_is_nan_in_both
    maximize=st.booleans(),
    grad_scale=grad_scales,
    shapes=shape_lists,
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
    assert_state_matches_after_skipped_steps(torch.optim.Adagrad, Adagrad, kwargs, {"s": "sum"}, seed=1)


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
    theta = assert_one_step_agrees(torch.optim.Adagrad, Adagrad, [2.0, 0.0], eps=0.0)
    assert theta[0].item() == 1 - 1e-2 and theta[1].isnan()
