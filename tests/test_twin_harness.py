"""The harness every twin test runs in (snippets/twin_check.py): it must be able to fail, and do what it says."""

import pytest
import torch

from snippets.adam import Adam
from snippets.twin_check import run_pair
from tests.optim_twins import assert_close_run


class EpsInsideTheRoot(Adam):
    """Adam with ε moved inside the square root: a wrong formula that differs from torch by about ε."""

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        self.eps = 0.0
        self._inner_eps = kwargs.get("eps", 1e-8)

    @torch.no_grad()
    def step(self):
        for v in self.v:
            v.add_(self._inner_eps**2)  # as if √(v + ε²) replaced √v + ε
        super().step()


def test_a_wrong_twin_is_rejected():
    with pytest.raises(AssertionError):
        assert_close_run(torch.optim.Adam, EpsInsideTheRoot, {"lr": 0.01, "eps": 1e-3})


def test_a_tensor_lr_changed_mid_run_is_changed_in_place_for_torch_and_the_twin_separately():
    lr = torch.tensor(0.01, dtype=torch.float64)
    seen = []

    class Recording(Adam):
        def step(self):
            seen.append((self.lr is lr, torch.is_tensor(self.lr), float(self.lr)))
            super().step()

    for _ in run_pair(torch.optim.Adam, Recording, {"lr": lr}, steps=4, lr_schedule={2: 0.5}):
        pass
    assert lr.item() == 0.5  # torch's own tensor, filled in place as LRScheduler does
    assert seen == [(False, True, 0.01), (False, True, 0.01), (False, True, 0.5), (False, True, 0.5)]  # the twin's copy


def test_resync_compares_each_step_from_the_same_point():
    """Adam with β₂ = 0 on a gradient that feeds back (0.5 θ plus noise of 1e-6) follows a chaotic path: the twin's
    and torch's roundings of one step grow to 3.5e-10 over 50 steps. From the same point each step they agree."""
    kwargs = {"lr": 0.25, "betas": (0.03125, 0.0), "eps": 0.001}
    options = {"shapes": [(), ()], "steps": 50, "grad_scale": 1e-6, "none_every": 5, "lr_schedule": {25: 0.5}}
    with pytest.raises(AssertionError):
        assert_close_run(torch.optim.Adam, Adam, kwargs, **options)
    assert_close_run(torch.optim.Adam, Adam, kwargs, **options, resync=True)
