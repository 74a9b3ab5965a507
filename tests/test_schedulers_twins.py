"""Every scheduler twin in snippets/schedulers.py equals what torch writes into param_groups[i]["lr"].

Each test runs the real scheduler on an optimizer with three param groups of different lr for at least
200 steps and compares, after the constructor and after every step(), each group's lr (and momentum,
where the scheduler cycles it) with the twin. The twins repeat torch's own float64 arithmetic in the same
order, so the comparison is exact (==): there is no rounding to tolerate.
"""

import copy
import math
from functools import partial

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import schedulers as S

# A twin compared with torch: its verdict depends only on the files and packages it reads (tests/verdicts.py).
pytestmark = pytest.mark.reuse_passing_verdict

LR = torch.optim.lr_scheduler
BASE_LRS = (0.1, 0.037, 1.3)
N = 240
CFG = settings(derandomize=True, deadline=None, max_examples=25)


def make_optimizer(kind="sgd", lrs=BASE_LRS):
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    if kind == "adam":
        return torch.optim.Adam(groups)
    return torch.optim.SGD(groups, momentum=0.9)


def run_torch(optimizer, scheduler, n=N, key="lr", step_args=None):
    """Values of group[key] for every group, after the constructor and after each of n steps."""

    def read():
        if key == "beta1":
            return [g["betas"][0] for g in optimizer.param_groups]
        return [g[key] for g in optimizer.param_groups]

    rows = [read()]
    for i in range(n):
        optimizer.step()
        if step_args is None:
            scheduler.step()
        else:
            scheduler.step(step_args[i])
        rows.append(read())
    return [list(col) for col in zip(*rows, strict=True)]  # one list per group


def assert_same(torch_curves, twin_curves):
    for g, (a, b) in enumerate(zip(torch_curves, twin_curves, strict=True)):
        assert len(a) == len(b)
        for t, (x, y) in enumerate(zip(a, b, strict=True)):
            assert x == y, f"group {g}, step {t}: torch {x!r} twin {y!r}"


def check_rule(make_sched, rule, n=N):
    opt = make_optimizer()
    sched = make_sched(opt)
    assert_same(run_torch(opt, sched, n), [S.curve(rule, lr, n) for lr in BASE_LRS])


gammas = st.floats(0.5, 0.999)


@CFG
@given(step_size=st.integers(1, 60), gamma=gammas)
def test_step_lr(step_size, gamma):
    check_rule(lambda o: LR.StepLR(o, step_size, gamma), partial(S.step_lr, step_size=step_size, gamma=gamma))


@CFG
@given(milestones=st.lists(st.integers(0, 230), max_size=6), gamma=gammas)
def test_multistep_lr(milestones, gamma):
    rule = partial(S.multistep_lr, milestones=milestones, gamma=gamma)
    check_rule(lambda o: LR.MultiStepLR(o, milestones, gamma), rule)


@CFG
@given(factor=st.floats(0.01, 1.0), total_iters=st.integers(0, 250))
def test_constant_lr(factor, total_iters):
    rule = partial(S.constant_lr, factor=factor, total_iters=total_iters)
    check_rule(lambda o: LR.ConstantLR(o, factor, total_iters), rule)


@CFG
@given(start=st.floats(0.01, 1.0), end=st.floats(0.0, 1.0), total_iters=st.integers(1, 250))
def test_linear_lr(start, end, total_iters):
    rule = partial(S.linear_lr, start_factor=start, end_factor=end, total_iters=total_iters)
    check_rule(lambda o: LR.LinearLR(o, start, end, total_iters), rule)


@CFG
@given(gamma=gammas)
def test_exponential_lr(gamma):
    check_rule(lambda o: LR.ExponentialLR(o, gamma), partial(S.exponential_lr, gamma=gamma))


@CFG
@given(total_iters=st.integers(1, 250), power=st.floats(0.1, 3.0))
def test_polynomial_lr(total_iters, power):
    rule = partial(S.polynomial_lr, total_iters=total_iters, power=power)
    check_rule(lambda o: LR.PolynomialLR(o, total_iters, power), rule)


