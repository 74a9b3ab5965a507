"""NAdam from scratch, one line of code per line of the algorithm on the NAdam page."""

import torch


class NAdam:
    """θ ← θ − γ (1 − μ_t)/(1 − Π_t) · g/(√v̂ + ε) − γ μ_{t+1}/(1 − Π_t μ_{t+1}) · m/(√v̂ + ε)."""

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        momentum_decay=4e-3,
        decoupled_weight_decay=False,
        *,
        maximize=False,
    ):
        self.params = list(params)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.weight_decay, self.momentum_decay = weight_decay, momentum_decay
        self.decoupled_weight_decay, self.maximize = decoupled_weight_decay, maximize
        self.t = [0 for _ in self.params]  # each parameter counts its own steps
        self.m = [torch.zeros_like(p) for p in self.params]  # m₀ = 0
        self.v = [torch.zeros_like(p) for p in self.params]  # v₀ = 0
        # Π₀ = 1, kept as torch keeps it: a 0-dim tensor of the default dtype (float32), whatever θ's dtype
        self.mu_product = [torch.tensor(1.0) for _ in self.params]

    @torch.no_grad()
    def step(self):
        lr, (beta1, beta2), eps, weight_decay, psi = self.lr, self.betas, self.eps, self.weight_decay, self.momentum_decay
        for i, theta in enumerate(self.params):
            if theta.grad is None:  # no gradient: no step, and t does not advance
                continue
            self.t[i] += 1
            t = self.t[i]
            g = -theta.grad if self.maximize else theta.grad
            if weight_decay != 0 and self.decoupled_weight_decay:
                theta.mul_(1 - lr * weight_decay)  # decoupled (NAdamW): θ ← θ (1 − γλ)
            elif weight_decay != 0:
                g = g + weight_decay * theta  # L2: g ← g + λθ
            mu = beta1 * (1 - 0.5 * 0.96 ** (t * psi))  # μ_t
            mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))  # μ_{t+1}
            self.mu_product[i] *= mu  # Π_t = Π_{t−1} μ_t, rounded to float32 as in torch's state
            mu_product = self.mu_product[i].item()
            self.m[i] = beta1 * self.m[i] + (1 - beta1) * g
            self.v[i] = beta2 * self.v[i] + (1 - beta2) * g**2
            v_hat = self.v[i] / (1 - beta2**t)
            theta.sub_(lr * (1 - mu) / (1 - mu_product) * g / (v_hat.sqrt() + eps))
            theta.sub_(lr * mu_next / (1 - mu_product * mu_next) * self.m[i] / (v_hat.sqrt() + eps))
