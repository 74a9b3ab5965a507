"""Rprop from scratch, one line of code per line of the algorithm on the Rprop page."""

import torch


class Rprop:
    """θ ← θ − Δ sign(g): each coordinate's step size Δ grows by η₊ while its gradient keeps its sign, shrinks by η₋
    when the sign flips (and that step's g is set to 0), and stays within [Γmin, Γmax]."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, maximize=False):
        self.params = list(params)
        self.lr, self.etas, self.step_sizes, self.maximize = lr, etas, step_sizes, maximize
        self.t = [0 for _ in self.params]  # torch's state["step"]; Rprop's formulas never read it
        self.g_prev = [torch.zeros_like(p) for p in self.params]  # g_prev = 0
        self.delta = [None for _ in self.params]  # Δ₀ = γ, set at the parameter's first step

    @torch.no_grad()
    def step(self):
        eta_minus, eta_plus = self.etas
        Gamma_min, Gamma_max = self.step_sizes  # (Γmin, Γmax), torch's step_size_min and step_size_max
        for i, theta in enumerate(self.params):
            if theta.grad is None:  # no gradient: no step, and t does not advance
                continue
            self.t[i] += 1
            if self.delta[i] is None:
                self.delta[i] = torch.full_like(theta, float(self.lr))  # Δ₀ = γ: the only place lr is read
            g = -theta.grad if self.maximize else theta.grad
            s = (self.g_prev[i] * g).sign()  # s = sign(g_prev · g)
            eta = torch.ones_like(s)  # s = 0: Δ keeps its value
            eta[s > 0] = eta_plus  # same sign: Δ grows
            eta[s < 0] = eta_minus  # sign change: Δ shrinks
            self.delta[i] = (eta * self.delta[i]).clamp(Gamma_min, Gamma_max)  # Δ ← clamp(η Δ, Γmin, Γmax)
            g = torch.where(s < 0, 0.0, g)  # sign change: g ← 0 (no move now, no adaptation next step)
            theta.sub_(self.delta[i] * g.sign())  # θ ← θ − Δ sign(g)
            self.g_prev[i] = g  # g_prev ← g