@CFG
@given(T_max=st.integers(1, 120), eta_min=st.sampled_from([0.0, 1e-3, 0.02]))
def test_cosine_annealing_lr(T_max, eta_min):
    """T_max ≤ 120 over 240 steps: every run also goes past T_max, where the recursion climbs back."""
    rule = partial(S.cosine_annealing_lr, T_max=T_max, eta_min=eta_min)
    check_rule(lambda o: LR.CosineAnnealingLR(o, T_max, eta_min), rule)


def test_lambda_and_multiplicative_lr():
    for lam in (lambda t: 0.95**t, lambda t: 1 / (1 + t), lambda t: (t % 7) / 7 + 0.5):
        check_rule(lambda o, lam=lam: LR.LambdaLR(o, lam), partial(S.lambda_lr, lr_lambda=lam))
        check_rule(lambda o, lam=lam: LR.MultiplicativeLR(o, lam), partial(S.multiplicative_lr, lr_lambda=lam))


@CFG
@given(swa_lr=st.floats(1e-4, 2.0), anneal_epochs=st.integers(0, 60), anneal_strategy=st.sampled_from(["cos", "linear"]))
def test_swalr(swa_lr, anneal_epochs, anneal_strategy):
    rule = partial(S.swa_lr_rule, swa_lr=swa_lr, anneal_epochs=anneal_epochs, anneal_strategy=anneal_strategy)
    check_rule(lambda o: torch.optim.swa_utils.SWALR(o, swa_lr, anneal_epochs, anneal_strategy), rule)


@CFG
@given(T_0=st.integers(1, 40), T_mult=st.integers(1, 3), eta_min=st.sampled_from([0.0, 1e-3]))
def test_cosine_warm_restarts_plain_steps(T_0, T_mult, eta_min):
    opt = make_optimizer()
    sched = LR.CosineAnnealingWarmRestarts(opt, T_0, T_mult, eta_min)
    twin = [S.cosine_warm_restarts(lr, T_0, T_mult, eta_min, [None] * N) for lr in BASE_LRS]
    assert_same(run_torch(opt, sched), twin)


@CFG
@given(
    T_0=st.integers(1, 30),
    T_mult=st.integers(1, 3),
    iters=st.integers(1, 9),
    plain=st.lists(st.booleans(), min_size=N, max_size=N),
)
def test_cosine_warm_restarts_fractional_epochs(T_0, T_mult, iters, plain):
    """step(epoch + i / iters) per batch, mixed with plain step() calls."""
    epochs = [None if p else k / iters for k, p in enumerate(plain)]
    opt = make_optimizer()
    sched = LR.CosineAnnealingWarmRestarts(opt, T_0, T_mult)
    twin = [S.cosine_warm_restarts(lr, T_0, T_mult, 0.0, epochs) for lr in BASE_LRS]
    assert_same(run_torch(opt, sched, step_args=epochs), twin)


@CFG
@given(
    up=st.integers(1, 50),
    down=st.one_of(st.none(), st.integers(1, 50)),
    mode=st.sampled_from(["triangular", "triangular2", "exp_range"]),
    gamma=st.floats(0.9, 1.0),
    adam=st.booleans(),
)
def test_cyclic_lr(up, down, mode, gamma, adam):
    opt = make_optimizer("adam" if adam else "sgd")
    max_lrs = [3 * lr for lr in BASE_LRS]
    sched = LR.CyclicLR(opt, list(BASE_LRS), max_lrs, up, down, mode, gamma)
    twin = [[S.cyclic_lr(t, b, m, up, down, mode, gamma) for t in range(N + 1)] for b, m in zip(BASE_LRS, max_lrs, strict=True)]
    assert_same(run_torch(opt, sched), [[lr for lr, _ in c] for c in twin])
    opt = make_optimizer("adam" if adam else "sgd")
    sched = LR.CyclicLR(opt, list(BASE_LRS), max_lrs, up, down, mode, gamma)
    assert_same(run_torch(opt, sched, key="beta1" if adam else "momentum"), [[m for _, m in c] for c in twin])


