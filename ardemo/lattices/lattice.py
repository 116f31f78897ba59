"""Periodic hypercubic lattices, the order in which an autoregressive model visits them, and which
earlier nodes each node may look at.

A *node* is one autoregressive variable. On a :class:`FlatLattice` node ``k`` is site ``k`` (row-major).
On a :class:`TreeLattice` the nodes form a binary tree of boxes, coarse to fine: node ``k >= 1`` splits
its box in two along axis ``level mod dim`` and holds the element at the corner site of the upper half
*relative to the origin's* (its *anchor*, site 0), :math:`y_k = x_0^{-1} x_{\\text{site}(k)}`; node 0 holds
the origin's own element, a global group element.
Both orders visit each site exactly once, so :math:`q(x) = \\prod_k q(y_k \\mid y_{<k})` is normalised.
"""

from __future__ import annotations

import itertools
import math

import torch

from ..core.validation import check_int, check_positive_float
from .graph import Graph


class Lattice:
    """Sites of a periodic ``size``:sup:`dim` lattice in row-major order, with its space group.

    >>> lattice = Lattice(3, 2)
    >>> lattice.n_sites, lattice.site_index(torch.tensor([1, 2]))
    (9, tensor(5))
    """

    def __init__(self, size: int, dim: int) -> None:
        self.size = check_int("size", size, minimum=2)
        self.dimension = check_int("dim", dim, minimum=1, maximum=4)
        self.n_sites = self.size**self.dimension
        if self.n_sites > 2**20:
            raise ValueError(
                f"size: a {size}^{dim} lattice has too many sites ({self.n_sites}); expected at most 2**20"
            )
        self.shape = (self.size,) * self.dimension
        grids = torch.meshgrid(*[torch.arange(self.size)] * self.dimension, indexing="ij")
        self.coordinates = torch.stack([g.flatten() for g in grids], -1)  # (n_sites, dim), row-major

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.size}, {self.dimension})"

    def site_index(self, coords: torch.Tensor) -> torch.Tensor:
        """Row-major index of integer coordinates (taken modulo ``size``), shape ``(..., dim) -> (...)``."""
        if not isinstance(coords, torch.Tensor) or coords.is_floating_point() or coords.is_complex():
            raise TypeError(
                f"coords: expected an integer tensor of coordinates, got {getattr(coords, 'dtype', type(coords).__name__)}"
            )
        if coords.dim() == 0 or coords.shape[-1] != self.dimension:
            raise ValueError(f"coords: expected shape (..., {self.dimension}), got {tuple(coords.shape)}")
        weights = self.size ** torch.arange(self.dimension - 1, -1, -1, device=coords.device)
        return ((coords % self.size) * weights).sum(-1)

    def distance(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Minimum-image Euclidean distance between points ``a`` and ``b`` (shape ``(..., dim)``)."""
        d = (a - b).abs() % self.size
        return torch.minimum(d, self.size - d).pow(2).sum(-1).sqrt()

    def _permutations(self, axes: torch.Tensor, signs: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
        """Site permutations of the elements ``x -> signs * x[axes] + shift`` (each ``(n, dim)``), shape
        ``(n, n_sites)``: a configuration ``x`` (flattened) maps to ``x[:, perm]``."""
        moved = self.coordinates[:, axes].transpose(0, 1) * signs.unsqueeze(1) + shift.unsqueeze(1)
        target = self.site_index(moved)  # (n, n_sites): where each site goes
        perm = torch.empty_like(target)
        return perm.scatter_(1, target, torch.arange(self.n_sites).expand(len(target), -1))

    def randperm(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` random space-group elements as site permutations, shape ``(n, n_sites)``.

        Each is a random axis permutation, then random axis inversions, then a random translation;
        a configuration ``x`` (flattened) maps to ``x[:, perm]``.
        """
        n = check_int("n", n, minimum=1)
        d, size = self.dimension, self.size
        axes = torch.rand(n, d, generator=generator).argsort(1)  # a uniform random axis permutation each
        signs = 1 - 2 * torch.randint(0, 2, (n, 1, d), generator=generator).squeeze(1)
        shift = torch.randint(0, size, (n, 1, d), generator=generator).squeeze(1)
        return self._permutations(axes, signs, shift)

    def space_group(self) -> torch.Tensor:
        """Every space-group element as a site permutation, shape ``(dim! * 2**dim * size**dim, n_sites)``
        (distinct elements; for ``size = 2`` some coincide and appear once)."""
        d = self.dimension
        elements = math.factorial(d) * 2**d * self.size**d
        if elements * self.n_sites > MAX_GROUP_NUMBERS:
            raise ValueError(
                f"size: the space group of a {self.size}^{d} lattice has {elements:,} elements of {self.n_sites:,} "
                f"sites each ({elements * self.n_sites:,} numbers), more than {MAX_GROUP_NUMBERS:,}; "
                "draw random elements with randperm(n) instead"
            )
        combos = itertools.product(
            itertools.permutations(range(d)),
            itertools.product([1, -1], repeat=d),
            itertools.product(range(self.size), repeat=d),
        )
        axes, signs, shift = (torch.tensor(list(part)) for part in zip(*combos))
        return torch.unique(self._permutations(axes, signs, shift), dim=0)


MAX_GROUP_NUMBERS = 2**26
"""At most this many numbers in a lattice's full space group (elements x sites: 512 MB of indices)."""
MAX_TREE_SITES = 2**16
"""At most this many sites in a :class:`TreeLattice` (256 x 256; building one takes about a second)."""


def _radius(radius: object) -> float:
    return check_positive_float("radius", radius)


def _check_node(lattice: Lattice, node: object) -> int:
    return check_int("node", node, minimum=0, maximum=lattice.n_sites - 1)


class FlatLattice(Lattice):
    """Nodes are the sites in row-major order; node :math:`m` is relevant to node :math:`n` when
    :math:`m < n` and their minimum-image distance is below the radius.

    >>> lattice = FlatLattice(4, 2)
    >>> lattice.relevant_nodes(5, 1.5)
    [0, 1, 2, 4]
    >>> lattice.causal_graph(1.5)
    Graph(16x16, 64 edges of 2 types)
    """

    default_radius = 1.5

    def __init__(self, size: int, dim: int) -> None:
        super().__init__(size, dim)
        self.n_nodes = self.n_sites
        self.centers = self.coordinates.to(torch.get_default_dtype())
        self.node_sites = torch.arange(self.n_nodes)
        self.anchors = torch.full((self.n_nodes,), -1)

    def relevant_nodes(self, node: int, radius: float) -> list[int]:
        """Earlier nodes within ``radius`` of ``node``."""
        node, radius = _check_node(self, node), _radius(radius)
        near = self.distance(self.centers[:node], self.centers[node]) < radius
        return near.nonzero().flatten().tolist()

    def relation(self, target: int, source: int) -> tuple[int, ...]:
        """Edge type: the sorted absolute minimum-image displacement (one label per point-group orbit)."""
        target = check_int("target", target, minimum=0, maximum=self.n_nodes - 1)
        source = check_int("source", source, minimum=0, maximum=self.n_nodes - 1)
        d = (self.coordinates[target] - self.coordinates[source]).abs() % self.size
        return tuple(sorted(torch.minimum(d, self.size - d).tolist()))

    def causal_graph(self, radius: float | None = None) -> Graph:
        """Edges ``(n, m)`` for every node ``m`` relevant to ``n``, labelled by :meth:`relation`."""
        return _build_graph(self, self.default_radius if radius is None else radius)


class TreeLattice(Lattice):
    """Nodes on a binary tree of boxes over a ``size``:sup:`dim` periodic box (``size`` a power of two).

    Node ``k >= 1`` sits at level :math:`\\lfloor\\log_2 k\\rfloor`; its children are
    :math:`2^{l+1} + o` (lower half) and :math:`2^{l+1} + 2^l + o` (upper half) with :math:`o = k - 2^l`.
    Node 0 has no box and no centre. Node :math:`m` is relevant to :math:`n` when :math:`m < n` and
    :math:`m` lies in the past light-cone (itself or an ancestor) of a node at :math:`n`'s level whose
    centre is within ``radius`` :math:`\\times` the level's length scale (box volume:sup:`1/dim`) of :math:`n`'s.

    >>> lattice = TreeLattice(4, 2)
    >>> lattice.n_nodes, lattice.causal_graph(1.5).max_depth
    (16, 10)
    """

    default_radius = 1.0

    def __init__(self, size: int, dim: int) -> None:
        super().__init__(size, dim)
        if self.size & (self.size - 1):
            raise ValueError(f"size: a tree lattice needs a power of two, got {size}")
        if self.n_sites > MAX_TREE_SITES:
            raise ValueError(
                f"size: a tree lattice of {self.size}^{self.dimension} = {self.n_sites:,} sites is too large to build "
                f"(its nodes are laid out one by one); expected at most {MAX_TREE_SITES:,} sites"
            )
        n, d = self.n_sites, self.dimension
        self.n_nodes = n
        lo = torch.zeros(n, d, dtype=torch.long)
        hi = torch.full((n, d), self.size, dtype=torch.long)
        for k in range(1, n // 2):  # children of k
            level, offset = k.bit_length() - 1, k - 2 ** (k.bit_length() - 1)
            axis = level % d
            mid = (lo[k, axis] + hi[k, axis]) // 2
            low_child, high_child = 2 ** (level + 1) + offset, 2 ** (level + 1) + 2**level + offset
            lo[low_child], hi[low_child] = lo[k], hi[k]
            lo[high_child], hi[high_child] = lo[k], hi[k]
            hi[low_child, axis] = mid
            lo[high_child, axis] = mid
        self.levels = torch.tensor([-1] + [k.bit_length() - 1 for k in range(1, n)])
        self.box_lo, self.box_hi = lo, hi
        centers = (lo + hi).to(torch.get_default_dtype()) / 2
        centers[0] = float("nan")
        self.centers = centers
        axis = self.levels.clamp(min=0) % d
        upper = lo.clone()
        rows = torch.arange(n)
        upper[rows, axis] = (lo[rows, axis] + hi[rows, axis]) // 2
        self.node_sites = self.site_index(upper)
        self.node_sites[0] = 0
        self.anchors = torch.zeros(n, dtype=torch.long)  # every node relative to the origin
        self.anchors[0] = -1
        self.scales = ((hi - lo).prod(-1).to(torch.get_default_dtype())) ** (1.0 / d)

    def parent(self, node: int) -> int | None:
        """Parent node (``None`` for the root, node 1, and for node 0)."""
        node = _check_node(self, node)
        if node < 2:
            return None
        level = node.bit_length() - 1
        return 2 ** (level - 1) + (node - 2**level) % 2 ** (level - 1)

    def ancestors(self, node: int) -> list[int]:
        """Parent, grandparent, … up to the root."""
        out, p = [], self.parent(node)
        while p is not None:
            out.append(p)
            p = self.parent(p)
        return out

    def relevant_nodes(self, node: int, radius: float) -> list[int]:
        """Earlier nodes in the past light-cones of the same-level nodes near ``node``."""
        node, radius = _check_node(self, node), _radius(radius)
        if node == 0:
            return []
        level = self.levels[node]
        peers = (self.levels == level).nonzero().flatten()
        near = peers[self.distance(self.centers[peers], self.centers[node]) < radius * self.scales[node]]
        cone = set()
        for k in near.tolist():
            cone.update([k, *self.ancestors(k)])
        return sorted(m for m in cone if m < node)

    def relation(self, target: int, source: int) -> tuple[int, int, int]:
        """Edge type ``(level of the lowest common ancestor a, level(source) - a, level(target) - a)``."""
        up = [source, *self.ancestors(source)]
        common = next(k for k in [target, *self.ancestors(target)] if k in up)
        a = int(self.levels[common])
        return (a, int(self.levels[source]) - a, int(self.levels[target]) - a)

    def causal_graph(self, radius: float | None = None) -> Graph:
        """Edges ``(n, m)`` for every node ``m`` relevant to ``n``, labelled by :meth:`relation`."""
        return _build_graph(self, self.default_radius if radius is None else radius)


MAX_GRAPH_NODES = 2**14
"""The largest lattice whose causal graph is built (128 x 128 sites): the construction compares every
pair of nodes, so it grows as the square of the number of nodes (seconds at this limit)."""


def _build_graph(lattice: FlatLattice | TreeLattice, radius: float) -> Graph:
    radius = _radius(radius)
    if lattice.n_nodes > MAX_GRAPH_NODES:
        raise ValueError(
            f"lattice: {lattice!r} has {lattice.n_nodes} sites; a causal graph is built for at most "
            f"{MAX_GRAPH_NODES} (its construction compares every pair of nodes)"
        )
    edges = [(n, m, lattice.relation(n, m)) for n in range(lattice.n_nodes) for m in lattice.relevant_nodes(n, radius)]
    return Graph(lattice.n_nodes, edges)


__all__ = ["Lattice", "FlatLattice", "TreeLattice"]
