"""Adagrad from scratch, one line of code per line of the algorithm on the Adagrad page."""

import torch


class Adagrad:
    """θ ← θ − γ̃ g / (√s + ε), with s = τ + Σ g² and γ̃ = γ / (1 + (t − 1) η)."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, *, maximize=False):
        self.params = list(params)
        self.lr, self.lr_decay, self.weight_decay, self.eps = lr, lr_decay, weight_decay, eps
        self.initial_accumulator_value, self.maximize = initial_accumulator_value, maximize
        self.t = [0 for _ in self.params]  # each parameter counts its own steps
        self.s = [torch.full_like(p, initial_accumulator_value) for p in self.params]  # s₀ = τ

    @torch.no_grad()
    def step(self):
        for i, theta in enumerate(self.params):
            if theta.grad is None:  # no gradient: no step, and t does not advance
                continue
            if theta.grad.is_sparse:
                raise NotImplementedError("this twin takes dense gradients; torch.optim.Adagrad also takes sparse ones")
            self.t[i] += 1
            t = self.t[i]
            g = -theta.grad if self.maximize else theta.grad
            if self.weight_decay != 0:
                g = g + self.weight_decay * theta  # g ← g + λθ
            lr_tilde = self.lr / (1 + (t - 1) * self.lr_decay)  # γ̃ = γ / (1 + (t − 1) η)
            self.s[i] = self.s[i] + g**2
            theta.sub_(lr_tilde * g / (self.s[i].sqrt() + self.eps))  # ε outside the square root
