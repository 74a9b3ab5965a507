"""The averages of torch.optim.swa_utils from scratch, one line per formula on the weight-averaging page."""

import torch


def swa(snapshots):
    """W̄₁ = W₁, W̄ₙ₊₁ = W̄ₙ + (Wₙ₊₁ − W̄ₙ) / (n + 1): the equal average of the models passed in."""
    average = snapshots[0].clone()
    for n, weights in enumerate(snapshots[1:], start=1):
        average = average + (weights - average) / (n + 1)
    return average


def ema(snapshots, decay):
    """W₁ᴱ = W₁, Wₙ₊₁ᴱ = decay · Wₙᴱ + (1 − decay) · Wₙ₊₁: the first model passed in starts it, not zero."""
    average = snapshots[0].clone()
    for weights in snapshots[1:]:
        average = decay * average + (1 - decay) * weights
    return average


def cumulative_statistics(batches):
    """What BatchNorm keeps with momentum=None: the plain mean, over the batches, of each batch's mean and of its
    unbiased variance (per feature)."""
    means = torch.stack([batch.mean(0) for batch in batches])
    variances = torch.stack([batch.var(0, unbiased=True) for batch in batches])
    return means.mean(0), variances.mean(0)
