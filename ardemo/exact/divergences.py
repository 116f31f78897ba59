"""Distances between distributions given on a common finite set."""

from __future__ import annotations

import torch

from ..core.validation import check_tensor, validate_args_default


def _same_shape(a_name: str, a: torch.Tensor, b_name: str, b: torch.Tensor) -> None:
    check_tensor(a_name, a)
    check_tensor(b_name, b)
    if a.shape != b.shape:
        raise ValueError(f"{b_name}: expected the shape of {a_name}, {tuple(a.shape)}, got {tuple(b.shape)}")


TOLERANCE = 1e-3
"""How far from 1 a distribution's total mass may be (rounding in float32 sums over many states)."""


def _distribution(name: str, p: torch.Tensor, log: bool) -> None:
    """Require a (log-)probability vector over the last axis: no NaN, non-negative, total mass 1."""
    if bool(torch.isnan(p).any()):
        raise ValueError(f"{name}: expected {'log-' if log else ''}probabilities, found NaN")
    mass = p.exp() if log else p
    if not log and bool((p < 0).any()):
        raise ValueError(f"{name}: expected probabilities >= 0, found {float(p.min()):.3g}")
    total = mass.sum(-1)
    if bool(((total - 1).abs() > TOLERANCE).any()):
        worst = float(total.flatten()[(total - 1).abs().flatten().argmax()])
        raise ValueError(f"{name}: expected a normalised distribution over the last axis, total mass {worst:.6g}")


def total_variation(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """:math:`\\mathrm{TV}(p, q) = \\tfrac12 \\sum_x |p(x) - q(x)|` over the last dimension.

    >>> total_variation(torch.tensor([1.0, 0.0]), torch.tensor([0.5, 0.5]))
    tensor(0.5000)
    """
    _same_shape("p", p, "q", q)
    if validate_args_default():
        _distribution("p", p, log=False)
        _distribution("q", q, log=False)
    return 0.5 * (p - q).abs().sum(-1)


def kl_divergence(log_p: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
    """:math:`\\mathrm{KL}(p\\,\\|\\,q) = \\sum_x p(x)\\,[\\ln p(x) - \\ln q(x)]` from log-probabilities.

    Terms with :math:`p(x) = 0` contribute zero; :math:`q(x) = 0 < p(x)` gives ``inf``.

    >>> p, q = torch.tensor([0.5, 0.5]), torch.tensor([0.9, 0.1])
    >>> kl_divergence(p.log(), q.log())
    tensor(0.5108)
    """
    _same_shape("log_p", log_p, "log_q", log_q)
    if validate_args_default():
        _distribution("log_p", log_p, log=True)
        _distribution("log_q", log_q, log=True)
    p = log_p.exp()
    terms = torch.where(p > 0, p * (log_p - log_q), torch.zeros_like(p))
    return terms.sum(-1)