def test_cyclic_lr_custom_scale_fn():
    for scale_mode in ("cycle", "iterations"):
        fn = lambda x: 1 / (1 + 0.1 * x)  # noqa: E731
        opt = make_optimizer()
        sched = LR.CyclicLR(opt, 0.01, 0.2, 13, 7, scale_fn=fn, scale_mode=scale_mode, cycle_momentum=False)
        twin = [S.cyclic_lr(t, 0.01, 0.2, 13, 7, scale_fn=fn, scale_mode=scale_mode)[0] for t in range(N + 1)]
        assert_same(run_torch(opt, sched), [twin] * 3)


@CFG
@given(
    total_steps=st.integers(200, 260),
    pct_start=st.floats(0.05, 0.5),
    anneal_strategy=st.sampled_from(["cos", "linear"]),
    three_phase=st.booleans(),
    adam=st.booleans(),
)
def test_one_cycle_lr(total_steps, pct_start, anneal_strategy, three_phase, adam):
    """Every step up to and including step total_steps (one past the last planned one), which torch allows."""
    kw = dict(pct_start=pct_start, anneal_strategy=anneal_strategy, three_phase=three_phase, div_factor=20.0)
    opt = make_optimizer("adam" if adam else "sgd")
    sched = LR.OneCycleLR(opt, list(BASE_LRS), total_steps, **kw)
    lrs = run_torch(opt, sched, n=total_steps)
    moms = [[g["betas"][0] if adam else g["momentum"] for g in opt.param_groups]]
    twin = [[S.one_cycle_lr(t, m, total_steps, **kw) for t in range(total_steps + 1)] for m in BASE_LRS]
    assert_same(lrs, [[lr for lr, _ in c] for c in twin])
    assert_same(list(zip(*moms, strict=True)), [[c[-1][1]] for c in twin])
    with pytest.raises(ValueError, match="Tried to step"):
        sched.step()
    with pytest.raises(ValueError, match="Tried to step"):
        S.one_cycle_lr(total_steps + 1, 0.1, total_steps)


def test_one_cycle_phase_boundary_step():
    """At t == end_step of a phase (an integer here: 0.25 · 200 − 1 = 49) torch still uses that phase, at pct = 1,
    which gives its end value exactly. The next phase at pct = 0 would give min_lr + (max_lr − min_lr), which for
    max_lr 1.3 (min_lr 1.3 / 5 / 2) is one ulp off: the two are told apart."""
    kw = dict(pct_start=0.25, div_factor=5.0, final_div_factor=2.0)
    opt = make_optimizer()
    lrs = run_torch(opt, LR.OneCycleLR(opt, list(BASE_LRS), 200, **kw), n=200)
    assert_same(lrs, [[S.one_cycle_lr(t, m, 200, **kw)[0] for t in range(201)] for m in BASE_LRS])
    min_lr = 1.3 / 5.0 / 2.0
    assert lrs[2][49] == 1.3 != min_lr + (1.3 - min_lr)


def test_one_cycle_momentum_every_step():
    for adam in (False, True):
        opt = make_optimizer("adam" if adam else "sgd")
        sched = LR.OneCycleLR(opt, list(BASE_LRS), N, three_phase=True, base_momentum=0.7, max_momentum=0.97)
        moms = run_torch(opt, sched, n=N - 1, key="beta1" if adam else "momentum")
        twin = [[S.one_cycle_lr(t, m, N, base_momentum=0.7, max_momentum=0.97, three_phase=True)[1] for t in range(N)] for m in BASE_LRS]
        assert_same(moms, twin)


@CFG
@given(
    metrics=st.lists(st.sampled_from([1.0, 0.99, 0.9999, 1.0001, 0.5, 2.0, 0.3]), min_size=200, max_size=200),
    mode=st.sampled_from(["min", "max"]),
    factor=st.floats(0.1, 0.9),
    patience=st.integers(0, 5),
    threshold=st.sampled_from([1e-4, 1e-2, 0.0]),
    threshold_mode=st.sampled_from(["rel", "abs"]),
    cooldown=st.integers(0, 4),
    min_lr=st.sampled_from([0.0, 0.01, [0.05, 0.0, 0.5]]),
)
def test_reduce_lr_on_plateau(metrics, mode, factor, patience, threshold, threshold_mode, cooldown, min_lr):
    kw = dict(mode=mode, factor=factor, patience=patience, threshold=threshold, threshold_mode=threshold_mode, cooldown=cooldown)
    opt = make_optimizer()
    sched = LR.ReduceLROnPlateau(opt, min_lr=min_lr, **kw)
    min_lrs = min_lr if isinstance(min_lr, list) else [min_lr] * 3
    twin = [S.reduce_lr_on_plateau(lr, metrics, min_lr=m, **kw) for lr, m in zip(BASE_LRS, min_lrs, strict=True)]
    assert_same(run_torch(opt, sched, n=len(metrics), step_args=metrics), twin)


