"""The SparseAdam twin (snippets/sparse_adam.py) against torch.optim.SparseAdam, on sparse gradients.

Tolerance: float64 throughout, `rtol = atol = 1e-12`. The twin computes the page's formula on the entries present
(`β₁ m + (1 − β₁) g`, then the step) while torch computes `m + (1 − β₁)(g − m)` on the same entries and adds a
sparse tensor into the dense state, so the two round differently: a few units in the last place per step, below
1e-14 over the 60 steps of every optim_db configuration (asserted by the page's twin check, the same run).

The gradients come from snippets/twin_check.py with `sparse=True`: each step reaches a random half of the rows, as an
uncoalesced sparse tensor with its first row listed twice, and the first parameter gets no gradient every fifth step.
"""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.sparse_adam import SparseAdam
from snippets.twin_check import as_sparse
from tests.optim_twins import (
    TOL,
    assert_close_run,
    assert_defaults_match,
    betas_near_0_or_1,
    db_configs,
    eps_1e_16_to_10,
    grad_scales,
    run_pair_keeping_optimizers,
)

# A twin compared with torch: its verdict depends only on the files and packages it reads (tests/verdicts.py).
pytestmark = pytest.mark.reuse_passing_verdict

CONFIGS = list(db_configs({"SparseAdam"}))
SHAPES = [(6, 3), (8,), (5, 2, 2)]  # an embedding's weight, a vector, a table of matrices: sparse in the first dimension


@pytest.mark.parametrize(("torch_cls", "kwargs"), CONFIGS)
def test_twin_matches_torch_on_optim_db(torch_cls, kwargs):
    assert_close_run(torch_cls, SparseAdam, kwargs, shapes=SHAPES, sparse=True, none_every=5)


@settings(derandomize=True, deadline=None, max_examples=40)
@given(
    lr=st.floats(1e-4, 0.5),
    tensor_lr=st.sampled_from([None, torch.float32, torch.float64]),
    beta1=betas_near_0_or_1(),
    beta2=betas_near_0_or_1(0.999),
    eps=eps_1e_16_to_10,
    maximize=st.booleans(),
    grad_scale=grad_scales,
    new_lr=st.floats(1e-4, 0.5),
    seed=st.integers(0, 2**16),
)
def test_twin_matches_torch_on_random_hyperparameters(lr, tensor_lr, beta1, beta2, eps, maximize, grad_scale, new_lr, seed):
    """A tensor `lr` of either dtype (a float32 one rounds the step size to float32 in both), changed mid-run."""
    kwargs = {"lr": lr if tensor_lr is None else torch.tensor(lr, dtype=tensor_lr), "betas": (beta1, beta2), "eps": eps}
    kwargs["maximize"] = maximize
    options = {"shapes": SHAPES, "steps": 40, "grad_scale": grad_scale, "none_every": 5, "seed": seed}
    assert_close_run(torch.optim.SparseAdam, SparseAdam, kwargs, sparse=True, lr_schedule={20: new_lr}, resync=True, **options)


def test_state_and_step_count_match_torch_and_untouched_rows_keep_everything():
    """m, v and t against torch's `exp_avg`, `exp_avg_sq` and `step` at every step; rows absent from a step's gradient
    keep θ, m and v bit for bit, in torch and in the twin, while t counts every step the tensor had a gradient."""

    def everything(theirs, ours, optimizer, twin):  # per parameter: torch's θ, m, v and the twin's θ, m, v
        torch_state = optimizer.state
        return [
            [x.detach().clone() for x in (p, torch_state[p]["exp_avg"], torch_state[p]["exp_avg_sq"], q, twin.m[i], twin.v[i])]
            for i, (p, q) in enumerate(zip(theirs, ours, strict=True))
        ]

    previous, untouched = None, 0
    run = run_pair_keeping_optimizers(torch.optim.SparseAdam, SparseAdam, {"lr": 0.05}, shapes=SHAPES, sparse=True)
    for theirs, ours, optimizer, twin in run:
        now = everything(theirs, ours, optimizer, twin)
        for i, p in enumerate(theirs):
            state = optimizer.state[p]
            torch.testing.assert_close(twin.m[i], state["exp_avg"], **TOL)
            torch.testing.assert_close(twin.v[i], state["exp_avg_sq"], **TOL)
            assert twin.t[i] == state["step"]
            rows = set(p.grad.coalesce().indices()[0].tolist())
            if previous is not None:
                for r in set(range(p.shape[0])) - rows:
                    assert all(torch.equal(a[r], b[r]) for a, b in zip(now[i], previous[i], strict=True))
                    untouched += 1
        previous = now
    assert twin.t == [60, 60, 60] and untouched > 200  # rows left out by a step, each checked


