"""Muon from scratch, one line of code per line of the algorithm on the Muon page."""

import math

import torch


def newton_schulz(B, ns_coefficients, ns_steps, eps, dtype=torch.bfloat16):
    """O ≈ U Vᵀ for B = U S Vᵀ: X ← B / max(‖B‖_F, ε), then k times X ← aX + (bA + cA²)X with A = X Xᵀ.
    In bfloat16 unless told otherwise, as torch computes it, with torch's two `addmm` calls (each rounds once),
    so that the twin rounds where torch rounds; the page also runs the iteration in float64."""
    a, b, c = ns_coefficients
    X = B.to(dtype)
    tall = B.size(0) > B.size(1)
    if tall:
        X = X.T  # work on the wide side: A = X Xᵀ is the smaller Gram matrix
    X = X / X.norm().clamp(min=eps)  # ‖X‖₂ ≤ ‖X‖_F ≤ 1: every singular value in [0, 1]
    for _ in range(ns_steps):
        A = X @ X.T
        P = torch.addmm(A, A, A, beta=b, alpha=c)  # P = bA + cA²
        X = torch.addmm(X, P, X, beta=a)  # X ← aX + P X
    return X.T if tall else X


def adjust_lr(lr, adjust_lr_fn, shape):
    """γ' = γ √max(1, m/n) ("original", the default) or 0.2 γ √max(m, n) ("match_rms_adamw"), for an m × n matrix."""
    m, n = shape
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return lr * math.sqrt(max(1, m / n))
    return lr * 0.2 * math.sqrt(max(m, n))


class Muon:
    """B ← μB + (1−μ)g; B̃ = (1−μ)g + μB (Nesterov) or B; O = NS(B̃); θ ← θ(1 − γλ) − γ' O. Only 2-D parameters."""

    ns_dtype = torch.bfloat16  # torch's; a subclass may set torch.float64 to run the exact iteration

    def __init__(
        self,
        params,
        lr=1e-3,
        weight_decay=0.1,
        momentum=0.95,
        nesterov=True,
        ns_coefficients=(3.4445, -4.7750, 2.0315),
        eps=1e-7,
        ns_steps=5,
        adjust_lr_fn=None,
    ):
        self.params = list(params)
        if any(p.dim() != 2 for p in self.params):
            raise ValueError("Muon takes matrices only")
        self.lr, self.weight_decay, self.momentum, self.nesterov = lr, weight_decay, momentum, nesterov
        self.ns_coefficients, self.eps, self.ns_steps, self.adjust_lr_fn = ns_coefficients, eps, ns_steps, adjust_lr_fn
        self.B = [torch.zeros_like(p) for p in self.params]  # B₀ = 0

    @torch.no_grad()
    def step(self):
        lr, weight_decay, mu = self.lr, self.weight_decay, self.momentum
        for i, theta in enumerate(self.params):
            if theta.grad is None:  # no gradient: no step, the buffer does not decay
                continue
            g = theta.grad
            self.B[i] = mu * self.B[i] + (1 - mu) * g  # B ← μB + (1 − μ)g
            B_tilde = (1 - mu) * g + mu * self.B[i] if self.nesterov else self.B[i]
            O_t = newton_schulz(B_tilde, self.ns_coefficients, self.ns_steps, self.eps, self.ns_dtype)
            lr_adjusted = adjust_lr(lr, self.adjust_lr_fn, theta.shape)  # γ'
            theta.mul_(1 - lr * weight_decay)  # θ ← θ − γλθ (decoupled, with γ, not γ')
            theta.sub_(lr_adjusted * O_t.to(theta.dtype))  # θ ← θ − γ' O
