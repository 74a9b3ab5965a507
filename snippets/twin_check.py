"""A twin beside its torch.optim class on the same gradients, step by step: the chapter pages' checks and the tests'."""

import copy

import torch

IMPLEMENTATION_FLAGS = ("foreach", "fused", "differentiable", "capturable")  # the code path, not the math
SHAPES = [(3,), (2, 4), ()]


def gradient(theta, noise, k):
    """Noise plus 0.5 θ (so a difference would feed back), and exactly zero on every 7th step."""
    return (noise + 0.5 * theta.detach()) * (0.0 if k % 7 == 3 else 1.0)


def as_sparse(g, rows):
    """g on `rows` (of its first dimension) only, as nn.Embedding(sparse=True) gives it: a sparse tensor, uncoalesced,
    the first row listed twice with half its gradient each time."""
    values = g[rows].clone()
    values[:1] /= 2
    index = torch.cat([rows[:1], rows])[None]
    return torch.sparse_coo_tensor(index, torch.cat([values[:1], values]), g.shape, check_invariants=True)


def run_pair(
    torch_class,
    twin_class,
    kwargs,
    shapes=SHAPES,
    steps=60,
    grad_scale=10.0,
    none_every=0,
    lr_schedule=None,
    seed=0,
    resync=False,
    sparse=False,
):
    """Yield (torch's parameters, the twin's) after each step, float64. `none_every`: the first parameter gets no
    gradient on steps k with k % none_every == 1; `lr_schedule`: {step: lr}, set as a scheduler sets it; `resync`:
    the twin's parameters are set to torch's after each step, so that each step is compared from the same point
    (where a gradient that feeds back makes the path chaotic, two roundings of one step would otherwise grow);
    `sparse`: each gradient reaches a random half of the rows, as a sparse tensor (see as_sparse)."""
    gen = torch.Generator().manual_seed(seed)
    start = [torch.randn(s, generator=gen, dtype=torch.float64) for s in shapes]
    theirs = [p.clone().requires_grad_() for p in start]
    ours = [p.clone().requires_grad_() for p in start]
    optimizer = torch_class(theirs, **kwargs)
    hyper = {name: value for name, value in kwargs.items() if name not in IMPLEMENTATION_FLAGS}
    twin = twin_class(ours, **copy.deepcopy(hyper))  # its own copy: a tensor lr changed in place stays torch's
    for k in range(steps):
        if lr_schedule is not None and k in lr_schedule:
            group = optimizer.param_groups[0]
            if torch.is_tensor(group["lr"]):  # a tensor lr is changed in place, as LRScheduler does
                group["lr"].fill_(lr_schedule[k])
                twin.lr.fill_(lr_schedule[k])
            else:
                group["lr"] = twin.lr = lr_schedule[k]
        for j, (a, b) in enumerate(zip(theirs, ours, strict=True)):
            noise = grad_scale * torch.randn(a.shape, generator=gen, dtype=torch.float64)
            skip = none_every and j == 0 and k % none_every == 1
            a.grad = None if skip else gradient(a, noise, k)
            b.grad = None if skip else gradient(b, noise, k)
            if sparse and not skip:
                rows = torch.nonzero(torch.rand(a.shape[0], generator=gen) < 0.5).flatten()
                a.grad, b.grad = as_sparse(a.grad, rows), as_sparse(b.grad, rows)
        optimizer.step()
        twin.step()
        yield theirs, ours
        if resync:
            with torch.no_grad():
                for a, b in zip(theirs, ours, strict=True):
                    b.copy_(a)


def largest_difference(torch_class, twin_class, kwargs, steps=60, **options):
    """The largest |twin − torch| over every step and parameter; the first parameter skips every 5th step."""
    worst = 0.0
    for theirs, ours in run_pair(torch_class, twin_class, kwargs, steps=steps, none_every=5, **options):
        worst = max(worst, *((b - a).abs().max().item() for a, b in zip(theirs, ours, strict=True)))
    return worst
