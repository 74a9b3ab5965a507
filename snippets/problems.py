"""Test functions shared by the trajectory pages of every optimizer chapter."""

import torch


def quadratic(theta):
    """An ill-conditioned bowl, f(x, y) = (x² + 25 y²) / 2: condition number 25, minimum at (0, 0)."""
    x, y = theta[0], theta[1]
    return 0.5 * (x**2 + 25 * y**2)


def rosenbrock(theta, a=1.0, b=100.0):
    """Rosenbrock's banana valley, f(x, y) = (a − x)² + b (y − x²)²: minimum at (a, a²) = (1, 1)."""
    x, y = theta[0], theta[1]
    return (a - x) ** 2 + b * (y - x**2) ** 2


QUADRATIC_START = (-4.0, 1.0)
ROSENBROCK_START = (-1.5, 2.0)


def trajectory(make_optimizer, loss_fn, start, steps):
    """Run `steps` optimizer steps from `start`; return the visited points and the loss at each (float64)."""
    theta = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([theta])
    points, losses = [theta.detach().clone()], []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(theta)
        loss.backward()
        losses.append(loss.item())
        optimizer.step()
        points.append(theta.detach().clone())
    return torch.stack(points), losses
