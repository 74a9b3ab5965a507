"""SparseAdam from scratch ("lazy" Adam), one line of code per line of the algorithm on the SparseAdam page."""

import math

import torch


class SparseAdam:
    """On the entries R present in the sparse gradient: m, v and θ as in Adam; every other entry untouched. t counts
    the steps on which the tensor had a gradient at all, not the steps that reached an entry."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        self.params = list(params)
        self.lr, (self.beta1, self.beta2), self.eps, self.maximize = lr, betas, eps, maximize
        self.t = [0 for _ in self.params]  # torch's state["step"], one per tensor
        self.m = [torch.zeros_like(p) for p in self.params]  # m₀ = 0, dense: one per entry of θ
        self.v = [torch.zeros_like(p) for p in self.params]  # v₀ = 0

    @torch.no_grad()
    def step(self):
        lr, beta1, beta2, eps = self.lr, self.beta1, self.beta2, self.eps  # a tensor lr stays a tensor, as in torch
        for i, theta in enumerate(self.params):
            if theta.grad is None:  # no gradient: no step, and t does not advance
                continue
            self.t[i] += 1  # for the tensor, whichever entries the gradient reaches (none, even)
            t = self.t[i]
            grad = (-theta.grad if self.maximize else theta.grad).coalesce()  # an entry looked up twice: summed
            R, g = tuple(grad.indices()), grad.values()  # the entries present, and g on them
            if g.numel() == 0:
                continue
            self.m[i][R] = beta1 * self.m[i][R] + (1 - beta1) * g  # m ← β₁ m + (1 − β₁) g   on R only
            self.v[i][R] = beta2 * self.v[i][R] + (1 - beta2) * g**2  # v ← β₂ v + (1 − β₂) g²  on R only
            step_size = lr * math.sqrt(1 - beta2**t) / (1 - beta1**t)  # γ √(1 − β₂ᵗ) / (1 − β₁ᵗ)
            theta[R] -= step_size * self.m[i][R] / (self.v[i][R].sqrt() + eps)  # θ ← θ − … m / (√v + ε)  on R only
