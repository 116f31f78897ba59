"""Standard errors and t-statistics, the arithmetic of every statistical check in the book.

A check compares an estimate with an exact value in units of its standard error, so that its
tolerance holds on every random stream, not on the one that happened to run.
"""

from __future__ import annotations

import math

import torch

from .validation import check_finite, check_int, check_real, check_tensor


def _along(samples: object, dim: object) -> tuple[torch.Tensor, int, int]:
    """``samples`` a floating tensor with at least two values along ``dim``; returns it, ``dim`` and ``N``."""
    samples = check_tensor("samples", samples)
    dim = check_int("dim", dim, minimum=-max(samples.dim(), 1), maximum=max(samples.dim(), 1) - 1)
    n = samples.shape[dim]
    if n < 2:
        raise ValueError(f"samples: expected at least 2 values along dim {dim}, got {n}")
    return samples, dim, n


def standard_error(samples: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """:math:`s/\\sqrt{N}`, the standard error of the mean of ``samples`` along ``dim``.

    >>> standard_error(torch.tensor([1.0, 2.0, 3.0, 4.0]))
    tensor(0.6455)
    """
    samples, dim, n = _along(samples, dim)
    return samples.std(dim) / math.sqrt(n)


def t_statistic(samples: torch.Tensor, exact: torch.Tensor | float, dim: int = 0) -> torch.Tensor:
    """:math:`(\\bar x - \\mu)/(s/\\sqrt N)` along ``dim``: how many standard errors the sample mean lies
    from ``exact``. The standard error is floored at :math:`10^{-12}`, so an estimator without variance
    gives a finite (large, when it is off) number.

    >>> t_statistic(torch.tensor([1.0, 2.0, 3.0, 4.0]), 2.5)
    tensor(0.)
    """
    samples, dim, n = _along(samples, dim)
    if isinstance(exact, torch.Tensor):
        check_finite("exact", check_tensor("exact", exact))
    else:
        exact = check_real("exact", exact)
    error = (samples.var(dim) / n).sqrt().clamp_min(1e-12)
    return (samples.mean(dim) - exact) / error


def total_variation_bound(p: torch.Tensor, n: int, failure: float = 1e-4) -> float:
    """A level that the total variation between ``p`` and the empirical distribution of ``n``
    independent samples of ``p`` exceeds with probability at most ``failure``, whatever ``p`` is.

    :math:`\\mathbb{E}\\,\\mathrm{TV} \\le \\tfrac12\\sum_x \\sqrt{p(x)(1-p(x))/n}` (Jensen, term by term),
    and one sample moves the empirical TV by at most :math:`1/n`, so McDiarmid's inequality adds
    :math:`\\sqrt{\\ln(1/\\text{failure})/(2n)}`. A sampler whose frequencies exceed this is wrong (or,
    for a Markov chain, not yet mixed), with confidence :math:`1 - \\text{failure}`.

    >>> round(total_variation_bound(torch.full((4,), 0.25), 10_000), 4)
    0.0301
    """
    p = check_tensor("p", p)
    n = check_int("n", n, minimum=1)
    failure = check_real("failure", failure, minimum=0.0, maximum=1.0, strict=True)
    mean = 0.5 * float((p.double() * (1 - p.double()) / n).clamp_min(0).sqrt().sum())
    return mean + math.sqrt(math.log(1 / failure) / (2 * n))
