"""A lattice model made symmetric by averaging it over a set of space-group elements.

With site permutations :math:`S = \\{g\\}` (a configuration maps to :math:`(g\\cdot x)_i = x_{g(i)}`),

.. math::

    q_S(x) = \\frac{1}{|S|}\\sum_{g \\in S} q(g\\cdot x),

a normalised distribution for any set :math:`S` and invariant under :math:`S` when :math:`S` is a group.
To sample it, draw :math:`g` uniformly from :math:`S` and :math:`y \\sim q`, and return the :math:`x` with
:math:`g\\cdot x = y`. With all of the space group this is the symmetrised mixture of the PixelGNN II
chapter, computed exactly; :func:`ardemo.learning.free_energy.log_mixed_prob` estimates it from a few random elements.
"""

from __future__ import annotations

import math

import torch

from ..lattices.energy import Model
from .configurations import ConfigurationModel
from .pixelgnn import PixelGNN


class SymmetrizedMixture(ConfigurationModel):
    """:math:`q_S(x) = \\frac1{|S|}\\sum_{g\\in S} q(g\\cdot x)` for a :class:`~ardemo.PixelGNN` ``net`` and the
    site permutations ``perms`` (shape ``(|S|, n_sites)``; default: the lattice's whole space group).

    >>> from ardemo import FlatLattice, Model, PixelGNN, SymmetricGroup, ising
    >>> net = PixelGNN(Model(ising(0.44), FlatLattice(2, 2), SymmetricGroup(2)), [4])
    >>> mixture = SymmetrizedMixture(net)
    >>> x = mixture.sample(5)
    >>> x.shape, mixture.log_prob(x).shape
    (torch.Size([5, 2, 2]), torch.Size([5]))
    """

    def __init__(self, net: PixelGNN, perms: torch.Tensor | None = None, validate_args: bool | None = None) -> None:
        super().__init__(validate_args)
        if not isinstance(net, PixelGNN):
            raise TypeError(f"net: expected an ardemo.PixelGNN, got {type(net).__name__}")
        self.net = net
        lattice = net.model.lattice
        perms = lattice.space_group() if perms is None else perms
        if not isinstance(perms, torch.Tensor) or perms.dtype != torch.long:
            raise TypeError("perms: expected a long tensor of site permutations, shape (elements, n_sites)")
        if perms.dim() != 2 or perms.shape[1] != lattice.n_sites or perms.shape[0] == 0:
            raise ValueError(f"perms: expected shape (elements, {lattice.n_sites}), got {tuple(perms.shape)}")
        if not bool((perms.sort(1).values == torch.arange(lattice.n_sites, device=perms.device)).all()):
            raise ValueError("perms: expected every row to be a permutation of the sites")
        self.register_buffer("perms", perms.clone(), persistent=False)
        self.register_buffer("inverse", perms.argsort(1), persistent=False)

    @property
    def model(self) -> Model:
        return self.net.model

    def extra_repr(self) -> str:
        return f"elements={self.perms.shape[0]}"

    def _sample(self, n: int) -> torch.Tensor:
        y = self.net.sample(n).flatten(1)
        pick = torch.randint(self.perms.shape[0], (n,), device=self.perms.device)
        return y.gather(1, self.inverse[pick].to(y.device)).reshape(n, *self.event_shape)

    def _log_prob(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.flatten(1)
        images = flat[:, self.perms.to(x.device)]  # (batch, elements, n_sites): g . x for every g
        log_q = self.net.log_prob(images.reshape(-1, *self.event_shape)).reshape(x.shape[0], -1)
        return torch.logsumexp(log_q, -1) - math.log(self.perms.shape[0])
