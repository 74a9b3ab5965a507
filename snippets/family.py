"""The adaptive family as one update, θ ← θ − lr · N / D: the parts N and D are made of, and a search that names them."""

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import torch


def avg(xs, beta):
    """avg(x; β), the running mean that starts at 0: a_k = β a_{k−1} + (1 − β) x_k."""
    a = 0.0
    for x in xs:
        a = beta * a + (1 - beta) * x
    return a


def decayed_sum(xs, beta):
    """Σ(x; β) = Σ_k β^(t−k) x_k (β = 1: the plain sum)."""
    return sum(beta ** (len(xs) - k) * x for k, x in enumerate(xs, start=1))


def decayed_max(xs, beta):
    """max(x; β) = max_k β^(t−k) x_k."""
    return torch.stack([beta ** (len(xs) - k) * x for k, x in enumerate(xs, start=1)]).amax(0)


def nadam_weights(t, c):
    """NAdam's a and b, from μ_k = β₁(1 − ½·0.96^(kψ)) and Π_t = μ₁⋯μ_t (kept in float32, as torch keeps it)."""
    mu = [c["beta1"] * (1 - 0.5 * 0.96 ** (k * c["psi"])) for k in range(1, t + 2)]
    product = torch.tensor(1.0)
    for mu_k in mu[:t]:
        product *= mu_k
    pi = product.item()
    return (1 - mu[t - 1]) / (1 - pi), mu[t] / (1 - pi * mu[t])


def rectifier(t, beta2):
    """RAdam's r_t while ρ_t = ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ) exceeds 5, with ρ∞ = 2/(1 − β₂) − 1; None before."""
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
    if rho_t <= 5:
        return None
    return math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))


@dataclass
class History:
    """One parameter at step t: what every part is computed from."""

    g: list  # the gradients g₁, …, g_t
    d: list  # the steps taken so far in units of lr, d_k = (θ_{k−1} − θ_k) / lr, k < t
    t: int
    c: dict  # the optimizer's constants, from `constants`

    m = cached_property(lambda h: avg(h.g, h.c["beta1"]))  # avg(g; β₁)
    v = cached_property(lambda h: avg([x**2 for x in h.g], h.c["beta2"]))  # avg(g²; β₂)
    c1 = property(lambda h: 1 - h.c["beta1"] ** h.t)
    c2 = property(lambda h: 1 - h.c["beta2"] ** h.t)
    eps = property(lambda h: h.c["eps"])
    r = property(lambda h: rectifier(h.t, h.c["beta2"]))  # None while RAdam does not rectify


class Part(NamedTuple):
    label: str  # as the table writes it; {beta1} and {beta2} are filled in with the optimizer's values
    corrected: str  # "yes": divides its running mean by c = 1 − βᵗ; "≈": by another factor; "no"
    needs: tuple  # the constants it reads
    value: Callable  # History -> the part at step t


NUMERATORS = [
    Part("g", "no", (), lambda h: h.g[-1]),
    Part("Σ(g; {beta1})", "no", ("beta1",), lambda h: decayed_sum(h.g, h.c["beta1"])),
    Part("avg(g; {beta1})", "no", ("beta1",), lambda h: h.m),
    Part("avg(g; {beta1})/c₁", "yes", ("beta1",), lambda h: h.m / h.c1),
    Part("a·g + b·avg(g; {beta1})", "≈", ("beta1", "psi"), lambda h: (lambda a, b: a * h.g[-1] + b * h.m)(*nadam_weights(h.t, h.c))),
    Part("r·avg(g; {beta1})/c₁ ‡", "yes", ("beta1", "beta2"), lambda h: (h.r or 1.0) * h.m / h.c1),
    Part("√(avg(d²; {beta2}) + ε)·g", "no", ("beta2",), lambda h: (avg([x**2 for x in h.d], h.c["beta2"]) + h.eps) ** 0.5 * h.g[-1]),
]

DENOMINATORS = [
    Part("1", "no", (), lambda h: 1.0),
    Part("√Σg² + ε", "no", (), lambda h: decayed_sum([x**2 for x in h.g], 1.0).sqrt() + h.eps),
    Part("√avg(g²; {beta2}) + ε", "no", ("beta2",), lambda h: h.v.sqrt() + h.eps),
    Part("√(avg(g²; {beta2}) + ε)", "no", ("beta2",), lambda h: (h.v + h.eps).sqrt()),
    Part("√(avg(g²; {beta2})/c₂) + ε", "yes", ("beta2",), lambda h: (h.v / h.c2).sqrt() + h.eps),
    Part("√(avg(g²; {beta2})/c₂ + ε)", "yes", ("beta2",), lambda h: (h.v / h.c2 + h.eps).sqrt()),
    Part("(√avg(g²; {beta2}) + ε)/√c₂ ‡", "yes", ("beta2",), lambda h: (h.v.sqrt() + h.eps) / h.c2**0.5 if h.r else 1.0),
    Part("max(|g| + ε; {beta2})", "no", ("beta2",), lambda h: decayed_max([x.abs() + h.eps for x in h.g], h.c["beta2"])),
    Part("max(|g|; {beta2}) + ε", "no", ("beta2",), lambda h: decayed_max([x.abs() for x in h.g], h.c["beta2"]) + h.eps),
]
# ‡ RAdam: while ρ_t ≤ 5 (h.r is None), r = 1 and D = 1.


def settings(optimizer):
    """An optimizer's hyperparameters under torch's names: torch's `defaults`, or a twin's attributes."""
    return optimizer.defaults if hasattr(optimizer, "defaults") else vars(optimizer)


def constants(settings):
    """lr, β₁ (the memory of g), β₂ (the memory of squares), ε and ψ, read by torch's argument names."""
    betas = settings.get("betas")
    return {
        "lr": settings["lr"],
        "beta1": betas[0] if betas else settings.get("momentum") or None,  # momentum 0: no memory
        "beta2": betas[1] if betas else settings.get("alpha", settings.get("rho")),
        "eps": settings.get("eps", 0.0),
        "psi": settings.get("momentum_decay"),
    }


def steps_taken(optimizer, grads):
    """Give the optimizer's one parameter each gradient in turn; return each step (θ_{t−1} − θ_t) / lr."""
    params = optimizer.param_groups[0]["params"] if hasattr(optimizer, "param_groups") else optimizer.params
    (theta,) = params
    lr = constants(settings(optimizer))["lr"]
    steps = []
    for g in grads:
        before = theta.detach().clone()
        theta.grad = g.clone()
        optimizer.step()
        steps.append((before - theta.detach()) / lr)
    return steps


def name_parts(grads, steps, c, rtol=1e-9):
    """The (N, D) pairs whose N / D is every step taken, to `rtol`; and of the other pairs, the one that misses least."""
    histories = [History(grads[:t], steps[: t - 1], t, c) for t in range(1, len(grads) + 1)]
    usable = [part for part in NUMERATORS + DENOMINATORS if all(c[name] is not None for name in part.needs)]
    taken = torch.stack(steps)  # (t, coordinates)
    values = {part: torch.stack([torch.as_tensor(part.value(h)).expand_as(taken[0]) for h in histories]) for part in usable}
    found, nearest = [], (None, math.inf)
    for n in (part for part in usable if part in NUMERATORS):
        for d in (part for part in usable if part in DENOMINATORS):
            miss = ((values[n] / values[d] - taken).abs() / taken.abs()).max().item()
            if miss <= rtol:
                found.append((n, d))
            elif miss < nearest[1]:
                nearest = ((n, d), miss)
    return found, nearest
