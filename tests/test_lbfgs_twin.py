"""The L-BFGS twin (snippets/lbfgs.py) against torch.optim.LBFGS, in float64, bit for bit.

For every configuration, 6 step() calls; after each one the parameters must be *equal* (torch.equal:
tolerance 0), the returned loss equal, and the number of closure calls equal. Exact equality is
possible because the twin performs the same float64 operations in the same order; any reordering
would change the last bits, and the line search's branch decisions would eventually follow.
"""

import inspect
import itertools
import math
import sys

import pytest
import torch
from torch.optim.lbfgs import _strong_wolfe

from snippets.lbfgs import LBFGS, strong_wolfe
from snippets.problems import QUADRATIC_START, ROSENBROCK_START, quadratic, rosenbrock

# A twin compared with torch: its verdict depends only on the files and packages it reads (tests/verdicts.py).
pytestmark = pytest.mark.reuse_passing_verdict

STEPS = 6


def quadratic_nd(n, condition):
    """f(x) = ½ xᵀAx − bᵀx with A = Qᵀ diag(eigenvalues from 1 to `condition`) Q, a fixed rotation Q."""
    gen = torch.Generator().manual_seed(n)
    Q, _ = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=torch.float64))
    eig = torch.logspace(0, torch.log10(torch.tensor(float(condition))).item(), n, dtype=torch.float64)
    A = Q.T @ torch.diag(eig) @ Q
    b = torch.randn(n, generator=gen, dtype=torch.float64)

    def make():
        x = torch.ones(n, dtype=torch.float64, requires_grad=True)
        return [x], lambda: 0.5 * x @ A @ x - b @ x

    return make


def point(fn, start):
    def make():
        x = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        return [x], lambda: fn(x)

    return make


def least_squares():
    """A linear model y = Wx + b on 32 noisy samples; one extra parameter the loss never touches (grad None)."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(32, 5, generator=gen, dtype=torch.float64)
    Y = X @ torch.randn(5, 3, generator=gen, dtype=torch.float64) + 0.1 * torch.randn(32, 3, generator=gen, dtype=torch.float64)

    def make():
        torch.manual_seed(0)
        model = torch.nn.Linear(5, 3).double()
        unused = torch.zeros(2, dtype=torch.float64, requires_grad=True)
        return [model.weight, model.bias, unused], lambda: ((model(X) - Y) ** 2).mean()

    return make


PROBLEMS = {
    "quadratic-25": point(quadratic, QUADRATIC_START),
    "quadratic-8d-cond1": quadratic_nd(8, 1.0),
    "quadratic-8d-cond1e2": quadratic_nd(8, 1e2),
    "quadratic-8d-cond1e5": quadratic_nd(8, 1e5),
    "rosenbrock": point(rosenbrock, ROSENBROCK_START),
    "least-squares": least_squares(),
}


def run(optimizer_class, make_problem, **options):
    """STEPS step() calls; after each: the parameters, the returned loss, closure calls, the optimizer's counters."""
    params, loss_fn = make_problem()
    optimizer = optimizer_class(params, **options)
    calls = 0

    def closure():
        nonlocal calls
        calls += 1
        optimizer.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    record = []
    for _ in range(STEPS):
        before = calls
        loss = optimizer.step(closure)
        state = optimizer.state[params[0]] if optimizer_class is torch.optim.LBFGS else optimizer.state
        record.append(([p.detach().clone() for p in params], float(loss.detach()), calls - before, state["func_evals"], state["n_iter"]))
    return record


def assert_same(expected, actual):
    for k, (e, a) in enumerate(zip(expected, actual, strict=True)):
        params_e, loss_e, calls_e, evals_e, iters_e = e
        params_a, loss_a, calls_a, evals_a, iters_a = a
        assert calls_a == calls_e, f"step {k}: closure calls {calls_a} != torch {calls_e}"
        assert (evals_a, iters_a) == (evals_e, iters_e), f"step {k}: func_evals/n_iter"
        assert loss_a == loss_e, f"step {k}: loss {loss_a!r} != torch {loss_e!r}"
        for pe, pa in zip(params_e, params_a, strict=True):
            assert torch.equal(pa, pe), f"step {k}: max |Δx| = {(pa - pe).abs().max().item()}"


GRID = list(
    itertools.product(
        PROBLEMS,
        [None, "strong_wolfe"],  # line_search_fn
        [1, 2, 100],  # history_size
        [1, 3, 20],  # max_iter
        [1.0, 0.3],  # lr
    )
)


@pytest.mark.parametrize("problem, line_search_fn, history_size, max_iter, lr", GRID)
def test_twin_equals_torch(problem, line_search_fn, history_size, max_iter, lr):
    options = dict(line_search_fn=line_search_fn, history_size=history_size, max_iter=max_iter, lr=lr)
    expected = run(torch.optim.LBFGS, PROBLEMS[problem], **options)
    assert_same(expected, run(LBFGS, PROBLEMS[problem], **options))


