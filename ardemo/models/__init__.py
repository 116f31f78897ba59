"""Models: every one a :class:`~ardemo.ProbabilisticModel` (``sample(shape)``, ``log_prob``,
``event_shape``, ``validate_args``)."""

from .autoregressive import AutoregressiveLinear, AutoregressiveModel
from .bernoulli_mixture import BernoulliMixture
from .boltzmann import BoltzmannMachine, gibbs_sweep, gibbs_sweep_loop
from .lattice_made import LatticeMADE
from .made import MADE
from .mixture import SymmetrizedMixture
from .pixelgnn import PixelGNN
from .rbm import GaussianBernoulliRBM
from .sbn import SigmoidBeliefNetwork
from .symmetry import SpinFlipSymmetric

__all__ = [
    "AutoregressiveLinear",
    "AutoregressiveModel",
    "BernoulliMixture",
    "BoltzmannMachine",
    "GaussianBernoulliRBM",
    "LatticeMADE",
    "MADE",
    "PixelGNN",
    "SigmoidBeliefNetwork",
    "SpinFlipSymmetric",
    "SymmetrizedMixture",
    "gibbs_sweep",
    "gibbs_sweep_loop",
]
