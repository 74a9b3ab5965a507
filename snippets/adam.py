"""Adam and AdamW from scratch, one line of code per line of the algorithm on the Adam pages."""

import torch


class Adam:
    """θ ← θ − γ m̂ / (√v̂ + ε), with m̂ = m / (1 − β₁ᵗ) and v̂ = v / (1 − β₂ᵗ), or v_max / (1 − β₂ᵗ) with amsgrad."""

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        amsgrad=False,
        *,
        maximize=False,
        decoupled_weight_decay=False,
    ):
        self.params = list(params)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.weight_decay, self.amsgrad, self.maximize = weight_decay, amsgrad, maximize
        self.decoupled_weight_decay = decoupled_weight_decay
        self.t = [0 for _ in self.params]  # each parameter counts its own steps
        self.m = [torch.zeros_like(p) for p in self.params]  # m₀ = 0
        self.v = [torch.zeros_like(p) for p in self.params]  # v₀ = 0
        self.v_max = [torch.zeros_like(p) for p in self.params]  # v₀ᵐᵃˣ = 0

    @torch.no_grad()
    def step(self):
        lr, (beta1, beta2), eps, weight_decay = self.lr, self.betas, self.eps, self.weight_decay
        for i, theta in enumerate(self.params):
            if theta.grad is None:  # no gradient: no step, and t does not advance
                continue
            self.t[i] += 1
            t = self.t[i]
            g = -theta.grad if self.maximize else theta.grad
            if weight_decay != 0 and self.decoupled_weight_decay:
                theta.mul_(1 - lr * weight_decay)  # decoupled (AdamW): θ ← θ (1 − γλ)
            elif weight_decay != 0:
                g = g + weight_decay * theta  # L2 (Adam): g ← g + λθ
            self.m[i] = beta1 * self.m[i] + (1 - beta1) * g
            self.v[i] = beta2 * self.v[i] + (1 - beta2) * g**2
            m_hat = self.m[i] / (1 - beta1**t)
            if self.amsgrad:
                self.v_max[i] = torch.maximum(self.v_max[i], self.v[i])
                v_hat = self.v_max[i] / (1 - beta2**t)
            else:
                v_hat = self.v[i] / (1 - beta2**t)
            theta.sub_(lr * m_hat / (v_hat.sqrt() + eps))


class AdamW(Adam):
    """Adam with decoupled weight decay, and torch's AdamW default λ = 0.01."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize, decoupled_weight_decay=True)
