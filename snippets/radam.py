"""RAdam from scratch, one line of code per line of the algorithm on the RAdam page."""

import torch


class RAdam:
    """θ ← θ − γ m̂ r_t √(1 − β₂ᵗ)/(√v + ε) while ρ_t > 5, and θ ← θ − γ m̂ before that."""

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        decoupled_weight_decay=False,
        *,
        maximize=False,
    ):
        self.params = list(params)
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.decoupled_weight_decay, self.maximize = decoupled_weight_decay, maximize
        self.t = [0 for _ in self.params]  # each parameter counts its own steps
        self.m = [torch.zeros_like(p) for p in self.params]  # m₀ = 0
        self.v = [torch.zeros_like(p) for p in self.params]  # v₀ = 0

    @torch.no_grad()
    def step(self):
        lr, (beta1, beta2), eps, weight_decay = self.lr, self.betas, self.eps, self.weight_decay
        rho_inf = 2 / (1 - beta2) - 1  # ρ∞
        for i, theta in enumerate(self.params):
            if theta.grad is None:  # no gradient: no step, and t does not advance
                continue
            self.t[i] += 1
            t = self.t[i]
            g = -theta.grad if self.maximize else theta.grad
            if weight_decay != 0 and self.decoupled_weight_decay:
                theta.mul_(1 - lr * weight_decay)  # decoupled (RAdamW): θ ← θ (1 − γλ)
            elif weight_decay != 0:
                g = g + weight_decay * theta  # L2: g ← g + λθ
            self.m[i] = beta1 * self.m[i] + (1 - beta1) * g
            self.v[i] = beta2 * self.v[i] + (1 - beta2) * g**2
            m_hat = self.m[i] / (1 - beta1**t)
            rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
            if rho_t > 5:
                l_t = (1 - beta2**t) ** 0.5 / (self.v[i].sqrt() + eps)
                r_t = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                theta.sub_(lr * m_hat * r_t * l_t)
            else:
                theta.sub_(lr * m_hat)
