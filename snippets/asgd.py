"""ASGD from scratch, one line of code per line of the algorithm on the ASGD page."""

import torch


def stored(x):
    """x as torch keeps η and μ: in a 0-dim tensor of float32, or of float64 if that is the default dtype."""
    dtype = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
    return torch.as_tensor(x, dtype=dtype).item()


class ASGD:
    """θ ← (1 − λη) θ − η g, then θ̄ ← θ̄ + μ (θ − θ̄), with η = γ / (1 + λγt)^α and μ = 1 / max(1, t − t₀)."""

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, *, maximize=False):
        self.params = list(params)
        self.lr, self.lambd, self.alpha, self.t0 = lr, lambd, alpha, t0
        self.weight_decay, self.maximize = weight_decay, maximize
        self.t = [0 for _ in self.params]  # each parameter counts its own steps
        self.eta = [None for _ in self.params]  # η₀ = γ, set at the parameter's first step
        self.mu = [1.0 for _ in self.params]  # μ₀ = 1
        self.theta_bar = [torch.zeros_like(p) for p in self.params]  # θ̄₀ = 0

    @torch.no_grad()
    def step(self):
        lr, lambd, alpha, t0, weight_decay = self.lr, self.lambd, self.alpha, self.t0, self.weight_decay
        for i, theta in enumerate(self.params):
            if theta.grad is None:  # no gradient: no step, and t does not advance
                continue
            if self.eta[i] is None:
                self.eta[i] = stored(lr)  # η₀ = γ
            self.t[i] += 1
            t, eta, mu = self.t[i], self.eta[i], self.mu[i]
            g = -theta.grad if self.maximize else theta.grad
            if weight_decay != 0:
                g = g + weight_decay * theta  # g ← g + ωθ
            theta.copy_((1 - lambd * eta) * theta - eta * g)  # θ_t = (1 − λη_{t−1}) θ_{t−1} − η_{t−1} g_t
            self.theta_bar[i] = self.theta_bar[i] + mu * (theta - self.theta_bar[i])  # θ̄_t = θ̄_{t−1} + μ_{t−1} (θ_t − θ̄_{t−1})
            self.eta[i] = stored(lr / (1 + lambd * lr * t) ** alpha)  # η_t = γ / (1 + λγt)^α
            self.mu[i] = stored(1 / max(1, t - t0))  # μ_t = 1 / max(1, t − t₀)
