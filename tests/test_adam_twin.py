"""The Adam and AdamW twins (snippets/adam.py) against torch.optim, and torch's foreach and fused paths against its for-loop.

Tolerance: float64 throughout, `rtol = atol = 1e-12`. The twin computes the page's formula literally
(m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ), √v̂) while torch folds it (`lerp_`, `√v / √(1 − β₂ᵗ)`,
`step_size = lr / (1 − β₁ᵗ)`), so the two round differently: a few units in the last place per step
(float64 ulp ≈ 2.2e-16), which over 60 steps and β₂ near 1 stays below 1e-13 in every case we ran.
1e-12 is rounding level; a wrong formula misses it by many orders of magnitude.
"""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.adam import Adam, AdamW
from tests.optim_twins import (
    assert_close_run,
    assert_one_step_agrees,
    assert_paths_agree,
    betas_near_0_or_1,
    db_configs,
    eps_1e_16_to_10,
    grad_scales,
    run_pair,
    shape_lists,
    weight_decays,
)

# A twin compared with torch: its verdict depends only on the files and packages it reads (tests/verdicts.py).
pytestmark = pytest.mark.reuse_passing_verdict

TWINS = {"Adam": Adam, "AdamW": AdamW}


@pytest.mark.parametrize(("torch_cls", "kwargs"), list(db_configs(set(TWINS))))
def test_twin_matches_torch_on_optim_db(torch_cls, kwargs):
    assert_close_run(torch_cls, TWINS[torch_cls.__name__], kwargs)


@pytest.mark.parametrize(("torch_cls", "kwargs"), list(db_configs(set(TWINS))))
@pytest.mark.parametrize("impl", [{"foreach": True}, {"fused": True}])
def test_foreach_and_fused_agree_with_the_for_loop(torch_cls, kwargs, impl):
    """CPU, float64, 60 steps: foreach is bit-identical to the for-loop; fused is too, except in one
    configuration (AdamW, lr=0.01, default λ=0.01) where it ends 1 ulp away, so fused is held to 4 ulp."""
    assert_paths_agree(torch_cls, kwargs, impl, ulps=0 if "foreach" in impl else 4)


@settings(derandomize=True, deadline=None, max_examples=40)
@given(
    twin=st.sampled_from(["Adam", "AdamW"]),
    lr=st.floats(1e-4, 0.5),
    tensor_lr=st.booleans(),
    beta1=betas_near_0_or_1(),
    beta2=betas_near_0_or_1(),
    eps=eps_1e_16_to_10,  # eps = 0: see test_eps_zero_and_zero_gradient_is_nan_in_both
    weight_decay=weight_decays,
    amsgrad=st.booleans(),
    maximize=st.booleans(),
    decoupled=st.booleans(),
    grad_scale=grad_scales,
    shapes=shape_lists,
    new_lr=st.floats(1e-4, 0.5),
)
def test_twin_matches_torch_on_random_hyperparameters(
    twin, lr, tensor_lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled, grad_scale, shapes, new_lr
):
    kwargs = {"lr": torch.tensor(lr, dtype=torch.float64) if tensor_lr else lr, "betas": (beta1, beta2), "eps": eps}
    kwargs |= {"weight_decay": weight_decay, "amsgrad": amsgrad, "maximize": maximize}
    if twin == "Adam":
        kwargs["decoupled_weight_decay"] = decoupled
    torch_cls = {"Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW}[twin]
    assert_close_run(
        torch_cls, TWINS[twin], kwargs, shapes=shapes, steps=50, grad_scale=grad_scale, none_every=5, lr_schedule={25: new_lr}, resync=True
    )


def test_adamw_default_weight_decay_is_decoupled_001():
    """AdamW with no arguments: λ = 0.01, decoupled; the twin's default must agree."""
    assert_close_run(torch.optim.AdamW, AdamW, {})
    assert torch.optim.AdamW([torch.zeros(1)]).defaults["weight_decay"] == AdamW([torch.zeros(1)]).weight_decay == 1e-2


def test_adam_decoupled_is_adamw_bit_for_bit():
    kwargs = {"lr": 0.05, "weight_decay": 0.3, "amsgrad": True}
    adam_run = run_pair(torch.optim.Adam, torch.optim.Adam, {**kwargs, "decoupled_weight_decay": True})
    adamw_run = run_pair(torch.optim.AdamW, torch.optim.AdamW, kwargs)
    for (p_adam, _), (p_adamw, _) in zip(adam_run, adamw_run, strict=True):
        for x, y in zip(p_adam, p_adamw, strict=True):
            assert torch.equal(x, y)


def test_eps_zero_and_zero_gradient_is_nan_in_both():
    """With ε = 0 and β₂ = 0, a zero gradient makes v̂ = 0 and the update 0/0: torch and the twin both write NaN."""
    theta = assert_one_step_agrees(torch.optim.Adam, Adam, [1.0, 0.0], betas=(0.0, 0.0), eps=0.0)
    assert theta[0].item() == 1 - 1e-3 and theta[1].isnan()
