"""Sampling and inference: annealed importance sampling (forward and reverse) and diagnostics of Markov chains."""

from .ais import AISResult, RAISEResult, ais_log_partition, raise_log_likelihood
from .mcmc import autocorrelation, integrated_time

__all__ = [
    "AISResult",
    "RAISEResult",
    "ais_log_partition",
    "autocorrelation",
    "integrated_time",
    "raise_log_likelihood",
]
