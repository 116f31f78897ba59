"""PixelGNN: an autoregressive graph network on a lattice's causal graph.

Node features are updated along the edges of :meth:`causal_graph`, with one weight matrix per edge
*type*, so translated (or, on a tree with ``scale_invariance``, rescaled) copies of a relation share
weights. Layer 0 sees only the one-hot variables of a node's sources (strictly earlier nodes), later
layers also the node's own features, hence :math:`q(y) = \\prod_k q(y_k \\mid y_{<k})`:

.. math::

    a^{(0)}_n = b^{(0)} + \\sum_{(n, m, t)} \\mathrm{onehot}(y_m) W^{(0)}_t, \\qquad
    a^{(l)}_n = b^{(l)} + h^{(l)}_n S^{(l)} + \\sum_{(n, m, t)} h^{(l)}_m W^{(l)}_t,

with :math:`h^{(l+1)} = \\tanh a^{(l)}` and logits :math:`a^{(L)}`. Sampling fills every node of one
:attr:`Graph.source_depths` value at once, reusing the cached features of earlier depths:
``max_depth + 1`` network passes per batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from ._validation import check_int, check_positive_float
from .energy import Model
from .graph import Graph
from .lattice import TreeLattice


class PixelGNN(nn.Module):
    """Autoregressive distribution over the configurations of ``model``.

    Args:
        model: the :class:`~ardemo.energy.Model` (lattice, group, energy) the network describes.
        hidden_features: widths of the hidden layers, e.g. ``[8, 8]``.
        radius: the causal graph's radius (see the lattice's ``relevant_nodes``).
        scale_invariance: on a tree lattice, share weights between relations that differ only by the
            level of their common ancestor.
    """

    def __init__(
        self,
        model: Model,
        hidden_features: Sequence[int] = (8, 8),
        radius: float | None = None,
        scale_invariance: bool = True,
    ) -> None:
        super().__init__()
        if not isinstance(model, Model):
            raise TypeError(f"model: expected an ardemo.energy.Model, got {type(model).__name__}")
        self.model = model
        hidden = [check_int("hidden_features", h, minimum=1) for h in hidden_features]
        radius = model.lattice.default_radius if radius is None else check_positive_float("radius", radius)
        self.radius, self.scale_invariance = radius, bool(scale_invariance)
        self.graph: Graph = model.lattice.causal_graph(radius)
        keys = self.graph.type_dict
        if self.scale_invariance and isinstance(model.lattice, TreeLattice):
            shared = {t: key[1:] for t, key in keys.items()}
        else:
            shared = dict(keys)
        classes = sorted(set(shared.values()))
        weight_of_type = torch.tensor([0] + [classes.index(shared[t]) for t in sorted(keys)])
        self.register_buffer("_edge_weight", weight_of_type[self.graph.types], persistent=False)
        self.register_buffer("_sources", self.graph.sources, persistent=False)
        self.register_buffer("_targets", self.graph.targets, persistent=False)
        self.n_relations = len(classes)
        g = model.group.order
        widths = [g, *hidden, g]
        self.edge_weights = nn.ParameterList()
        self.self_weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for l, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
            fan = fan_in * (self.n_relations + (l > 0))
            self.edge_weights.append(nn.Parameter(torch.randn(max(1, self.n_relations), fan_in, fan_out) / fan**0.5))
            self.self_weights.append(nn.Parameter(torch.randn(fan_in, fan_out) / fan**0.5 if l > 0 else torch.zeros(0)))
            self.biases.append(nn.Parameter(torch.zeros(fan_out)))
        groups = self.graph.depth_groups()
        self._depth_nodes = groups
        self._depth_edges = [torch.isin(self.graph.targets, nodes).nonzero().flatten() for nodes in groups]
        self.passes = 0

    def extra_repr(self) -> str:
        return f"graph={self.graph}, relations={self.n_relations}, radius={self.radius}"

    @property
    def n_passes(self) -> int:
        """Network passes per sampled batch: ``max_depth + 1``."""
        return self.graph.max_depth + 1

    def _layer(self, l: int, h: torch.Tensor, nodes: torch.Tensor, edges: torch.Tensor | None) -> torch.Tensor:
        """Pre-activations of layer ``l`` at ``nodes`` (all nodes if ``edges`` is None) from features ``h``."""
        w = self.edge_weights[l]
        if edges is None:
            src, tgt, kind = self._sources, self._targets, self._edge_weight
            out = self.biases[l].expand(h.shape[0], self.model.lattice.n_nodes, -1)
        else:
            src, kind = self._sources[edges], self._edge_weight[edges]
            tgt = torch.searchsorted(nodes, self._targets[edges])
            out = self.biases[l].expand(h.shape[0], len(nodes), -1)
        if l > 0:
            out = out + (h if edges is None else h[:, nodes]) @ self.self_weights[l]
        if len(src):
            messages = torch.einsum("bef,efg->beg", h[:, src], w[kind])
            out = out.index_add(1, tgt, messages)
        return out

    def logits(self, y: torch.Tensor) -> torch.Tensor:
        """Conditional logits :math:`\\ln q(y_k = g \\mid y_{<k})` up to a constant, shape ``(batch, n_nodes, order)``."""
        return self.network(F.one_hot(y.long(), self.model.group.order).to(self.biases[0].dtype))

    def network(self, h: torch.Tensor) -> torch.Tensor:
        """The graph network on node inputs ``h`` (one-hot node variables, ``(batch, n_nodes, order)``);
        differentiable in ``h``, which is how the tests check causality."""
        depth = len(self.biases)
        for l in range(depth):
            a = self._layer(l, h, None, None)
            h = torch.tanh(a) if l < depth - 1 else a
        return h

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`\\ln q(x)` for configurations of shape ``(batch, size, ..., size)``."""
        y = self.model.encode(x)
        logp = torch.log_softmax(self.logits(y), -1)
        return logp.gather(-1, y.long().unsqueeze(-1)).squeeze(-1).sum(-1)

    @torch.no_grad()
    def sample(self, n: int) -> torch.Tensor:
        """``n`` configurations, shape ``(n, size, ..., size)``, in ``max_depth + 1`` passes."""
        n = check_int("n", n, minimum=1)
        dev, dtype = self.biases[0].device, self.biases[0].dtype
        g, n_nodes, depth = self.model.group.order, self.model.lattice.n_nodes, len(self.biases)
        y = torch.zeros(n, n_nodes, dtype=torch.long, device=dev)
        features = [torch.zeros(n, n_nodes, g, dtype=dtype, device=dev)]
        features += [torch.zeros(n, n_nodes, w.shape[-1], dtype=dtype, device=dev) for w in self.edge_weights[:-1]]
        for nodes, edges in zip(self._depth_nodes, self._depth_edges):
            nodes, edges = nodes.to(dev), edges.to(dev)
            for l in range(depth):
                a = self._layer(l, features[l], nodes, edges)
                if l < depth - 1:
                    features[l + 1][:, nodes] = torch.tanh(a)
            value = torch.distributions.Categorical(logits=a).sample()
            y[:, nodes] = value
            features[0][:, nodes] = F.one_hot(value, g).to(dtype)
            self.passes += 1
        return self.model.decode(y)


__all__ = ["PixelGNN"]
