"""Twins of every torch.optim.lr_scheduler scheduler and SWALR: the lr (and momentum) at each step.

Most twins are *rules*: `rule(t, lr, base_lr, initial=False)` returns the lr a scheduler writes at
step t (its `last_epoch`), given the lr currently in the param group and the group's `initial_lr`.
`initial=True` is the step the constructor takes. Recursive rules read `lr`; closed-form ones read
`base_lr` only. `curve` runs a rule from construction for n steps, as the real scheduler does.
"""

# --8<-- [start:core]
import math
from bisect import bisect_right


def curve(rule, base_lr, n):
    """[lr after the constructor, lr after step 1, ..., lr after step n] for one param group."""
    lr = rule(0, base_lr, base_lr, initial=True)
    lrs = [lr]
    for t in range(1, n + 1):
        lr = rule(t, lr, base_lr)
        lrs.append(lr)
    return lrs


# --8<-- [end:core]


# --8<-- [start:lambda]
def lambda_lr(t, lr, base_lr, lr_lambda, initial=False):
    """LambdaLR, closed form: η_t = η_0 · λ(t)."""
    return base_lr * lr_lambda(t)


# --8<-- [end:lambda]


# --8<-- [start:multiplicative]
def multiplicative_lr(t, lr, base_lr, lr_lambda, initial=False):
    """MultiplicativeLR, recursive: η_t = η_{t-1} · λ(t); the constructor's step leaves η_0."""
    if initial:
        return lr
    return lr * lr_lambda(t)


# --8<-- [end:multiplicative]


# --8<-- [start:step]
def step_lr(t, lr, base_lr, step_size, gamma=0.1, initial=False):
    """StepLR, recursive: η_t = γ · η_{t-1} when t is a non-zero multiple of step_size."""
    if t == 0 or t % step_size != 0:
        return lr
    return lr * gamma


