"""Draw the autograd graph behind a tensor with matplotlib, by walking grad_fn.next_functions."""

import matplotlib.pyplot as plt


def graph_edges(output):
    """Every (node, child) edge reachable from output.grad_fn, in the order backward() discovers them."""
    edges, seen, stack = [], set(), [output.grad_fn]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for child, _ in node.next_functions:
            if child is not None:  # None: an input that does not require grad (such as the data x)
                edges.append((node, child))
                stack.append(child)
    return edges


def draw_graph(output, names, figsize=(6, 3.5)):
    """Plot the graph top-down, the loss at the top and the leaves' AccumulateGrad nodes at the bottom.

    names maps id(parameter) to a label for the AccumulateGrad node that writes its .grad.
    """
    edges = graph_edges(output)
    depth = {output.grad_fn: 0}
    for _ in edges:  # longest distance from the output; the graph is small, relax until stable
        for node, child in edges:
            depth[child] = max(depth.get(child, 0), depth[node] + 1)
    rows = {}
    for node, d in depth.items():
        rows.setdefault(d, []).append(node)
    position = {}
    for d in sorted(rows):  # top-down; each row ordered by its parents' mean x, so edges rarely cross
        nodes = rows[d]
        parents_x = {n: [position[p][0] for p, c in edges if c is n and p in position] for n in nodes}
        nodes.sort(key=lambda n: (sum(parents_x[n]) / len(parents_x[n]) if parents_x[n] else 0, _label(n, names)))
        for i, node in enumerate(nodes):
            position[node] = ((i + 1) / (len(nodes) + 1), -d)

    fig, ax = plt.subplots(figsize=figsize)
    for node, child in edges:
        ax.annotate(
            "",
            xy=position[child],
            xytext=position[node],
            arrowprops={"arrowstyle": "->", "color": "0.4", "shrinkA": 14, "shrinkB": 14},
        )
    for node, (px, py) in position.items():
        leaf = hasattr(node, "variable")
        ax.text(
            px,
            py,
            _label(node, names),
            ha="center",
            va="center",
            fontsize=8,
            bbox={"boxstyle": "round", "facecolor": "#d8ecd8" if leaf else "#dde6f5", "edgecolor": "0.5"},
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(-max(rows) - 0.5, 0.5)
    ax.axis("off")
    fig.tight_layout()
    return fig


def _label(node, names):
    if hasattr(node, "variable"):
        return f"AccumulateGrad\n→ {names.get(id(node.variable), '?')}.grad"
    return type(node).__name__
