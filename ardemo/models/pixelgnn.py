"""PixelGNN: an autoregressive graph network on a lattice's causal graph.

Node features are updated along the edges of the lattice's ``causal_graph``, with one weight matrix per edge
*type*, so translated (or, on a tree with ``scale_invariance``, rescaled) copies of a relation share
weights. Layer 0 sees only the one-hot variables of a node's sources (strictly earlier nodes), later
layers also the node's own features, hence :math:`q(y) = \\prod_k q(y_k \\mid y_{<k})`:

.. math::

    a^{(0)}_n = b^{(0)} + \\sum_{(n, m, t)} \\mathrm{onehot}(y_m) W^{(0)}_t, \\qquad
    a^{(l)}_n = b^{(l)} + h^{(l)}_n S^{(l)} + \\sum_{(n, m, t)} h^{(l)}_m W^{(l)}_t,

with :math:`h^{(l+1)} = \\tanh a^{(l)}` and logits :math:`a^{(L)}`. On a tree lattice node 0, the global
element, is uniform. Sampling fills every node of one
``Graph.source_depths`` value at once, reusing the cached features of earlier depths:
``max_depth + 1`` network passes per batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..core.validation import check_bool, check_int, check_positive_float
from ..lattices.energy import Model
from ..lattices.graph import Graph
from ..lattices.lattice import TreeLattice
from .configurations import ConfigurationModel


class PixelGNN(ConfigurationModel):
    """Autoregressive distribution over the configurations of ``model``.

    Args:
        model: the :class:`~ardemo.Model` (lattice, group, energy) the network describes.
        hidden_features: widths of the hidden layers, e.g. ``[8, 8]``.
        radius: the causal graph's radius (see the lattice's ``relevant_nodes``).
        scale_invariance: on a tree lattice, share weights between relations that differ only by the
            level of their common ancestor.
        validate_args: check that inputs are group elements (default: the library's setting).

    >>> from ardemo import FlatLattice, Model, SymmetricGroup, ising
    >>> net = PixelGNN(Model(ising(0.44), FlatLattice(2, 2), SymmetricGroup(2)), [4])
    >>> x = net.sample(3)
    >>> x.shape, net.log_prob(x).shape
    (torch.Size([3, 2, 2]), torch.Size([3]))
    """

    def __init__(
        self,
        model: Model,
        hidden_features: Sequence[int] = (8, 8),
        radius: float | None = None,
        scale_invariance: bool = True,
        validate_args: bool | None = None,
    ) -> None:
        super().__init__(validate_args)
        if not isinstance(model, Model):
            raise TypeError(f"model: expected an ardemo.Model, got {type(model).__name__}")
        self.model = model
        if not isinstance(hidden_features, Sequence) or isinstance(hidden_features, str):
            raise TypeError(f"hidden_features: expected a sequence of widths such as [8, 8], got {hidden_features!r}")
        if len(hidden_features) == 0:
            raise ValueError("hidden_features: expected at least one hidden layer, got none")
        hidden = [check_int(f"hidden_features[{k}]", h, minimum=1) for k, h in enumerate(hidden_features)]
        radius = model.lattice.default_radius if radius is None else check_positive_float("radius", radius)
        self.radius, self.scale_invariance = radius, check_bool("scale_invariance", scale_invariance)
        self.graph: Graph = model.lattice.causal_graph(radius)
        keys = self.graph.type_dict
        if self.scale_invariance and isinstance(model.lattice, TreeLattice):
            shared = {t: key[1:] for t, key in keys.items()}
        else:
            shared = dict(keys)
        classes = sorted(set(shared.values()))
        weight_of_type = torch.tensor([0] + [classes.index(shared[t]) for t in sorted(keys)])
        self.register_buffer("_sources", self.graph.sources, persistent=False)
        self.n_relations = len(classes)
        # the tree's node 0 is a global group element: drawn uniformly, q(y_0) = 1/|G| (exact for a
        # symmetric p, since acting with it on every site leaves the relative variables unchanged)
        uniform = torch.zeros(model.lattice.n_nodes, dtype=torch.bool)
        uniform[0] = isinstance(model.lattice, TreeLattice)
        self.register_buffer("_uniform", uniform, persistent=False)
        g = model.group.order
        widths = [g, *hidden, g]
        self.edge_weights = nn.ParameterList()
        self.self_weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for l, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
            fan = fan_in * (self.n_relations + (l > 0))
            self.edge_weights.append(nn.Parameter(torch.randn(max(1, self.n_relations), fan_in, fan_out) / fan**0.5))
            if l > 0:  # layer 0 has no self term: that is what makes it strictly causal
                self.self_weights.append(nn.Parameter(torch.randn(fan_in, fan_out) / fan**0.5))
            self.biases.append(nn.Parameter(torch.zeros(fan_out)))
        with torch.no_grad():  # q starts uniform: the maximum-entropy start, far from the collapsed states
            self.edge_weights[-1].zero_()
            self.self_weights[-1].zero_()
        self.register_buffer(
            "_slots", self.graph.targets * self.n_relations + weight_of_type[self.graph.types], persistent=False
        )
        for d, nodes in enumerate(self.graph.depth_groups()):
            edges = torch.isin(self.graph.targets, nodes).nonzero().flatten()
            local = torch.searchsorted(nodes, self.graph.targets[edges])
            self.register_buffer(f"_depth_nodes_{d}", nodes, persistent=False)
            self.register_buffer(f"_depth_sources_{d}", self.graph.sources[edges], persistent=False)
            self.register_buffer(
                f"_depth_slots_{d}",
                local * self.n_relations + weight_of_type[self.graph.types[edges]],
                persistent=False,
            )
        self.passes = 0

    def extra_repr(self) -> str:
        return f"graph={self.graph}, relations={self.n_relations}, radius={self.radius}"

    @property
    def n_passes(self) -> int:
        """The number of network passes per sampled batch, ``max_depth + 1``."""
        return self.graph.max_depth + 1

    def _layer(self, l: int, h: torch.Tensor, nodes: torch.Tensor | None, d: int | None) -> torch.Tensor:
        """Pre-activations of layer ``l`` from features ``h``: at all nodes (``d`` None) or at the nodes of depth ``d``.

        Source features are summed per (target, relation) slot, then one matrix product applies every
        relation's weights at once: ``(batch, targets, relations * f) @ (relations * f, g)``.
        """
        batch, r = h.shape[0], self.n_relations
        if d is None:
            src, slot, n_out = self._sources, self._slots, self.model.lattice.n_nodes
        else:
            src, slot, n_out = getattr(self, f"_depth_sources_{d}"), getattr(self, f"_depth_slots_{d}"), len(nodes)
        w = self.edge_weights[l]
        out = self.biases[l]
        if len(src):
            pooled = h.new_zeros(batch, n_out * r, h.shape[-1]).index_add_(1, slot, h.index_select(1, src))
            out = out + pooled.view(batch, n_out, -1) @ w.view(-1, w.shape[-1])
        if l > 0:
            out = out + (h if d is None else h.index_select(1, nodes)) @ self.self_weights[l - 1]
        out = out.expand(batch, n_out, -1) if out.dim() == 1 else out
        if l == len(self.biases) - 1:  # uniform nodes get zero logits
            out = out.masked_fill((self._uniform if d is None else self._uniform[nodes]).unsqueeze(-1), 0.0)
        return out

    def logits(self, y: torch.Tensor) -> torch.Tensor:
        """Conditional logits :math:`\\ln q(y_k = g \\mid y_{<k})` up to a constant, shape ``(batch, n_nodes, order)``."""
        y = self.model.group.check("y", y)
        if y.dim() != 2 or y.shape[1] != self.model.lattice.n_nodes:
            raise ValueError(
                f"y: expected node variables of shape (batch, {self.model.lattice.n_nodes}), got {tuple(y.shape)}"
            )
        return self.network(F.one_hot(y.long(), self.model.group.order).to(self.biases[0].dtype))

    def network(self, h: torch.Tensor) -> torch.Tensor:
        """The graph network on node inputs ``h`` (one-hot node variables, ``(batch, n_nodes, order)``);
        differentiable in ``h``, which is how the tests check causality."""
        depth = len(self.biases)
        for l in range(depth):
            a = self._layer(l, h, None, None)
            h = torch.tanh(a) if l < depth - 1 else a
        return h

    def _log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`\\ln q(x) = \\sum_k \\ln q(y_k \\mid y_{<k})` for configurations of shape ``(batch, size, ..., size)``."""
        y = self.model.encode(x)
        logp = torch.log_softmax(self.logits(y), -1)
        return logp.gather(-1, y.long().unsqueeze(-1)).squeeze(-1).sum(-1)

    def _sample(self, n: int) -> torch.Tensor:
        """``n`` configurations, shape ``(n, size, ..., size)``, in ``max_depth + 1`` passes."""
        dev, dtype = self.biases[0].device, self.biases[0].dtype
        g, n_nodes, depth = self.model.group.order, self.model.lattice.n_nodes, len(self.biases)
        y = torch.zeros(n, n_nodes, dtype=torch.long, device=dev)
        features = [torch.zeros(n, n_nodes, g, dtype=dtype, device=dev)]
        features += [torch.zeros(n, n_nodes, w.shape[-1], dtype=dtype, device=dev) for w in self.edge_weights[:-1]]
        for d in range(self.n_passes):
            nodes = getattr(self, f"_depth_nodes_{d}")
            for l in range(depth):
                a = self._layer(l, features[l], nodes, d)
                if l < depth - 1:
                    features[l + 1].index_copy_(1, nodes, torch.tanh(a))
            gumbel = -torch.empty_like(a).exponential_().log()
            value = (a + gumbel).argmax(-1)  # Gumbel-max: a draw from softmax(a)
            y.index_copy_(1, nodes, value)
            features[0].index_copy_(1, nodes, F.one_hot(value, g).to(dtype))
            self.passes += 1
        return self.model.decode(y)


__all__ = ["PixelGNN"]