def step_closed_form(t, base_lr, step_size, gamma=0.1):
    """StepLR._get_closed_form_lr: η_t = η_0 · γ^⌊t / step_size⌋."""
    return base_lr * gamma ** (t // step_size)


# --8<-- [end:step]


# --8<-- [start:multistep]
def multistep_lr(t, lr, base_lr, milestones, gamma=0.1, initial=False):
    """MultiStepLR, recursive: η_t = γ^k · η_{t-1}, k = how many times t appears in milestones."""
    k = list(milestones).count(t)
    if k == 0:
        return lr
    return lr * gamma**k


def multistep_closed_form(t, base_lr, milestones, gamma=0.1):
    """MultiStepLR._get_closed_form_lr: η_t = η_0 · γ^(number of milestones ≤ t)."""
    return base_lr * gamma ** bisect_right(sorted(milestones), t)


# --8<-- [end:multistep]


# --8<-- [start:constant]
def constant_lr(t, lr, base_lr, factor=1.0 / 3, total_iters=5, initial=False):
    """ConstantLR, recursive: ×factor at t = 0, ×(1/factor) at t = total_iters."""
    if t == 0:
        return lr * factor
    if t != total_iters:
        return lr
    return lr * (1.0 / factor)


def constant_closed_form(t, base_lr, factor=1.0 / 3, total_iters=5):
    """ConstantLR._get_closed_form_lr: η_0 · factor before total_iters, η_0 · 1 from then on."""
    return base_lr * (factor + (t >= total_iters) * (1 - factor))


# --8<-- [end:constant]


# --8<-- [start:linear]
def linear_lr(t, lr, base_lr, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, initial=False):
    """LinearLR, recursive: η_t = η_{t-1} · (1 + Δ / (T·s + (t-1)·Δ)), Δ = e − s, for 1 ≤ t ≤ T."""
    if t == 0:
        return lr * start_factor
    if initial or t > total_iters:
        return lr
    delta = end_factor - start_factor
    return lr * (1.0 + delta / (total_iters * start_factor + (t - 1) * delta))


def linear_closed_form(t, base_lr, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
    """LinearLR._get_closed_form_lr: η_t = η_0 (s + (e − s) · min(T, t) / T)."""
    return base_lr * (start_factor + (end_factor - start_factor) * min(total_iters, t) / total_iters)


# --8<-- [end:linear]


# --8<-- [start:exponential]
def exponential_lr(t, lr, base_lr, gamma, initial=False):
    """ExponentialLR, recursive: η_t = γ · η_{t-1}; the constructor's step leaves η_0."""
    if initial:
        return lr
    return lr * gamma


def exponential_closed_form(t, base_lr, gamma):
    """ExponentialLR._get_closed_form_lr: η_t = η_0 · γ^t."""
    return base_lr * gamma**t


# --8<-- [end:exponential]


# --8<-- [start:polynomial]
def polynomial_lr(t, lr, base_lr, total_iters=5, power=1.0, initial=False):
    """PolynomialLR, recursive: η_t = η_{t-1} · ((1 − t/T) / (1 − (t−1)/T))^p for t ≤ T."""
    if initial or t > total_iters:
        return lr
    decay = ((1.0 - t / total_iters) / (1.0 - (t - 1) / total_iters)) ** power
    return lr * decay


def polynomial_closed_form(t, base_lr, total_iters=5, power=1.0):
    """PolynomialLR._get_closed_form_lr: η_t = η_0 (1 − min(T, t) / T)^p."""
    return base_lr * (1.0 - min(total_iters, t) / total_iters) ** power


# --8<-- [end:polynomial]


# --8<-- [start:cosine]
def cosine_annealing_lr(t, lr, base_lr, T_max, eta_min=0.0, initial=False):
    """CosineAnnealingLR, recursive (torch's get_lr), one branch per case torch distinguishes."""
    if initial:
        return lr
    if (t - 1 - T_max) % (2 * T_max) == 0:  # the step after a minimum: 1 + cos = 0 would divide by 0
        return lr + (base_lr - eta_min) * (1 - math.cos(math.pi / T_max)) / 2
    ratio = (1 + math.cos(math.pi * t / T_max)) / (1 + math.cos(math.pi * (t - 1) / T_max))
    return ratio * (lr - eta_min) + eta_min


def cosine_annealing_closed_form(t, base_lr, T_max, eta_min=0.0):
    """CosineAnnealingLR._get_closed_form_lr: η_t = η_min + (η_0 − η_min)(1 + cos(π t / T_max)) / 2."""
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2


# --8<-- [end:cosine]


# --8<-- [start:swa]
def swa_lr_rule(t, lr, base_lr, swa_lr, anneal_epochs=10, anneal_strategy="cos", initial=False):
    """SWALR, recursive: recover the start lr from η_{t-1}, then η_t = α_t·swa_lr + (1 − α_t)·start."""
    if anneal_strategy == "cos":
        anneal = lambda u: (1 - math.cos(math.pi * u)) / 2  # noqa: E731
    else:
        anneal = lambda u: u  # noqa: E731
    if anneal_epochs == 0:
        t = max(1, t)
    prev_alpha = anneal(max(0, min(1, (t - 1) / max(1, anneal_epochs))))
    start = swa_lr if prev_alpha == 1 else (lr - prev_alpha * swa_lr) / (1 - prev_alpha)
    alpha = anneal(max(0, min(1, t / max(1, anneal_epochs))))
    return swa_lr * alpha + start * (1 - alpha)


# --8<-- [end:swa]


# --8<-- [start:warm_restarts]
def cosine_warm_restarts(base_lr, T_0, T_mult=1, eta_min=0.0, epochs=()):
    """CosineAnnealingWarmRestarts: η = η_min + (η_0 − η_min)(1 + cos(π T_cur / T_i)) / 2.

    `epochs` lists what each step() receives: None (a plain step) or an epoch, possibly fractional.
    Returns the lr after the constructor and after each step.
    """
    T_i, T_cur = T_0, 0  # the constructor steps to epoch 0
    lrs = [eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2]
    for epoch in epochs:
        if epoch is None:  # plain step(): count one epoch, restart when T_cur reaches T_i
            T_cur = T_cur + 1
            if T_cur >= T_i:
                T_cur = T_cur % T_i
                T_i = T_i * T_mult
        elif epoch >= T_0 and T_mult == 1:
            T_cur = epoch % T_0
        elif epoch >= T_0:  # which cycle n is epoch in: T_0 (T_mult^n − 1)/(T_mult − 1) ≤ epoch
            n = int(math.log(epoch / T_0 * (T_mult - 1) + 1, T_mult))
            T_cur = epoch - T_0 * (T_mult**n - 1) / (T_mult - 1)
            T_i = T_0 * T_mult**n
        else:
            T_i, T_cur = T_0, epoch
        lrs.append(eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2)
    return lrs


# --8<-- [end:warm_restarts]


# --8<-- [start:cyclic]
def cyclic_lr(
    t, base_lr, max_lr, step_size_up=2000, step_size_down=None, mode="triangular", gamma=1.0,
    scale_fn=None, scale_mode="cycle", base_momentum=0.8, max_momentum=0.9,
):  # fmt: skip
    """CyclicLR, closed form in t: returns (lr, momentum); momentum moves opposite to lr."""
    up = float(step_size_up)
    total_size = up + (float(step_size_down) if step_size_down is not None else up)
    step_ratio = up / total_size
    if scale_fn is None and mode == "triangular":
        scale_fn, scale_mode = (lambda c: 1.0), "cycle"
    elif scale_fn is None and mode == "triangular2":
        scale_fn, scale_mode = (lambda c: 1 / (2.0 ** (c - 1))), "cycle"
    elif scale_fn is None:  # exp_range
        scale_fn, scale_mode = (lambda i: gamma**i), "iterations"
    cycle = math.floor(1 + t / total_size)
    x = 1.0 + t / total_size - cycle  # position in the cycle, in [0, 1)
    if x <= step_ratio:
        h = x / step_ratio  # rising: 0 → 1
    else:
        h = (x - 1) / (step_ratio - 1)  # falling: 1 → 0
    s = scale_fn(cycle) if scale_mode == "cycle" else scale_fn(t)
    lr = base_lr + (max_lr - base_lr) * h * s
    momentum = max_momentum - (max_momentum - base_momentum) * h * s
    return lr, momentum


# --8<-- [end:cyclic]


# --8<-- [start:onecycle]
def one_cycle_lr(
    t, max_lr, total_steps, pct_start=0.3, anneal_strategy="cos", base_momentum=0.85,
    max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False,
):  # fmt: skip
    """OneCycleLR, closed form in t: returns (lr, momentum), annealing phase by phase."""
    if t > total_steps:
        raise ValueError(f"Tried to step {t} times. The specified number of total steps is {total_steps}")
    if anneal_strategy == "cos":
        anneal = lambda a, b, pct: b + (a - b) / 2.0 * (math.cos(math.pi * pct) + 1)  # noqa: E731
    else:
        anneal = lambda a, b, pct: (b - a) * pct + a  # noqa: E731
    initial_lr = max_lr / div_factor
    min_lr = initial_lr / final_div_factor
    up_end = float(pct_start * total_steps) - 1
    if three_phase:  # (end step, lr from, lr to, momentum from, momentum to)
        phases = [
            (up_end, initial_lr, max_lr, max_momentum, base_momentum),
            (float(2 * pct_start * total_steps) - 2, max_lr, initial_lr, base_momentum, max_momentum),
            (total_steps - 1, initial_lr, min_lr, max_momentum, max_momentum),
        ]
    else:
        phases = [
            (up_end, initial_lr, max_lr, max_momentum, base_momentum),
            (total_steps - 1, max_lr, min_lr, base_momentum, max_momentum),
        ]
    start_step = 0.0
    for i, (end_step, lr_a, lr_b, m_a, m_b) in enumerate(phases):
        if t <= end_step or i == len(phases) - 1:
            pct = (t - start_step) / (end_step - start_step)
            return anneal(lr_a, lr_b, pct), anneal(m_a, m_b, pct)
        start_step = end_step


# --8<-- [end:onecycle]


# --8<-- [start:plateau]
def reduce_lr_on_plateau(
    lr, metrics, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
    cooldown=0, min_lr=0.0, eps=1e-8,
):  # fmt: skip
    """ReduceLROnPlateau driven by a metric sequence: the lr after construction and after each step."""
    best = math.inf if mode == "min" else -math.inf
    num_bad_epochs, cooldown_counter = 0, 0
    lrs = [lr]
    for current in metrics:
        if mode == "min" and threshold_mode == "rel":
            better = current < best * (1.0 - threshold)
        elif mode == "min":
            better = current < best - threshold
        elif threshold_mode == "rel":
            better = current > best * (threshold + 1.0)
        else:
            better = current > best + threshold
        if better:
            best, num_bad_epochs = current, 0
        else:
            num_bad_epochs += 1
        if cooldown_counter > 0:  # bad epochs during cooldown do not count
            cooldown_counter -= 1
            num_bad_epochs = 0
        if num_bad_epochs > patience:
            new_lr = max(lr * factor, min_lr)
            if lr - new_lr > eps:
                lr = new_lr
            cooldown_counter, num_bad_epochs = cooldown, 0
        lrs.append(lr)
    return lrs


# --8<-- [end:plateau]


# --8<-- [start:chained]
def chained_scheduler(rules):
    """ChainedScheduler: every scheduler steps, in order, on the same group lr."""

    def rule(t, lr, base_lr, initial=False):
        for r in rules:
            lr = r(t, lr, base_lr, initial=initial)
        return lr

    return rule


# --8<-- [end:chained]


# --8<-- [start:sequential]
def sequential_lr(rules, closed_forms, milestones):
    """SequentialLR: rules[i] runs from milestones[i-1]; on the milestone step it restarts at its t = 0.

    closed_forms[i] is the scheduler's _get_closed_form_lr(t, base_lr), or None if it has none: torch
    restarts a phase with `_update_lr(0)`, which uses the closed form when there is one.
    """
    own_t = [0] * len(rules)  # each scheduler's own last_epoch

    def rule(t, lr, base_lr, initial=False):
        if initial:  # the constructor resets lr to initial_lr and re-runs the first phase's initial step
            i = bisect_right(milestones, 0)
            own_t[i] = 0
            return rules[i](0, base_lr, base_lr, initial=True)
        i = bisect_right(milestones, t)
        if i > 0 and milestones[i - 1] == t:
            own_t[i] = 0
            if closed_forms[i] is not None:
                return closed_forms[i](0, base_lr)
            return rules[i](0, lr, base_lr)
        own_t[i] += 1
        return rules[i](own_t[i], lr, base_lr)

    return rule


# --8<-- [end:sequential]
