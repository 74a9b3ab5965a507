"""The Muon twin (snippets/muon.py) against torch.optim.Muon.

Tolerance: float64 parameters, `rtol = atol = 1e-12`. Torch runs Newton–Schulz in bfloat16 whatever the parameter's
dtype (torch/optim/_muon.py, line 55), so a twin that ran it in float64 would differ from torch by bfloat16 rounding,
about 1% of each update (the Muon page measures it). The twin's `newton_schulz` therefore converts to bfloat16 where
torch does and calls `torch.addmm` with torch's arguments, so both round the iteration alike; what remains is the
float64 rounding of the momentum (the twin's μB + (1 − μ)g against torch's `lerp_`) and of the update, a few ulps,
below 1e-14 over the 60 steps of every optim_db configuration (the page's twin check). A momentum entry that lands on
the two sides of a bfloat16 rounding boundary would make a bfloat16 ulp of difference; with float64 differences of
about 1e-16 relative and boundaries 2⁻⁸ apart, that has a chance of order 1e-14 per entry and step, and none was seen.

The random hyperparameters are compared step by step from torch's parameters (`resync=True`), as in the other twin
tests, and cover momentum from 0 to 0.99, Nesterov on and off, 0 to 7 Newton–Schulz steps, three coefficient triples,
both `adjust_lr_fn` options, gradients from 1e-6 to 1e4 times the noise and a tensor `lr` changed mid-run. Muon has no
`maximize`.
"""

import inspect
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim._muon import _adjust_lr, _zeropower_via_newtonschulz

from snippets.muon import Muon, adjust_lr, newton_schulz
from tests.optim_twins import assert_close_run, assert_no_fused_path, db_configs, grad_scales, run_pair_keeping_optimizers, weight_decays

# A twin compared with torch: its verdict depends only on the files and packages it reads (tests/verdicts.py).
pytestmark = pytest.mark.reuse_passing_verdict

CONFIGS = list(db_configs({"Muon"}))
MATRICES = [(3, 5), (6, 2), (4, 4)]  # wide, tall (transposed inside), square
MUON = (3.4445, -4.7750, 2.0315)
matrix_lists = st.lists(st.sampled_from([(1, 1), (1, 4), (4, 1), (2, 3), (3, 2), (5, 5), (7, 3)]), min_size=1, max_size=3)


@pytest.mark.parametrize(("torch_cls", "kwargs"), CONFIGS)
def test_twin_matches_torch_on_optim_db(torch_cls, kwargs):
    assert_close_run(torch_cls, Muon, kwargs, shapes=MATRICES, none_every=5)


def test_optim_db_has_the_seven_configurations_the_page_names():
    assert len(CONFIGS) == 7


@settings(derandomize=True, deadline=None, max_examples=40)
@given(
    lr=st.floats(1e-4, 0.5),
    tensor_lr=st.booleans(),
    weight_decay=weight_decays,
    momentum=st.sampled_from([0.0, 0.5, 0.9, 0.95, 0.99]),
    nesterov=st.booleans(),
    ns_steps=st.integers(0, 7),
    ns_coefficients=st.sampled_from([MUON, (3.4, -4.7, 2.0), (15 / 8, -10 / 8, 3 / 8)]),
    adjust_lr_fn=st.sampled_from([None, "original", "match_rms_adamw"]),
    grad_scale=grad_scales,
    shapes=matrix_lists,
    new_lr=st.floats(1e-4, 0.5),
)
def test_twin_matches_torch_on_random_hyperparameters(
    lr, tensor_lr, weight_decay, momentum, nesterov, ns_steps, ns_coefficients, adjust_lr_fn, grad_scale, shapes, new_lr
):
    kwargs = {"lr": torch.tensor(lr, dtype=torch.float64) if tensor_lr else lr, "weight_decay": weight_decay}
    kwargs |= {"momentum": momentum, "nesterov": nesterov, "ns_steps": ns_steps, "ns_coefficients": ns_coefficients}
    kwargs |= {"adjust_lr_fn": adjust_lr_fn}
    assert_close_run(
        torch.optim.Muon,
        Muon,
        kwargs,
        shapes=shapes,
        steps=50,
        grad_scale=grad_scale,
        none_every=5,
        lr_schedule={25: new_lr},
        resync=True,
    )


