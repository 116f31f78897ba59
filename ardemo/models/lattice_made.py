"""A VAN-style model of a lattice: MADE over the sites in raster order, optionally flip-symmetrised.

Wu, Wang & Zhang's variational autoregressive networks (VAN, 2019) model the :math:`n = L^2` spins of an
:math:`L \\times L` lattice, read row by row, with one dense masked network whose hidden layers are a
multiple of :math:`n` wide, and average the result over the global spin flip (their ``--z2``):

.. math::

    q(x) = \\prod_{i=1}^{n} q(x_i \\mid x_{<i}), \\qquad q_s(x) = \\tfrac12\\big[q(x) + q(1 - x)\\big].

:class:`LatticeMADE` is that model built from this library's parts: :class:`~ardemo.MADE` over the
flattened lattice (natural order = raster order), wrapped in :class:`~ardemo.SpinFlipSymmetric` when
``z2``. Unlike :class:`~ardemo.PixelGNN`, no weight is shared between sites: the network knows nothing of
the lattice's geometry or of translation symmetry; it sees every earlier site of the raster order.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..core.validation import check_bool
from ..distributions.base import ProbabilisticModel
from ..lattices.energy import Model
from ..lattices.lattice import FlatLattice
from .configurations import ConfigurationModel
from .made import MADE
from .symmetry import SpinFlipSymmetric


class LatticeMADE(ConfigurationModel):
    """VAN-style autoregressive distribution over the two-state configurations of ``model``.

    Args:
        model: the :class:`~ardemo.Model` (a :class:`~ardemo.FlatLattice` with a group of order 2).
        hidden: widths of MADE's hidden layers (each at least :math:`n - 1`; VAN's are multiples of :math:`n`).
        z2: average over the global flip (VAN's ``--z2``); exact for a zero-field Ising energy's symmetry.
        nonlinearity: the ``torch.nn`` activation between layers.
        validate_args: check that inputs are configurations of ``model`` (default: the library's setting).

    >>> from ardemo import FlatLattice, Model, SymmetricGroup, ising
    >>> q = LatticeMADE(Model(ising(0.44), FlatLattice(3, 2), SymmetricGroup(2)), [18])
    >>> x = q.sample(4)
    >>> x.shape, x.dtype, q.log_prob(x).shape
    (torch.Size([4, 3, 3]), torch.int64, torch.Size([4]))
    """

    def __init__(
        self,
        model: Model,
        hidden: Sequence[int] = (64, 64),
        z2: bool = True,
        nonlinearity: str = "ReLU",
        validate_args: bool | None = None,
    ) -> None:
        super().__init__(validate_args)
        if not isinstance(model, Model):
            raise TypeError(f"model: expected an ardemo.Model, got {type(model).__name__}")
        if not isinstance(model.lattice, FlatLattice):
            raise ValueError(
                f"model: expected a FlatLattice (sites read in raster order), got {type(model.lattice).__name__}"
            )
        if model.group.order != 2:
            raise ValueError(f"model: expected a two-state group (spins), got order {model.group.order}")
        self.model = model
        self.z2 = check_bool("z2", z2)
        n = model.lattice.n_nodes
        # the wrapper validates its inputs; the inner models see only checked 0/1 floats
        self.made = MADE(n, hidden, nonlinearity=nonlinearity, validate_args=False)
        self.sites: ProbabilisticModel = SpinFlipSymmetric(self.made, validate_args=False) if self.z2 else self.made

    def extra_repr(self) -> str:
        return f"lattice={tuple(self.model.lattice.shape)}, z2={self.z2}"

    def _log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`\\ln q(x)` (or :math:`\\ln q_s(x)`) of configurations of shape ``(batch, L, L)``."""
        weight = self.made.layers[0].weight
        return self.sites.log_prob(x.flatten(1).to(weight.dtype))

    def _sample(self, n: int) -> torch.Tensor:
        """``n`` configurations, shape ``(n, L, L)``, integer like the model's: :math:`L^2` network passes."""
        return self.sites.sample(n).long().reshape(n, *self.model.lattice.shape)


__all__ = ["LatticeMADE"]