def test_reduce_lr_on_plateau_eps():
    """A reduction smaller than eps is skipped."""
    metrics = [1.0] * 200
    opt = make_optimizer(lrs=(1e-7, 1e-9, 0.1))
    sched = LR.ReduceLROnPlateau(opt, factor=0.5, patience=2, eps=1e-8)
    twin = [S.reduce_lr_on_plateau(lr, metrics, factor=0.5, patience=2, eps=1e-8) for lr in (1e-7, 1e-9, 0.1)]
    assert_same(run_torch(opt, sched, n=200, step_args=metrics), twin)


CLOSED_FORMS = [
    (lambda o: LR.StepLR(o, 7, 0.8), partial(S.step_closed_form, step_size=7, gamma=0.8)),
    (lambda o: LR.MultiStepLR(o, [3, 30, 30, 90], 0.7), partial(S.multistep_closed_form, milestones=[3, 30, 30, 90], gamma=0.7)),
    (lambda o: LR.MultiStepLR(o, [90, 30, 3, 30], 0.7), partial(S.multistep_closed_form, milestones=[90, 30, 3, 30], gamma=0.7)),
    (lambda o: LR.ConstantLR(o, 0.3, 40), partial(S.constant_closed_form, factor=0.3, total_iters=40)),
    (lambda o: LR.LinearLR(o, 0.2, 0.9, 50), partial(S.linear_closed_form, start_factor=0.2, end_factor=0.9, total_iters=50)),
    (lambda o: LR.ExponentialLR(o, 0.97), partial(S.exponential_closed_form, gamma=0.97)),
    (lambda o: LR.PolynomialLR(o, 120, 1.7), partial(S.polynomial_closed_form, total_iters=120, power=1.7)),
    (lambda o: LR.CosineAnnealingLR(o, 70, 0.001), partial(S.cosine_annealing_closed_form, T_max=70, eta_min=0.001)),
]


@pytest.mark.parametrize("make, closed", CLOSED_FORMS)
def test_closed_forms(make, closed):
    """_get_closed_form_lr at every t (what step(epoch) uses), and the recursion within rounding of it."""
    opt = make_optimizer()
    sched = make(opt)
    for t in range(N + 1):
        sched.last_epoch = t
        assert sched._get_closed_form_lr() == [closed(t, lr) for lr in BASE_LRS]


def warmup_cosine(opt):
    warm = LR.LinearLR(opt, 0.1, 1.0, 20)
    cos = LR.CosineAnnealingLR(opt, 180, 1e-4)
    return LR.SequentialLR(opt, [warm, cos], milestones=[20])


WARMUP_COSINE = S.sequential_lr(
    [partial(S.linear_lr, start_factor=0.1, total_iters=20), partial(S.cosine_annealing_lr, T_max=180, eta_min=1e-4)],
    [None, partial(S.cosine_annealing_closed_form, T_max=180, eta_min=1e-4)],
    [20],
)


def test_sequential_warmup_cosine():
    check_rule(warmup_cosine, WARMUP_COSINE)


def test_sequential_three_phases_without_closed_forms():
    """Phases without _get_closed_form_lr restart with get_lr at t = 0 (MultiplicativeLR multiplies the current lr)."""
    lam = lambda t: 0.5 + 0.01 * t  # noqa: E731
    lam2 = lambda t: 0.98  # noqa: E731

    def make(o):
        a = LR.ConstantLR(o, 0.5, 10)
        b = LR.MultiplicativeLR(o, lam2)
        c = LR.LambdaLR(o, lam)
        d = LR.ExponentialLR(o, 0.99)
        return LR.SequentialLR(o, [a, b, c, d], milestones=[30, 60, 150])

    rule = S.sequential_lr(
        [
            partial(S.constant_lr, factor=0.5, total_iters=10),
            partial(S.multiplicative_lr, lr_lambda=lam2),
            partial(S.lambda_lr, lr_lambda=lam),
            partial(S.exponential_lr, gamma=0.99),
        ],
        [partial(S.constant_closed_form, factor=0.5, total_iters=10), None, None, partial(S.exponential_closed_form, gamma=0.99)],
        [30, 60, 150],
    )
    check_rule(make, rule)


