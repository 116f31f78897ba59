"""Distributions: the model contract, Bernoulli log-probabilities, relaxed (Concrete) Bernoulli samples."""

from .base import EnergyBasedModel, ProbabilisticModel, as_sample_shape
from .bernoulli import IndependentBernoulli, bernoulli_log_prob, pairwise_bernoulli_log_prob
from .relaxed import (
    binary_concrete,
    conditional_logistic,
    coupled_uniform,
    logistic,
    logistic_noise,
    muprop_relaxation,
    open_uniform,
)

__all__ = [
    "EnergyBasedModel",
    "IndependentBernoulli",
    "ProbabilisticModel",
    "as_sample_shape",
    "bernoulli_log_prob",
    "binary_concrete",
    "conditional_logistic",
    "coupled_uniform",
    "logistic",
    "logistic_noise",
    "muprop_relaxation",
    "open_uniform",
    "pairwise_bernoulli_log_prob",
]
