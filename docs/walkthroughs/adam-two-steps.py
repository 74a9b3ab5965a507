# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Two Adam steps by hand
#
# After this notebook you can compute, on paper, the first two updates `torch.optim.Adam` makes.
# We use the function of [Gradients by hand](../autograd/gradients-by-hand.md),
# $L = \sum_i (3a_i^3 - b_i^2)$ with $a = (2, 3)$, $b = (6, 4)$, and `lr=0.1`.
#
# Adam keeps two running averages per parameter, of the gradient $g_t$ and of its square:
#
# $$m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2,$$
#
# corrects their bias towards the zero start, and steps by their ratio:
#
# $$\hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t},$$
#
# $$\theta_t = \theta_{t-1} - \gamma\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}.$$
#
# Symbols and torch's names: $\gamma$ is `lr`, $(\beta_1, \beta_2)$ are `betas`, $\epsilon$ is `eps`.

# %%
import torch

lr, (beta1, beta2), eps = 0.1, (0.9, 0.999), 1e-8

a = torch.tensor([2.0, 3.0], requires_grad=True)
b = torch.tensor([6.0, 4.0], requires_grad=True)
optimizer = torch.optim.Adam([a, b], lr=lr, betas=(beta1, beta2), eps=eps)

# The hand computation keeps its own copies of the parameters and its own m and v.
theta = {"a": a.detach().clone(), "b": b.detach().clone()}
m = {name: torch.zeros(2) for name in theta}
v = {name: torch.zeros(2) for name in theta}


def hand_gradients(theta):
    return {"a": 9 * theta["a"] ** 2, "b": -2 * theta["b"]}


# %% [markdown]
# ## Step 1
#
# At $t = 1$ the corrections undo the zero start exactly: $\hat m_1 = g_1$ and $\hat v_1 = g_1^2$,
# so the update is $\gamma\, g_1 / (|g_1| + \epsilon)$, almost exactly $\gamma$ times the sign of the gradient.

# %%
def hand_adam_step(t):
    g = hand_gradients(theta)
    for name in theta:
        m[name] = beta1 * m[name] + (1 - beta1) * g[name]
        v[name] = beta2 * v[name] + (1 - beta2) * g[name] ** 2
        m_hat = m[name] / (1 - beta1**t)
        v_hat = v[name] / (1 - beta2**t)
        theta[name] = theta[name] - lr * m_hat / (v_hat.sqrt() + eps)
        print(f"t={t} {name}: g={g[name].tolist()}  m_hat={m_hat.tolist()}  v_hat={v_hat.tolist()}")


def torch_adam_step():
    optimizer.zero_grad()
    L = (3 * a**3 - b**2).sum()
    L.backward()
    optimizer.step()


hand_adam_step(1)
torch_adam_step()
print("torch a:", a.detach(), " hand a:", theta["a"])
print("torch b:", b.detach(), " hand b:", theta["b"])
assert torch.allclose(a.detach(), theta["a"], rtol=0, atol=1e-6)
assert torch.allclose(b.detach(), theta["b"], rtol=0, atol=1e-6)

# %% [markdown]
# Both parameters moved by almost exactly `lr = 0.1`, each against the sign of its gradient,
# although the gradients differ in size by a factor of ten.
#
# The match is to $10^{-6}$ rather than bit for bit: torch folds the bias corrections into a step size
# and a denominator (`step_size = lr / bias_correction1`, `denom = v.sqrt() / sqrt(bias_correction2) + eps`),
# which rounds differently in float32 from the formula written out above.

# %% [markdown]
# ## Step 2
#
# From $t = 2$ the running averages mix the two gradients, and the step is no longer $\pm\gamma$.

# %%
hand_adam_step(2)
torch_adam_step()
print("torch a:", a.detach(), " hand a:", theta["a"])
print("torch b:", b.detach(), " hand b:", theta["b"])
assert torch.allclose(a.detach(), theta["a"], rtol=0, atol=1e-6)
assert torch.allclose(b.detach(), theta["b"], rtol=0, atol=1e-6)

# %% [markdown]
# The state torch keeps per parameter is exactly our $m$, $v$ and the step count $t$:

# %%
state = optimizer.state[a]
print(sorted(state))
print("exp_avg:", state["exp_avg"], " hand m:", m["a"])
print("exp_avg_sq:", state["exp_avg_sq"], " hand v:", v["a"])
assert torch.allclose(state["exp_avg"], m["a"]) and torch.allclose(state["exp_avg_sq"], v["a"])
assert state["step"].item() == 2
