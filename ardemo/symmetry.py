"""Distributions made symmetric by construction.

:class:`SpinFlipSymmetric` averages a model over the global flip :math:`x \\to 1 - x` (the
:math:`\\mathbb{Z}_2` symmetry of the zero-field Ising model):
:math:`q_s(x) = \\tfrac12[q(x) + q(1 - x)]`. A sample of :math:`q_s` is a sample of
:math:`q`, flipped with probability ½.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn

from ._validation import check_binary, check_int, check_tensor


class SpinFlipSymmetric(nn.Module):
    """:math:`q_s(x) = \\tfrac12[q(x) + q(1-x)]` for any ``model`` with ``log_prob``, ``sample`` and ``features``."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        for attr in ("log_prob", "sample", "features"):
            if not hasattr(model, attr):
                raise TypeError(f"model: expected a distribution with .{attr}, got {type(model).__name__}")
        self.model = model

    @property
    def features(self) -> int:
        return self.model.features

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`\\ln q_s(x) = \\mathrm{logsumexp}(\\ln q(x), \\ln q(1-x)) - \\ln 2`."""
        check_binary("x", check_tensor("x", x))
        both = torch.stack([self.model.log_prob(x), self.model.log_prob(1 - x)])
        return torch.logsumexp(both, 0) - math.log(2)

    @torch.no_grad()
    def sample(self, n: int = 1) -> torch.Tensor:
        """``n`` samples of :math:`q`, each flipped with probability ½."""
        n = check_int("n", n, minimum=1)
        x = self.model.sample(n)
        flip = torch.rand(n, 1, device=x.device) < 0.5
        return torch.where(flip, 1 - x, x)
