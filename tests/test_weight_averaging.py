"""The averages of snippets/weight_averaging.py against torch.optim.swa_utils: AveragedModel as SWA and as EMA, with
and without buffers, and update_bn's cumulative statistics.

SWA on the CPU evaluates the formula as written (swa_utils.py line 160): equal bit for bit. The EMA goes through
`torch._foreach_lerp_`, which rounds differently: float64, 1e-15 absolute for numbers of order 1. The plain mean
adds in another order: 1e-14. float32 BatchNorm statistics to 1e-6 (their own order of additions)."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim.swa_utils import AveragedModel, get_ema_avg_fn, get_ema_multi_avg_fn, update_bn

from snippets.weight_averaging import cumulative_statistics, ema, swa

pytestmark = pytest.mark.reuse_passing_verdict


def snapshots_of(averaged_models, steps, seed):
    """Random weights passed to each averaged model's update_parameters `steps` times; the weights passed."""
    gen = torch.Generator().manual_seed(seed)
    model = torch.nn.Linear(4, 3, dtype=torch.float64)
    made = [make(model) for make in averaged_models]
    snapshots = []
    for _ in range(steps):
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64))
        for averaged in made:
            averaged.update_parameters(model)
        snapshots.append(torch.nn.utils.parameters_to_vector(model.parameters()).detach().clone())
    return made, snapshots


def vector(averaged):
    return torch.nn.utils.parameters_to_vector(averaged.module.parameters()).detach()


@settings(derandomize=True, deadline=None, max_examples=30)
@given(steps=st.integers(1, 40), decay=st.floats(0.0, 1.0), seed=st.integers(0, 2**16))
def test_swa_and_ema_are_the_formulas_of_the_page(steps, decay, seed):
    makers = [AveragedModel, lambda m: AveragedModel(m, multi_avg_fn=get_ema_multi_avg_fn(decay))]
    makers.append(lambda m: AveragedModel(m, avg_fn=get_ema_avg_fn(decay)))  # the per-tensor function: same average
    (swa_model, ema_model, ema_single), snapshots = snapshots_of(makers, steps, seed)
    assert swa_model.n_averaged == ema_model.n_averaged == steps
    assert torch.equal(vector(swa_model), swa(snapshots))
    torch.testing.assert_close(vector(swa_model), torch.stack(snapshots).mean(0), rtol=0, atol=1e-14)
    torch.testing.assert_close(vector(ema_model), ema(snapshots, decay), rtol=0, atol=1e-15)
    torch.testing.assert_close(vector(ema_single), ema(snapshots, decay), rtol=0, atol=1e-15)


def test_the_weights_at_construction_are_not_averaged():
    model = torch.nn.Linear(2, 2, dtype=torch.float64)
    averaged = AveragedModel(model)
    assert averaged.n_averaged == 0
    with torch.no_grad():
        model.weight.fill_(3.0)
    averaged.update_parameters(model)
    assert torch.equal(averaged.module.weight, model.weight) and averaged.n_averaged == 1


def test_ema_decay_outside_0_1_is_refused():
    with pytest.raises(ValueError, match="Invalid decay value"):
        get_ema_multi_avg_fn(1.5)


def bn_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))


def test_buffers_copied_by_default_averaged_with_use_buffers_and_integers_truncated():
    model = bn_model()
    copied, averaged = AveragedModel(model), AveragedModel(model, use_buffers=True)
    means = []
    for step in range(6):
        model(torch.randn(8, 2) + step)
        copied.update_parameters(model)
        averaged.update_parameters(model)
        means.append(model[1].running_mean.clone())
    assert torch.equal(copied.module[1].running_mean, model[1].running_mean)
    torch.testing.assert_close(averaged.module[1].running_mean, swa(means), rtol=0, atol=1e-6)
    assert averaged.module[1].num_batches_tracked == 1 != swa([torch.tensor(n + 1.0) for n in range(6)])


@pytest.mark.parametrize("batches", [1, 3, 7])
def test_update_bn_keeps_the_plain_mean_of_batch_statistics_and_restores_the_model(batches):
    model = bn_model()
    data = [torch.randn(10, 2) * 3 - 1 for _ in range(batches)]
    model.eval()
    model[1].momentum = 0.3
    update_bn([(batch, "label") for batch in data], model)  # tuples: the first element is the input
    with torch.no_grad():
        mean, variance = cumulative_statistics([model[0](batch) for batch in data])
    torch.testing.assert_close(model[1].running_mean, mean, rtol=0, atol=1e-6)
    torch.testing.assert_close(model[1].running_var, variance, rtol=1e-5, atol=0)
    assert model[1].momentum == 0.3 and not model.training and model[1].num_batches_tracked == batches
