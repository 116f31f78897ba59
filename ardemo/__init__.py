"""ardemo: the companion library of the book on discrete generative models."""

from . import data, labcheck, onsager, rbm, symmetry, teacher_student, transfer_matrix
from .autoregressive import AutoregressiveLinear, AutoregressiveModel
from .configurations import all_configurations, configuration_index, empirical_distribution
from .divergences import kl_divergence, total_variation
from .relaxed import binary_concrete
from .runtime import device, seed_all

__all__ = [
    "AutoregressiveLinear",
    "AutoregressiveModel",
    "all_configurations",
    "binary_concrete",
    "configuration_index",
    "device",
    "empirical_distribution",
    "kl_divergence",
    "seed_all",
    "total_variation",
]

__version__ = "0.1.0"
