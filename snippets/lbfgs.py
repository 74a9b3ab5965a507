"""A from-scratch L-BFGS: the closure calls, iterates and losses of torch.optim.LBFGS.

Symbols (as on the pages): x the flat parameter vector, g = ∇f(x), d the search
direction, t the step length, s = t·d and y = g_new − g_old the curvature pairs,
ρ = 1/(yᵀs), h₀ = yᵀs / yᵀy the scale of the initial inverse Hessian h₀·I (the
variable H0, torch's H_diag). Hyperparameters keep torch's argument names.

Where torch computes `a + c·b` with `Tensor.add(b, alpha=c)` (one fused multiply-add
per element in ATen's AVX2, AVX-512 and ARM kernels, a multiply then an add in its
generic ones), the twin makes the same call, so that float64 runs agree bit for bit
on every CPU; that is the only folding.
"""

import torch


# --8<-- [start:two_loop]
def two_loop(g, s, y, rho, H0):
    """The L-BFGS direction d = −H·g, from the pairs (s[i], y[i]), oldest first."""
    q = -g
    alpha = [None] * len(s)
    for i in reversed(range(len(s))):  # newest pair first
        alpha[i] = rho[i] * s[i].dot(q)  # α_i = ρ_i s_iᵀ q
        q = q.add(y[i], alpha=-alpha[i])  # q ← q − α_i y_i
    r = H0 * q  # r ← h₀ q
    for i in range(len(s)):  # oldest pair first
        beta = rho[i] * y[i].dot(r)  # β = ρ_i y_iᵀ r
        r = r.add(s[i], alpha=alpha[i] - beta)  # r ← r + (α_i − β) s_i
    return r


# --8<-- [end:two_loop]
# --8<-- [start:cubic]
def cubic_interpolate(t1, f1, gtd1, t2, f2, gtd2, bounds=None):
    """Minimiser of the cubic through (t1, f1), (t2, f2), slopes gtd1, gtd2, clipped."""
    lo, hi = bounds if bounds is not None else (min(t1, t2), max(t1, t2))
    d1 = gtd1 + gtd2 - 3 * (f1 - f2) / (t1 - t2)
    d2_square = d1**2 - gtd1 * gtd2
    if not d2_square >= 0:  # no minimum (or NaN after an overflow): bisect, like torch
        return (lo + hi) / 2.0
    d2 = torch.sqrt(d2_square)
    if t1 <= t2:
        t_min = t2 - (t2 - t1) * ((gtd2 + d2 - d1) / (gtd2 - gtd1 + 2 * d2))
    else:
        t_min = t1 - (t1 - t2) * ((gtd1 + d2 - d1) / (gtd1 - gtd2 + 2 * d2))
    return min(max(t_min, lo), hi)


# --8<-- [end:cubic]
# --8<-- [start:strong_wolfe]
def strong_wolfe(phi, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """A step t along d with f(x+td) ≤ f + c1·t·gᵀd and |g(x+td)ᵀd| ≤ c2·|gᵀd|.

    phi(t) is one closure call at x + t·d, returning (loss, gradient).
    A point is (t, f, g, gᵀd). Returns the loss and gradient at the chosen t, t,
    and the number of phi calls.
    """
    f_new, g_new = phi(t)
    evals = 1
    new = (t, f_new, g_new, g_new.dot(d))
    prev = (0, f, g, gtd)  # the point before `new`: t = 0 to start with
    done = False
    ls_iter = 0
    # 1. bracketing: grow t until an interval must contain an acceptable step
    while ls_iter < max_ls:
        if new[1] > f + c1 * new[0] * gtd or (ls_iter > 1 and new[1] >= prev[1]):
            bracket = [prev, new]  # sufficient decrease fails: the step is too long
            break
        if abs(new[3]) <= -c2 * gtd:
            bracket = [new]  # both strong Wolfe conditions hold
            done = True
            break
        if new[3] >= 0:
            bracket = [prev, new]  # the slope turned positive: a minimum lies between
            break
        # extrapolate: the cubic's minimiser, within [t + 0.01 (t − t_prev), 10 t]
        t_prev, f_prev, _, gtd_prev = prev
        t, f_t, _, gtd_t = new
        bounds = (t + 0.01 * (t - t_prev), 10 * t)
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_t, gtd_t, bounds)
        prev = new
        f_new, g_new = phi(t)
        evals += 1
        new = (t, f_new, g_new, g_new.dot(d))
        ls_iter += 1
    if ls_iter == max_ls:  # out of evaluations: choose between t = 0 and the last step
        bracket = [(0, f, g, gtd), new]

    # 2. zoom: shrink the bracket [low, high] until a step satisfies both conditions
    low, high = (0, 1) if bracket[0][1] <= bracket[-1][1] else (1, 0)
    insufficient_progress = False
    while not done and ls_iter < max_ls:
        if abs(bracket[1][0] - bracket[0][0]) * d.abs().max() < tolerance_change:
            break  # the bracket is too small to matter
        (t_a, f_a, _, gtd_a), (t_b, f_b, _, gtd_b) = bracket
        t = cubic_interpolate(t_a, f_a, gtd_a, t_b, f_b, gtd_b)
        t_lo, t_hi = min(t_a, t_b), max(t_a, t_b)
        eps = 0.1 * (t_hi - t_lo)
        if min(t_hi - t, t - t_lo) < eps:  # t is within 10 % of an end of the bracket
            if insufficient_progress or t >= t_hi or t <= t_lo:
                t = t_hi - eps if abs(t - t_hi) < abs(t - t_lo) else t_lo + eps
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        f_new, g_new = phi(t)
        evals += 1
        new = (t, f_new, g_new, g_new.dot(d))
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= bracket[low][1]:
            bracket[high] = new  # not low enough: new high end
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            if abs(new[3]) <= -c2 * gtd:
                done = True  # strong Wolfe conditions hold
            elif new[3] * (bracket[high][0] - bracket[low][0]) >= 0:
                bracket[high] = bracket[low]  # keep the minimum between low and high
            bracket[low] = new  # lowest point so far: new low end
    t, f_new, g_new, _ = bracket[low]
    return f_new, g_new, t, evals


