"""Mutation test of the 26 twin checks in docs/frameworks/*.md: each conversion, broken on purpose, must fail its page.

A twin check runs optax or Keras beside torch and asserts that they agree, then prints a summary computed from what
it ran. This negative test shows that the checks would notice if they did not: each mutation breaks one conversion
(a flag dropped, a hyperparameter off by 0.1 %, an off-by-one in a schedule, Keras's float32 default), the harness
(torch's gradients off by 1e-9, its path one step short), or the configurations themselves (a flag no longer
exercised, a configuration deleted: the printed summary must change). Each mutation is one or more exact string
replacements, each of which must occur exactly once inside its twin-check block (from the block's marker to its
expected-output fence): when a page changes, a mutation that no longer applies fails loudly, before anything runs.

Nothing is written into the working tree: the project's tracked and untracked-but-not-ignored files are copied to a
temporary directory, with .cache/katex copied and each .cache/pages entry linked (read only: the engine only adds
entries), and each mutated page is written there as docs/frameworks/_mut_<id>.md and checked by
`python -m verified check` in that directory. The mutated block also writes its largest difference to a file of the
copy (the "probe" column: how far the mutation moved the result); its printed output is unchanged.

Every mutation says what must happen: "caught" (the page fails in the mutated block, by an assert or a changed
output; an exception of another kind is a broken mutation) or "equivalent" (the page passes: the mutation cannot
change a result, for the reason given). The run exits 1 if any mutation does otherwise, 2 if a mutation no longer
applies to its page, and prints a table.

    python -m tests.mutations.frameworks              # every mutation, two at a time
    python -m tests.mutations.frameworks sgd.B1 adam  # only the ids that contain any of these
    python -m tests.mutations.frameworks --dry        # only check that every mutation applies
    python -m tests.mutations.frameworks -j 1         # one at a time
    nox -s mutate -- -j 1                             # the same through nox

Each mutation runs its whole page in a fresh process (5 to 9 s); all of them take about 10 minutes with -j 2 on two
cores.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = Path("docs/frameworks")
FENCE = "<!--pytest-codeblocks:expected-output-->"
PY_FENCE = "```python\n"
F32 = 'keras.config.set_floatx("float32")  # MUTATION: Keras default\n'
ENV = {"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "NO_MKDOCS_2_WARNING": "1"}  # as noxfile.py's ENV
TIMEOUT = 900  # seconds for one page; a page takes 5 to 9


@dataclass(frozen=True)
class Mutation:
    id: str
    page: str  # under docs/frameworks/
    block: str  # the twin check's name, as in <!--verified:twin-check NAME-->
    description: str
    replacements: tuple[tuple[str, str], ...]
    equivalent: str  # why the mutation cannot change a result; "" if it must be caught

    @property
    def expected(self) -> str:
        return "equivalent" if self.equivalent else "caught"


MUTATIONS: list[Mutation] = []


def add(mid: str, page: str, block: str, description: str, *replacements: tuple[str, str], equivalent: str = "") -> None:
    MUTATIONS.append(Mutation(mid, page, block, description, replacements, equivalent))


# ---------------------------------------------------------------------------------------------------------- sgd.md
P = "sgd.md"
B = "optax.sgd as torch SGD"
add("sgd.B1.a", P, B, "optax nesterov=nag -> False", ("nesterov=nag)  # None: no trace", "nesterov=False)  # None: no trace"))
add(
    "sgd.B1.b",
    P,
    B,
    "optax momentum mu -> 0.999 mu (0.9 -> 0.8991)",
    ("optax.sgd(lr, momentum=mu or None,", "optax.sgd(lr, momentum=mu * 0.999 or None,"),
)
add(
    "sgd.B1.h",
    P,
    B,
    "harness: torch's gradients x (1 + 1e-9)",
    ("TORCH = {\n", "_G, GRADS = GRADS, GRADS * (1 + 1e-9)\nTORCH = {\n"),
    ("worst = 0.0\n", "GRADS = _G\nworst = 0.0\n"),
)
add(
    "sgd.B1.s",
    P,
    B,
    "harness: torch's path one step short (theta_59 twice)",
    ("torch_run(lr=lr, momentum=mu, nesterov=nag)\n", "torch_run(lr=lr, momentum=mu, nesterov=nag)[[*range(STEPS - 1), -2]]\n"),
)
add("sgd.B1.t1", P, B, "summary: the 2 Nesterov configurations deleted", ("    (0.1, 0.9, True), (0.05, 0.99, True),\n", ""))
add(
    "sgd.B1.t2",
    P,
    B,
    "summary: the configuration without momentum deleted",
    ("    (0.01, 0.0, False), (0.1, 0.9, False),", "    (0.1, 0.9, False),"),
)

B = "Keras SGD as torch SGD"
add("sgd.B2.a", P, B, "Keras nesterov=nag -> False", ("momentum=mu, nesterov=nag)", "momentum=mu, nesterov=False)"))
add("sgd.B2.b", P, B, "Keras momentum mu -> 0.999 mu", ("SGD(learning_rate=lr, momentum=mu,", "SGD(learning_rate=lr, momentum=mu * 0.999,"))
add("sgd.B2.c", P, B, "floatx float64 -> Keras default float32", (PY_FENCE, PY_FENCE + F32))
add("sgd.B2.h", P, B, "harness: Keras gradients + 1e-9 theta", ("largest(keras_run(opt), TORCH", "largest(keras_run(opt, l2=1e-9), TORCH"))

B = "optax.add_decayed_weights + optax.sgd as torch SGD weight_decay"
add(
    "sgd.B3.a",
    P,
    B,
    "decay after trace (Keras's decoupled place)",
    (
        "tx = optax.chain(optax.add_decayed_weights(wd),\n                     optax.sgd(WD_LR, mu or None, nesterov=nag))",
        "tx = optax.chain(optax.trace(mu, nesterov=nag),\n"
        "                     optax.add_decayed_weights(wd),\n"
        "                     optax.scale_by_learning_rate(WD_LR))",
    ),
)
add("sgd.B3.b", P, B, "add_decayed_weights(wd) -> (1.001 wd)", ("optax.add_decayed_weights(wd),", "optax.add_decayed_weights(wd * 1.001),"))
add(
    "sgd.B3.c",
    P,
    B,
    "optax nesterov=nag -> False",
    ("optax.sgd(WD_LR, mu or None, nesterov=nag))", "optax.sgd(WD_LR, mu or None, nesterov=False))"),
)
add(
    "sgd.B3.h",
    P,
    B,
    "harness: torch's gradients x (1 + 1e-9)",
    ("    pt = torch_run(lr=WD_LR,", "    GRADS, _G = GRADS * (1 + 1e-9), GRADS\n    pt = torch_run(lr=WD_LR,"),
    ("weight_decay=wd)\n", "weight_decay=wd)\n    GRADS = _G\n"),
)
add("sgd.B3.t1", P, B, "summary: the one Nesterov configuration deleted", ("    (0.01, 0.9, True),\n", ""))
add("sgd.B3.t2", P, B, "summary: the weight_decay 1e-4 configuration deleted", (" (1e-4, 0.99, False),", ""))
add("sgd.B3.t3", P, B, "summary: lr 0.1 -> 0.05 on both sides", ("WD_LR = 0.1\n", "WD_LR = 0.05\n"))

B = "Keras SGD with λθ added to the gradient as torch SGD weight_decay"
add(
    "sgd.B4.a",
    P,
    B,
    "l2=wd by hand -> Keras weight_decay=wd",
    (
        "opt = keras.optimizers.SGD(WD_LR, momentum=mu, nesterov=nag)\n    worst = max(worst, largest(keras_run(opt, l2=wd), pt))",
        "opt = keras.optimizers.SGD(WD_LR, momentum=mu, nesterov=nag,\n"
        "                               weight_decay=wd)\n"
        "    worst = max(worst, largest(keras_run(opt), pt))",
    ),
)
add("sgd.B4.b", P, B, "l2=wd -> l2=1.001 wd", ("keras_run(opt, l2=wd)", "keras_run(opt, l2=wd * 1.001)"))
add("sgd.B4.c", P, B, "Keras nesterov=nag -> False", ("momentum=mu, nesterov=nag)\n", "momentum=mu, nesterov=False)\n"))
add(
    "sgd.B4.h",
    P,
    B,
    "harness: torch's gradients x (1 + 1e-9)",
    ("    pt = torch_run(lr=WD_LR,", "    GRADS, _G = GRADS * (1 + 1e-9), GRADS\n    pt = torch_run(lr=WD_LR,"),
    ("weight_decay=wd)\n", "weight_decay=wd)\n    GRADS = _G\n"),
)

# ------------------------------------------------------------------------------------------------ sgd-schedules.md
P = "sgd-schedules.md"
B = "optax.sgd with a schedule as torch SGD with a scheduler"
add(
    "sgds.B5.a",
    P,
    B,
    "optax schedule off by one (lr of step k+1 at k)",
    ("optax_scheduled_runs(lrs, MU)", "optax_scheduled_runs(lrs[1:] + lrs[-1:], MU)"),
)
add("sgds.B5.b", P, B, "optax momentum 0.9 -> 0.899", ("optax_scheduled_runs(lrs, MU)", "optax_scheduled_runs(lrs, MU - 0.001)"))
add("sgds.B5.c", P, B, "torch nesterov dropped (optax Nesterov vs torch plain)", ("zip(NESTEROV,", "zip((False, False),"))
add(
    "sgds.B5.h",
    P,
    B,
    "harness: torch's gradients x (1 + 1e-9)",
    ("        pt = torch_run(scheduler,", "        GRADS, _G = GRADS * (1 + 1e-9), GRADS\n        pt = torch_run(scheduler,"),
    ("nesterov=nag)\n", "nesterov=nag)\n        GRADS = _G\n"),
)
add("sgds.B5.t1", P, B, "summary: Nesterov no longer run", ("NESTEROV = (False, True)", "NESTEROV = (False,)"))
add("sgds.B5.t2", P, B, "summary: momentum 0.9 -> 0.5 on both sides", ("MU = 0.9", "MU = 0.5"))

B = "Keras SGD, velocity rescaled, as torch SGD with a scheduler"
add("sgds.B6.a", P, B, "velocity rescale dropped", ("keras_run(opt, rescale=ratio)", "keras_run(opt)"))
add(
    "sgds.B6.b",
    P,
    B,
    "rescale one step late (lr_(t-1)/lr_(t-2))",
    (
        "ratio = [1.0] + [lrs[t] / lrs[t - 1] for t in range(1, STEPS)]",
        "ratio = [1.0, 1.0] + [lrs[t - 1] / lrs[t - 2] for t in range(2, STEPS)]",
    ),
)
add(
    "sgds.B6.c",
    P,
    B,
    "Keras nesterov=nag -> False",
    ("SGD(Recorded(lrs), momentum=MU, nesterov=nag)", "SGD(Recorded(lrs), momentum=MU, nesterov=False)"),
)
add("sgds.B6.d", P, B, "Keras momentum 0.9 -> 0.899", ("SGD(Recorded(lrs), momentum=MU,", "SGD(Recorded(lrs), momentum=MU - 0.001,"))
add(
    "sgds.B6.e",
    P,
    B,
    "ratio[0] 1.0 -> 2.0",
    ("ratio = [1.0] +", "ratio = [2.0] +"),
    equivalent="ratio[0] is never read: keras_run rescales only once the optimizer is built, from step 1 on",
)

# ------------------------------------------------------------------------------------------------------ adagrad.md
P = "adagrad.md"
B = "optax.adagrad as torch Adagrad"
add(
    "adag.B7.a",
    P,
    B,
    "lr_decay schedule off by one (count -> count + 1)",
    ("return lr / (1 + count * lr_decay)", "return lr / (1 + (count + 1) * lr_decay)"),
)
add(
    "adag.B7.b",
    P,
    B,
    "optax eps=0.0 -> 1e-10 (torch's eps copied under the root)",
    ("return optax.adagrad(schedule, eps=0.0,", "return optax.adagrad(schedule, eps=1e-10,"),
)
add(
    "adag.B7.c",
    P,
    B,
    "defaults twin: torch tau 0.1 + 1e-7 -> 0.1 (eps dropped)",
    ("initial_accumulator_value=0.1 + 1e-7)", "initial_accumulator_value=0.1)"),
)
add(
    "adag.B7.h",
    P,
    B,
    "harness: torch's gradients x (1 + 1e-9)",
    (
        "ours = torch_path(torch.optim.Adagrad, twin_grads, eps=0.0, **hyper)",
        "ours = torch_path(torch.optim.Adagrad, twin_grads * (1 + 1e-9),\n                      eps=0.0, **hyper)",
    ),
)
add(
    "adag.B7.s",
    P,
    B,
    "harness: torch's path one step short",
    (
        "ours = torch_path(torch.optim.Adagrad, twin_grads, eps=0.0, **hyper)",
        "ours = torch_path(torch.optim.Adagrad, twin_grads, eps=0.0,\n                      **hyper)[[*range(STEPS - 1), -2]]",
    ),
)
add("adag.B7.t1", P, B, "summary: a configuration deleted", ("    dict(lr=0.1, lr_decay=0.05),\n", ""))
add(
    "adag.B7.t2",
    P,
    B,
    "summary: lr_decay no longer set",
    ("    dict(lr=0.1, lr_decay=0.05),\n", "    dict(lr=0.1),\n"),
    ("initial_accumulator_value=0.3, lr_decay=1.0),", "initial_accumulator_value=0.3),"),
)

B = "Keras Adagrad as torch Adagrad"
add("adag.B8.a", P, B, "Keras epsilon=0.0 dropped (default 1e-7)", ("        schedule, epsilon=0.0,\n", "        schedule,\n"))
add("adag.B8.b", P, B, "InverseTimeDecay decay_rate -> 1.001 lr_decay", ("decay_rate=lr_decay)", "decay_rate=lr_decay * 1.001)"))
add(
    "adag.B8.c",
    P,
    B,
    "defaults twin: torch tau 0.1 + 1e-7 -> 0.1 + 1e-8",
    ("initial_accumulator_value=0.1 + 1e-7)", "initial_accumulator_value=0.1 + 1e-8)"),
)
add(
    "adag.B8.e",
    P,
    B,
    "InverseTimeDecay staircase=True",
    ("decay_rate=lr_decay)", "decay_rate=lr_decay, staircase=True)"),
    equivalent="staircase floors step / decay_steps, already a whole number with decay_steps=1",
)
add(
    "adag.B8.h",
    P,
    B,
    "harness: Keras's last gradient x (1 + 1e-9)",
    (
        "theirs = keras_path(keras_adagrad_as_torch(**hyper), twin_grads)",
        "theirs = keras_path(keras_adagrad_as_torch(**hyper),\n"
        "                        torch.cat([twin_grads[:-1],\n"
        "                                   twin_grads[-1:] * (1 + 1e-9)]))",
    ),
)

# --------------------------------------------------------------------------------------------------------- adam.md
P = "adam.md"
LAST = "{k: g + 1e-6 * (t == STEPS) for k, g in grads.items()}"  # the gradients, the last one changed
B = "optax.adam as torch Adam"
add("adam.B9.a", P, B, "optax eps default 1e-8 -> 1e-7", ('eps=kwargs.get("eps", 1e-8),', 'eps=kwargs.get("eps", 1e-7),'))
add("adam.B9.b", P, B, "optax eps_root 0 -> 1e-16", ('eps=kwargs.get("eps", 1e-8),\n', 'eps=kwargs.get("eps", 1e-8), eps_root=1e-16,\n'))
add("adam.B9.c", P, B, "optax b2 -> library default 0.999", ("b1=b1, b2=b2,", "b1=b1, b2=0.999,"))
add(
    "adam.B9.h",
    P,
    B,
    "harness: torch's last gradient + 1e-6",
    ("torch.optim.Adam(p.values(), **kwargs), grads)", f"torch.optim.Adam(p.values(), **kwargs),\n                     {LAST})"),
)
add(
    "adam.B9.t1",
    P,
    B,
    "summary: the tiny-gradient configuration deleted",
    ('    ({"lr": 0.01}, 1e-7),  # gradients near ε: where ε shows\n', ""),
)
add("adam.B9.t2", P, B, "summary: eps 1e-6 -> 1e-5 on both sides", ('"eps": 1e-6}', '"eps": 1e-5}'))

B = "Keras Adam as torch Adam"
add(
    "adam.B10.a",
    P,
    B,
    "epsilon set each step dropped (fixed default 1e-7)",
    ("theirs = keras_run(make, grads, epsilon_at=epsilon_at)", "theirs = keras_run(make, grads)"),
)
add(
    "adam.B10.b",
    P,
    B,
    "epsilon correction with default beta_2 0.999",
    ('epsilon_at = keras_epsilon(kwargs.get("eps", 1e-8), b2)', 'epsilon_at = keras_epsilon(kwargs.get("eps", 1e-8))'),
)
add("adam.B10.c", P, B, "Keras amsgrad flag dropped", ('amsgrad=kwargs.get("amsgrad", False),', "amsgrad=False,"))
add(
    "adam.B10.d",
    P,
    B,
    "epsilon correction one step late (t -> t + 1)",
    (
        'epsilon_at = keras_epsilon(kwargs.get("eps", 1e-8), b2)',
        'epsilon_at = (lambda f: lambda t: f(t + 1))(\n        keras_epsilon(kwargs.get("eps", 1e-8), b2))',
    ),
)
add("adam.B10.e", P, B, "floatx float64 -> Keras default float32", (PY_FENCE, PY_FENCE + F32))
add(
    "adam.B10.h",
    P,
    B,
    "harness: torch's last gradient + 1e-6",
    ("torch.optim.Adam(p.values(), **kwargs), grads)", f"torch.optim.Adam(p.values(), **kwargs),\n                     {LAST})"),
)
add("adam.B10.t1", P, B, "summary: the amsgrad configuration deleted", ('    ({"lr": 0.01, "amsgrad": True}, 1.0),\n', ""))

# -------------------------------------------------------------------------------------------------------- adamw.md
P = "adamw.md"
LAST_ADAMW = "{k: g + 1e-6 * (t == STEPS) for k, g in GRADS.items()}"
B = "optax.adamw as torch AdamW"
add(
    "adamw.B11.a",
    P,
    B,
    "optax mask dropped (b decayed)",
    ("make_tx = optax.adamw if decay_b else adamw_no_decay_on_b", "make_tx = optax.adamw"),
)
add(
    "adamw.B11.b",
    P,
    B,
    "optax weight_decay -> library default 1e-4",
    ("theirs = optax_run(make_tx, learning_rate=lr, weight_decay=wd)", "theirs = optax_run(make_tx, learning_rate=lr)"),
)
add(
    "adamw.B11.c",
    P,
    B,
    "L2 chain: decay after scale_by_adam (decoupled)",
    (
        "optax.add_decayed_weights(weight_decay), optax.adam(learning_rate)",
        "optax.scale_by_adam(), optax.add_decayed_weights(weight_decay),\n        optax.scale_by_learning_rate(learning_rate)",
    ),
)
add(
    "adamw.B11.d",
    P,
    B,
    "optax weight_decay -> 1.001 wd",
    (
        "theirs = optax_run(make_tx, learning_rate=lr, weight_decay=wd)",
        "theirs = optax_run(make_tx, learning_rate=lr,\n                        weight_decay=wd * 1.001)",
    ),
)
add(
    "adamw.B11.h",
    P,
    B,
    "harness: torch's last gradient + 1e-6",
    (
        "ours = torch_run(torch_adamw(lr, wd, decay_b))",
        f"ours = torch_run(torch_adamw(lr, wd, decay_b),\n                     {LAST_ADAMW})",
    ),
)
add("adamw.B11.t1", P, B, "summary: the configuration with b undecayed deleted", ("    (0.01, 0.1, False),\n", ""))
add(
    "adamw.B11.t2", P, B, "summary: an L2 configuration deleted", ("l2_configs = [(1e-3, 0.01), (0.01, 0.1)]", "l2_configs = [(0.01, 0.1)]")
)

B = "Keras AdamW as torch AdamW"
add(
    "adamw.B12.a",
    P,
    B,
    "exclude_from_weight_decay dropped",
    ('            optimizer.exclude_from_weight_decay(var_list=[variables["b"]])\n', "            pass\n"),
)
add(
    "adamw.B12.b",
    P,
    B,
    "Keras weight_decay -> library default 0.004",
    ("keras.optimizers.AdamW(lr, weight_decay=weight_decay)", "keras.optimizers.AdamW(lr)"),
)
add(
    "adamw.B12.c",
    P,
    B,
    "L2 by hand -> Keras Adam(weight_decay=wd)",
    (
        "keras.optimizers.Adam(lr),\n                       epsilon_at=keras_epsilon(), l2=wd)",
        "keras.optimizers.Adam(lr, weight_decay=wd),\n                       epsilon_at=keras_epsilon())",
    ),
)
add(
    "adamw.B12.d",
    P,
    B,
    "epsilon set each step dropped (AdamW configurations)",
    ("theirs = keras_run(make, epsilon_at=keras_epsilon())", "theirs = keras_run(make)"),
)
add(
    "adamw.B12.h",
    P,
    B,
    "harness: torch's last gradient + 1e-6",
    (
        "ours = torch_run(torch_adamw(lr, wd, decay_b))",
        f"ours = torch_run(torch_adamw(lr, wd, decay_b),\n                     {LAST_ADAMW})",
    ),
)
add(
    "adamw.B12.t1",
    P,
    B,
    "summary: a second L2 configuration added",
    ("keras_l2_configs = [(0.01, 0.1)]", "keras_l2_configs = [(0.01, 0.1), (1e-3, 0.01)]"),
)

B = "optax.amsgrad as torch Adam(amsgrad=True)"
add("adamw.B13.a", P, B, "bias_correction_nu=False dropped", ("b1=b1, b2=b2, bias_correction_nu=False,", "b1=b1, b2=b2,"))
add("adamw.B13.b", P, B, "eps schedule dropped (eps fixed)", ("eps=lambda count: eps * correction(count),", "eps=eps,"))
add("adamw.B13.c", P, B, "correction off by one (count + 1 -> count + 2)", ("b2 ** (count + 1))", "b2 ** (count + 2))"))
add(
    "adamw.B13.h",
    P,
    B,
    "harness: torch's last gradient + 1e-6",
    ("amsgrad=True, **kwargs), grads\n", "amsgrad=True, **kwargs),\n        " + LAST + "\n"),
)
add("adamw.B13.t1", P, B, "summary: the tiny-gradient configuration deleted", ('    ({"lr": 0.01}, scaled(GRADS, 1e-7)),\n', ""))
add(
    "adamw.B13.t2",
    P,
    B,
    "summary: the configuration with betas and eps deleted",
    ('    ({"lr": 1e-3, "betas": (0.8, 0.99), "eps": 1e-6}, AMS_GRADS),\n', ""),
)

# ----------------------------------------------------------------------------------------------------- clipping.md
P = "clipping.md"
B = "optax.clip_by_global_norm as torch clip_grad_norm_"
add(
    "clip.B14.a",
    P,
    B,
    "clip after adam instead of before",
    ("optax_path(adam_chain, (max_norm, lr, inf))", "optax_path(adam_chain, (inf, lr, max_norm))"),
)
add("clip.B14.b", P, B, "optax max_norm -> 1.001 max_norm", ("(max_norm, lr, inf))", "(max_norm * 1.001, lr, inf))"))
add("clip.B14.c", P, B, "optax max_norm -> (1 + 1e-5) max_norm", ("(max_norm, lr, inf))", "(max_norm * (1 + 1e-5), lr, inf))"))
add("clip.B14.d", P, B, "optax lr -> (1 + 1e-5) lr", ("(max_norm, lr, inf))", "(max_norm, lr * (1 + 1e-5), inf))"))
add(
    "clip.B14.e",
    P,
    B,
    "optax max_norm -> (1 + 1e-6) max_norm (torch's own 1e-6 scale)",
    ("(max_norm, lr, inf))", "(max_norm * (1 + 1e-6), lr, inf))"),
)
add(
    "clip.B14.h",
    P,
    B,
    "harness: torch's gradient at step 31 x 1.001",
    (
        "    ours = torch_path(torch.optim.Adam,",
        "    _G, GRADS = GRADS, [[g * 1.001 for g in s] if i == 30 else s\n"
        "                        for i, s in enumerate(GRADS)]\n"
        "    ours = torch_path(torch.optim.Adam,",
    ),
    ("clip_grad_norm_(params, max_norm), lr=lr)\n", "clip_grad_norm_(params, max_norm), lr=lr)\n    GRADS = _G\n"),
)
add(
    "clip.B14.t1",
    P,
    B,
    "summary: a configuration deleted",
    ("configs = [(1.0, 0.01), (0.5, 0.05), (2.0, 0.1)]", "configs = [(1.0, 0.01), (0.5, 0.05)]"),
)
add(
    "clip.B14.t2",
    P,
    B,
    "summary: max_norm 2 -> 10, which never clips",
    ("configs = [(1.0, 0.01), (0.5, 0.05), (2.0, 0.1)]", "configs = [(1.0, 0.01), (0.5, 0.05), (10.0, 0.1)]"),
)

B = "optax clip_like_torch as torch clip_grad_norm_"
add("clip.B15.a", P, B, "torch's 1e-6 dropped from the transformation", ("max_norm / (n + 1e-6)", "max_norm / n"))
add("clip.B15.b", P, B, "1e-6 -> 1e-7", ("(n + 1e-6)", "(n + 1e-7)"))
add(
    "clip.B15.c",
    P,
    B,
    "clip after adam instead of before",
    ("optax.chain(clip_like_torch(max_norm), optax.adam(lr))", "optax.chain(optax.adam(lr), clip_like_torch(max_norm))"),
)
add("clip.B15.d", P, B, "optax lr -> (1 + 1e-9) lr", ("optax.adam(lr))", "optax.adam(lr * (1 + 1e-9)))"))

B = "Keras global_clipnorm as torch clip_grad_norm_"
add("clip.B16.a", P, B, "global_clipnorm -> clipnorm (per variable)", ("global_clipnorm=max_norm))", "clipnorm=max_norm))"))
add("clip.B16.b", P, B, "Keras global_clipnorm -> 1.001 max_norm", ("global_clipnorm=max_norm))", "global_clipnorm=max_norm * 1.001))"))
add(
    "clip.B16.c",
    P,
    B,
    "Keras global_clipnorm -> (1 + 1e-5) max_norm",
    ("global_clipnorm=max_norm))", "global_clipnorm=max_norm * (1 + 1e-5)))"),
)
add(
    "clip.B16.d",
    P,
    B,
    "Keras momentum -> 0.9999 momentum (0.9 -> 0.89991)",
    ("lr, momentum=momentum, global_clipnorm", "lr, momentum=momentum * 0.9999, global_clipnorm"),
)
add(
    "clip.B16.e",
    P,
    B,
    "Keras global_clipnorm -> (1 + 1e-6) max_norm",
    ("global_clipnorm=max_norm))", "global_clipnorm=max_norm * (1 + 1e-6)))"),
)
add(
    "clip.B16.f",
    P,
    B,
    "Keras momentum -> (1 - 1e-5) momentum",
    ("lr, momentum=momentum, global_clipnorm", "lr, momentum=momentum * (1 - 1e-5), global_clipnorm"),
)
add(
    "clip.B16.h",
    P,
    B,
    "harness: torch lr x (1 + 1e-5)",
    ("                      lr=lr, momentum=momentum)\n", "                      lr=lr * (1 + 1e-5), momentum=momentum)\n"),
)
add(
    "clip.B16.t1",
    P,
    B,
    "summary: momentum 0.9 -> 0 in every configuration",
    ("(0.5, 0.0625, 0.9), (2.0, 0.125, 0.9)]", "(0.5, 0.0625, 0.0), (2.0, 0.125, 0.0)]"),
)
add("clip.B16.t2", P, B, "summary: a configuration deleted", (", (2.0, 0.125, 0.9)]", "]"))

B = "Keras clipnorm as torch clip_grad_norm_ per parameter"
add(
    "clip.B17.a",
    P,
    B,
    "clipnorm -> global_clipnorm",
    ("        lr, momentum=momentum, clipnorm=max_norm))", "        lr, momentum=momentum, global_clipnorm=max_norm))"),
)
add("clip.B17.b", P, B, "Keras clipnorm -> 1.001 max_norm", ("clipnorm=max_norm))", "clipnorm=max_norm * 1.001))"))
add("clip.B17.c", P, B, "Keras clipnorm -> (1 + 1e-5) max_norm", ("clipnorm=max_norm))", "clipnorm=max_norm * (1 + 1e-5)))"))
add(
    "clip.B17.d", P, B, "Keras momentum -> 0.9999 momentum", ("lr, momentum=momentum, clipnorm", "lr, momentum=momentum * 0.9999, clipnorm")
)
add("clip.B17.e", P, B, "Keras clipnorm -> (1 + 1e-6) max_norm", ("clipnorm=max_norm))", "clipnorm=max_norm * (1 + 1e-6)))"))
add(
    "clip.B17.f",
    P,
    B,
    "Keras momentum -> (1 - 1e-5) momentum",
    ("lr, momentum=momentum, clipnorm", "lr, momentum=momentum * (1 - 1e-5), clipnorm"),
)
add(
    "clip.B17.h",
    P,
    B,
    "harness: torch lr x (1 + 1e-5)",
    ("                      lr=lr, momentum=momentum)\n", "                      lr=lr * (1 + 1e-5), momentum=momentum)\n"),
)

# ------------------------------------------------------------------------------------------------------ rmsprop.md
P = "rmsprop.md"
B = "optax.rmsprop as torch RMSprop"
add("rms.B18.a", P, B, "eps_in_sqrt=False dropped (default True)", ("eps=eps, eps_in_sqrt=False,", "eps=eps,"))
add("rms.B18.b", P, B, "decay=alpha dropped (optax default 0.9)", ("optax.rmsprop(lr, decay=alpha, eps=eps,", "optax.rmsprop(lr, eps=eps,"))
add("rms.B18.c", P, B, "optax momentum -> 0.999 momentum", ("momentum=momentum or None,", "momentum=momentum * 0.999 or None,"))
add(
    "rms.B18.h",
    P,
    B,
    "harness: torch's gradients x (1 + 1e-9)",
    (
        "ours = torch_path(torch.optim.RMSprop, twin_grads, **hyper)",
        "ours = torch_path(torch.optim.RMSprop, twin_grads * (1 + 1e-9), **hyper)",
    ),
)
add(
    "rms.B18.s",
    P,
    B,
    "harness: torch's path one step short",
    (
        "ours = torch_path(torch.optim.RMSprop, twin_grads, **hyper)",
        "ours = torch_path(torch.optim.RMSprop, twin_grads, **hyper)[[*range(STEPS - 1), -2]]",
    ),
)
add("rms.B18.t1", P, B, "summary: momentum no longer set", ("eps=1e-6, momentum=0.9),", "eps=1e-6),"))
add("rms.B18.t2", P, B, "summary: a configuration deleted", ("    dict(lr=0.01, alpha=0.999, eps=1e-2),\n", ""))

B = "Keras RMSprop as torch RMSprop"
add("rms.B19.a", P, B, "Keras epsilon=0.0 dropped (default 1e-7)", ("rho=alpha, epsilon=0.0,", "rho=alpha,"))
add("rms.B19.b", P, B, "rho=alpha dropped (Keras default 0.9)", ("RMSprop(lr, rho=alpha, epsilon=0.0,", "RMSprop(lr, epsilon=0.0,"))
add(
    "rms.B19.c",
    P,
    B,
    "Keras momentum -> 0.999 momentum",
    ("momentum=momentum, centered=centered)", "momentum=momentum * 0.999, centered=centered)"),
)
add("rms.B19.d", P, B, "floatx float64 -> Keras default float32", (PY_FENCE, PY_FENCE + F32))
add(
    "rms.B19.e",
    P,
    B,
    "Keras's gradients x (1 + 1e-9)",
    (
        "theirs = keras_path(keras_rmsprop_as_torch(**hyper), twin_grads)",
        "theirs = keras_path(keras_rmsprop_as_torch(**hyper),\n                        twin_grads * (1 + 1e-9))",
    ),
    equivalent="with eps=0, RMSprop is scale-invariant: g / sqrt(v) does not change when every g is scaled",
)
add(
    "rms.B19.h",
    P,
    B,
    "harness: Keras's last gradient x (1 + 1e-9)",
    (
        "theirs = keras_path(keras_rmsprop_as_torch(**hyper), twin_grads)",
        "theirs = keras_path(keras_rmsprop_as_torch(**hyper),\n"
        "                        torch.cat([twin_grads[:-1],\n"
        "                                   twin_grads[-1:] * (1 + 1e-9)]))",
    ),
)
add("rms.B19.t1", P, B, "summary: momentum no longer set", ("dict(lr=0.001, alpha=0.9, momentum=0.9),", "dict(lr=0.001, alpha=0.9),"))

B = "optax.rmsprop centered as torch RMSprop centered"
add(
    "rms.B20.a",
    P,
    B,
    "optax centered=True dropped",
    ("tx = optax_rmsprop_as_torch(centered=True, **hyper)", "tx = optax_rmsprop_as_torch(**hyper)"),
)
add(
    "rms.B20.b",
    P,
    B,
    "optax centered with eps_in_sqrt at its default",
    (
        "tx = optax_rmsprop_as_torch(centered=True, **hyper)",
        'tx = optax.rmsprop(hyper.get("lr", 0.01),\n'
        '                       decay=hyper.get("alpha", 0.99),\n'
        '                       eps=hyper.get("eps", 1e-8),\n'
        '                       momentum=hyper.get("momentum") or None,\n'
        "                       centered=True)",
    ),
)
add(
    "rms.B20.c",
    P,
    B,
    "optax alpha -> 0.9999 alpha",
    (
        "tx = optax_rmsprop_as_torch(centered=True, **hyper)",
        'tx = optax_rmsprop_as_torch(\n        centered=True,\n        **{**hyper, "alpha": hyper.get("alpha", 0.99) * 0.9999})',
    ),
)
add(
    "rms.B20.h",
    P,
    B,
    "harness: torch's gradients x (1 + 1e-9)",
    (
        "ours = torch_path(torch.optim.RMSprop, twin_grads, centered=True,",
        "ours = torch_path(torch.optim.RMSprop, twin_grads * (1 + 1e-9),\n                      centered=True,",
    ),
)

B = "Keras RMSprop centered as torch RMSprop centered"
add(
    "rms.B21.a",
    P,
    B,
    "Keras centered=True dropped",
    ("optimizer = keras_rmsprop_as_torch(centered=True, **hyper)", "optimizer = keras_rmsprop_as_torch(**hyper)"),
)
add("rms.B21.b", P, B, "torch eps=0.0 -> torch default 1e-8", ("eps=0.0, centered=True,", "eps=1e-8, centered=True,"))
add(
    "rms.B21.c",
    P,
    B,
    "Keras alpha -> 0.9999 alpha",
    (
        "optimizer = keras_rmsprop_as_torch(centered=True, **hyper)",
        'optimizer = keras_rmsprop_as_torch(\n        centered=True,\n        **{**hyper, "alpha": hyper.get("alpha", 0.99) * 0.9999})',
    ),
)
add(
    "rms.B21.h",
    P,
    B,
    "harness: Keras's last gradient x (1 + 1e-9)",
    (
        "theirs = keras_path(optimizer, twin_grads)",
        "theirs = keras_path(optimizer,\n"
        "                        torch.cat([twin_grads[:-1],\n"
        "                                   twin_grads[-1:] * (1 + 1e-9)]))",
    ),
)

B = "optax chain with lr last as torch RMSprop with changing lr"
add(
    "rms.B22.a",
    P,
    B,
    "lr before trace (optax.rmsprop's order)",
    (
        "optax.trace(decay=momentum),\n                       optax.scale_by_learning_rate(schedule(lrs)))",
        "optax.scale_by_learning_rate(schedule(lrs)),\n                       optax.trace(decay=momentum))",
    ),
)
add("rms.B22.b", P, B, "schedule off by one (lr of step k+1 at k)", ("schedule(lrs)))", "schedule(lrs[1:] + lrs[-1:])))"))
add(
    "rms.B22.c",
    P,
    B,
    "centered ignored (scale_by_rms always)",
    ("scale = optax.scale_by_stddev if centered else optax.scale_by_rms", "scale = optax.scale_by_rms"),
)
add("rms.B22.d", P, B, "eps_in_sqrt=False dropped", ("eps=eps, eps_in_sqrt=False)", "eps=eps)"))
add(
    "rms.B22.t1",
    P,
    B,
    "summary: the centered configuration deleted",
    ("    (lrs, dict(alpha=0.9, eps=1e-3, momentum=0.5, centered=True)),\n", ""),
)
add(
    "rms.B22.t2",
    P,
    B,
    "summary: no lr that changes at every step",
    ("    (decaying, dict(momentum=0.99)),", "    (lrs, dict(momentum=0.99)),"),
)

# ---------------------------------------------------------------------------------------------------- schedules.md
P = "schedules.md"
B = "optax warmup_cosine_decay_schedule as torch SequentialLR"
add(
    "sch.B23.a",
    P,
    B,
    "float64 count dropped (int32 count: float32)",
    ("schedules = [float64_count(optax.warmup_cosine_decay_schedule(*c))\n", "schedules = [(optax.warmup_cosine_decay_schedule(*c))\n"),
)
add(
    "sch.B23.b",
    P,
    B,
    "optax warmup_steps W -> W + 1",
    ("optax.warmup_cosine_decay_schedule(*c)", "optax.warmup_cosine_decay_schedule(\n    c[0], c[1], c[2] + 1, c[3], c[4])"),
)
add(
    "sch.B23.c",
    P,
    B,
    "optax decay_steps D -> D - W (torch's T_max)",
    ("optax.warmup_cosine_decay_schedule(*c)", "optax.warmup_cosine_decay_schedule(\n    c[0], c[1], c[2], c[3] - c[2], c[4])"),
)
add(
    "sch.B23.h",
    P,
    B,
    "harness: torch's lr x (1 + 1e-13)",
    ("torch_used(torch_warmup_cosine(*c), c[1], RUN)", "torch_used(torch_warmup_cosine(*c), c[1] * (1 + 1e-13), RUN)"),
)
add(
    "sch.B23.t1",
    P,
    B,
    "summary: only the first configuration (no warm-up from 0)",
    ("assert any(c[0] == 0 for c in CONFIGS)", "CONFIGS = CONFIGS[:1]\nassert any(c[0] == 0 for c in CONFIGS)"),
)

B = "Keras CosineDecay as torch SequentialLR"
add(
    "sch.B24.a",
    P,
    B,
    "Keras decay_steps D - W -> D (optax's meaning)",
    ("init, total - warm, alpha=end / peak,", "init, total, alpha=end / peak,"),
)
add("sch.B24.b", P, B, "alpha=end/peak -> end (a learning rate)", ("alpha=end / peak,", "alpha=end,"))
add("sch.B24.c", P, B, "Keras warmup_steps W -> W + 1", ("warmup_steps=warm), RUN)", "warmup_steps=warm + 1), RUN)"))
add("sch.B24.d", P, B, "floatx float64 -> Keras default float32", (PY_FENCE, PY_FENCE + F32))
add(
    "sch.B24.s",
    P,
    B,
    "harness: torch's lrs one step late ([lr_0] + lrs[:-1])",
    (
        "    worst = max(worst, largest(keras_lrs, torch_lrs, scale=peak))",
        "    torch_lrs = torch_lrs[:1] + torch_lrs[:-1]\n    worst = max(worst, largest(keras_lrs, torch_lrs, scale=peak))",
    ),
)

B = "optax exponential_decay as torch StepLR and ExponentialLR"
add("sch.B25.a", P, B, "optax staircase dropped", ("optax.exponential_decay(i, n, r, staircase=s)", "optax.exponential_decay(i, n, r)"))
add(
    "sch.B25.b",
    P,
    B,
    "torch ExponentialLR gamma r**(1/k) -> r",
    ("LR.ExponentialLR(o, gamma=rate ** (1 / steps))", "LR.ExponentialLR(o, gamma=rate)"),
)
add(
    "sch.B25.c",
    P,
    B,
    "optax transition_begin 0 -> 1",
    (
        "optax.exponential_decay(i, n, r, staircase=s)",
        "optax.exponential_decay(i, n, r, staircase=s,\n                                         transition_begin=1)",
    ),
)
add(
    "sch.B25.d",
    P,
    B,
    "float64 count dropped",
    ("schedules = [float64_count(optax.exponential_decay(", "schedules = [(optax.exponential_decay("),
)
add(
    "sch.B25.t1",
    P,
    B,
    "summary: every configuration staircase",
    ("    (0.1, 3, 0.5, False),\n", "    (0.1, 3, 0.5, True),\n"),
    ("    (1.0, 7, 0.2, False),\n", "    (1.0, 7, 0.2, True),\n"),
)
add("sch.B25.t2", P, B, "summary: a staircase configuration deleted", ("    (1.0, 1, 0.9, True),\n", ""))

B = "Keras ExponentialDecay as torch StepLR and ExponentialLR"
add(
    "sch.B26.a",
    P,
    B,
    "Keras staircase dropped",
    ("ExponentialDecay(init, steps, rate, staircase=staircase)", "ExponentialDecay(init, steps, rate)"),
)
add(
    "sch.B26.b",
    P,
    B,
    "Keras decay_steps k -> k + 1",
    ("ExponentialDecay(init, steps, rate, staircase=staircase)", "ExponentialDecay(init, steps + 1, rate, staircase=staircase)"),
)
add("sch.B26.c", P, B, "floatx float64 -> Keras default float32", (PY_FENCE, PY_FENCE + F32))


# ---------------------------------------------------------------------------------------------------------- engine
def marker(block: str) -> str:
    return f"<!--verified:twin-check {block}-->"


def block_span(text: str, block: str) -> tuple[int, int]:
    """Where a twin check is in its page: from its marker to its expected-output fence."""
    count = text.count(marker(block))
    if count != 1:
        raise ValueError(f"{marker(block)} occurs {count} times")
    start = text.index(marker(block))
    end = text.find(FENCE, start)
    if end < 0:
        raise ValueError(f"{marker(block)} has no expected-output fence after it")
    return start, end


def mutate(text: str, mutation: Mutation) -> str:
    """The page with the mutation's replacements made, each of which must occur exactly once in the block."""
    for before, after in mutation.replacements:
        start, end = block_span(text, mutation.block)
        count = text[start:end].count(before)
        if count != 1:
            raise ValueError(f"{before!r} occurs {count} times in the block")
        text = text[:start] + text[start:end].replace(before, after) + text[end:]
    return text


