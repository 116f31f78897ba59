"""Causal graphs: directed edges from earlier to later nodes, each labelled with a relation type."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import torch

from ..core.validation import check_int


class Graph:
    """Edges ``(target, source, relation)`` with ``source < target``.

    Relations are numbered ``1 .. n_types`` in sorted order (0 means "no edge" in
    :meth:`adjacency_matrix`); ``type_dict`` maps number to relation.
    ``source_depths[n]`` is the length of the longest chain of edges ending at ``n``: every node of
    depth ``d`` depends only on nodes of smaller depth, so a sampler can fill a whole depth at once.

    >>> g = Graph(3, [(1, 0, "a"), (2, 1, "a"), (2, 0, "b")])
    >>> g.n_edges, g.type_dict, g.source_depths
    (3, {1: 'a', 2: 'b'}, tensor([0, 1, 2]))
    """

    def __init__(self, n_nodes: int, edges: Sequence[tuple[int, int, Hashable]]) -> None:
        self.n_nodes = check_int("n_nodes", n_nodes, minimum=1)
        edges = list(edges)
        for e in edges:
            if not isinstance(e, (tuple, list)) or len(e) != 3:
                raise ValueError(f"edges: expected (target, source, type) triples, got {e!r}")
        keys = sorted({e[2] for e in edges})
        self.type_dict = {i + 1: key for i, key in enumerate(keys)}
        number = {key: i for i, key in self.type_dict.items()}
        for t, s, _ in edges:
            if not 0 <= s < t < self.n_nodes:
                raise ValueError(f"edges: expected 0 <= source < target < {self.n_nodes}, got ({t}, {s})")
        self.targets = torch.tensor([e[0] for e in edges], dtype=torch.long)
        self.sources = torch.tensor([e[1] for e in edges], dtype=torch.long)
        self.types = torch.tensor([number[e[2]] for e in edges], dtype=torch.long)
        depth = [0] * self.n_nodes
        for t, s in sorted(zip(self.targets.tolist(), self.sources.tolist())):
            depth[t] = max(depth[t], depth[s] + 1)
        self.source_depths = torch.tensor(depth)
        self._max_depth = max(depth, default=0)

    @property
    def n_edges(self) -> int:
        return len(self.targets)

    @property
    def n_types(self) -> int:
        return len(self.type_dict)

    @property
    def max_depth(self) -> int:
        return self._max_depth

    def __repr__(self) -> str:
        n = self.n_nodes
        return f"Graph({n}x{n}, {self.n_edges} edges of {self.n_types} types)"

    def adjacency_matrix(self) -> torch.Tensor:
        """Sparse ``(n_nodes, n_nodes)`` matrix: entry ``[target, source]`` is the edge's type number."""
        index = torch.stack([self.targets, self.sources])
        return torch.sparse_coo_tensor(
            index, self.types, (self.n_nodes, self.n_nodes), check_invariants=True
        ).coalesce()

    def depth_groups(self) -> list[torch.Tensor]:
        """Nodes of each depth ``0 .. max_depth``, in increasing order."""
        return [(self.source_depths == d).nonzero().flatten() for d in range(self.max_depth + 1)]