# --8<-- [end:strong_wolfe]
# --8<-- [start:lbfgs]
class LBFGS:
    """torch.optim.LBFGS, written out: one parameter group, state kept between steps."""

    def __init__(
        self,
        params,
        lr=1,
        max_iter=20,
        max_eval=None,
        tolerance_grad=1e-7,
        tolerance_change=1e-9,
        history_size=100,
        line_search_fn=None,
    ):
        self.params = list(params)
        self.lr, self.max_iter, self.history_size = lr, max_iter, history_size
        self.max_eval = max_eval if max_eval is not None else max_iter * 5 // 4
        self.tolerance_grad, self.tolerance_change = tolerance_grad, tolerance_change
        self.line_search_fn = line_search_fn
        self.state = {"n_iter": 0, "func_evals": 0}

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def flat_grad(self):
        """g, all parameters' gradients in one vector (zeros where .grad is None)."""
        flat = []
        for p in self.params:
            if p.grad is None:
                flat.append(torch.zeros(p.numel(), dtype=p.dtype))
            else:
                flat.append(p.grad.reshape(-1))
        return torch.cat(flat)

    def move(self, t, d):
        """x ← x + t·d, parameter by parameter."""
        offset = 0
        for p in self.params:
            p.add_(d[offset : offset + p.numel()].view_as(p), alpha=t)
            offset += p.numel()

    def evaluate(self, closure):
        """One closure call: the loss (the closure's return value) and the flat g."""
        with torch.enable_grad():
            loss = closure()
        return loss, self.flat_grad()

    @torch.no_grad()
    def step(self, closure):
        state = self.state
        loss, g = self.evaluate(closure)
        f = float(loss)
        evals = 1
        state["func_evals"] += 1
        if g.abs().max() <= self.tolerance_grad:  # already at a stationary point
            return loss
        d, t = state.get("d"), state.get("t")
        s, y, rho, H0 = (state.get(key) for key in ("s", "y", "rho", "H0"))
        g_prev = state.get("g_prev")
        for n_iter in range(1, self.max_iter + 1):
            state["n_iter"] += 1
            if state["n_iter"] == 1:  # the very first iteration: steepest descent
                d = -g
                s, y, rho, H0 = [], [], [], 1
            else:
                y_new = g - g_prev  # y = g_{k+1} − g_k
                s_new = t * d  # s = x_{k+1} − x_k
                ys = y_new.dot(s_new)
                if ys > 1e-10:  # keep the pair only if it has positive curvature
                    if len(s) == self.history_size:  # forget the oldest pair
                        s.pop(0), y.pop(0), rho.pop(0)
                    s.append(s_new), y.append(y_new), rho.append(1.0 / ys)
                    H0 = ys / y_new.dot(y_new)  # h₀ = yᵀs / yᵀy
                d = two_loop(g, s, y, rho, H0)
            g_prev, f_prev = g, f
            if state["n_iter"] == 1:  # d = −g is not scaled yet: t ≤ lr / ‖g‖₁
                t = min(1.0, 1.0 / g.abs().sum()) * self.lr
            else:
                t = self.lr
            gtd = g.dot(d)  # directional derivative gᵀd
            if gtd > -self.tolerance_change:  # d is not a descent direction (any more)
                break
            if self.line_search_fn == "strong_wolfe":
                x0 = [p.clone() for p in self.params]

                def phi(t_try, d=d, x0=x0):  # d, x0 bound now: used in this iteration
                    """One closure call at x0 + t_try·d; then the parameters go back."""
                    self.move(t_try, d)
                    f_try, g_try = self.evaluate(closure)
                    for p, p0 in zip(self.params, x0, strict=True):
                        p.copy_(p0)
                    return float(f_try), g_try

                max_ls = self.max_eval - evals  # the calls left in this step's budget
                f, g, t, ls_evals = strong_wolfe(phi, t, d, f, g, gtd, max_ls=max_ls)
                self.move(t, d)
            elif self.line_search_fn is None:
                self.move(t, d)  # fixed step: x ← x + t·d
                ls_evals = 0
                if n_iter != self.max_iter:  # no evaluation after the last iteration
                    loss_new, g = self.evaluate(closure)
                    f = float(loss_new)
                    ls_evals = 1
            else:
                raise RuntimeError("only 'strong_wolfe' is supported")
            evals += ls_evals
            state["func_evals"] += ls_evals
            # termination tests, in torch's order
            if n_iter == self.max_iter:
                break
            if evals >= self.max_eval:
                break
            if g.abs().max() <= self.tolerance_grad:
                break
            if (t * d).abs().max() <= self.tolerance_change:
                break
            if abs(f - f_prev) < self.tolerance_change:
                break
        state.update(d=d, t=t, s=s, y=y, rho=rho, H0=H0, g_prev=g_prev)
        return loss


# --8<-- [end:lbfgs]