def test_chained_scheduler():
    def make(o):
        return LR.ChainedScheduler([LR.ConstantLR(o, 0.1, 20), LR.ExponentialLR(o, 0.9), LR.StepLR(o, 15, 0.5)])

    rule = S.chained_scheduler(
        [
            partial(S.constant_lr, factor=0.1, total_iters=20),
            partial(S.exponential_lr, gamma=0.9),
            partial(S.step_lr, step_size=15, gamma=0.5),
        ]
    )
    check_rule(make, rule)


def test_chained_around_sequential():
    """Nesting: ChainedScheduler([SequentialLR(warm-up, cosine), StepLR])."""

    def make(o):
        return LR.ChainedScheduler([warmup_cosine(o), LR.StepLR(o, 50, 0.5)])

    rule = S.chained_scheduler(
        [
            S.sequential_lr(
                [partial(S.linear_lr, start_factor=0.1, total_iters=20), partial(S.cosine_annealing_lr, T_max=180, eta_min=1e-4)],
                [None, partial(S.cosine_annealing_closed_form, T_max=180, eta_min=1e-4)],
                [20],
            ),
            partial(S.step_lr, step_size=50, gamma=0.5),
        ]
    )
    check_rule(make, rule)


RESUMABLE = [
    lambda o: LR.CosineAnnealingLR(o, 50, 1e-3),
    lambda o: LR.LinearLR(o, 0.1, 1.0, 100),
    lambda o: LR.CyclicLR(o, 0.01, 0.1, 17),
    lambda o: LR.OneCycleLR(o, 0.5, 300),
    lambda o: LR.CosineAnnealingWarmRestarts(o, 10, 2),
    lambda o: torch.optim.swa_utils.SWALR(o, 0.05, 30),
    warmup_cosine,
    lambda o: LR.ChainedScheduler([LR.ConstantLR(o, 0.1, 20), LR.ExponentialLR(o, 0.99)]),
]


@pytest.mark.parametrize("make", RESUMABLE)
def test_state_dict_round_trip_resumes_the_curve(make):
    """Stop at step 117, save both state_dicts, rebuild optimizer and scheduler, load, go on to 240."""
    opt = make_optimizer()
    whole = run_torch(opt, make(opt))
    opt = make_optimizer()
    sched = make(opt)
    first = run_torch(opt, sched, n=117)
    opt_state, sched_state = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())
    opt2 = make_optimizer()
    sched2 = make(opt2)  # build the scheduler first, then load: its constructor writes the lrs
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(sched_state)
    rest = run_torch(opt2, sched2, n=N - 117)
    assert_same(whole, [a + b[1:] for a, b in zip(first, rest, strict=True)])


def test_recursion_and_closed_form_agree_to_rounding():
    """Where the recursion and the closed form describe the same curve, they differ by rounding only."""
    worst = 0.0
    for T_max in (1, 2, 7, 50, 100):
        rec = S.curve(partial(S.cosine_annealing_lr, T_max=T_max, eta_min=1e-3), 0.1, N)
        for t, r in enumerate(rec):
            c = S.cosine_annealing_closed_form(t, 0.1, T_max, 1e-3)
            worst = max(worst, abs(r - c))
    # 240 recursive steps, each rounding at ~1e-16 relative: the drift stays far below 1e-12 of the base lr.
    assert math.isfinite(worst) and worst / 0.1 < 1e-12


# Defaults: every test above passes its hyperparameters explicitly, so a twin whose default differed from
# torch's would pass them all; here torch and twin get only the required arguments.
DEFAULT_RULES = [
    (lambda o: LR.StepLR(o, 7), partial(S.step_lr, step_size=7)),
    (lambda o: LR.MultiStepLR(o, [3, 50, 50, 120]), partial(S.multistep_lr, milestones=[3, 50, 50, 120])),
    (lambda o: LR.ConstantLR(o), S.constant_lr),
    (lambda o: LR.LinearLR(o), S.linear_lr),
    (lambda o: LR.PolynomialLR(o), S.polynomial_lr),
    (lambda o: LR.CosineAnnealingLR(o, 30), partial(S.cosine_annealing_lr, T_max=30)),
    (lambda o: torch.optim.swa_utils.SWALR(o, 0.05), partial(S.swa_lr_rule, swa_lr=0.05)),
]


