"""Adafactor from scratch, one line of code per line of the algorithm on the Adafactor page."""

import torch


def rms(x):
    """Root mean square of all the entries of x, as a Python float (torch takes `.item()` of the norm)."""
    return x.norm().item() / x.numel() ** 0.5


class Adafactor:
    """θ ← θ(1 − γλ) − α Û: U = G / √max(V̂, ε₁²), clipped to RMS ≤ d, times α = max(ε₂, RMS(θ)) min(γ, 1/√t);
    V̂ from row and column statistics R, C for tensors of 2 or more dimensions, elementwise for vectors and scalars."""

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *, maximize=False):
        self.params = list(params)
        self.lr, self.beta2_decay, self.eps, self.d = lr, beta2_decay, eps, d
        self.weight_decay, self.maximize = weight_decay, maximize
        self.t = [0 for _ in self.params]  # torch's state["step"]
        self.R, self.C, self.V = [], [], []
        for p in self.params:
            factored = p.dim() > 1  # over the last two dimensions
            self.R.append(p.new_zeros((*p.shape[:-1], 1)) if factored else None)  # R₀ = 0, one entry per row
            self.C.append(p.new_zeros((*p.shape[:-2], 1, p.shape[-1])) if factored else None)  # C₀ = 0, one per column
            self.V.append(None if factored else torch.zeros_like(p))  # V₀ = 0

    @torch.no_grad()
    def step(self):
        lr, beta2_decay, d, weight_decay = self.lr, self.beta2_decay, self.d, self.weight_decay
        eps1, eps2 = self.eps
        for i, theta in enumerate(self.params):
            if theta.grad is None:  # no gradient: no step, and t does not advance
                continue
            self.t[i] += 1
            t = self.t[i]
            G = -theta.grad if self.maximize else theta.grad
            if eps1 is None:
                eps1 = torch.finfo(theta.dtype).eps  # as torch: set by the first parameter, kept for the rest
            beta2_t = 1 - t**beta2_decay  # β = 1 − t^τ (the paper's β̂₂ₜ)
            rho_t = min(lr, 1 / t**0.5)  # ρ = min(γ, 1/√t)
            alpha_t = max(eps2, rms(theta)) * rho_t  # α = max(ε₂, RMS(θ)) ρ, θ before the decay
            theta.mul_(1 - lr * weight_decay)  # θ ← (1 − γλ) θ
            if G.dim() > 1:
                self.R[i] = beta2_t * self.R[i] + (1 - beta2_t) * (G * G).mean(dim=-1, keepdim=True)  # row means of G²
                self.C[i] = beta2_t * self.C[i] + (1 - beta2_t) * (G * G).mean(dim=-2, keepdim=True)  # column means
                V_hat = self.R[i] @ self.C[i] / self.R[i].mean(dim=-2, keepdim=True).clamp(min=eps1)  # R C / max(mean R, ε₁)
            else:
                self.V[i] = beta2_t * self.V[i] + (1 - beta2_t) * G * G
                V_hat = self.V[i]
            U = G / V_hat.clamp(min=eps1 * eps1).sqrt()  # U = G / √max(V̂, ε₁²), ε₁² in θ's dtype as in torch
            U_hat = U / max(1.0, rms(U) / d)  # Û = U / max(1, RMS(U)/d)
            theta.sub_(alpha_t * U_hat)