@pytest.mark.parametrize("problem", ["rosenbrock", "quadratic-8d-cond1e5", "least-squares"])
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize(
    "options",
    [
        dict(max_eval=1),  # the line search gets no evaluation at all (max_ls = 0)
        dict(max_eval=2),
        dict(max_eval=7, max_iter=10),
        dict(max_iter=30, max_eval=100, lr=2.0),  # long steps: the line search must bracket and zoom
        dict(lr=3.0, history_size=3),
        dict(tolerance_grad=1e-2),  # stops on max |g| early
        dict(tolerance_change=1e-3),  # stops on small steps / small loss changes early
        dict(tolerance_change=0.0, tolerance_grad=0.0, max_iter=40, max_eval=60),  # runs into the floor of float64
    ],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()),
)
def test_twin_equals_torch_limits(problem, line_search_fn, options):
    options = dict(options, line_search_fn=line_search_fn)
    expected = run(torch.optim.LBFGS, PROBLEMS[problem], **options)
    assert_same(expected, run(LBFGS, PROBLEMS[problem], **options))


def test_unknown_line_search_raises_like_torch():
    for cls in (torch.optim.LBFGS, LBFGS):
        with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
            run(cls, PROBLEMS["rosenbrock"], line_search_fn="wolfe")


@pytest.mark.parametrize("lr, history_size", [(5.0, 100), (20.0, 2)])
def test_twin_equals_torch_long_first_trials(lr, history_size):
    """Long trial steps on Rosenbrock: the zoom phase swaps its bracket ends (cubic_interpolate with t1 > t2)."""
    options = dict(line_search_fn="strong_wolfe", lr=lr, history_size=history_size)
    expected = run(torch.optim.LBFGS, PROBLEMS["rosenbrock"], **options)
    assert_same(expected, run(LBFGS, PROBLEMS["rosenbrock"], **options))


def tiny_slope():
    """f(x) = 1e-200·Σx: max |g| = 1e-200 > 0, but gᵀd = −1e-400 underflows to −0.0 (the descent test at exactly −0.0)."""

    def make():
        x = torch.zeros(2, dtype=torch.float64, requires_grad=True)
        return [x], lambda: 1e-200 * x.sum()

    return make


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_twin_equals_torch_underflowing_slope(line_search_fn):
    options = dict(line_search_fn=line_search_fn, max_iter=3, tolerance_grad=0.0, tolerance_change=0.0)
    expected = run(torch.optim.LBFGS, tiny_slope(), **options)
    assert_same(expected, run(LBFGS, tiny_slope(), **options))


# The line search alone against torch's _strong_wolfe, on 1-D and 2-D lines whose shapes (a steep wall, ripples, a
# smoothed |x|, a flat x⁸) make the zoom phase hit its insufficient-progress safeguard and the bracket ends.
LINE_FUNCTIONS = {
    "quadratic": (lambda x: 0.5 * (x**2).sum(), [-1.0]),
    "double-well": (lambda x: (x**4 - 3 * x**2 + x).sum(), [-0.3]),
    "wavy": (lambda x: (0.5 * x**2 + 0.3 * torch.sin(7 * x)).sum(), [-2.0]),
    "rosenbrock-2d": (lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2, [-1.2, 1.0]),
    "steep-wall": (lambda x: (torch.nn.functional.softplus(20 * (x - 1)) - x).sum(), [0.0]),
    "rippled": (lambda x: (0.5 * x**2 + 0.05 * torch.sin(40 * x)).sum(), [-1.0, 0.7]),
    "smooth-abs": (lambda x: torch.sqrt(x**2 + 1e-4).sum(), [1.0, -0.5]),
    "flat-power": (lambda x: (x**8).sum(), [0.9]),
    "exp-valley": (lambda x: (torch.exp(x) - 2 * x).sum() + 0.05 * torch.cos(13 * x).sum(), [-1.5, 2.0]),
}
TRIAL_STEPS = [float(t) for t in torch.logspace(-4, 2, 31, dtype=torch.float64)] + [1.999, 1.9985, 0.5, 3.0]


def line_problem(fn, start, scale):
    """x0, d = −scale·g, f, g, gᵀd and the (loss, gradient) function the two line searches share."""
    x0 = torch.tensor(start, dtype=torch.float64)

    def value_and_grad(x):
        x = x.detach().clone().requires_grad_(True)
        loss = fn(x)
        (g,) = torch.autograd.grad(loss, x)
        return float(loss.detach()), g

    f, g = value_and_grad(x0)
    d = -scale * g
    return x0, d, f, g, g.dot(d), value_and_grad