@pytest.mark.parametrize("make, rule", DEFAULT_RULES)
def test_default_hyperparameters_rules(make, rule):
    check_rule(make, rule)


DEFAULT_CLOSED_FORMS = [
    (lambda o: LR.StepLR(o, 7), partial(S.step_closed_form, step_size=7)),
    (lambda o: LR.MultiStepLR(o, [3, 50, 50, 120]), partial(S.multistep_closed_form, milestones=[3, 50, 50, 120])),
    (lambda o: LR.ConstantLR(o), S.constant_closed_form),
    (lambda o: LR.LinearLR(o), S.linear_closed_form),
    (lambda o: LR.PolynomialLR(o), S.polynomial_closed_form),
    (lambda o: LR.CosineAnnealingLR(o, 30), partial(S.cosine_annealing_closed_form, T_max=30)),
]


@pytest.mark.parametrize("make, closed", DEFAULT_CLOSED_FORMS)
def test_default_hyperparameters_closed_forms(make, closed):
    test_closed_forms(make, closed)


def test_default_hyperparameters_warm_restarts_cyclic_one_cycle():
    opt = make_optimizer()
    twin = [S.cosine_warm_restarts(lr, 7, epochs=[None] * N) for lr in BASE_LRS]
    assert_same(run_torch(opt, LR.CosineAnnealingWarmRestarts(opt, 7)), twin)

    fn = lambda x: 1 / (1 + 0.1 * x)  # noqa: E731
    for extra in ({}, {"step_size_up": 5}, {"step_size_up": 5, "mode": "exp_range"}, {"step_size_up": 5, "scale_fn": fn}):
        args = [extra[k] for k in ("step_size_up",) if k in extra]
        kw = {k: v for k, v in extra.items() if k != "step_size_up"}
        for key, part in (("lr", 0), ("momentum", 1)):
            opt = make_optimizer()
            sched = LR.CyclicLR(opt, 0.01, 0.2, *args, **kw)
            twin = [S.cyclic_lr(t, 0.01, 0.2, *args, **kw)[part] for t in range(N + 1)]
            assert_same(run_torch(opt, sched, key=key), [twin] * 3)

    for key, part in (("lr", 0), ("momentum", 1)):
        opt = make_optimizer()
        sched = LR.OneCycleLR(opt, list(BASE_LRS), N)
        twin = [[S.one_cycle_lr(t, m, N)[part] for t in range(N + 1)] for m in BASE_LRS]
        assert_same(run_torch(opt, sched, key=key), twin)


def test_default_hyperparameters_plateau():
    """Flat stretches (factor, patience, mode) and a chain of metrics that each improve on the best by one ulp
    more than the default threshold: torch counts every one as better. The second group's lr is so small that
    its first cut is only just larger than the default eps (1.00000008e-8 > 1e-8)."""
    chain = [1.0]
    for _ in range(60):
        chain.append(math.nextafter(chain[-1] * (1.0 - 1e-4), 0.0))
    metrics = [1.0] * 30 + chain + [chain[-1]] * 40
    lrs = (0.1, 1.1111112e-8, 1.3)
    opt = make_optimizer(lrs=lrs)
    torch_lrs = run_torch(opt, LR.ReduceLROnPlateau(opt), n=len(metrics), step_args=metrics)
    assert_same(torch_lrs, [S.reduce_lr_on_plateau(lr, metrics) for lr in lrs])
    assert torch_lrs[0][91] == torch_lrs[0][30]  # the chain: no cut in 61 steps
    assert torch_lrs[1][-1] < lrs[1]  # the tiny lr was cut once

    # patience=0: a single step not counted as better would cut at once, so each link of the chain is checked
    opt = make_optimizer(lrs=lrs)
    torch_lrs = run_torch(opt, LR.ReduceLROnPlateau(opt, patience=0), n=len(chain), step_args=chain)
    assert_same(torch_lrs, [S.reduce_lr_on_plateau(lr, chain, patience=0) for lr in lrs])
    assert all(c == [c[0]] * len(c) for c in torch_lrs)

    # min_lr defaults to 0: with factor 0.001 the lr falls from 1e-7 to 1e-10 (the cut is still larger than eps)
    metrics = [1.0] * 60
    opt = make_optimizer(lrs=lrs)
    torch_lrs = run_torch(opt, LR.ReduceLROnPlateau(opt, factor=0.001), n=len(metrics), step_args=metrics)
    assert_same(torch_lrs, [S.reduce_lr_on_plateau(lr, metrics, factor=0.001) for lr in lrs])
    assert torch_lrs[0][-1] < 1e-9


