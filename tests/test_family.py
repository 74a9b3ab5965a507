"""The parts of snippets/family.py name every optimizer of the adaptive chapter, at torch's defaults and away from them.

The page (docs/adaptive/index.md) runs the search on torch.optim at torch's defaults only; here each torch.optim class is
probed with other hyperparameters too, so a part that matched by a coincidence of the default constants would fail, and
each twin of the chapter takes torch's steps (float64, `rtol = 1e-12`: the twins' rounding, not their formulas) and names
the same pair. The search compares the predicted steps with torch's at `rtol = 1e-9` (float64; the parts round
differently from torch's folded arithmetic, a few units in the last place, and NAdam's Π_t is a float32 product on both
sides).
"""

from functools import partial

import pytest
import torch

from snippets.adadelta import Adadelta
from snippets.adagrad import Adagrad
from snippets.adam import Adam
from snippets.adamax import Adamax
from snippets.family import avg, constants, decayed_max, decayed_sum, name_parts, rectifier, settings, steps_taken
from snippets.nadam import NAdam
from snippets.radam import RAdam
from snippets.rmsprop import RMSprop
from snippets.sgd import sgd_step

pytestmark = pytest.mark.reuse_passing_verdict

EXPECTED = {  # class: (N, D) as the table writes them before the constants are filled in
    "SGD": ("Σ(g; {beta1})", "1"),
    "Adagrad": ("g", "√Σg² + ε"),
    "RMSprop": ("g", "√avg(g²; {beta2}) + ε"),
    "Adadelta": ("√(avg(d²; {beta2}) + ε)·g", "√(avg(g²; {beta2}) + ε)"),
    "Adam": ("avg(g; {beta1})/c₁", "√(avg(g²; {beta2})/c₂) + ε"),
    "Adamax": ("avg(g; {beta1})/c₁", "max(|g| + ε; {beta2})"),
    "NAdam": ("a·g + b·avg(g; {beta1})", "√(avg(g²; {beta2})/c₂) + ε"),
    "RAdam": ("r·avg(g; {beta1})/c₁ ‡", "(√avg(g²; {beta2}) + ε)/√c₂ ‡"),
}
CASES = [
    ("SGD", dict(momentum=0.9)),
    ("SGD", dict(lr=0.3, momentum=0.5)),
    ("Adagrad", {}),
    ("Adagrad", dict(lr=0.5, eps=1e-4)),
    ("RMSprop", {}),
    ("RMSprop", dict(lr=0.1, alpha=0.8, eps=1e-3)),
    ("Adadelta", {}),
    ("Adadelta", dict(lr=0.3, rho=0.5, eps=1e-3)),
    ("Adam", {}),
    ("Adam", dict(lr=0.1, betas=(0.5, 0.9), eps=1e-3)),
    ("Adamax", {}),
    ("Adamax", dict(lr=0.1, betas=(0.5, 0.9), eps=1e-3)),
    ("NAdam", {}),
    ("NAdam", dict(lr=0.1, betas=(0.5, 0.9), eps=1e-3, momentum_decay=0.1)),
    ("RAdam", {}),
    ("RAdam", dict(lr=0.1, betas=(0.5, 0.95), eps=1e-3)),  # rectified from step 6 (ρ₆ ≈ 5.3)
]


class SGDTwin:
    """snippets/sgd.py's function with the interface of the other twins."""

    def __init__(self, params, lr=1e-3, momentum=0.0):
        self.params, self.lr, self.momentum, self.state = list(params), lr, momentum, {}

    def step(self):
        sgd_step(self.params, self.state, lr=self.lr, momentum=self.momentum)


TWINS = {"SGD": SGDTwin, "Adagrad": Adagrad, "RMSprop": RMSprop, "Adadelta": Adadelta, "Adam": Adam}
TWINS |= {"Adamax": Adamax, "NAdam": NAdam, "RAdam": RAdam}


