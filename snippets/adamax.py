"""Adamax from scratch, one line of code per line of the algorithm on the Adamax page."""

import torch


class Adamax:
    """θ ← θ − γ m̂ / u, with m̂ = m / (1 − β₁ᵗ) and the infinity norm u = max(β₂ u, |g| + ε), which needs no correction."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, *, maximize=False):
        self.params = list(params)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.weight_decay, self.maximize = weight_decay, maximize
        self.t = [0 for _ in self.params]  # each parameter counts its own steps
        self.m = [torch.zeros_like(p) for p in self.params]  # m₀ = 0
        self.u = [torch.zeros_like(p) for p in self.params]  # u₀ = 0

    @torch.no_grad()
    def step(self):
        lr, (beta1, beta2), eps, weight_decay = self.lr, self.betas, self.eps, self.weight_decay
        for i, theta in enumerate(self.params):
            if theta.grad is None:  # no gradient: no step, and t does not advance
                continue
            self.t[i] += 1
            t = self.t[i]
            g = -theta.grad if self.maximize else theta.grad
            if weight_decay != 0:
                g = g + weight_decay * theta  # g ← g + λθ
            self.m[i] = beta1 * self.m[i] + (1 - beta1) * g
            self.u[i] = torch.maximum(beta2 * self.u[i], g.abs() + eps)
            m_hat = self.m[i] / (1 - beta1**t)
            theta.sub_(lr * m_hat / self.u[i])