def test_reduce_lr_on_plateau_eps_boundary():
    """lr - lr·factor == eps exactly for this lr: torch requires a reduction larger than eps, so no cut."""
    lr = 1.1111111111111112e-08
    assert lr - lr * 0.1 == 1e-8
    metrics = [1.0] * 40
    opt = make_optimizer(lrs=(lr, 0.1))
    sched = LR.ReduceLROnPlateau(opt, patience=2)
    torch_lrs = run_torch(opt, sched, n=40, step_args=metrics)
    assert_same(torch_lrs, [S.reduce_lr_on_plateau(x, metrics, patience=2) for x in (lr, 0.1)])
    assert torch_lrs[0] == [lr] * 41 and torch_lrs[1][-1] < 0.1


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("threshold_mode", ["rel", "abs"])
def test_reduce_lr_on_plateau_infinite_first_metrics(mode, threshold_mode):
    """A diverged first loss (inf) is not better than the initial best: it counts as a bad epoch at once."""
    metrics = [math.inf, math.inf, 1.0, 1.0, 0.5] + [0.5] * 20
    if mode == "max":
        metrics = [-m for m in metrics]
    kw = dict(mode=mode, threshold_mode=threshold_mode, patience=0, cooldown=2)
    opt = make_optimizer()
    torch_lrs = run_torch(opt, LR.ReduceLROnPlateau(opt, **kw), n=len(metrics), step_args=metrics)
    assert_same(torch_lrs, [S.reduce_lr_on_plateau(lr, metrics, **kw) for lr in BASE_LRS])
    assert torch_lrs[0][1] < BASE_LRS[0]  # cut after the first step


@pytest.mark.parametrize("milestones", [[1], [1, 2], [2, 3]])
def test_sequential_first_milestones_at_one_and_two(milestones):
    """Phases one step long; the first milestone at 1 still starts the first scheduler at construction."""

    def make(o):
        parts = [LR.LinearLR(o, 0.1, total_iters=5), LR.ExponentialLR(o, 0.9), LR.StepLR(o, 3, 0.5)]
        return LR.SequentialLR(o, parts[: len(milestones) + 1], milestones=milestones)

    rules = [
        partial(S.linear_lr, start_factor=0.1, total_iters=5),
        partial(S.exponential_lr, gamma=0.9),
        partial(S.step_lr, step_size=3, gamma=0.5),
    ]
    closed = [None, partial(S.exponential_closed_form, gamma=0.9), partial(S.step_closed_form, step_size=3, gamma=0.5)]
    k = len(milestones) + 1
    check_rule(make, S.sequential_lr(rules[:k], closed[:k], milestones))


def test_sequential_restart_without_closed_form_reads_the_current_lr():
    """MultiplicativeLR has no closed form: at its milestone torch calls get_lr() at t = 0, which multiplies the
    lr the previous phase left in the group (here ≠ initial_lr), not initial_lr."""
    lam = lambda t: 0.98  # noqa: E731

    def make(o):
        return LR.SequentialLR(o, [LR.ExponentialLR(o, 0.9), LR.MultiplicativeLR(o, lam)], milestones=[15])

    rule = S.sequential_lr(
        [partial(S.exponential_lr, gamma=0.9), partial(S.multiplicative_lr, lr_lambda=lam)],
        [partial(S.exponential_closed_form, gamma=0.9), None],
        [15],
    )
    check_rule(make, rule)
