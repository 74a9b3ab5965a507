"""SGD from scratch, line for line after PyTorch's algorithm box (torch/optim/sgd.py, _single_tensor_sgd)."""

import torch


@torch.no_grad()
def sgd_step(params, state, *, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    """One step of SGD on each θ in `params` (in place); `state[θ]` keeps its momentum buffer b between steps.

    Symbols: θ params, g gradient, γ lr, λ weight_decay, μ momentum, τ dampening, b momentum buffer.
    """
    for theta in params:
        if theta.grad is None:  # no gradient: the parameter is skipped, its b is kept
            continue
        g = -theta.grad if maximize else theta.grad  # g ← -∇f(θ) if maximize else ∇f(θ)
        if weight_decay != 0:
            g = g + weight_decay * theta  # g ← g + λθ
        if momentum != 0:
            if theta not in state:  # t = 1
                b = g.clone()  # b₁ ← g₁ (no dampening on the first step)
            else:
                b = momentum * state[theta] + (1 - dampening) * g  # b ← μb + (1 − τ)g
            state[theta] = b
            if nesterov:
                g = g + momentum * b  # g ← g + μb
            else:
                g = b  # g ← b
        theta -= lr * g  # θ ← θ − γg
