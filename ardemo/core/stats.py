"""Standard errors, t-statistics and the chi-square test, the arithmetic of every statistical check in the book.

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


def chi_square_test(freq: torch.Tensor, p: torch.Tensor, n: int, min_expected: float = 5.0) -> tuple[float, int, float]:
    """Pearson's goodness-of-fit test of ``n`` samples whose empirical distribution is ``freq`` against
    the exact ``p`` (both over the same cells): ``(statistic, degrees of freedom, p-value)``.

    The statistic is :math:`\\chi^2` distributed only when every expected count :math:`n\\,p(x)` is large
    enough (the usual rule: at least 5). Cells below ``min_expected`` are pooled, smallest first, into
    one cell until it reaches ``min_expected`` (if the pool is still short, it joins the smallest other
    cell), so the stated false-alarm rate of a check on the p-value holds for sharp models too. The
    p-value is :math:`Q(\\text{dof}/2, \\chi^2/2)`, the regularised upper incomplete gamma function.

    >>> stat, dof, pv = chi_square_test(torch.tensor([0.5, 0.5, 0.0]), torch.tensor([0.5, 0.4999, 0.0001]), 1000)
    >>> dof, round(stat, 3)  # the third cell (expected 0.1) is pooled with the second
    (1, 0.0)
    """
    freq, p = check_tensor("freq", freq).double().flatten(), check_tensor("p", p).double().flatten()
    if freq.shape != p.shape:
        raise ValueError(f"freq: expected one frequency per cell of p, {tuple(p.shape)}, got shape {tuple(freq.shape)}")
    n = check_int("n", n, minimum=1)
    min_expected = check_real("min_expected", min_expected, minimum=0.0)
    expected, observed = n * p, n * freq
    order = torch.argsort(expected)
    expected, observed = expected[order], observed[order]
    cumulative = torch.cumsum(expected, 0)
    pooled = int((cumulative < min_expected).sum()) + 1  # the smallest cells whose sum first reaches the floor
    pooled = min(pooled, expected.numel())
    exp_cells = torch.cat([expected[:pooled].sum().reshape(1), expected[pooled:]])
    obs_cells = torch.cat([observed[:pooled].sum().reshape(1), observed[pooled:]])
    keep = exp_cells > 0
    exp_cells, obs_cells = exp_cells[keep], obs_cells[keep]
    if exp_cells.numel() < 2:
        raise ValueError(f"p: fewer than two cells have an expected count of {min_expected} in {n} samples")
    statistic = float(((obs_cells - exp_cells) ** 2 / exp_cells).sum())
    dof = exp_cells.numel() - 1
    p_value = float(
        torch.special.gammaincc(
            torch.tensor(dof / 2, dtype=torch.float64), torch.tensor(statistic / 2, dtype=torch.float64)
        )
    )
    return statistic, dof, p_value
