"""Distributions made symmetric by construction.

:class:`SpinFlipSymmetric` averages a model over the global flip :math:`x \\to 1 - x` (the
:math:`\\mathbb{Z}_2` symmetry of the zero-field Ising model):
:math:`q_s(x) = \\tfrac12[q(x) + q(1 - x)]`. A sample of :math:`q_s` is a sample of
:math:`q`, flipped with probability ½. This is the Z2 symmetrisation of variational autoregressive
networks (Wu, Wang & Zhang 2019, the ``--z2`` option of their code).
"""

from __future__ import annotations

import math

import torch

from ..core.validation import check_binary, check_tensor
from ..distributions.base import ProbabilisticModel


class SpinFlipSymmetric(ProbabilisticModel):
    """:math:`q_s(x) = \\tfrac12[q(x) + q(1-x)]` for any binary ``model`` with ``log_prob``, ``sample`` and
    ``event_shape``.

    >>> from ardemo import AutoregressiveModel
    >>> q = SpinFlipSymmetric(AutoregressiveModel(4))
    >>> x = torch.tensor([1.0, 0.0, 0.0, 1.0])
    >>> torch.allclose(q.log_prob(x), q.log_prob(1 - x))
    True
    """

    support = "binary"

    def __init__(self, model: ProbabilisticModel, validate_args: bool | None = None) -> None:
        super().__init__(validate_args)
        for attr in ("log_prob", "sample", "event_shape"):
            if not hasattr(model, attr):
                raise TypeError(f"model: expected a distribution with .{attr}, got {type(model).__name__}")
        if getattr(model, "event_shape", None) is not None and len(model.event_shape) != 1:
            raise ValueError(f"model: expected binary events of shape (n,), got event_shape {tuple(model.event_shape)}")
        if getattr(model, "support", "binary") != "binary":
            raise ValueError(
                f"model: expected a model of binary events, {type(model).__name__} has {model.support} ones"
            )
        self.model = model

    @property
    def features(self) -> int:
        """The number of binary sites."""
        return self.model.event_shape[-1]

    @property
    def event_shape(self) -> torch.Size:
        return self.model.event_shape

    def _check_support(self, name: str, x: torch.Tensor) -> None:
        check_binary(name, check_tensor(name, x))

    def _log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`\\ln q_s(x) = \\mathrm{logsumexp}(\\ln q(x), \\ln q(1-x)) - \\ln 2`."""
        both = torch.stack([self.model.log_prob(x), self.model.log_prob(1 - x)])
        return torch.logsumexp(both, 0) - math.log(2)

    def _sample(self, n: int) -> torch.Tensor:
        """``n`` samples of :math:`q`, each flipped with probability ½."""
        x = self.model.sample(n)
        flip = torch.rand(n, 1, device=x.device) < 0.5
        return torch.where(flip, 1 - x, x)
