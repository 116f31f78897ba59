"""Learning: the one training loop, gradient estimators for binary samples, objectives for
energy-based models (likelihood by sampling, NCE, pseudo-likelihood), the ELBO trainer of sigmoid belief networks,
variational free energies, teacher–student learning, and EM for Bernoulli mixtures."""

from . import estimators, free_energy, teacher_student
from .elbo import ElboTrainer, LatentSample, train_sbn
from .elbo_official import OfficialElboTrainer
from .em import em_step
from .estimators import GradientEstimate
from .nce import EmpiricalNegatives, NoiseContrastive
from .negative_phase import ExactLikelihood, GibbsLikelihood, contrastive_divergence_loss
from .pseudo_likelihood import PseudoLikelihood
from .training import History, fit, random_batches, train_on_data

__all__ = [
    "ElboTrainer",
    "EmpiricalNegatives",
    "ExactLikelihood",
    "GibbsLikelihood",
    "GradientEstimate",
    "History",
    "LatentSample",
    "NoiseContrastive",
    "OfficialElboTrainer",
    "PseudoLikelihood",
    "contrastive_divergence_loss",
    "em_step",
    "estimators",
    "fit",
    "free_energy",
    "random_batches",
    "teacher_student",
    "train_on_data",
    "train_sbn",
]
