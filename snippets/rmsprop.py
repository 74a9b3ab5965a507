"""RMSprop from scratch, one line of code per line of the algorithm on the RMSprop page."""

import torch


class RMSprop:
    """θ ← θ − γ g / (√ṽ + ε), ṽ = v (or v − ḡ² if centered); with momentum μ, b ← μ b + g / (√ṽ + ε) and θ ← θ − γ b."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, *, maximize=False):
        self.params = list(params)
        self.lr, self.alpha, self.eps, self.weight_decay = lr, alpha, eps, weight_decay
        self.momentum, self.centered, self.maximize = momentum, centered, maximize
        self.t = [0 for _ in self.params]  # torch's state["step"]; RMSprop's formulas never read it
        self.v = [torch.zeros_like(p) for p in self.params]  # v₀ = 0
        self.g_bar = [torch.zeros_like(p) for p in self.params]  # ḡ₀ = 0
        self.b = [torch.zeros_like(p) for p in self.params]  # b₀ = 0

    @torch.no_grad()
    def step(self):
        lr, alpha, eps, weight_decay, momentum = self.lr, self.alpha, self.eps, self.weight_decay, self.momentum
        for i, theta in enumerate(self.params):
            if theta.grad is None:  # no gradient: no step, and t does not advance
                continue
            self.t[i] += 1
            g = -theta.grad if self.maximize else theta.grad
            if weight_decay != 0:
                g = g + weight_decay * theta  # g ← g + λθ
            self.v[i] = alpha * self.v[i] + (1 - alpha) * g**2
            v_tilde = self.v[i]
            if self.centered:
                self.g_bar[i] = alpha * self.g_bar[i] + (1 - alpha) * g
                v_tilde = v_tilde - self.g_bar[i] ** 2
            if momentum > 0:
                self.b[i] = momentum * self.b[i] + g / (v_tilde.sqrt() + eps)
                theta.sub_(lr * self.b[i])
            else:
                theta.sub_(lr * g / (v_tilde.sqrt() + eps))
