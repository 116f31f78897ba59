"""Exhaustive enumeration of binary configurations, the book's exact ground truth.

Row :math:`k` of :func:`all_configurations` is :math:`k` written in binary, site 0 the most
significant bit, so :math:`k = \\sum_j x_j 2^{n-1-j}` (:func:`configuration_index`).
"""

from __future__ import annotations

import torch

from ._validation import check_binary, check_int, check_tensor

MAX_ENUMERATION_SITES = 20
"""Largest :math:`n` enumerated (:math:`2^{20}` rows); beyond it the memory and time explode."""


def all_configurations(
    n: int, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """All :math:`2^n` configurations of :math:`n` binary sites, shape ``(2**n, n)``."""
    n = check_int("n", n, minimum=1)
    if n > MAX_ENUMERATION_SITES:
        raise ValueError(
            f"n: enumerating 2**{n} configurations is too large; expected n <= {MAX_ENUMERATION_SITES}"
        )
    k = torch.arange(2**n, device=device)
    bits = (k.unsqueeze(1) >> torch.arange(n - 1, -1, -1, device=device)) & 1
    return bits.to(dtype)


def configuration_index(x: torch.Tensor) -> torch.Tensor:
    """Integer index :math:`\\sum_j x_j 2^{n-1-j}` of each binary row of ``x`` (shape ``(..., n)``)."""
    x = check_binary("x", check_tensor("x", x))
    n = x.shape[-1]
    if n > 62:
        raise ValueError(f"x: expected at most 62 sites to index, got {n}")
    weights = 2 ** torch.arange(n - 1, -1, -1, device=x.device)
    return (x.long() * weights).sum(-1)


def empirical_distribution(x: torch.Tensor) -> torch.Tensor:
    """Frequencies of each of the :math:`2^n` configurations among the rows of ``x`` (shape ``(N, n)``)."""
    x = check_tensor("x", x)
    if x.dim() != 2:
        raise ValueError(f"x: expected shape (N, n), got {tuple(x.shape)}")
    n = check_int("n", x.shape[1], minimum=1, maximum=MAX_ENUMERATION_SITES)
    counts = torch.bincount(configuration_index(x), minlength=2**n)
    return counts.to(x.dtype) / x.shape[0]