def test_momentum_buffer_matches_torch_state_with_skipped_steps():
    """B against torch's `momentum_buffer` after every step; a matrix without a gradient keeps its buffer."""
    kwargs = {"lr": 0.05, "momentum": 0.9, "nesterov": False}
    frozen = None
    run = run_pair_keeping_optimizers(torch.optim.Muon, Muon, kwargs, shapes=MATRICES, none_every=3)
    for k, (theirs, _, optimizer, twin) in enumerate(run):
        for i, p in enumerate(theirs):
            torch.testing.assert_close(twin.B[i], optimizer.state[p]["momentum_buffer"], rtol=1e-12, atol=1e-15)
        assert set(optimizer.state[theirs[1]]) == {"momentum_buffer"}  # no step count
        if k % 3 == 1:  # the first matrix had no gradient this step: its buffer did not decay
            assert torch.equal(twin.B[0], frozen)
        frozen = twin.B[0].clone()


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (5, 3), (4, 4), (16, 32), (32, 16)])
@pytest.mark.parametrize("ns_steps", [0, 1, 5, 9])
@pytest.mark.parametrize("coefficients", [MUON, (3.4, -4.7, 2.0), (15 / 8, -10 / 8, 3 / 8)])
def test_newton_schulz_is_torchs_bit_for_bit(shape, ns_steps, coefficients):
    """The twin's bfloat16 iteration is torch's `_zeropower_via_newtonschulz`, bit for bit, with the transpose."""
    gen = torch.Generator().manual_seed(sum(shape) + ns_steps)
    for scale in (1e-9, 1.0, 1e6):
        g = scale * torch.randn(shape, generator=gen, dtype=torch.float64)
        ours = newton_schulz(g, coefficients, ns_steps, 1e-7)
        theirs = _zeropower_via_newtonschulz(g, coefficients, ns_steps, 1e-7)
        assert ours.dtype == theirs.dtype == torch.bfloat16
        assert torch.equal(ours, theirs)


def test_each_addmm_rounds_once_from_float32():
    """Torch's two `addmm` lines in bfloat16 are the same lines computed in float32 and rounded to bfloat16 once, at
    each of 5 steps on the Muon page's two 16 × 32 matrices (a random one, and one with its singular vectors and
    singular values from 1 down to 0.001); written as separate bfloat16 operations they round differently."""
    a, b, c = MUON
    G = torch.randn(16, 32, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    U, _, Vh = torch.linalg.svd(G, full_matrices=False)
    spread = U @ torch.diag(torch.logspace(0, -3, 16, dtype=torch.float64)) @ Vh
    for M in (G, spread):
        X = M.bfloat16()
        X = X / X.norm()
        separate_differs = False
        for _ in range(5):
            A = X @ X.T
            P = torch.addmm(A, A, A, beta=b, alpha=c)
            assert torch.equal(P, (b * A.float() + c * (A.float() @ A.float())).bfloat16())
            separate_differs |= not torch.equal(P, b * A + c * (A @ A))
            X_next = torch.addmm(X, P, X, beta=a)
            assert torch.equal(X_next, (a * X.float() + P.float() @ X.float()).bfloat16())
            X = X_next
        assert separate_differs


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (8, 8)])
def test_float64_iteration_maps_each_singular_value_by_the_polynomial(shape):
    """X_k = U p^k(Σ/‖G‖_F) Vᵀ: the iteration keeps the singular vectors and moves only the singular values."""
    a, b, c = MUON
    gen = torch.Generator().manual_seed(7)
    G = torch.randn(shape, generator=gen, dtype=torch.float64)
    U, S, Vh = torch.linalg.svd(G, full_matrices=False)
    sigma = S / G.norm()
    for k in range(6):
        X = newton_schulz(G, MUON, k, 1e-7, torch.float64)
        torch.testing.assert_close(X, U @ torch.diag(sigma) @ Vh, rtol=0, atol=1e-12)
        sigma = a * sigma + b * sigma**3 + c * sigma**5