def assert_line_searches_equal(fn, start, t, scale=1.0, max_ls=25):
    """Twin and torch's _strong_wolfe from the same first trial t: same calls, step, loss, gradient; returns torch's."""
    x0, d, f, g, gtd, value_and_grad = line_problem(fn, start, scale)
    f_e, g_e, t_e, n_e = _strong_wolfe(lambda x, t_try, d: value_and_grad(x + t_try * d), x0, t, d, f, g, gtd, max_ls=max_ls)
    f_a, g_a, t_a, n_a = strong_wolfe(lambda t_try: value_and_grad(x0 + t_try * d), t, d, f, g, gtd, max_ls=max_ls)
    assert (n_a, float(t_a), f_a) == (n_e, float(t_e), f_e), f"first trial t = {t}"
    assert torch.equal(g_a, g_e), f"first trial t = {t}"
    return n_e, float(t_e), f_e


@pytest.mark.parametrize("name", LINE_FUNCTIONS)
@pytest.mark.parametrize("max_ls", [25, 4, 1])
@pytest.mark.parametrize("scale", [1.0, 1e-3])
def test_strong_wolfe_equals_torch(name, max_ls, scale):
    fn, start = LINE_FUNCTIONS[name]
    for t in TRIAL_STEPS:
        assert_line_searches_equal(fn, start, t, scale, max_ls)


@pytest.mark.parametrize("t", [40.0, 60.0, 100.0])
def test_strong_wolfe_equals_torch_when_the_loss_overflows(t):
    """exp overflows to inf at the first trial: the cubic's d₂² is NaN, and torch bisects (`if d2_square >= 0` fails)."""
    _, t_e, f_e = assert_line_searches_equal(lambda x: (torch.exp(20 * (x - 1)) - x).sum(), [0.0], t, max_ls=1)
    assert math.isfinite(f_e) and math.isfinite(t_e)


def barely_decreasing(x):
    """f'(x) = −(1 − x)·e^(−kx), k = 2000: from x = 0, a stationary point at x = 1 only ≈ 1/k = 5e-4 below f(0)."""
    k = 2000.0
    return (-(1 - torch.exp(-k * x)) / k + (1 - torch.exp(-k * x) * (1 + k * x)) / k**2).sum()


@pytest.mark.parametrize("t", [1.0, 0.999, 1.001])
def test_strong_wolfe_sufficient_decrease_constant(t):
    """The stationary point lies between the sufficient-decrease lines of c1 = 1e-4 (accepted at once) and c1 = 1e-3."""
    n_e, _, _ = assert_line_searches_equal(barely_decreasing, [0.0], t)
    if t == 1.0:
        assert n_e == 1  # accepted at the first trial: f(1) ≈ −5e-4 ≤ f(0) + 1e-4·1·gᵀd, with gᵀd = −1


def quartic_line(x):
    """A quartic found by search whose zoom phase moves the cubic's minimiser in from an end of the bracket."""
    return (-0.18456938317502872 * x + 0.032191584340245605 * x**2 - 1.9429733007734176 * x**3 + 0.14574739425392735 * x**4).sum()


def ends_trials_were_moved_in_from(run):
    """Run `run()`; for every trial the twin's zoom moved in from an end of the bracket (t ← t_hi − 0.1·(t_hi − t_lo)
    or t_lo + 0.1·(t_hi − t_lo)), which end: seen by tracing the line after that assignment in strong_wolfe."""
    lines, first = inspect.getsourcelines(strong_wolfe)
    after_move = first + 1 + next(i for i, line in enumerate(lines) if "t = t_hi - eps if" in line)
    ends = []

    def in_strong_wolfe(frame, event, arg):
        if event == "line" and frame.f_lineno == after_move:
            t, t_lo, t_hi, eps = (frame.f_locals[name] for name in ("t", "t_lo", "t_hi", "eps"))
            ends.append("high" if t == t_hi - eps else "low" if t == t_lo + eps else f"neither ({t})")
        return in_strong_wolfe

    sys.settrace(lambda frame, event, arg: in_strong_wolfe if frame.f_code is strong_wolfe.__code__ else None)
    try:
        run()
    finally:
        sys.settrace(None)
    return ends


@pytest.mark.parametrize(("t", "end"), [(5.0, "high"), (6.0, "low")])
def test_strong_wolfe_moves_a_trial_in_from_an_end_of_the_bracket(t, end):
    """The zoom's safeguard, on a line found by search where the cubic's minimiser falls within 10 % of one end of the
    bracket after a step of insufficient progress: moved in to 10 % from that end (no other test reaches it)."""
    ends = ends_trials_were_moved_in_from(lambda: assert_line_searches_equal(quartic_line, [0.0], t))
    assert ends == [end]
    assert ends_trials_were_moved_in_from(lambda: assert_line_searches_equal(barely_decreasing, [0.0], 1.0)) == []