def probe_gradients(steps=12, seed=0):
    gen = torch.Generator().manual_seed(seed)
    sizes = torch.tensor([1e-8, 1e-6, 1e-4, 1e-2, 1.0, 1e2], dtype=torch.float64)
    return [sizes * torch.randn(6, generator=gen, dtype=torch.float64) for _ in range(steps)]


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_exactly_one_pair_reproduces_torch(name, kwargs):
    grads = probe_gradients()
    optimizer = getattr(torch.optim, name)([torch.zeros(6, dtype=torch.float64, requires_grad=True)], **kwargs)
    c = constants(settings(optimizer))
    found, (_, miss) = name_parts(grads, steps_taken(optimizer, grads), c)
    assert [(n.label, d.label) for n, d in found] == [EXPECTED[name]]
    assert miss > 1e-4  # every other pair is far from torch's steps, not at the edge of the tolerance


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_each_twin_takes_torchs_steps_and_names_the_same_pair(name, kwargs):
    grads = probe_gradients()
    twin = TWINS[name]([torch.zeros(6, dtype=torch.float64, requires_grad=True)], **kwargs)
    reference = getattr(torch.optim, name)([torch.zeros(6, dtype=torch.float64, requires_grad=True)], **kwargs)
    c = constants(settings(twin))
    assert c == constants(settings(reference))
    steps = steps_taken(twin, grads)
    for a, b in zip(steps, steps_taken(reference, grads), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=0)
    found, _ = name_parts(grads, steps, c)
    assert [(n.label, d.label) for n, d in found] == [EXPECTED[name]]


def test_radam_that_never_rectifies_is_momentum_with_a_corrected_mean():
    """β₂ = 0.6: ρ∞ = 4 < 5, so D = 1 and r = 1 at every step; every pair equal to m̂ / 1 then fits, RAdam's among them."""
    grads = probe_gradients()
    optimizer = torch.optim.RAdam([torch.zeros(6, dtype=torch.float64, requires_grad=True)], betas=(0.5, 0.6))
    found, _ = name_parts(grads, steps_taken(optimizer, grads), constants(settings(optimizer)))
    labels = {(n.label, d.label) for n, d in found}
    assert EXPECTED["RAdam"] in labels and ("avg(g; {beta1})/c₁", "1") in labels and len(labels) == 4


def test_the_search_finds_nothing_when_a_step_is_wrong():
    grads = probe_gradients()
    optimizer = torch.optim.Adam([torch.zeros(6, dtype=torch.float64, requires_grad=True)])
    steps = steps_taken(optimizer, grads)
    steps[7] = steps[7] * (1 + 1e-6)
    found, _ = name_parts(grads, steps, constants(settings(optimizer)))
    assert found == []


def test_the_memories():
    xs = [torch.tensor(x, dtype=torch.float64) for x in (3.0, -1.0, 2.0)]
    assert avg(xs, 0.5).item() == 0.5 * (0.5 * 0.5 * 3.0 + 0.5 * -1.0) + 0.5 * 2.0
    assert decayed_sum(xs, 0.5).item() == 0.25 * 3.0 - 0.5 + 2.0
    assert decayed_sum(xs, 1.0).item() == 4.0
    assert decayed_max(xs, 0.5).item() == 2.0 and decayed_max(xs[:2], 0.5).item() == 1.5


def test_rectifier_switches_on_at_step_6_for_the_default_beta2():
    assert [rectifier(t, 0.999) is None for t in range(1, 8)] == [True] * 5 + [False] * 2


def test_the_constants_read_torch_and_twin_names_alike():
    sgd = partial(torch.optim.SGD, momentum=0.9)
    c = constants(settings(sgd([torch.zeros(1, requires_grad=True)])))
    assert (c["beta1"], c["beta2"], c["eps"]) == (0.9, None, 0.0)
    c = constants(settings(torch.optim.RMSprop([torch.zeros(1, requires_grad=True)])))
    assert (c["beta1"], c["beta2"]) == (None, 0.99)  # momentum 0 is no memory of g
    c = constants(settings(torch.optim.Adadelta([torch.zeros(1, requires_grad=True)])))
    assert (c["beta1"], c["beta2"], c["lr"]) == (None, 0.9, 1.0)