def test_tall_matrices_are_transposed_without_changing_the_result():
    """(X Xᵀ)ʲ X = X (XᵀX)ʲ: the float64 iteration run on a tall matrix directly (a 12 × 12 Gram matrix) is the
    transposed run (3 × 3) to rounding."""
    a, b, c = MUON
    tall = torch.randn(12, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    X = tall / tall.norm()
    for _ in range(5):
        A = X @ X.T
        X = a * X + (b * A + c * A @ A) @ X
    torch.testing.assert_close(X, newton_schulz(tall, MUON, 5, 1e-7, torch.float64), rtol=0, atol=1e-13)


def test_five_steps_put_every_singular_value_above_0_0015_in_the_band():
    """The page's band: after 5 steps σ₀ ≥ 0.0015 lands in [0.68, 1.21]; σ₀ = 0.0014 does not."""
    a, b, c = MUON
    sigma = torch.logspace(-4, 0, 4001, dtype=torch.float64)
    x = sigma.clone()
    for _ in range(5):
        x = a * x + b * x**3 + c * x**5
    landed = x[sigma >= 1.5e-3]
    assert 0.68 < landed.min() and landed.max() < 1.21
    assert x[sigma <= 1.4e-3].max() < 0.68


@pytest.mark.parametrize("shape", [(64, 16), (16, 64), (32, 32), (7, 3)])
@pytest.mark.parametrize("fn", [None, "original", "match_rms_adamw"])
def test_adjust_lr_is_torchs(shape, fn):
    assert adjust_lr(0.02, fn, torch.Size(shape)) == _adjust_lr(0.02, fn, torch.Size(shape))
    expected = 0.02 * (math.sqrt(max(1, shape[0] / shape[1])) if fn != "match_rms_adamw" else 0.2 * math.sqrt(max(shape)))
    assert adjust_lr(0.02, fn, shape) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("cls", [torch.optim.Muon, Muon])
def test_weight_decay_is_decoupled_and_uses_lr_not_the_adjusted_lr(cls):
    """A zero gradient: Newton–Schulz gives 0 and the step is θ(1 − γλ) exactly, also for a tall matrix (γ′ = 2γ)."""
    theta = torch.ones(8, 2, dtype=torch.float64)
    theta.grad = torch.zeros(8, 2, dtype=torch.float64)
    cls([theta], lr=1e-3, weight_decay=0.1).step()
    assert torch.equal(theta, torch.full((8, 2), 1 - 1e-3 * 0.1, dtype=torch.float64))


def test_averaged_momentum_gives_the_docstrings_summed_momentum_update():
    """Torch's buffer is (1 − μ) times the docstring's sum, and its Nesterov input too; the normalisation removes it."""
    gen = torch.Generator().manual_seed(2)
    mu, ema, total = 0.95, torch.zeros(4, 6, dtype=torch.float64), torch.zeros(4, 6, dtype=torch.float64)
    for _ in range(20):
        g = torch.randn(4, 6, generator=gen, dtype=torch.float64)
        ema, total = ema.lerp(g, 1 - mu), mu * total + g
        torch.testing.assert_close(g.lerp(ema, mu), (1 - mu) * (g + mu * total), rtol=1e-12, atol=0)
        ours = newton_schulz(g.lerp(ema, mu), MUON, 5, 1e-7, torch.float64)
        box = newton_schulz(g + mu * total, MUON, 5, 1e-7, torch.float64)
        torch.testing.assert_close(ours, box, rtol=0, atol=1e-13)


@pytest.mark.parametrize("cls", [torch.optim.Muon, Muon])
@pytest.mark.parametrize("shape", [(3,), (2, 3, 4), ()])
def test_only_matrices_are_accepted(cls, shape):
    with pytest.raises(ValueError):
        cls([torch.zeros(shape, requires_grad=True)])


def test_muon_has_no_foreach_fused_or_differentiable_path():
    assert_no_fused_path(torch.optim.Muon)
    for flag in ("foreach", "differentiable"):
        with pytest.raises(TypeError, match=flag):
            torch.optim.Muon([torch.zeros(2, 2, requires_grad=True)], **{flag: True})


def test_twin_defaults_are_torch_defaults():
    """The twin takes every argument of torch's, each with torch's default, in the signature and in `defaults`.
    (tests/optim_twins.assert_defaults_match builds torch's optimizer on a 1-element vector, which Muon refuses.)"""
    twin = {name: p.default for name, p in inspect.signature(Muon).parameters.items() if name != "params"}
    signature = {name: p.default for name, p in inspect.signature(torch.optim.Muon).parameters.items() if name != "params"}
    defaults = torch.optim.Muon([torch.zeros(1, 1)]).defaults
    assert twin == signature == defaults
