"""The Adafactor twin (snippets/adafactor.py) against torch.optim.Adafactor, and torch's foreach path against its for-loop.

Tolerance: float64 throughout, `rtol = atol = 1e-12`. The twin computes the page's formula literally (row means of
G², `β R + (1 − β) mean`, `R C / max(mean R, ε₁)`, `G / √max(V̂, ε₁²)`, `α Û`) while torch takes squared norms
divided by n, `lerp_`, `rsqrt` and one `add_` with `alpha=`, so the two round differently: a few units in the last
place per step (float64 ulp ≈ 2.2e-16), below 1e-14 over the 60 steps of every optim_db configuration (the page's
twin check). 1e-12 is rounding level, and a wrong term misses it by many orders of magnitude.

The random hyperparameters are compared step by step from torch's parameters (`resync=True`) and cover `lr` on both
sides of 1/√t (so that ρₜ = min(lr, 1/√t) takes either branch), τ from −2 to 0, ε₁ from None to 1e-3 (a floor that
binds for the small gradients), ε₂ from 0 to 10, d from 1 to 10, gradients from 1e-6 to 1e4 times the noise,
tensors of 0 to 3 dimensions, and a tensor `lr` changed mid-run.

The foreach path is not the for-loop bit for bit where ATen's kernels fuse a multiply into an add: the for-loop's
`param.add_(update, alpha=...)` (line 416) is then one rounding (ATen's vectorised add is `vec::fmadd(other, alpha,
self)`, aten/src/ATen/native/ufunc/add.h), the foreach path's `_foreach_mul_` then `_foreach_add_` (lines 598–599)
two. Measured at every step of every optim_db configuration: under half an ulp of |θ| + max|θ| on AVX2 kernels; the
test allows one. `test_add_with_alpha_rounds_once_on_avx2_and_twice_on_default_kernels` runs a fresh process per
ATEN_CPU_CAPABILITY: on AVX2, `add_` with `alpha=` is the exact x + αy rounded once and the paths differ; on ATen's
default kernels it is x + (αy) rounded twice, and the paths agree bit for bit at every step.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.adafactor import Adafactor
from tests.optim_twins import (
    assert_close_run,
    assert_defaults_match,
    assert_no_fused_path,
    assert_one_step_agrees,
    assert_paths_agree_at_every_step,
    db_configs,
    grad_scales,
    run_pair_keeping_optimizers,
    shape_lists,
    weight_decays,
)
from verified.arithmetic import _cpu_flags, machine_holds_pins

# A twin compared with torch: its verdict depends only on the files and packages it reads (tests/verdicts.py).
pytestmark = pytest.mark.reuse_passing_verdict

CONFIGS = list(db_configs({"Adafactor"}))
SHAPES = [(3,), (2, 4), (), (2, 3, 4)]  # a vector, a matrix, a scalar, a stack of matrices
F64 = torch.float64


@pytest.mark.parametrize(("torch_cls", "kwargs"), CONFIGS)
def test_twin_matches_torch_on_optim_db(torch_cls, kwargs):
    assert_close_run(torch_cls, Adafactor, kwargs, shapes=SHAPES, none_every=5)


def test_optim_db_has_the_five_configurations_the_page_names():
    assert len(CONFIGS) == 5


@pytest.mark.parametrize(("torch_cls", "kwargs"), CONFIGS)
def test_foreach_is_the_for_loop_within_an_ulp_at_every_step(torch_cls, kwargs):
    assert_paths_agree_at_every_step(torch_cls, kwargs, {"foreach": True}, ulps=1, none_every=4)


KERNEL_CHECK = textwrap.dedent(
    """
    from fractions import Fraction

    import torch
    from torch.testing._internal.common_optimizers import optim_db

    from snippets.twin_check import run_pair

    F64 = torch.float64
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(1000, generator=gen, dtype=F64), torch.randn(1000, generator=gen, dtype=F64)
    alpha = -0.123456789
    fused = x.clone().add_(y, alpha=alpha).tolist()
    once = [float(Fraction(a) + Fraction(alpha) * Fraction(b)) for a, b in zip(x.tolist(), y.tolist())]
    twice = (x + alpha * y).tolist()
    equal_paths = True
    info = next(i for i in optim_db if i.optim_cls is torch.optim.Adafactor)
    for i in info.optim_inputs_func("cpu"):
        kwargs = i.kwargs
        loop = run_pair(torch.optim.Adafactor, torch.optim.Adafactor, {**kwargs, "foreach": False}, none_every=4)
        other = run_pair(torch.optim.Adafactor, torch.optim.Adafactor, {**kwargs, "foreach": True}, none_every=4)
        for (p_loop, _), (p_other, _) in zip(loop, other, strict=True):
            equal_paths &= all(torch.equal(a, b) for a, b in zip(p_loop, p_other, strict=True))
    print(torch.backends.cpu.get_cpu_capability(), fused == once, fused == twice, equal_paths)
    """
)


@pytest.mark.skipif(not machine_holds_pins(), reason="ATEN_CPU_CAPABILITY names x86 kernels; needs AVX2 and FMA")
@pytest.mark.parametrize(
    ("capability", "expected"),
    [
        ("avx2", "AVX2 True False False"),
        pytest.param(
            "avx512",
            "AVX512 True False False",
            marks=pytest.mark.skipif("avx512f" not in _cpu_flags(), reason="needs AVX-512"),
        ),
        ("default", "DEFAULT False True True"),
    ],
)
def test_add_with_alpha_rounds_once_on_avx2_and_twice_on_default_kernels(capability, expected):
    """`add_(y, alpha=)` is the exact x + αy rounded once (a fused multiply-add) on AVX2 and AVX-512 kernels, and
    x + (αy) rounded twice on ATen's default ones; so the foreach path (multiply, then add) is the for-loop bit for bit
    at every step of every optim_db configuration on the default kernels only (the Adafactor page's claims)."""
    env = {**os.environ, "ATEN_CPU_CAPABILITY": capability}
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", KERNEL_CHECK], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected


def test_adafactor_has_no_fused_or_differentiable_path_and_defaults_to_the_for_loop():
    assert_no_fused_path(torch.optim.Adafactor)
    with pytest.raises(TypeError, match="differentiable"):
        torch.optim.Adafactor([torch.zeros(1, requires_grad=True)], differentiable=True)
    assert torch.optim.Adafactor([torch.zeros(1)]).defaults["foreach"] is None  # None: the for-loop (lines 636–639)


@settings(derandomize=True, deadline=None, max_examples=40)
@given(
    lr=st.one_of(st.floats(1e-4, 0.3), st.sampled_from([0.5, 1.0, 3.0])),  # 1/√t < lr from t = 1/lr² on
    tensor_lr=st.booleans(),
    beta2_decay=st.one_of(st.floats(-2.0, 0.0), st.sampled_from([0.0, -0.8, -1.0])),
    eps1=st.sampled_from([None, 1e-30, 1e-16, 1e-8, 1e-3]),
    eps2=st.sampled_from([0.0, 1e-3, 0.1, 10.0]),
    d=st.sampled_from([1.0, 1.5, 10.0]),
    weight_decay=weight_decays,
    maximize=st.booleans(),
    grad_scale=grad_scales,
    shapes=shape_lists,
    new_lr=st.floats(1e-4, 0.5),
)
def test_twin_matches_torch_on_random_hyperparameters(
    lr, tensor_lr, beta2_decay, eps1, eps2, d, weight_decay, maximize, grad_scale, shapes, new_lr
):
    kwargs = {"lr": torch.tensor(lr, dtype=F64) if tensor_lr else lr, "beta2_decay": beta2_decay, "eps": (eps1, eps2)}
    kwargs |= {"d": d, "weight_decay": weight_decay, "maximize": maximize}
    assert_close_run(
        torch.optim.Adafactor,
        Adafactor,
        kwargs,
        shapes=shapes,
        steps=50,
        grad_scale=grad_scale,
        none_every=5,
        lr_schedule={25: new_lr},
        resync=True,
    )


def test_state_matches_torch_state_including_the_step_count():
    """R, C (matrices and stacks), V (vectors, scalars) and t against row_var, col_var, variance and step, every step."""
    kwargs = {"lr": 0.05, "beta2_decay": -0.6, "weight_decay": 0.1}
    for theirs, _, optimizer, twin in run_pair_keeping_optimizers(torch.optim.Adafactor, Adafactor, kwargs, shapes=SHAPES, none_every=3):
        for i, p in enumerate(theirs):
            state = optimizer.state[p]
            if p.dim() > 1:
                assert set(state) == {"step", "row_var", "col_var"}
                torch.testing.assert_close(twin.R[i], state["row_var"], rtol=1e-12, atol=0)
                torch.testing.assert_close(twin.C[i], state["col_var"], rtol=1e-12, atol=0)
            else:
                assert set(state) == {"step", "variance"}
                torch.testing.assert_close(twin.V[i], state["variance"], rtol=1e-12, atol=0)
            assert twin.t[i] == state["step"].item()
    assert twin.t[0] < twin.t[1] == 60


@pytest.mark.parametrize("cls", [torch.optim.Adafactor, Adafactor])
def test_first_step_rebuilds_a_rank_one_square_exactly_and_moves_by_eps2_rho(cls):
    """β̂₂₁ = 0: V̂₁ = R C / mean R = G² for G = u vᵀ, so Û₁ = sign(G); from θ = 0 the step is ε₂ ρ₁ = 1e-5."""
    G = torch.outer(torch.tensor([1.0, -3.0], dtype=F64), torch.tensor([2.0, 0.5, -1.0], dtype=F64))
    theta = torch.zeros(2, 3, dtype=F64)
    theta.grad = G.clone()
    cls([theta]).step()
    torch.testing.assert_close(theta, -1e-5 * G.sign(), rtol=1e-12, atol=0)


def test_factored_estimate_keeps_row_and_column_sums_and_equals_the_papers_sums_form():
    gen = torch.Generator().manual_seed(4)
    for shape in [(2, 3), (5, 4), (3, 2, 6)]:
        G = torch.randn(shape, generator=gen, dtype=F64)
        theta = torch.zeros(shape, dtype=F64)
        theta.grad = G.clone()
        optimizer = torch.optim.Adafactor([theta])
        optimizer.step()
        R, C = optimizer.state[theta]["row_var"], optimizer.state[theta]["col_var"]
        V_hat = R @ C / R.mean(dim=-2, keepdim=True)
        torch.testing.assert_close(V_hat.sum(dim=-1), (G**2).sum(dim=-1), rtol=1e-13, atol=0)
        torch.testing.assert_close(V_hat.sum(dim=-2), (G**2).sum(dim=-2), rtol=1e-13, atol=0)
        sums = (G**2).sum(dim=-1, keepdim=True) * (G**2).sum(dim=-2, keepdim=True) / (G**2).sum(dim=(-2, -1), keepdim=True)
        torch.testing.assert_close(V_hat, sums, rtol=1e-13, atol=0)


@pytest.mark.parametrize("cls", [torch.optim.Adafactor, Adafactor])
def test_beta2_decay_minus_one_is_the_running_mean_of_squares(cls):
    gen = torch.Generator().manual_seed(0)
    theta = torch.zeros(3, dtype=F64, requires_grad=False)
    optimizer = cls([theta], beta2_decay=-1.0)
    squares = []
    for _ in range(50):
        theta.grad = torch.randn(3, generator=gen, dtype=F64)
        squares.append(theta.grad**2)
        optimizer.step()
    variance = optimizer.state[theta]["variance"] if cls is torch.optim.Adafactor else optimizer.V[0]
    torch.testing.assert_close(variance, torch.stack(squares).mean(dim=0), rtol=1e-12, atol=0)


@pytest.mark.parametrize("lr", [0.01, 0.5, 2.0])
def test_step_is_max_eps2_rms_times_min_lr_inverse_sqrt_t_for_a_constant_gradient(lr):
    for cls in (torch.optim.Adafactor, Adafactor):
        theta = torch.full((4,), 10.0, dtype=F64)
        optimizer = cls([theta], lr=lr)
        for t in range(1, 30):
            before = theta.clone()
            theta.grad = torch.full((4,), -1.0, dtype=F64)
            optimizer.step()
            expected = max(1e-3, before.norm().item() / 2) * min(lr, t**-0.5)
            torch.testing.assert_close(theta - before, torch.full((4,), expected, dtype=F64), rtol=1e-12, atol=0)


def test_weight_decay_is_lr_times_lambda_not_the_step_size():
    """A zero gradient: U = 0 and θ₁ = θ₀ (1 − γλ), in torch and in the twin."""
    theta = assert_one_step_agrees(torch.optim.Adafactor, Adafactor, [0.0, 0.0], lr=0.01, weight_decay=0.1)
    torch.testing.assert_close(theta, torch.full((2,), 1 - 0.01 * 0.1, dtype=F64), rtol=1e-15, atol=0)


@pytest.mark.parametrize("cls", [torch.optim.Adafactor, Adafactor])
def test_default_eps1_comes_from_the_first_parameter_with_a_gradient(cls):
    """eps=(None, …): ε₁ is set once per step from the first parameter's dtype; float32 first gives a float64 parameter
    float32's ε₁ = 1.2e-7, and a gradient of 1e-10 then moves it by 0.01 · 1e-10 / 1.2e-7 instead of 0.01."""
    moved = {}
    for order in ("float64 first", "float32 first"):
        wide, narrow = torch.ones(3, dtype=F64), torch.ones(3, dtype=torch.float32)
        params = [wide, narrow] if order == "float64 first" else [narrow, wide]
        for p in params:
            p.grad = torch.full_like(p, 1e-10)
        cls(params).step()
        moved[order] = 1 - wide[0].item()
    assert moved["float64 first"] == pytest.approx(0.01, rel=1e-12)
    assert moved["float32 first"] == pytest.approx(0.01 * 1e-10 / torch.finfo(torch.float32).eps, rel=1e-6)


@pytest.mark.parametrize("cls", [torch.optim.Adafactor, Adafactor])
def test_eps1_of_1e_30_gives_nan_for_a_zero_gradient_in_float32(cls):
    """ε₁² = 1e-60 rounds to 0 in float32: a zero gradient entry gets 0 / √0 = NaN; the nonzero one moves by lr."""
    theta = torch.ones(3, dtype=torch.float32)
    theta.grad = torch.tensor([1.0, 0.0, 0.0])
    cls([theta], eps=(1e-30, 1e-3)).step()
    assert theta[1:].isnan().all() and theta[0].item() == pytest.approx(0.99, rel=1e-6)


def test_maximize_negates_the_gradient_and_nothing_else():
    def run(cls, maximize, sign):
        theta = torch.tensor([2.0, -1.0, 0.5], dtype=F64)
        optimizer = cls([theta], maximize=maximize, weight_decay=0.1)
        for _ in range(20):
            theta.grad = sign * (theta - 1.0)
            optimizer.step()
        return theta

    for cls in (torch.optim.Adafactor, Adafactor):
        assert torch.equal(run(cls, True, 1.0), run(cls, False, -1.0))


def test_twin_defaults_are_torch_defaults():
    """Every argument the twin shares with torch has torch's default, in the signature and in `optimizer.defaults`."""
    assert_defaults_match(torch.optim.Adafactor, Adafactor, {"foreach"})


def test_clamp_of_mean_r_at_eps1_is_undone_by_clipping_for_a_tiny_matrix_gradient():
    """A 4 × 5 gradient of RMS about 1e-9 (the Adafactor page's): mean(G²) < ε₁, so torch raises mean(R) to ε₁; U has
    an RMS between 1 and 2 without that clamp and above 10 with it (the page prints both). Since both are above d = 1,
    clipping gives Û = U / RMS(U) either way: one step from θ = 1 is 1 − 0.01 U / RMS(U) (to 1e-12), in torch and in
    the twin."""
    G = 1e-9 * torch.randn(4, 5, generator=torch.Generator().manual_seed(0), dtype=F64)
    eps1 = torch.finfo(F64).eps
    assert (G**2).mean() < eps1
    R, C = (G**2).mean(dim=1, keepdim=True), (G**2).mean(dim=0, keepdim=True)
    U, U_clamped = G / (R @ C / R.mean()).sqrt(), G / (R @ C / eps1).sqrt()
    rms = [(u.norm() / u.numel() ** 0.5).item() for u in (U, U_clamped)]
    assert 1 < rms[0] < 2 and rms[1] > 10
    for cls in (torch.optim.Adafactor, Adafactor):
        theta = torch.ones(4, 5, dtype=F64)
        theta.grad = G.clone()
        cls([theta]).step()
        torch.testing.assert_close(theta, 1 - 0.01 * U / rms[0], rtol=1e-12, atol=0)