def with_probe(text: str, block: str, probe: Path) -> str:
    """The block also appends its largest difference (`worst` or `largest`) to probe before asserting it, and each
    configuration's gap where its loop asserts one (clipping.md). The printed output is unchanged."""
    start, end = block_span(text, block)
    region = text[start:end]
    name = "worst" if "\nworst = 0.0" in region else "largest"
    write = f"open({str(probe)!r}, 'a').write"
    loop = "    assert gap(ours, theirs) <="
    region = region.replace(loop, f"    {write}(f'gap {{gap(ours, theirs):.3g}} ')\n{loop}")
    found = re.search(rf"\nassert {name}\b", region)
    if found:
        region = region[: found.start()] + f"\n{write}(f'{name} {{{name}:.3g}}')" + region[found.start() :]
    return text[:start] + region + text[end:]


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def fence_line(text: str, block: str) -> int:
    """The line of the block's ```python fence, where the engine reports its problems."""
    return line_of(text, text.index(PY_FENCE, text.index(marker(block))))


def classify(returncode: int, stderr: str, page: str, line: int) -> tuple[str, str]:
    """(verdict, detail): "passed", "caught (assert)", "caught (output)", "exception", "failed elsewhere"."""
    if returncode == 0:
        return "passed", ""
    problems = re.split(rf"(?m)^(?={re.escape(page)}:\d+: )", stderr)
    mine = [p for p in problems if p.startswith(f"{page}:{line}: ")]
    if not mine:
        others = [p for p in problems if p.startswith(f"{page}:")]
        first = (others[0] if others else stderr).strip().splitlines() or ["(no message)"]
        return "failed elsewhere", first[0][:120]
    if "the block raised an exception" in mine[0]:
        last = [ln.strip() for ln in mine[0].splitlines() if ln.strip()][-1]
        return ("caught (assert)" if last.startswith("AssertionError") else "exception"), last[:120]
    return "caught (output)", next((ln for ln in mine[0].splitlines() if ln.startswith("+") and not ln.startswith("+++")), "")[:120]


