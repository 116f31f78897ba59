"""What every model of a lattice's configurations shares: its events and their support."""

from __future__ import annotations

import torch

from ..distributions.base import ProbabilisticModel
from ..lattices.energy import Model


class ConfigurationModel(ProbabilisticModel):
    """A distribution over the configurations of a :class:`~ardemo.Model`: events of the lattice's
    shape whose entries are elements :math:`0, \\dots, |G| - 1` of its group. Subclasses provide
    ``model`` (an attribute or a property)."""

    support = "group"
    model: Model

    @property
    def event_shape(self) -> torch.Size:
        return torch.Size(self.model.lattice.shape)

    def _check_support(self, name: str, x: torch.Tensor) -> None:
        self.model.group.check(name, x)
