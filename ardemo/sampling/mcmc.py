"""Diagnostics of Markov chains run in parallel: autocorrelation and integrated autocorrelation time."""

from __future__ import annotations

import torch

from ..core.validation import check_int, check_tensor


def autocorrelation(series: torch.Tensor, max_lag: int) -> torch.Tensor:
    """Normalised autocorrelation :math:`\\rho(t)` for :math:`t = 0..` ``max_lag`` of a statistic
    recorded as ``series`` of shape ``(T, chains)``, pooled over chains (each centred on the pooled mean).

    >>> rho = autocorrelation(torch.randn(1000, 4), max_lag=3)
    >>> rho.shape, float(rho[0])
    (torch.Size([4]), 1.0)
    """
    series = check_tensor("series", series)
    if series.dim() != 2 or series.shape[1] == 0:
        raise ValueError(f"series: expected shape (T, chains) with at least one chain, got {tuple(series.shape)}")
    if not bool(torch.isfinite(series).all()):
        raise ValueError("series: expected finite values, got NaN or infinity")
    length = series.shape[0]
    max_lag = check_int("max_lag", max_lag, minimum=0, maximum=length - 1)
    centred = series - series.mean()
    variance = (centred**2).mean()
    if float(variance) == 0.0:
        raise ValueError("series: the statistic is constant, its autocorrelation is undefined")
    lags = [(centred[: length - t] * centred[t:]).mean() for t in range(max_lag + 1)]
    return torch.stack(lags) / variance


def integrated_time(rho: torch.Tensor) -> float:
    """:math:`\\tau = 1 + 2\\sum_{t\\ge1}\\rho(t)`, summed until :math:`\\rho` first drops below 0
    (the initial positive sequence): the number of sweeps per effectively independent sample.

    >>> integrated_time(torch.tensor([1.0, 0.5, 0.25, -0.1]))
    2.5
    """
    rho = check_tensor("rho", rho)
    if rho.dim() != 1 or len(rho) == 0:
        raise ValueError(f"rho: expected a non-empty autocorrelation sequence of shape (lags,), got {tuple(rho.shape)}")
    if abs(float(rho[0]) - 1.0) > 1e-6:
        raise ValueError(f"rho: expected a normalised autocorrelation with rho[0] = 1, got {float(rho[0]):.6g}")
    total = 1.0
    for value in rho[1:].tolist():
        if value < 0:
            break
        total += 2 * value
    return total
