"""Exhaustive enumeration of binary configurations, the book's exact ground truth.

Row :math:`k` of :func:`all_configurations` is :math:`k` written in binary, site 0 the most
significant bit, so :math:`k = \\sum_j x_j 2^{n-1-j}` (:func:`configuration_index`).
"""

from __future__ import annotations

import torch

from .validation import check_binary, check_int, check_tensor, validate_args_default

MAX_ENUMERATION_SITES = 20
"""At most :math:`2^{20}` terms in any exact sum of the library (20 units summed over at once), the one
limit every exact routine shares; beyond it memory and time explode."""


def check_enumerable(name: str, n: int, what: str = "units") -> int:
    """Require that a sum over :math:`2^n` states stays within :data:`~ardemo.core.enumeration.MAX_ENUMERATION_SITES`.

    >>> check_enumerable("n_hidden", 12)
    12
    >>> check_enumerable("n_hidden", 40)
    Traceback (most recent call last):
    ...
    ValueError: n_hidden: an exact sum over 2**40 states of 40 units is too large; expected at most 20 units
    """
    if n > MAX_ENUMERATION_SITES:
        raise ValueError(
            f"{name}: an exact sum over 2**{n} states of {n} {what} is too large; "
            f"expected at most {MAX_ENUMERATION_SITES} {what}"
        )
    return n


def all_configurations(
    n: int, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """All :math:`2^n` configurations of :math:`n` binary sites, shape ``(2**n, n)``.

    >>> all_configurations(2)
    tensor([[0., 0.],
            [0., 1.],
            [1., 0.],
            [1., 1.]])
    """
    n = check_enumerable("n", check_int("n", n, minimum=1), "sites")
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype: expected a torch.dtype such as torch.float32 or torch.long, got {dtype!r}")
    k = torch.arange(2**n, device=device)
    bits = (k.unsqueeze(1) >> torch.arange(n - 1, -1, -1, device=device)) & 1
    return bits.to(dtype)


def configuration_index(x: torch.Tensor) -> torch.Tensor:
    """Integer index :math:`\\sum_j x_j 2^{n-1-j}` of each binary row of ``x`` (shape ``(..., n)``).

    ``x`` may be floating point or integer (0/1 entries either way).

    >>> configuration_index(torch.tensor([[1.0, 0.0, 1.0]]))
    tensor([5])
    >>> configuration_index(torch.tensor([[0, 1, 1]]))
    tensor([3])
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x: expected a torch.Tensor, got {type(x).__name__}")
    if x.dtype == torch.bool or x.is_complex():
        raise TypeError(f"x: expected a floating-point or integer tensor of 0/1 entries, got dtype {x.dtype}")
    if validate_args_default():
        check_binary("x", x)
    n = x.shape[-1]
    if n > 62:
        raise ValueError(f"x: expected at most 62 sites to index, got {n}")
    weights = 2 ** torch.arange(n - 1, -1, -1, device=x.device)
    return (x.long() * weights).sum(-1)


def empirical_distribution(x: torch.Tensor) -> torch.Tensor:
    """Frequencies of each of the :math:`2^n` configurations among the rows of ``x`` (shape ``(N, n)``).

    >>> empirical_distribution(torch.tensor([[0.0, 1.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]]))
    tensor([0.2500, 0.5000, 0.0000, 0.2500])
    """
    x = check_tensor("x", x)
    if x.dim() != 2:
        raise ValueError(f"x: expected shape (N, n), got {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError("x: expected at least one configuration, got an empty batch")
    n = check_enumerable("x", check_int("n", x.shape[1], minimum=1), "sites")
    counts = torch.bincount(configuration_index(x), minlength=2**n)
    return counts.to(x.dtype) / x.shape[0]
