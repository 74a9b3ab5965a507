"""The chain-rule page's LoggingSGD (snippets/logging_sgd.py) is torch.optim.SGD without momentum, bit for bit,
and its log says exactly what each step did: several param groups, parameters without gradients, a closure."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets.logging_sgd import LoggingSGD

# A twin compared with torch: its verdict depends only on the files and packages it reads (tests/verdicts.py).
pytestmark = pytest.mark.reuse_passing_verdict

SHAPES = st.lists(st.sampled_from([(), (1,), (3,), (2, 4)]), min_size=1, max_size=4)


@settings(derandomize=True, deadline=None, max_examples=40)
@given(
    lrs=st.lists(st.floats(0.0, 2.0), min_size=1, max_size=3),
    shapes=SHAPES,
    steps=st.integers(1, 30),
    seed=st.integers(0, 2**16),
    dtype=st.sampled_from([torch.float32, torch.float64]),
)
def test_equals_plain_sgd_bit_for_bit_and_logs_every_update(lrs, shapes, steps, seed, dtype):
    gen = torch.Generator().manual_seed(seed)
    start = [torch.randn(shape, generator=gen, dtype=dtype) for shape in shapes]
    ours = [p.clone().requires_grad_() for p in start]
    theirs = [p.clone().requires_grad_() for p in start]

    def groups(params):  # parameter i goes to group i mod len(lrs): groups of different lr (an empty one left out)
        return [{"params": params[g :: len(lrs)], "lr": lr} for g, lr in enumerate(lrs) if params[g :: len(lrs)]]

    logging_sgd, sgd = LoggingSGD(groups(ours), lr=0.5), torch.optim.SGD(groups(theirs), lr=0.5, foreach=False)
    for t in range(steps):
        expected_log = []
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            if (i + t) % 3 == 2:  # this parameter gets no gradient this step: both skip it
                a.grad = b.grad = None
                continue
            g = torch.randn(a.shape, generator=gen, dtype=dtype)
            a.grad, b.grad = g.clone(), g.clone()
        for group_index, group in enumerate(logging_sgd.param_groups):
            for param_index, p in enumerate(group["params"]):
                if p.grad is not None:
                    expected_log.append((group_index, param_index, p.detach().clone(), p.grad.clone(), group["lr"]))
        before = len(logging_sgd.log)
        logging_sgd.step()
        sgd.step()
        for a, b in zip(ours, theirs, strict=True):
            assert torch.equal(a, b)
        entries = logging_sgd.log[before:]
        assert [(e["group"], e["param"]) for e in entries] == [(g, i) for g, i, *_ in expected_log]
        for entry, (g, i, was, grad, lr) in zip(entries, expected_log, strict=True):
            assert torch.equal(entry["before"], was) and torch.equal(entry["grad"], grad)
            assert torch.equal(entry["after"], logging_sgd.param_groups[g]["params"][i].detach())
            assert torch.equal(entry["after"], was.add(grad, alpha=-lr))


def test_closure_is_evaluated_with_grad_enabled_and_its_loss_returned():
    x = torch.tensor([1.0, -2.0], requires_grad=True)
    optimizer = LoggingSGD([x], lr=0.25)

    def closure():
        optimizer.zero_grad()
        loss = (x**2).sum()
        loss.backward()  # would fail under no_grad: the optimizer's step runs under no_grad, the closure must not
        return loss

    loss = optimizer.step(closure)
    assert loss.item() == 5.0 and torch.equal(x.detach(), torch.tensor([0.5, -1.0]))


def test_negative_learning_rate_is_refused_as_torch_does():
    with pytest.raises(ValueError, match=r"Invalid learning rate: -0\.1"):
        LoggingSGD([torch.zeros(1, requires_grad=True)], lr=-0.1)
    with pytest.raises(ValueError, match=r"Invalid learning rate: -0\.1"):
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=-0.1)