def test_an_empty_gradient_advances_t_and_moves_nothing():
    for cls in (torch.optim.SparseAdam, SparseAdam):
        theta = torch.ones(3, 2, dtype=torch.float64)
        optimizer = cls([theta], lr=0.1)
        theta.grad = torch.sparse_coo_tensor(
            torch.zeros(1, 0, dtype=torch.long), torch.zeros(0, 2, dtype=torch.float64), (3, 2), check_invariants=True
        )
        optimizer.step()
        assert torch.equal(theta, torch.ones(3, 2, dtype=torch.float64))
        t = optimizer.state[theta]["step"] if cls is torch.optim.SparseAdam else optimizer.t[0]
        assert t == 1


@pytest.mark.parametrize("first_seen", [1, 10, 100, 1000])
def test_a_rows_first_step_uses_the_tensors_step_count(first_seen):
    """√(1−β₂ᵗ)/(1−β₁ᵗ) · (1−β₁)|g| / (√(1−β₂)|g| + ε) · lr, with t the tensor's count, in torch and the twin."""
    for cls in (torch.optim.SparseAdam, SparseAdam):
        theta = torch.zeros(2, 1, dtype=torch.float64)
        optimizer = cls([theta], lr=0.01)
        for step in range(1, first_seen + 1):
            rows = torch.tensor([0, 1] if step == first_seen else [0])
            theta.grad = as_sparse(torch.ones(2, 1, dtype=torch.float64), rows)
            optimizer.step()
        t = first_seen
        expected = 0.01 * math.sqrt(1 - 0.999**t) / (1 - 0.9**t) * 0.1 / (math.sqrt(0.001) + 1e-8)
        assert -theta[1, 0].item() == pytest.approx(expected, rel=1e-12)


def test_zero_valued_entries_are_updated_as_present():
    """An entry stored with value 0 is present: its m decays and θ moves, in torch and in the twin."""
    for cls in (torch.optim.SparseAdam, SparseAdam):
        theta = torch.zeros(2, 1, dtype=torch.float64)
        optimizer = cls([theta], lr=0.01)
        for value in (1.0, 0.0):
            before = theta.clone()
            theta.grad = as_sparse(torch.full((2, 1), value, dtype=torch.float64), torch.tensor([1]))
            optimizer.step()
        assert theta[1, 0] != before[1, 0] and theta[0, 0] == 0


def test_dense_gradients_and_sparse_or_complex_parameters_are_refused():
    theta = torch.zeros(3, requires_grad=True)
    theta.grad = torch.ones(3)
    with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients"):
        torch.optim.SparseAdam([theta]).step()
    with pytest.raises(ValueError, match="SparseAdam requires dense parameter tensors"):
        torch.optim.SparseAdam([torch.zeros(3).to_sparse()])
    with pytest.raises(ValueError, match="does not support complex parameters"):
        torch.optim.SparseAdam([torch.zeros(3, dtype=torch.complex64)])
    with pytest.raises(ValueError, match="Invalid epsilon value"):
        torch.optim.SparseAdam([theta], eps=0.0)


def test_twin_defaults_are_torch_defaults():
    """Every argument the twin shares with torch has torch's default; SparseAdam has no implementation switches."""
    assert_defaults_match(torch.optim.SparseAdam, SparseAdam, set())
