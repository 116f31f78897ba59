"""Bernoulli log-probabilities, written once for the whole library, and the factorised Bernoulli model.

:math:`\\ln \\mathrm{Bernoulli}(x; \\sigma(\\ell)) = x\\ell - \\mathrm{softplus}(\\ell)`, which stays finite for
every logit and is also defined for relaxed :math:`x \\in [0, 1]`.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..core.validation import check_binary, check_finite, check_real, check_tensor, validate_args_default
from .base import ProbabilisticModel


def _check_relaxed(name: str, x: torch.Tensor) -> None:
    """Entries in [0, 1]: binary, or relaxed (the formula is also the Concrete relaxation's)."""
    bad = ~((x >= 0) & (x <= 1))
    if bool(bad.any()):
        raise ValueError(
            f"{name}: expected binary values in {{0, 1}} (or relaxed ones in [0, 1]), found {x[bad].flatten()[0].item()!r}"
        )


def bernoulli_log_prob(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """:math:`\\sum_i x_i\\ell_i - \\mathrm{softplus}(\\ell_i)` over the last axis (broadcasting).

    >>> bernoulli_log_prob(torch.tensor([1.0, 0.0]), torch.zeros(2))
    tensor(-1.3863)
    """
    x, logits = check_tensor("x", x), check_tensor("logits", logits)
    try:
        torch.broadcast_shapes(x.shape, logits.shape)
    except RuntimeError:
        raise ValueError(
            f"logits: expected a shape that broadcasts with x's {tuple(x.shape)}, got {tuple(logits.shape)}"
        ) from None
    if validate_args_default():
        _check_relaxed("x", x)
    return _bernoulli_log_prob(x, logits)


def _bernoulli_log_prob(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """:func:`bernoulli_log_prob` without checks, for callers that checked ``x`` already (models)."""
    return (x * logits - F.softplus(logits)).sum(-1)


def pairwise_bernoulli_log_prob(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """:func:`bernoulli_log_prob` of every row of ``x`` (``(n, k)``) under every row of ``logits``
    (``(m, k)``), shape ``(n, m)``: the sum over the last axis becomes one matrix product.

    >>> pairwise_bernoulli_log_prob(torch.eye(2), torch.zeros(3, 2)).shape
    torch.Size([2, 3])
    """
    x, logits = check_tensor("x", x), check_tensor("logits", logits)
    if x.dim() != 2 or logits.dim() != 2 or x.shape[1] != logits.shape[1]:
        raise ValueError(
            f"logits: expected shapes (n, k) for x and (m, k) for logits, got {tuple(x.shape)} and {tuple(logits.shape)}"
        )
    if validate_args_default():
        _check_relaxed("x", x)
    return _pairwise_bernoulli_log_prob(x, logits)


def _pairwise_bernoulli_log_prob(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """:func:`pairwise_bernoulli_log_prob` without checks."""
    return x @ logits.T - F.softplus(logits).sum(-1)


class IndependentBernoulli(ProbabilisticModel):
    """Factorised Bernoulli distribution :math:`p(x) = \\prod_i \\sigma(\\ell_i)^{x_i}\\sigma(-\\ell_i)^{1-x_i}`
    with learnable logits: the independent-pixel baseline, NCE's simplest fitting noise, AIS's base.

    Args:
        logits: :math:`\\ell`, shape ``(n,)``.
        validate_args: check that inputs are binary (default: the library's setting).

    >>> model = IndependentBernoulli.from_data(torch.tensor([[1.0, 0.0], [1.0, 1.0]]))
    >>> model.probs
    tensor([0.9990, 0.5000], grad_fn=<SigmoidBackward0>)
    """

    def __init__(self, logits: torch.Tensor, validate_args: bool | None = None) -> None:
        super().__init__(validate_args)
        logits = check_tensor("logits", logits)
        if logits.dim() != 1:
            raise ValueError(f"logits: expected shape (n,), got {tuple(logits.shape)}")
        check_finite("logits", logits)
        self.logits = nn.Parameter(logits.detach().clone())

    @classmethod
    def from_data(cls, data: torch.Tensor, clamp: float = 1e-3, **kwargs) -> "IndependentBernoulli":
        """The maximum-likelihood fit to binary ``data`` (shape ``(N, n)``), means clamped to
        :math:`[\\text{clamp}, 1 - \\text{clamp}]` so every configuration keeps some mass."""
        clamp = check_real("clamp", clamp, minimum=0.0, maximum=0.5, strict=True)
        data = check_binary("data", check_tensor("data", data))
        if data.dim() != 2 or data.shape[0] == 0:
            raise ValueError(f"data: expected a non-empty (N, n) tensor, got shape {tuple(data.shape)}")
        return cls(torch.logit(data.mean(0).clamp(clamp, 1 - clamp)), **kwargs)

    @property
    def event_shape(self) -> torch.Size:
        return torch.Size([self.logits.shape[0]])

    @property
    def probs(self) -> torch.Tensor:
        """:math:`\\sigma(\\ell)`."""
        return torch.sigmoid(self.logits)

    def extra_repr(self) -> str:
        return f"n={self.logits.shape[0]}"

    def _check_support(self, name: str, x: torch.Tensor) -> None:
        check_binary(name, x)

    def _sample(self, n: int) -> torch.Tensor:
        u = torch.rand(n, self.logits.shape[0], device=self.logits.device, dtype=self.logits.dtype)
        return (u < self.probs).to(self.logits.dtype)

    def _log_prob(self, x: torch.Tensor) -> torch.Tensor:
        return _bernoulli_log_prob(x, self.logits)
