"""Adadelta from scratch, one line of code per line of the algorithm on the Adadelta page."""

import torch


class Adadelta:
    """θ ← θ − γ Δx, with Δx = √(u + ε) / √(v + ε) · g, v and u running means of g² and Δx² (Zeiler's update at γ = 1)."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        self.params = list(params)
        self.lr, self.rho, self.eps, self.weight_decay, self.maximize = lr, rho, eps, weight_decay, maximize
        self.t = [0 for _ in self.params]  # torch's state["step"]: counted, but no line of the algorithm uses it
        self.v = [torch.zeros_like(p) for p in self.params]  # v₀ = 0
        self.u = [torch.zeros_like(p) for p in self.params]  # u₀ = 0

    @torch.no_grad()
    def step(self):
        lr, rho, eps = self.lr, self.rho, self.eps
        for i, theta in enumerate(self.params):
            if theta.grad is None:  # no gradient: no step, and t does not advance
                continue
            self.t[i] += 1
            g = -theta.grad if self.maximize else theta.grad
            if self.weight_decay != 0:
                g = g + self.weight_decay * theta  # g ← g + λθ
            self.v[i] = rho * self.v[i] + (1 - rho) * g**2
            delta = (self.u[i] + eps).sqrt() / (self.v[i] + eps).sqrt() * g  # ε inside both roots
            self.u[i] = rho * self.u[i] + (1 - rho) * delta**2  # u accumulates Δx, not γΔx
            theta.sub_(lr * delta)
