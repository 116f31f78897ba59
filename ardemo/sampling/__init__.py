"""Sampling and inference: annealed importance sampling and diagnostics of Markov chains."""

from .ais import AISResult, ais_log_partition
from .mcmc import autocorrelation, integrated_time

__all__ = ["AISResult", "ais_log_partition", "autocorrelation", "integrated_time"]