@dataclass
class Result:
    mutation: Mutation
    where: str  # page:line of the block's marker, in the real page
    verdict: str
    detail: str
    probe: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.verdict == "passed" if self.mutation.equivalent else self.verdict.startswith("caught")


def make_copy() -> Path:
    """The project's tracked and untracked-but-not-ignored files in a temporary directory, with the KaTeX cache
    copied and the page cache linked entry by entry (the engine reads entries and adds new ones beside them)."""
    copy = Path(tempfile.mkdtemp(prefix="mutations-"))
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True)
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted from the working tree is still listed
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    cache = ROOT / ".cache"
    if (cache / "katex").is_dir():
        shutil.copytree(cache / "katex", copy / ".cache" / "katex")
    (copy / ".cache" / "pages").mkdir(parents=True)
    for entry in (cache / "pages").glob("*.json"):
        (copy / ".cache" / "pages" / entry.name).symlink_to(entry)
    (copy / "probes").mkdir()
    return copy


def check(copy: Path, *pages: str, jobs: int = 1) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "verified", "-j", str(jobs), "check", *pages]
    return subprocess.run(command, cwd=copy, env={**os.environ, **ENV}, capture_output=True, text=True, timeout=TIMEOUT)


def run(mutation: Mutation, copy: Path) -> Result:
    text = (copy / FRAMEWORKS / mutation.page).read_text(encoding="utf-8")
    where = f"{mutation.page}:{line_of(text, text.index(marker(mutation.block)))}"
    page = (FRAMEWORKS / f"_mut_{mutation.id.replace('.', '_')}.md").as_posix()
    probe = copy / "probes" / f"{mutation.id}.txt"
    mutated = with_probe(mutate(text, mutation), mutation.block, probe)
    (copy / page).write_text(mutated, encoding="utf-8")
    start = time.monotonic()
    try:
        done = check(copy, page)
        verdict, detail = classify(done.returncode, done.stderr, page, fence_line(mutated, mutation.block))
    except subprocess.TimeoutExpired:
        verdict, detail = "timeout", f"no verdict after {TIMEOUT} s"
    probed = probe.read_text(encoding="utf-8").strip() if probe.exists() else "-"
    return Result(mutation, where, verdict, detail, probed, time.monotonic() - start)


