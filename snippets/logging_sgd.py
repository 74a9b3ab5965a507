"""A minimal torch.optim.Optimizer subclass: plain SGD, θ ← θ − lr·g, that logs every update it makes."""

import torch


class LoggingSGD(torch.optim.Optimizer):
    def __init__(self, params, lr):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        super().__init__(params, defaults={"lr": lr})
        self.log = []  # one entry per parameter per step: what it was, its gradient, what it became

    @torch.no_grad()  # the update is not part of any graph, and in-place ops on leaves are allowed
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():  # the closure recomputes the loss and calls backward()
                loss = closure()
        for group_index, group in enumerate(self.param_groups):
            for param_index, p in enumerate(group["params"]):
                if p.grad is None:  # no gradient: torch.optim skips the parameter, and so do we
                    continue
                before = p.clone()
                p.add_(p.grad, alpha=-group["lr"])  # θ ← θ − lr·g, the same call torch.optim.SGD makes
                self.log.append(
                    {
                        "group": group_index,
                        "param": param_index,
                        "before": before,
                        "grad": p.grad.clone(),
                        "after": p.clone(),
                    }
                )
        return loss
