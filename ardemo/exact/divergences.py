"""Distances between distributions given on a common finite set."""

from __future__ import annotations

import torch

from ..core.validation import check_tensor


def _same_shape(a_name: str, a: torch.Tensor, b_name: str, b: torch.Tensor) -> None:
    check_tensor(a_name, a)
    check_tensor(b_name, b)
    if a.shape != b.shape:
        raise ValueError(f"{b_name}: expected the shape of {a_name}, {tuple(a.shape)}, got {tuple(b.shape)}")


def total_variation(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """:math:`\\mathrm{TV}(p, q) = \\tfrac12 \\sum_x |p(x) - q(x)|` over the last dimension.

    >>> total_variation(torch.tensor([1.0, 0.0]), torch.tensor([0.5, 0.5]))
    tensor(0.5000)
    """
    _same_shape("p", p, "q", q)
    return 0.5 * (p - q).abs().sum(-1)


def kl_divergence(log_p: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
    """:math:`\\mathrm{KL}(p\\,\\|\\,q) = \\sum_x p(x)\\,[\\ln p(x) - \\ln q(x)]` from log-probabilities.

    Terms with :math:`p(x) = 0` contribute zero; :math:`q(x) = 0 < p(x)` gives ``inf``.

    >>> p, q = torch.tensor([0.5, 0.5]), torch.tensor([0.9, 0.1])
    >>> kl_divergence(p.log(), q.log())
    tensor(0.5108)
    """
    _same_shape("log_p", log_p, "log_q", log_q)
    p = log_p.exp()
    terms = torch.where(p > 0, p * (log_p - log_q), torch.zeros_like(p))
    return terms.sum(-1)