def problems(chosen: list[Mutation]) -> list[str]:
    """Why each mutation that no longer applies to its page does not."""
    found = []
    for mutation in chosen:
        try:
            text = (ROOT / FRAMEWORKS / mutation.page).read_text(encoding="utf-8")
            if mutate(text, mutation) == text:
                raise ValueError("changes nothing")
        except (OSError, ValueError) as error:
            found.append(f"{mutation.id} ({mutation.page}, {mutation.block!r}): {error}")
    return found


def table(results: list[Result]) -> str:
    rows = [("id", "where", "expected", "verdict", "", "probe", "time", "mutation")]
    for r in results:
        ok = "ok" if r.ok else "WRONG"
        why = f" (equivalent: {r.mutation.equivalent})" if r.mutation.equivalent else ""
        rows.append(
            (r.mutation.id, r.where, r.mutation.expected, r.verdict, ok, r.probe, f"{r.seconds:.1f}s", r.mutation.description + why)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1] for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutations.frameworks", description=__doc__.split("\n\n")[0])
    parser.add_argument("ids", nargs="*", help="run only the mutations whose id contains one of these")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="pages checked at once (default 2)")
    parser.add_argument("--dry", action="store_true", help="only check that every mutation applies to its page")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy, with the mutated pages")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTATIONS if not args.ids or any(want in m.id for want in args.ids)]
    if not chosen:
        print(f"no mutation id contains any of {args.ids}", file=sys.stderr)
        return 2
    duplicates = sorted({m.id for m in MUTATIONS if [n.id for n in MUTATIONS].count(m.id) > 1})
    wrong = problems(chosen) + [f"{mid}: the id is used more than once" for mid in duplicates]
    if wrong:
        print("these mutations no longer apply to their pages:\n" + "\n".join(wrong), file=sys.stderr)
        return 2
    if args.dry:
        print(f"all {len(chosen)} mutations apply")
        return 0
    start = time.monotonic()
    copy = make_copy()
    try:
        pages = sorted({(FRAMEWORKS / m.page).as_posix() for m in chosen})
        baseline = check(copy, *pages, jobs=args.jobs)  # from .cache/pages when nothing changed
        if baseline.returncode:
            print(f"the pages fail in the copy before any mutation:\n{baseline.stderr}", file=sys.stderr)
            return 1
        results = []
        with ThreadPoolExecutor(max(1, args.jobs)) as pool:
            running = [pool.submit(run, m, copy) for m in chosen]
            for n, future in enumerate(as_completed(running), 1):
                r = future.result()
                results.append(r)
                mark = "" if r.ok else f"   WRONG: expected {r.mutation.expected}"
                print(f"[{n:3}/{len(chosen)}] {r.mutation.id:12} {r.verdict:16} {r.seconds:5.1f}s{mark}", file=sys.stderr, flush=True)
    finally:
        if args.keep:
            print(f"the copy, with the mutated pages: {copy}", file=sys.stderr)
        else:
            shutil.rmtree(copy)
    results.sort(key=lambda r: chosen.index(r.mutation))
    print(table(results))
    wrong_results = [r for r in results if not r.ok]
    minutes, seconds = divmod(round(time.monotonic() - start), 60)
    caught = sum(r.verdict.startswith("caught") for r in results)
    print(
        f"\n{len(results)} mutations in {minutes}m{seconds:02}s (-j {args.jobs}): {caught} caught,"
        f" {len(results) - caught} not; {len(wrong_results) or 'none'} other than expected"
    )
    for r in wrong_results:
        print(f"  {r.mutation.id}: expected {r.mutation.expected}, got {r.verdict} {r.detail}".rstrip())
        if r.mutation.equivalent:
            print(f"    (expected equivalent because {r.mutation.equivalent})")
    return 1 if wrong_results else 0


if __name__ == "__main__":
    sys.exit(main())
