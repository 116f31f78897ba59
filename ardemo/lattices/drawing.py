"""Matplotlib pictures of lattices, their causal graphs and the order in which a sampler fills them."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch

from ..core.validation import check_int
from .graph import Graph
from .lattice import FlatLattice, TreeLattice


def _check_pair(lattice: object, graph: object) -> None:
    """``graph`` must be a causal graph of ``lattice`` (one node per lattice node)."""
    if not isinstance(lattice, (FlatLattice, TreeLattice)):
        raise TypeError(f"lattice: expected a FlatLattice or TreeLattice, got {type(lattice).__name__}")
    if not isinstance(graph, Graph):
        raise TypeError(f"graph: expected an ardemo.Graph, got {type(graph).__name__}")
    if graph.n_nodes != lattice.n_nodes:
        raise ValueError(f"graph: expected a graph over the lattice's {lattice.n_nodes} nodes, got {graph.n_nodes}")


def draw_causal_graph(
    ax: plt.Axes, lattice: FlatLattice | TreeLattice, graph: Graph, targets: Sequence[int] | None = None
) -> None:
    """Nodes at their centres (tree levels by colour and size), edges into ``targets`` coloured by type.

    Row index runs down, column index across (2-d lattices). A periodic edge is drawn to the nearest
    image of its source, so it leaves the box.

    >>> import matplotlib.pyplot as plt
    >>> from ardemo import FlatLattice
    >>> fig, ax = plt.subplots()
    >>> lattice = FlatLattice(4, 2)
    >>> draw_causal_graph(ax, lattice, lattice.causal_graph(1.5), targets=[5])
    >>> plt.close(fig)
    """
    _check_pair(lattice, graph)
    if lattice.dimension != 2:
        raise ValueError(f"lattice: drawing needs a 2-d lattice, got dimension {lattice.dimension}")
    size = lattice.size
    targets = list(range(lattice.n_nodes)) if targets is None else list(targets)
    for t in targets:
        check_int("targets", t, minimum=0, maximum=lattice.n_nodes - 1)
    if not isinstance(ax, plt.Axes):
        raise TypeError(f"ax: expected matplotlib Axes, got {type(ax).__name__}")
    cmap = plt.get_cmap("tab10" if graph.n_types <= 10 else "tab20")
    colours = {t: cmap((t - 1) % cmap.N) for t in graph.type_dict}
    for t, s, k in zip(graph.targets.tolist(), graph.sources.tolist(), graph.types.tolist()):
        if t not in targets:
            continue
        a, b = lattice.centers[t], lattice.centers[s].clone()
        b = a + ((b - a + size / 2) % size - size / 2)  # nearest periodic image
        ax.annotate(
            "",
            xy=(a[1], a[0]),
            xytext=(b[1], b[0]),
            arrowprops=dict(arrowstyle="->", color=colours[k], lw=1.4, shrinkA=6, shrinkB=6),
        )
    levels = getattr(lattice, "levels", None)
    for n in range(lattice.n_nodes):
        c = lattice.centers[n]
        if bool(c.isnan().any()):
            continue
        level = 0 if levels is None else int(levels[n])
        ax.plot(
            c[1],
            c[0],
            "o",
            ms=16 - 2.5 * level if levels is not None else 12,
            color=plt.get_cmap("viridis")(level / 4) if levels is not None else "lightgrey",
            mec="k",
            zorder=3,
        )
        ax.text(
            c[1],
            c[0],
            str(n),
            ha="center",
            va="center",
            fontsize=7,
            zorder=4,
            color="white" if levels is not None and level < 2 else "k",
        )
    ax.add_patch(
        plt.Rectangle(
            (-0.5 if levels is None else 0, -0.5 if levels is None else 0),
            size,
            size,
            fill=False,
            ls="--",
            color="grey",
        )
    )
    handles = [plt.Line2D([], [], color=colours[t], lw=2, label=str(graph.type_dict[t])) for t in graph.type_dict]
    ax.legend(
        handles=handles, fontsize=6, loc="upper left", bbox_to_anchor=(1.0, 1.0), title="edge type", title_fontsize=7
    )
    ax.set_xlim(-1.5, size + 0.5)
    ax.set_ylim(size + 0.5, -1.5)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


def site_depths(lattice: FlatLattice | TreeLattice, graph: Graph) -> torch.Tensor:
    """For each site, the sampling pass (graph depth) that writes it, shape ``lattice.shape``.

    >>> from ardemo import FlatLattice
    >>> lattice = FlatLattice(3, 2)
    >>> site_depths(lattice, lattice.causal_graph(1.5))  # a flat lattice fills one site per pass
    tensor([[0, 1, 2],
            [3, 4, 5],
            [6, 7, 8]])
    """
    _check_pair(lattice, graph)
    depth = torch.empty(lattice.n_sites, dtype=torch.long)
    depth[lattice.node_sites] = graph.source_depths
    return depth.reshape(lattice.shape)
