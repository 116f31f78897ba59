"""Bad input, one line per case, over every public entry point of the library.

Each case is the call a new user might make, the exception it must raise (``ValueError`` or
``TypeError``, or a subclass such as ``FileNotFoundError``), and a fragment of the message — the
argument's name, or what was expected. A case passes only if that exception comes with that
fragment: a silent wrong answer, a bare torch ``RuntimeError``, a hang or a huge allocation fails it.
The case ids start with the module they exercise; ``python tests/test_bad_input.py`` prints the
counts by module.
"""

from __future__ import annotations

import functools
import math
import signal
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
import torch

import ardemo
from ardemo.book import grading, labcheck, scatter_player, student_edition
from ardemo.data import datasets
from ardemo.learning import estimators, free_energy, teacher_student

CASES: list = []


def bad(case_id: str, call: Callable[[], object], error: type[Exception], fragment: str) -> None:
    """Register a case: ``call()`` must raise ``error`` with ``fragment`` in its message."""
    CASES.append(pytest.param(call, error, fragment, id=case_id))


# --- tiny instances the cases use (built lazily: a case builds what it needs) --------------------
def lattice_model(lattice=None, coupling: float = 0.44) -> ardemo.Model:
    return ardemo.Model(ardemo.ising(coupling), lattice or ardemo.FlatLattice(2, 2), ardemo.SymmetricGroup(2))


def pixelgnn(lattice=None) -> ardemo.PixelGNN:
    return ardemo.PixelGNN(lattice_model(lattice), [4])


def sbn() -> ardemo.SigmoidBeliefNetwork:
    return ardemo.SigmoidBeliefNetwork(4, 3)


def trainer(estimator: str = "rebar") -> ardemo.ElboTrainer:
    return ardemo.ElboTrainer(sbn(), estimator)


def binary(*shape: int) -> torch.Tensor:
    return torch.randint(0, 2, shape).float()


def nce_loss(model, batch: torch.Tensor, noise_size: int = 4) -> torch.Tensor:
    """The NCE loss of ``model`` on ``batch`` with factorised-Bernoulli noise over ``noise_size`` units."""
    return ardemo.NoiseContrastive(ardemo.IndependentBernoulli(torch.zeros(noise_size)))(model, batch)


def strip() -> ardemo.IsingStrip:
    return ardemo.IsingStrip(3, 0.4)


# --- the model contract, on every model ------------------------------------------------------------
MODELS: dict[str, tuple[Callable[[], ardemo.ProbabilisticModel], Callable[[int], torch.Tensor], str]] = {
    # name: (factory, good events of a batch of n, which check catches a non-binary / non-group value)
    "IndependentBernoulli": (lambda: ardemo.IndependentBernoulli(torch.zeros(4)), lambda n: binary(n, 4), "binary"),
    "AutoregressiveModel": (lambda: ardemo.AutoregressiveModel(4), lambda n: binary(n, 4), "binary"),
    "SpinFlipSymmetric": (
        lambda: ardemo.SpinFlipSymmetric(ardemo.AutoregressiveModel(4)),
        lambda n: binary(n, 4),
        "binary",
    ),
    "BoltzmannMachine": (lambda: ardemo.BoltzmannMachine(4), lambda n: binary(n, 4), "binary"),
    "SigmoidBeliefNetwork": (sbn, lambda n: binary(n, 4), "binary"),
    "PixelGNN": (pixelgnn, lambda n: torch.randint(0, 2, (n, 2, 2)), "group"),
    "SymmetrizedMixture": (
        lambda: ardemo.SymmetrizedMixture(pixelgnn()),
        lambda n: torch.randint(0, 2, (n, 2, 2)),
        "group",
    ),
    "GaussianBernoulliRBM": (lambda: ardemo.GaussianBernoulliRBM(4, 3), lambda n: torch.randn(n, 4), "real"),
}

for name, (make, good, kind) in MODELS.items():
    m = f"models.{name}"
    bad(f"{m}: sample('3')", lambda make=make: make().sample("3"), TypeError, "sample_shape")
    bad(f"{m}: sample(2.5)", lambda make=make: make().sample(2.5), TypeError, "sample_shape")
    bad(f"{m}: sample(True)", lambda make=make: make().sample(True), TypeError, "sample_shape")
    bad(f"{m}: sample(-1)", lambda make=make: make().sample(-1), ValueError, "sample_shape")
    bad(f"{m}: sample((2, -3))", lambda make=make: make().sample((2, -3)), ValueError, "sample_shape")
    bad(f"{m}: sample(None)", lambda make=make: make().sample(None), TypeError, "sample_shape")
    bad(f"{m}: log_prob(list)", lambda make=make: make().log_prob([[0, 1, 0, 1]]), TypeError, "x")
    bad(f"{m}: log_prob(numpy)", lambda make=make, good=good: make().log_prob(good(2).numpy()), TypeError, "x")
    bad(f"{m}: log_prob(3 features)", lambda make=make, good=good: make().log_prob(good(2)[..., :1]), ValueError, "x")
    bad(
        f"{m}: log_prob(5 features)",
        lambda make=make, good=good: make().log_prob(torch.cat([good(2), good(2)], -1)),
        ValueError,
        "x",
    )
    bad(f"{m}: log_prob(scalar)", lambda make=make: make().log_prob(torch.tensor(1.0)), ValueError, "x")
    nan_error = TypeError if kind == "group" else ValueError  # group elements are integers
    bad(
        f"{m}: log_prob(NaN)",
        lambda make=make, good=good: make().log_prob(torch.full(good(2).shape, math.nan)),
        nan_error,
        "x",
    )
    bad(
        f"{m}: log_prob(complex)",
        lambda make=make, good=good: make().log_prob(good(2).to(torch.cfloat)),
        TypeError,
        "x",
    )
    if kind == "binary":
        bad(
            f"{m}: log_prob(0.5)",
            lambda make=make, good=good: make().log_prob(torch.full(good(2).shape, 0.5)),
            ValueError,
            "binary",
        )
        bad(
            f"{m}: log_prob(-1)",
            lambda make=make, good=good: make().log_prob(-torch.ones(good(2).shape)),
            ValueError,
            "binary",
        )
    elif kind == "group":
        bad(
            f"{m}: log_prob(2)",
            lambda make=make, good=good: make().log_prob(torch.full(good(2).shape, 2)),
            ValueError,
            "x",
        )
        bad(
            f"{m}: log_prob(-1)",
            lambda make=make, good=good: make().log_prob(torch.full(good(2).shape, -1)),
            ValueError,
            "x",
        )
    else:
        bad(
            f"{m}: log_prob(inf)",
            lambda make=make, good=good: make().log_prob(torch.full(good(2).shape, math.inf)),
            ValueError,
            "x",
        )
    bad(
        f"{m}: validate_args='yes'",
        lambda make=make: setattr(make(), "validate_args", "yes"),
        TypeError,
        "validate_args",
    )

# constructors of the models
bad("models.IndependentBernoulli: logits list", lambda: ardemo.IndependentBernoulli([0.0, 1.0]), TypeError, "logits")
bad(
    "models.IndependentBernoulli: logits 2-d",
    lambda: ardemo.IndependentBernoulli(torch.zeros(2, 3)),
    ValueError,
    "logits",
)
bad(
    "models.IndependentBernoulli: logits NaN",
    lambda: ardemo.IndependentBernoulli(torch.tensor([math.nan])),
    ValueError,
    "logits",
)
bad(
    "models.IndependentBernoulli: logits int",
    lambda: ardemo.IndependentBernoulli(torch.zeros(3, dtype=torch.long)),
    TypeError,
    "logits",
)
bad(
    "models.IndependentBernoulli: from_data empty",
    lambda: ardemo.IndependentBernoulli.from_data(torch.zeros(0, 3)),
    ValueError,
    "data",
)
bad(
    "models.IndependentBernoulli: from_data 0.5",
    lambda: ardemo.IndependentBernoulli.from_data(torch.full((2, 3), 0.5)),
    ValueError,
    "data",
)
bad(
    "models.IndependentBernoulli: from_data clamp 0.7",
    lambda: ardemo.IndependentBernoulli.from_data(binary(5, 3), clamp=0.7),
    ValueError,
    "clamp",
)
bad("models.AutoregressiveModel: features 0", lambda: ardemo.AutoregressiveModel(0), ValueError, "features")
bad("models.AutoregressiveModel: features '4'", lambda: ardemo.AutoregressiveModel("4"), TypeError, "features")
bad("models.AutoregressiveModel: depth 0", lambda: ardemo.AutoregressiveModel(4, depth=0), ValueError, "depth")
bad("models.AutoregressiveModel: depth 1.5", lambda: ardemo.AutoregressiveModel(4, depth=1.5), TypeError, "depth")
bad(
    "models.AutoregressiveModel: nonlinearity",
    lambda: ardemo.AutoregressiveModel(4, nonlinearity="relu6x"),
    ValueError,
    "nonlinearity",
)
bad(
    "models.AutoregressiveModel: relaxed_sample temperature 0",
    lambda: ardemo.AutoregressiveModel(4).relaxed_sample(2, temperature=0.0),
    ValueError,
    "temperature",
)
bad(
    "models.AutoregressiveModel: relaxed_sample hard 'yes'",
    lambda: ardemo.AutoregressiveModel(4).relaxed_sample(2, hard="yes"),
    TypeError,
    "hard",
)
bad("models.AutoregressiveLinear: in 0", lambda: ardemo.AutoregressiveLinear(0, 4), ValueError, "in_features")
bad("models.AutoregressiveLinear: out '4'", lambda: ardemo.AutoregressiveLinear(4, "4"), TypeError, "out_features")
bad(
    "models.AutoregressiveLinear: diagonal 0.5",
    lambda: ardemo.AutoregressiveLinear(4, 4, diagonal=0.5),
    TypeError,
    "diagonal",
)
bad("models.AutoregressiveLinear: bias 'no'", lambda: ardemo.AutoregressiveLinear(4, 4, bias="no"), TypeError, "bias")
bad(
    "models.AutoregressiveLinear: forward 3 features",
    lambda: ardemo.AutoregressiveLinear(4, 4)(torch.zeros(2, 3)),
    ValueError,
    "x",
)
bad(
    "models.AutoregressiveLinear: forward_at i 9",
    lambda: ardemo.AutoregressiveLinear(4, 4).forward_at(torch.zeros(2, 4), 9),
    ValueError,
    "i",
)
bad(
    "models.SpinFlipSymmetric: not a model", lambda: ardemo.SpinFlipSymmetric(torch.nn.Linear(4, 1)), TypeError, "model"
)
bad(
    "models.SpinFlipSymmetric: real events",
    lambda: ardemo.SpinFlipSymmetric(ardemo.GaussianBernoulliRBM(2, 2)),
    ValueError,
    "model",
)
bad("models.BoltzmannMachine: n_units 0", lambda: ardemo.BoltzmannMachine(0), ValueError, "n_units")
bad("models.BoltzmannMachine: n_units 4.0", lambda: ardemo.BoltzmannMachine(4.0), TypeError, "n_units")
bad("models.BoltzmannMachine: n_units 200000", lambda: ardemo.BoltzmannMachine(200_000), ValueError, "n_units")
bad(
    "models.BoltzmannMachine: weight_scale -1",
    lambda: ardemo.BoltzmannMachine(4, weight_scale=-1.0),
    ValueError,
    "weight_scale",
)
bad(
    "models.BoltzmannMachine: weight_scale nan",
    lambda: ardemo.BoltzmannMachine(4, weight_scale=math.nan),
    ValueError,
    "weight_scale",
)
bad(
    "models.BoltzmannMachine: log_partition int dtype",
    lambda: ardemo.BoltzmannMachine(4).log_partition(dtype=torch.int64),
    TypeError,
    "dtype",
)
bad(
    "models.BoltzmannMachine: log_partition 30 units",
    lambda: ardemo.BoltzmannMachine(30).log_partition(),
    ValueError,
    "units",
)
bad(
    "models.BoltzmannMachine: log_prob dtype int",
    lambda: ardemo.BoltzmannMachine(4).log_prob(binary(2, 4), dtype=torch.int32),
    TypeError,
    "dtype",
)
bad(
    "models.BoltzmannMachine: gibbs sweeps -1",
    lambda: ardemo.BoltzmannMachine(4).gibbs(binary(2, 4), sweeps=-1),
    ValueError,
    "sweeps",
)
bad(
    "models.BoltzmannMachine: gibbs 0.5",
    lambda: ardemo.BoltzmannMachine(4).gibbs(torch.full((2, 4), 0.5)),
    ValueError,
    "binary",
)
bad("models.BoltzmannMachine: gibbs 3 units", lambda: ardemo.BoltzmannMachine(4).gibbs(binary(2, 3)), ValueError, "x")
bad(
    "models.BoltzmannMachine: chain n_samples 0",
    lambda: ardemo.BoltzmannMachine(4).chain(binary(2, 4), 0),
    ValueError,
    "n_samples",
)
bad(
    "models.BoltzmannMachine: chain thin 0",
    lambda: ardemo.BoltzmannMachine(4).chain(binary(2, 4), 3, thin=0),
    ValueError,
    "thin",
)
bad(
    "models.BoltzmannMachine: chain burn_in -1",
    lambda: ardemo.BoltzmannMachine(4).chain(binary(2, 4), 3, burn_in=-1),
    ValueError,
    "burn_in",
)
bad("models.BoltzmannMachine: energy list", lambda: ardemo.BoltzmannMachine(4).energy([[0, 1, 0, 1]]), TypeError, "x")
bad(
    "models.BoltzmannMachine: local_fields 5 units",
    lambda: ardemo.BoltzmannMachine(4).local_fields(binary(2, 5)),
    ValueError,
    "x",
)
bad(
    "models.BoltzmannMachine: probabilities 30 units",
    lambda: ardemo.BoltzmannMachine(30).probabilities(),
    ValueError,
    "units",
)
bad("models.SigmoidBeliefNetwork: n_visible 0", lambda: ardemo.SigmoidBeliefNetwork(0, 3), ValueError, "n_visible")
bad("models.SigmoidBeliefNetwork: n_latent ()", lambda: ardemo.SigmoidBeliefNetwork(4, ()), TypeError, "n_latent")
bad(
    "models.SigmoidBeliefNetwork: n_latent (3, 0)",
    lambda: ardemo.SigmoidBeliefNetwork(4, (3, 0)),
    ValueError,
    "n_latent[1]",
)
bad("models.SigmoidBeliefNetwork: n_latent '3'", lambda: ardemo.SigmoidBeliefNetwork(4, "3"), TypeError, "n_latent")
bad("models.SigmoidBeliefNetwork: hidden 0", lambda: ardemo.SigmoidBeliefNetwork(4, 3, hidden=0), ValueError, "hidden")
bad(
    "models.SigmoidBeliefNetwork: data_mean 3",
    lambda: ardemo.SigmoidBeliefNetwork(4, 3, data_mean=torch.rand(3)),
    ValueError,
    "data_mean",
)
bad(
    "models.SigmoidBeliefNetwork: data_mean 1.5",
    lambda: ardemo.SigmoidBeliefNetwork(4, 3, data_mean=torch.full((4,), 1.5)),
    ValueError,
    "data_mean",
)
bad(
    "models.SigmoidBeliefNetwork: exact_elbo 30 latent",
    lambda: ardemo.SigmoidBeliefNetwork(4, 30).exact_elbo(binary(2, 4)),
    ValueError,
    "30",
)
bad(
    "models.SigmoidBeliefNetwork: exact_elbo 0.5",
    lambda: sbn().exact_elbo(torch.full((2, 4), 0.5)),
    ValueError,
    "binary",
)
bad("models.SigmoidBeliefNetwork: encoder_logits 3 pixels", lambda: sbn().encoder_logits(binary(2, 3)), ValueError, "x")
bad("models.SigmoidBeliefNetwork: log_joint no layers", lambda: sbn().log_joint(binary(2, 4)), ValueError, "layers")
bad(
    "models.SigmoidBeliefNetwork: log_joint layer size",
    lambda: sbn().log_joint(binary(2, 4), binary(2, 2)),
    ValueError,
    "layer",
)
bad("models.SigmoidBeliefNetwork: layer_logits k 5", lambda: sbn().layer_logits(5, binary(2, 3)), ValueError, "k")
bad("models.GaussianBernoulliRBM: n_visible 0", lambda: ardemo.GaussianBernoulliRBM(0, 3), ValueError, "n_visible")
bad("models.GaussianBernoulliRBM: n_hidden -2", lambda: ardemo.GaussianBernoulliRBM(2, -2), ValueError, "n_hidden")
bad("models.GaussianBernoulliRBM: sigma 0", lambda: ardemo.GaussianBernoulliRBM(2, 2, sigma=0.0), ValueError, "sigma")
bad("models.GaussianBernoulliRBM: sigma '1'", lambda: ardemo.GaussianBernoulliRBM(2, 2, sigma="1"), TypeError, "sigma")
bad(
    "models.GaussianBernoulliRBM: learn_sigma 1",
    lambda: ardemo.GaussianBernoulliRBM(2, 2, learn_sigma=1),
    TypeError,
    "learn_sigma",
)
bad(
    "models.GaussianBernoulliRBM: sample_chains n_chains 0",
    lambda: ardemo.GaussianBernoulliRBM(2, 2).sample_chains(0, 3),
    ValueError,
    "n_chains",
)
bad(
    "models.GaussianBernoulliRBM: sample_chains n_steps -1",
    lambda: ardemo.GaussianBernoulliRBM(2, 2).sample_chains(3, -1),
    ValueError,
    "n_steps",
)
bad(
    "models.GaussianBernoulliRBM: sample_chains x0 shape",
    lambda: ardemo.GaussianBernoulliRBM(2, 2).sample_chains(3, 2, x0=torch.zeros(3, 5)),
    ValueError,
    "x0",
)
bad(
    "models.GaussianBernoulliRBM: p_x_given_z 0.5",
    lambda: ardemo.GaussianBernoulliRBM(2, 2).p_x_given_z(torch.full((3, 2), 0.5)),
    ValueError,
    "binary",
)
bad(
    "models.GaussianBernoulliRBM: p_x_given_z 3 hidden",
    lambda: ardemo.GaussianBernoulliRBM(2, 2).p_x_given_z(binary(3, 3)),
    ValueError,
    "z",
)
bad(
    "models.GaussianBernoulliRBM: free_energy 3 visible",
    lambda: ardemo.GaussianBernoulliRBM(2, 2).free_energy(torch.zeros(3, 3)),
    ValueError,
    "x",
)
bad(
    "models.GaussianBernoulliRBM: log_partition_exact 30 hidden",
    lambda: ardemo.GaussianBernoulliRBM(2, 30).log_partition_exact(),
    ValueError,
    "30",
)
bad(
    "models.GaussianBernoulliRBM: quadrature 2-d",
    lambda: ardemo.GaussianBernoulliRBM(3, 2).log_partition_quadrature(),
    ValueError,
    "n_visible",
)
bad(
    "models.GaussianBernoulliRBM: quadrature points 1",
    lambda: ardemo.GaussianBernoulliRBM(2, 2).log_partition_quadrature(points=1),
    ValueError,
    "points",
)
bad(
    "models.GaussianBernoulliRBM: quadrature lo > hi",
    lambda: ardemo.GaussianBernoulliRBM(2, 2).log_partition_quadrature(lo=3.0, hi=-3.0),
    ValueError,
    "hi > lo",
)
bad(
    "models.GaussianBernoulliRBM: covering_box margin 0",
    lambda: ardemo.GaussianBernoulliRBM(1, 2).covering_box(margin=0.0),
    ValueError,
    "margin",
)
bad(
    "models.GaussianBernoulliRBM: log_prob log_z list",
    lambda: ardemo.GaussianBernoulliRBM(1, 2).log_prob(torch.zeros(3, 1), log_z=[1.0]),
    TypeError,
    "log_z",
)
bad("models.PixelGNN: model not Model", lambda: ardemo.PixelGNN(ardemo.FlatLattice(2, 2)), TypeError, "model")
bad("models.PixelGNN: hidden_features []", lambda: ardemo.PixelGNN(lattice_model(), []), ValueError, "hidden_features")
bad(
    "models.PixelGNN: hidden_features [0]", lambda: ardemo.PixelGNN(lattice_model(), [0]), ValueError, "hidden_features"
)
bad("models.PixelGNN: hidden_features 8", lambda: ardemo.PixelGNN(lattice_model(), 8), TypeError, "hidden_features")
bad("models.PixelGNN: radius -1", lambda: ardemo.PixelGNN(lattice_model(), [4], radius=-1.0), ValueError, "radius")
bad(
    "models.PixelGNN: scale_invariance 'no'",
    lambda: ardemo.PixelGNN(lattice_model(), [4], scale_invariance="no"),
    TypeError,
    "scale_invariance",
)
bad("models.PixelGNN: logits 3 sites", lambda: pixelgnn().logits(torch.zeros(2, 3, dtype=torch.long)), ValueError, "y")
bad(
    "models.SymmetrizedMixture: net not PixelGNN",
    lambda: ardemo.SymmetrizedMixture(ardemo.AutoregressiveModel(4)),
    TypeError,
    "net",
)
bad(
    "models.SymmetrizedMixture: perms wrong length",
    lambda: ardemo.SymmetrizedMixture(pixelgnn(), perms=torch.arange(3)[None]),
    ValueError,
    "perms",
)
bad(
    "models.SymmetrizedMixture: perms not a permutation",
    lambda: ardemo.SymmetrizedMixture(pixelgnn(), perms=torch.zeros(1, 4, dtype=torch.long)),
    ValueError,
    "perms",
)
bad(
    "models.SymmetrizedMixture: perms float",
    lambda: ardemo.SymmetrizedMixture(pixelgnn(), perms=torch.zeros(1, 4)),
    TypeError,
    "perms",
)

# --- distributions ------------------------------------------------------------------------------------
bad("distributions: as_sample_shape 'a'", lambda: ardemo.as_sample_shape("a"), TypeError, "sample_shape")
bad("distributions: as_sample_shape (1.0,)", lambda: ardemo.as_sample_shape((1.0,)), TypeError, "sample_shape")
bad("distributions: bernoulli_log_prob list", lambda: ardemo.bernoulli_log_prob([1.0], torch.zeros(1)), TypeError, "x")
bad(
    "distributions: bernoulli_log_prob logits list",
    lambda: ardemo.bernoulli_log_prob(torch.ones(1), [0.0]),
    TypeError,
    "logits",
)
bad(
    "distributions: bernoulli_log_prob shapes",
    lambda: ardemo.bernoulli_log_prob(torch.ones(2, 3), torch.zeros(2, 4)),
    ValueError,
    "logits",
)
bad(
    "distributions: bernoulli_log_prob 1.5",
    lambda: ardemo.bernoulli_log_prob(torch.full((2, 3), 1.5), torch.zeros(2, 3)),
    ValueError,
    "binary",
)
bad(
    "distributions: pairwise shapes",
    lambda: ardemo.pairwise_bernoulli_log_prob(torch.ones(2, 3), torch.zeros(4, 4)),
    ValueError,
    "logits",
)
bad(
    "distributions: pairwise list",
    lambda: ardemo.pairwise_bernoulli_log_prob([[1.0]], torch.zeros(1, 1)),
    TypeError,
    "x",
)
bad(
    "distributions: binary_concrete temperature 0",
    lambda: ardemo.binary_concrete(torch.zeros(3), temperature=0.0),
    ValueError,
    "temperature",
)
bad(
    "distributions: binary_concrete temperature -1",
    lambda: ardemo.binary_concrete(torch.zeros(3), temperature=-1.0),
    ValueError,
    "temperature",
)
bad("distributions: binary_concrete logits list", lambda: ardemo.binary_concrete([0.0]), TypeError, "logits")
bad(
    "distributions: binary_concrete noise shape",
    lambda: ardemo.binary_concrete(torch.zeros(3), noise=torch.zeros(2)),
    ValueError,
    "noise",
)
bad("distributions: binary_concrete hard 1", lambda: ardemo.binary_concrete(torch.zeros(3), hard=1), TypeError, "hard")
bad("distributions: logistic u shape", lambda: ardemo.logistic(torch.zeros(3), torch.rand(2)), ValueError, "u")
bad("distributions: logistic u 0", lambda: ardemo.logistic(torch.zeros(3), torch.zeros(3)), ValueError, "u")
bad("distributions: logistic u 1.5", lambda: ardemo.logistic(torch.zeros(3), torch.full((3,), 1.5)), ValueError, "u")
bad("distributions: logistic logits list", lambda: ardemo.logistic([0.0], torch.rand(1)), TypeError, "logits")
bad(
    "distributions: coupled_uniform u shape",
    lambda: ardemo.coupled_uniform(torch.zeros(3), torch.rand(4)),
    ValueError,
    "u",
)
bad(
    "distributions: coupled_uniform u 2",
    lambda: ardemo.coupled_uniform(torch.zeros(3), torch.full((3,), 2.0)),
    ValueError,
    "u",
)
bad(
    "distributions: conditional_logistic b 0.5",
    lambda: ardemo.conditional_logistic(torch.zeros(3), torch.full((3,), 0.5), torch.rand(3)),
    ValueError,
    "b",
)
bad(
    "distributions: conditional_logistic v shape",
    lambda: ardemo.conditional_logistic(torch.zeros(3), binary(3), torch.rand(2)),
    ValueError,
    "v",
)
bad(
    "distributions: conditional_logistic v -0.1",
    lambda: ardemo.conditional_logistic(torch.zeros(3), binary(3), torch.full((3,), -0.1)),
    ValueError,
    "v",
)
bad("distributions: open_uniform like list", lambda: ardemo.open_uniform((3,), like=[0.0]), TypeError, "like")
bad(
    "distributions: open_uniform shape -1", lambda: ardemo.open_uniform((-1,), like=torch.zeros(1)), ValueError, "shape"
)
bad(
    "distributions: logistic_noise shape 'a'",
    lambda: ardemo.logistic_noise("a", like=torch.zeros(1)),
    TypeError,
    "shape",
)

# --- core ----------------------------------------------------------------------------------------------
bad("core: seed_all -1", lambda: ardemo.seed_all(-1), ValueError, "seed")
bad("core: seed_all 1.5", lambda: ardemo.seed_all(1.5), TypeError, "seed")
bad("core: seed_all '1'", lambda: ardemo.seed_all("1"), TypeError, "seed")
bad("core: seed_all 2**40", lambda: ardemo.seed_all(2**40), ValueError, "seed")
bad("core: set_validate_args 1", lambda: ardemo.set_validate_args(1), TypeError, "value")
bad("core: set_validate_args None", lambda: ardemo.set_validate_args(None), TypeError, "value")
bad("core: all_configurations 0", lambda: ardemo.all_configurations(0), ValueError, "n")
bad("core: all_configurations 40", lambda: ardemo.all_configurations(40), ValueError, "40")
bad("core: all_configurations 3.0", lambda: ardemo.all_configurations(3.0), TypeError, "n")
bad("core: all_configurations dtype 'float'", lambda: ardemo.all_configurations(3, dtype="float"), TypeError, "dtype")
bad("core: check_enumerable 21", lambda: ardemo.check_enumerable("n", 21), ValueError, "21")
bad("core: configuration_index list", lambda: ardemo.configuration_index([[0, 1]]), TypeError, "x")
bad("core: configuration_index 0.5", lambda: ardemo.configuration_index(torch.full((2, 3), 0.5)), ValueError, "binary")
bad("core: configuration_index 70 sites", lambda: ardemo.configuration_index(torch.zeros(2, 70)), ValueError, "62")
bad(
    "core: configuration_index bool",
    lambda: ardemo.configuration_index(torch.zeros(2, 3, dtype=torch.bool)),
    TypeError,
    "x",
)
bad("core: empirical_distribution 1-d", lambda: ardemo.empirical_distribution(binary(3)), ValueError, "x")
bad("core: empirical_distribution empty", lambda: ardemo.empirical_distribution(torch.zeros(0, 3)), ValueError, "x")
bad("core: empirical_distribution 30 sites", lambda: ardemo.empirical_distribution(binary(2, 30)), ValueError, "30")
bad(
    "core: empirical_distribution 0.5",
    lambda: ardemo.empirical_distribution(torch.full((2, 3), 0.5)),
    ValueError,
    "binary",
)
bad("core: standard_error 1 value", lambda: ardemo.standard_error(torch.ones(1)), ValueError, "samples")
bad("core: standard_error list", lambda: ardemo.standard_error([1.0, 2.0]), TypeError, "samples")
bad("core: standard_error dim 3", lambda: ardemo.standard_error(torch.ones(4), dim=3), ValueError, "dim")
bad("core: standard_error int tensor", lambda: ardemo.standard_error(torch.arange(4)), TypeError, "samples")
bad("core: t_statistic exact list", lambda: ardemo.t_statistic(torch.randn(5), [0.0]), TypeError, "exact")
bad("core: t_statistic 1 value", lambda: ardemo.t_statistic(torch.ones(1), 0.0), ValueError, "samples")
bad("core: t_statistic dim -3", lambda: ardemo.t_statistic(torch.ones(5, 2), 0.0, dim=-3), ValueError, "dim")
bad("core: t_statistic exact NaN", lambda: ardemo.t_statistic(torch.randn(5), math.nan), ValueError, "exact")

# --- exact ------------------------------------------------------------------------------------------
bad(
    "exact: kl_divergence NaN",
    lambda: ardemo.kl_divergence(torch.tensor([math.nan, 0.0]), torch.tensor([0.5, 0.5]).log()),
    ValueError,
    "log_p",
)
bad(
    "exact: kl_divergence unnormalised",
    lambda: ardemo.kl_divergence(torch.tensor([0.9, 0.9]).log(), torch.tensor([0.5, 0.5]).log()),
    ValueError,
    "log_p",
)
bad(
    "exact: kl_divergence log_q unnormalised",
    lambda: ardemo.kl_divergence(torch.tensor([0.5, 0.5]).log(), torch.tensor([0.1, 0.1]).log()),
    ValueError,
    "log_q",
)
bad("exact: kl_divergence shapes", lambda: ardemo.kl_divergence(torch.zeros(2), torch.zeros(3)), ValueError, "log_q")
bad("exact: kl_divergence list", lambda: ardemo.kl_divergence([0.0], torch.zeros(1)), TypeError, "log_p")
bad(
    "exact: kl_divergence int",
    lambda: ardemo.kl_divergence(torch.zeros(1, dtype=torch.long), torch.zeros(1)),
    TypeError,
    "log_p",
)
bad(
    "exact: total_variation negative",
    lambda: ardemo.total_variation(torch.tensor([1.5, -0.5]), torch.tensor([0.5, 0.5])),
    ValueError,
    "p",
)
bad(
    "exact: total_variation unnormalised q",
    lambda: ardemo.total_variation(torch.tensor([0.5, 0.5]), torch.tensor([0.5, 0.6])),
    ValueError,
    "q",
)
bad(
    "exact: total_variation shapes",
    lambda: ardemo.total_variation(torch.ones(1), torch.tensor([0.5, 0.5])),
    ValueError,
    "q",
)
bad(
    "exact: total_variation NaN",
    lambda: ardemo.total_variation(torch.tensor([math.nan, 1.0]), torch.tensor([0.5, 0.5])),
    ValueError,
    "p",
)
bad("exact: kaufman size 0", lambda: ardemo.kaufman_log_partition(0, 0.4), ValueError, "size")
bad("exact: kaufman size 1", lambda: ardemo.kaufman_log_partition(1, 0.4), ValueError, "size")
bad("exact: kaufman coupling NaN", lambda: ardemo.kaufman_log_partition(4, math.nan), ValueError, "coupling")
bad("exact: kaufman coupling '0.4'", lambda: ardemo.kaufman_log_partition(4, "0.4"), TypeError, "coupling")
bad("exact: kaufman columns 0", lambda: ardemo.kaufman_log_partition(4, 0.4, columns=0), ValueError, "columns")
bad("exact: onsager coupling inf", lambda: ardemo.onsager_free_energy(math.inf), ValueError, "coupling")
bad("exact: onsager coupling None", lambda: ardemo.onsager_free_energy(None), TypeError, "coupling")
bad("exact: IsingStrip width 0", lambda: ardemo.IsingStrip(0, 0.4), ValueError, "width")
bad("exact: IsingStrip width 17", lambda: ardemo.IsingStrip(17, 0.4), ValueError, "width")
bad("exact: IsingStrip beta NaN", lambda: ardemo.IsingStrip(3, math.nan), ValueError, "beta")
bad("exact: IsingStrip beta '0.4'", lambda: ardemo.IsingStrip(3, "0.4"), TypeError, "beta")
bad("exact: IsingStrip apply shape", lambda: strip().apply(torch.zeros(7)), ValueError, "psi")
bad("exact: IsingStrip horizontal_energy width", lambda: strip().horizontal_energy(binary(2, 4)), ValueError, "x")
bad("exact: IsingStrip sample_next 0.5", lambda: strip().sample_next(torch.full((2, 3), 0.5)), ValueError, "binary")
bad("exact: IsingStrip leading_eigenpair tol 0", lambda: strip().leading_eigenpair(tol=0.0), ValueError, "tol")
bad(
    "exact: IsingStrip leading_eigenpair max_iter 0",
    lambda: strip().leading_eigenpair(max_iter=0),
    ValueError,
    "max_iter",
)
bad("exact: IsingStrip dense int dtype", lambda: strip().dense(dtype=torch.int64), TypeError, "dtype")
bad("exact: compare_rows shapes", lambda: ardemo.compare_rows(torch.zeros(8), torch.zeros(4), 3), ValueError, "log_p")
bad("exact: compare_rows width", lambda: ardemo.compare_rows(torch.zeros(8), torch.zeros(8), 4), ValueError, "width")
bad("exact: row_observables width 0", lambda: ardemo.row_observables(torch.zeros(8), 0), ValueError, "width")
bad("exact: row_observables list", lambda: ardemo.row_observables([0.0] * 8, 3), TypeError, "log_p")
bad(
    "exact: LatticeEnumeration not Model",
    lambda: ardemo.LatticeEnumeration(ardemo.FlatLattice(2, 2)),
    TypeError,
    "model",
)
bad(
    "exact: LatticeEnumeration 25 sites",
    lambda: ardemo.LatticeEnumeration(lattice_model(ardemo.FlatLattice(5, 2))),
    ValueError,
    "25",
)
bad(
    "exact: LatticeEnumeration chunk 0",
    lambda: ardemo.LatticeEnumeration(lattice_model(), chunk=0),
    ValueError,
    "chunk",
)
bad(
    "exact: LatticeEnumeration kl shape",
    lambda: ardemo.LatticeEnumeration(lattice_model()).kl(torch.zeros(3)),
    ValueError,
    "log_q",
)
bad(
    "exact: LatticeEnumeration free energy NaN",
    lambda: ardemo.LatticeEnumeration(lattice_model()).variational_free_energy(torch.full((16,), math.nan)),
    ValueError,
    "log_q",
)
bad(
    "exact: LatticeEnumeration expectation shape",
    lambda: ardemo.LatticeEnumeration(lattice_model()).expectation(torch.zeros(5)),
    ValueError,
    "values",
)
bad(
    "exact: LatticeEnumeration symmetrize perms",
    lambda: ardemo.LatticeEnumeration(lattice_model()).symmetrize(
        torch.full((16,), -math.log(16)), torch.zeros(2, 3, dtype=torch.long)
    ),
    ValueError,
    "perms",
)
bad(
    "exact: LatticeEnumeration index 3 sites",
    lambda: ardemo.LatticeEnumeration(lattice_model()).index(torch.zeros(2, 3, dtype=torch.long)),
    ValueError,
    "x",
)
bad(
    "exact: LatticeEnumeration log_probs not callable",
    lambda: ardemo.LatticeEnumeration(lattice_model()).log_probs(3),
    TypeError,
    "log_prob",
)

# --- lattices -----------------------------------------------------------------------------------------
bad("lattices: Lattice size 0", lambda: ardemo.Lattice(0, 2), ValueError, "size")
bad("lattices: Lattice dim 0", lambda: ardemo.Lattice(4, 0), ValueError, "dim")
bad("lattices: Lattice size '4'", lambda: ardemo.Lattice("4", 2), TypeError, "size")
bad("lattices: Lattice huge", lambda: ardemo.Lattice(2**20, 3), ValueError, "sites")
bad("lattices: FlatLattice dim 1.5", lambda: ardemo.FlatLattice(4, 1.5), TypeError, "dim")
bad("lattices: FlatLattice relation 99", lambda: ardemo.FlatLattice(2, 2).relation(99, 0), ValueError, "target")
bad(
    "lattices: FlatLattice relevant_nodes radius -1",
    lambda: ardemo.FlatLattice(2, 2).relevant_nodes(0, -1.0),
    ValueError,
    "radius",
)
bad(
    "lattices: FlatLattice causal_graph radius '1'",
    lambda: ardemo.FlatLattice(2, 2).causal_graph(radius="1"),
    TypeError,
    "radius",
)
bad("lattices: FlatLattice huge causal_graph", lambda: ardemo.FlatLattice(1024, 2).causal_graph(), ValueError, "sites")
bad("lattices: TreeLattice huge causal_graph", lambda: ardemo.TreeLattice(256, 2).causal_graph(), ValueError, "sites")
bad("lattices: FlatLattice relation source -1", lambda: ardemo.FlatLattice(2, 2).relation(1, -1), ValueError, "source")
bad("lattices: TreeLattice size 3", lambda: ardemo.TreeLattice(3, 2), ValueError, "size")
bad("lattices: TreeLattice parent -1", lambda: ardemo.TreeLattice(2, 2).parent(-1), ValueError, "node")
bad("lattices: TreeLattice ancestors 99", lambda: ardemo.TreeLattice(2, 2).ancestors(99), ValueError, "node")
bad(
    "lattices: Lattice site_index float",
    lambda: ardemo.Lattice(2, 2).site_index(torch.tensor([[0.5, 0.0]])),
    TypeError,
    "coords",
)
bad(
    "lattices: Lattice site_index dims",
    lambda: ardemo.Lattice(2, 2).site_index(torch.tensor([[1, 0, 0]])),
    ValueError,
    "coords",
)
bad("lattices: Lattice randperm n 0", lambda: ardemo.Lattice(2, 2).randperm(0), ValueError, "n")
bad("lattices: Graph n_nodes 0", lambda: ardemo.Graph(0, []), ValueError, "n_nodes")
bad("lattices: Graph edge out of range", lambda: ardemo.Graph(2, [(0, 5, "a")]), ValueError, "edges")
bad("lattices: Graph edge not a triple", lambda: ardemo.Graph(2, [(0, 1)]), ValueError, "edges")
bad("lattices: Graph edge backwards", lambda: ardemo.Graph(2, [(0, 1, "a")]), ValueError, "source < target")
bad("lattices: TwoBody values empty", lambda: ardemo.TwoBody((0, 1), []), ValueError, "values")
bad("lattices: TwoBody shift zero", lambda: ardemo.TwoBody((0, 0), [1.0, -1.0, -1.0, 1.0]), ValueError, "shift")
bad("lattices: TwoBody values strings", lambda: ardemo.TwoBody((0, 1), ["a", "b"]), TypeError, "values")
bad("lattices: TwoBody values NaN", lambda: ardemo.TwoBody((0, 1), [math.nan, 1.0, 1.0, 1.0]), ValueError, "values")
bad("lattices: Energy term not an energy", lambda: ardemo.Energy([(1.0, 3)]), TypeError, "terms")
bad("lattices: Energy terms not pairs", lambda: ardemo.Energy([1.0]), TypeError, "terms")
bad("lattices: ising coupling NaN", lambda: ardemo.ising(math.nan), ValueError, "coupling")
bad("lattices: ising coupling '1'", lambda: ardemo.ising("1"), TypeError, "coupling")
bad("lattices: SymmetricGroup n 0", lambda: ardemo.SymmetricGroup(0), ValueError, "n")
bad("lattices: SymmetricGroup n 9", lambda: ardemo.SymmetricGroup(9), ValueError, "n")
bad(
    "lattices: SymmetricGroup mul out of range",
    lambda: ardemo.SymmetricGroup(2).mul(torch.tensor([2]), torch.tensor([0])),
    ValueError,
    "a",
)
bad("lattices: SymmetricGroup inv float", lambda: ardemo.SymmetricGroup(2).inv(torch.tensor([0.5])), TypeError, "a")
bad(
    "lattices: Model energy not Energy",
    lambda: ardemo.Model(1.0, ardemo.FlatLattice(2, 2), ardemo.SymmetricGroup(2)),
    TypeError,
    "energy",
)
bad(
    "lattices: Model lattice not lattice",
    lambda: ardemo.Model(ardemo.ising(0.4), 4, ardemo.SymmetricGroup(2)),
    TypeError,
    "lattice",
)
bad(
    "lattices: Model group not group",
    lambda: ardemo.Model(ardemo.ising(0.4), ardemo.FlatLattice(2, 2), 2),
    TypeError,
    "group",
)
bad(
    "lattices: Model energy values 3 wrong",
    lambda: ardemo.Model(
        ardemo.Energy([(1.0, ardemo.TwoBody((0, 1), [1.0] * 9))]), ardemo.FlatLattice(2, 2), ardemo.SymmetricGroup(2)
    ),
    ValueError,
    "values",
)
bad(
    "lattices: Model energy 3 sites",
    lambda: lattice_model().energy(torch.zeros(2, 3, dtype=torch.long)),
    ValueError,
    "x",
)
bad("lattices: Model energy 2", lambda: lattice_model().energy(torch.full((2, 4), 2)), ValueError, "x")
bad(
    "lattices: Model energy int dtype",
    lambda: lattice_model().energy(torch.zeros(2, 2, 2, dtype=torch.long), dtype=torch.int32),
    TypeError,
    "dtype",
)
bad(
    "lattices: Model transform not a permutation",
    lambda: lattice_model().transform(torch.zeros(2, 2, 2, dtype=torch.long), torch.zeros(4, dtype=torch.long)),
    ValueError,
    "perm",
)
bad(
    "lattices: Model transform perm",
    lambda: lattice_model().transform(torch.zeros(2, 2, 2, dtype=torch.long), torch.arange(3)),
    ValueError,
    "perm",
)
bad(
    "lattices: bond_correlations shifts",
    lambda: ardemo.bond_correlations(torch.zeros(2, 2, 2, dtype=torch.long), lattice_model(), shifts=[(0, 1, 2)]),
    ValueError,
    "shifts",
)
bad(
    "lattices: bond_correlations x",
    lambda: ardemo.bond_correlations(torch.zeros(2, 3, dtype=torch.long), lattice_model()),
    ValueError,
    "x",
)
bad(
    "lattices: site_depths mismatch",
    lambda: ardemo.site_depths(ardemo.FlatLattice(2, 2), ardemo.FlatLattice(3, 2).causal_graph()),
    ValueError,
    "graph",
)
bad(
    "lattices: draw_causal_graph targets",
    lambda: ardemo.draw_causal_graph(
        plt.gca(), ardemo.FlatLattice(2, 2), ardemo.FlatLattice(2, 2).causal_graph(), targets=[9]
    ),
    ValueError,
    "targets",
)

# --- sampling ----------------------------------------------------------------------------------------
bad(
    "sampling: gibbs_sweep weight not square",
    lambda: ardemo.gibbs_sweep(binary(2, 3), torch.zeros(3, 2), torch.zeros(3)),
    ValueError,
    "weight",
)
bad(
    "sampling: gibbs_sweep bias shape",
    lambda: ardemo.gibbs_sweep(binary(2, 3), torch.zeros(3, 3), torch.zeros(4)),
    ValueError,
    "bias",
)
bad(
    "sampling: gibbs_sweep x 0.5",
    lambda: ardemo.gibbs_sweep(torch.full((2, 3), 0.5), torch.zeros(3, 3), torch.zeros(3)),
    ValueError,
    "binary",
)
bad(
    "sampling: gibbs_sweep uniforms shape",
    lambda: ardemo.gibbs_sweep(binary(2, 3), torch.zeros(3, 3), torch.zeros(3), uniforms=torch.rand(2, 2)),
    ValueError,
    "uniforms",
)
bad(
    "sampling: gibbs_sweep x list",
    lambda: ardemo.gibbs_sweep([[0.0, 1.0, 0.0]], torch.zeros(3, 3), torch.zeros(3)),
    TypeError,
    "x",
)
bad(
    "sampling: gibbs_sweep asymmetric",
    lambda: ardemo.gibbs_sweep(binary(2, 2), torch.tensor([[0.0, 1.0], [0.0, 0.0]]), torch.zeros(2)),
    ValueError,
    "symmetric",
)
bad(
    "sampling: gibbs_sweep_loop weight",
    lambda: ardemo.gibbs_sweep_loop(binary(2, 3), torch.zeros(2, 2), torch.zeros(3)),
    ValueError,
    "weight",
)
bad("sampling: autocorrelation 1-d", lambda: ardemo.autocorrelation(torch.randn(10), 3), ValueError, "series")
bad(
    "sampling: autocorrelation max_lag too big",
    lambda: ardemo.autocorrelation(torch.randn(10, 2), 10),
    ValueError,
    "max_lag",
)
bad(
    "sampling: autocorrelation max_lag -1",
    lambda: ardemo.autocorrelation(torch.randn(10, 2), -1),
    ValueError,
    "max_lag",
)
bad("sampling: autocorrelation constant", lambda: ardemo.autocorrelation(torch.ones(10, 2), 3), ValueError, "constant")
bad("sampling: autocorrelation list", lambda: ardemo.autocorrelation([[1.0]], 3), TypeError, "series")
bad("sampling: integrated_time empty", lambda: ardemo.integrated_time(torch.zeros(0)), ValueError, "rho")
bad(
    "sampling: integrated_time rho[0] != 1", lambda: ardemo.integrated_time(torch.tensor([0.5, 0.2])), ValueError, "rho"
)
bad("sampling: ais model", lambda: ardemo.ais_log_partition(ardemo.AutoregressiveModel(3)), TypeError, "model")
bad(
    "sampling: ais chains 1",
    lambda: ardemo.ais_log_partition(ardemo.BoltzmannMachine(3), chains=1),
    ValueError,
    "chains",
)
bad(
    "sampling: ais temperatures 0",
    lambda: ardemo.ais_log_partition(ardemo.BoltzmannMachine(3), temperatures=0),
    ValueError,
    "temperatures",
)
bad(
    "sampling: ais base_logits shape",
    lambda: ardemo.ais_log_partition(ardemo.BoltzmannMachine(3), base_logits=torch.zeros(4)),
    ValueError,
    "base_logits",
)
bad(
    "sampling: ais base_logits NaN",
    lambda: ardemo.ais_log_partition(ardemo.BoltzmannMachine(3), base_logits=torch.full((3,), math.nan)),
    ValueError,
    "base_logits",
)
bad(
    "sampling: ais base model size",
    lambda: ardemo.ais_log_partition(
        ardemo.BoltzmannMachine(3), base_logits=ardemo.IndependentBernoulli(torch.zeros(4))
    ),
    ValueError,
    "base_logits",
)

bad("sampling: raise model", lambda: ardemo.raise_log_likelihood("machine", binary(2, 3)), TypeError, "model")
bad(
    "sampling: raise data 5 units",
    lambda: ardemo.raise_log_likelihood(ardemo.BoltzmannMachine(3), binary(2, 5)),
    ValueError,
    "data",
)
bad(
    "sampling: raise data one row",
    lambda: ardemo.raise_log_likelihood(ardemo.BoltzmannMachine(3), binary(1, 3)[0]),
    ValueError,
    "data",
)
bad(
    "sampling: raise data not binary",
    lambda: ardemo.raise_log_likelihood(ardemo.BoltzmannMachine(3), torch.full((2, 3), 0.5)),
    ValueError,
    "binary",
)
bad(
    "sampling: raise temperatures 0",
    lambda: ardemo.raise_log_likelihood(ardemo.BoltzmannMachine(3), binary(2, 3), temperatures=0),
    ValueError,
    "temperatures",
)
bad(
    "sampling: raise chains 0",
    lambda: ardemo.raise_log_likelihood(ardemo.BoltzmannMachine(3), binary(2, 3), chains=0),
    ValueError,
    "chains",
)
bad(
    "sampling: raise base_logits shape",
    lambda: ardemo.raise_log_likelihood(ardemo.BoltzmannMachine(3), binary(2, 3), base_logits=torch.zeros(4)),
    ValueError,
    "base_logits",
)
bad(
    "models.BoltzmannMachine: pseudo_log_likelihood 5 units",
    lambda: ardemo.BoltzmannMachine(4).pseudo_log_likelihood(binary(2, 5)),
    ValueError,
    "x",
)
bad(
    "models.BoltzmannMachine: pseudo_log_likelihood not binary",
    lambda: ardemo.BoltzmannMachine(4).pseudo_log_likelihood(torch.full((2, 4), 0.5)),
    ValueError,
    "binary",
)


# --- learning: estimators -------------------------------------------------------------------------------
def f_sum(b: torch.Tensor) -> torch.Tensor:
    return (b - 0.45).pow(2).sum(-1)


logits3 = lambda: torch.zeros(2, 3, requires_grad=True)  # noqa: E731
relax_with_control = functools.partial(estimators.relax, control=lambda z: f_sum(torch.sigmoid(z)))
for est in ("reinforce", "concrete", "rebar", "muprop", "relax"):
    fn = relax_with_control if est == "relax" else getattr(estimators, est)
    m = f"learning.estimators.{est}"
    bad(f"{m}: f not callable", lambda fn=fn: fn(3, logits3()), TypeError, "f")
    bad(f"{m}: logits list", lambda fn=fn: fn(f_sum, [[0.0, 0.0]]), TypeError, "logits")
    bad(f"{m}: logits int", lambda fn=fn: fn(f_sum, torch.zeros(2, 3, dtype=torch.long)), TypeError, "logits")
    bad(f"{m}: u shape", lambda fn=fn: fn(f_sum, logits3(), u=torch.rand(2, 4)), ValueError, "u")
    bad(
        f"{m}: u outside (0, 1)",
        lambda fn=fn: fn(f_sum, logits3(), u=torch.tensor([[0.0, 0.5, 1.0]] * 2)),
        ValueError,
        "u",
    )
    bad(f"{m}: positional u", lambda fn=fn: fn(f_sum, logits3(), torch.rand(2, 3)), TypeError, "positional")
    bad(f"{m}: f returns wrong shape", lambda fn=fn: fn(lambda b: b, logits3()), ValueError, "f")
    bad(f"{m}: logits 1-d", lambda fn=fn: fn(f_sum, torch.zeros(3)), ValueError, "logits")
    bad(f"{m}: logits NaN", lambda fn=fn: fn(f_sum, torch.full((2, 3), math.nan)), ValueError, "logits")
bad(
    "learning.estimators.concrete: temperature 0",
    lambda: estimators.concrete(f_sum, logits3(), temperature=0.0),
    ValueError,
    "temperature",
)
bad(
    "learning.estimators.rebar: temperature -1",
    lambda: estimators.rebar(f_sum, logits3(), temperature=-1.0),
    ValueError,
    "temperature",
)
bad("learning.estimators.rebar: v shape", lambda: estimators.rebar(f_sum, logits3(), v=torch.rand(2)), ValueError, "v")
bad("learning.estimators.rebar: eta NaN", lambda: estimators.rebar(f_sum, logits3(), eta=math.nan), ValueError, "eta")
bad("learning.estimators.relax: control 3", lambda: estimators.relax(f_sum, logits3(), control=3), TypeError, "control")
bad("learning.estimators.relax: no control", lambda: estimators.relax(f_sum, logits3()), TypeError, "control")
bad(
    "learning.estimators.relax: control returns wrong shape",
    lambda: estimators.relax(f_sum, logits3(), control=lambda z: z),
    ValueError,
    "f",
)
bad(
    "learning.estimators.muprop: hard_f not callable",
    lambda: estimators.muprop(f_sum, logits3(), hard_f="f"),
    TypeError,
    "hard_f",
)
bad(
    "models.SigmoidBeliefNetwork: importance_log_prob samples 0",
    lambda: ardemo.SigmoidBeliefNetwork(4, 3).importance_log_prob(torch.ones(2, 4), 0),
    ValueError,
    "samples",
)
bad(
    "models.SigmoidBeliefNetwork: importance_log_prob no events",
    lambda: ardemo.SigmoidBeliefNetwork(4, 3).importance_log_prob(torch.ones(0, 4), 10),
    ValueError,
    "x",
)
bad(
    "models.SigmoidBeliefNetwork: log_weights non-binary",
    lambda: ardemo.SigmoidBeliefNetwork(4, 3).log_weights(torch.full((2, 4), 0.5)),
    ValueError,
    "x",
)
bad(
    "models.SigmoidBeliefNetwork: log_weights wrong width",
    lambda: ardemo.SigmoidBeliefNetwork(4, 3).log_weights(torch.ones(2, 5)),
    ValueError,
    "x",
)
bad(
    "data.binarize_stochastically: a tensor",
    lambda: ardemo.data.binarize_stochastically(torch.rand(3, 4)),
    TypeError,
    "images",
)
bad(
    "data.binarize_stochastically: seed -1",
    lambda: ardemo.data.binarize_stochastically(ardemo.data.digits(), seed=-1),
    ValueError,
    "seed",
)
bad(
    "learning.elbo: ElboTrainer normalise 1",
    lambda: ardemo.ElboTrainer(ardemo.SigmoidBeliefNetwork(4, 3), "nvil", normalise=1),
    TypeError,
    "normalise",
)
bad(
    "learning.estimators.reinforce: baseline list",
    lambda: estimators.reinforce(f_sum, logits3(), baseline=[1.0]),
    TypeError,
    "baseline",
)
bad(
    "learning.estimators.rebar_values: hard_f not callable",
    lambda: estimators.rebar_values(f_sum, logits3(), hard_f=1),
    TypeError,
    "hard_f",
)


# --- learning: training loops -------------------------------------------------------------------------------
def objective(step: int) -> torch.Tensor:
    return torch.zeros((), requires_grad=True)


def sgd() -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)


bad("learning.training: fit steps -1", lambda: ardemo.fit(objective, sgd(), -1), ValueError, "steps")
bad("learning.training: fit steps 2.0", lambda: ardemo.fit(objective, sgd(), 2.0), TypeError, "steps")
bad("learning.training: fit every -1", lambda: ardemo.fit(objective, sgd(), 2, every=-1), ValueError, "every")
bad("learning.training: fit objective not callable", lambda: ardemo.fit(3, sgd(), 2), TypeError, "objective")
bad("learning.training: fit optimizer", lambda: ardemo.fit(objective, "adam", 2), TypeError, "optimizer")
bad(
    "learning.training: fit monitor without every",
    lambda: ardemo.fit(objective, sgd(), 2, monitor=lambda: {}),
    ValueError,
    "every",
)
bad("learning.training: fit history", lambda: ardemo.fit(objective, sgd(), 2, history={}), TypeError, "history")
bad(
    "learning.training: fit NaN loss",
    lambda: ardemo.fit(lambda step: torch.tensor(math.nan, requires_grad=True), sgd(), 2),
    ValueError,
    "not finite",
)
bad(
    "learning.training: fit non-scalar loss",
    lambda: ardemo.fit(lambda step: torch.zeros(3, requires_grad=True), sgd(), 2),
    ValueError,
    "scalar",
)
bad(
    "learning.training: History.record negative step",
    lambda: ardemo.History().record(-1, {"a": 1.0}),
    ValueError,
    "step",
)
bad("learning.training: History.last unknown", lambda: ardemo.History().last("loss"), KeyError, "loss")
bad("learning.training: History.record non-number", lambda: ardemo.History().record(0, {"a": "x"}), TypeError, "'a'")
bad("learning.training: History.record not a dict", lambda: ardemo.History().record(0, [1.0]), TypeError, "values")
bad(
    "learning.training: random_batches batch 0",
    lambda: ardemo.random_batches(torch.zeros(5, 2), 0),
    ValueError,
    "batch_size",
)
bad(
    "learning.training: random_batches empty data",
    lambda: ardemo.random_batches(torch.zeros(0, 2), 2),
    ValueError,
    "data",
)
bad(
    "learning.training: random_batches batch > data",
    lambda: ardemo.random_batches(torch.zeros(5, 2), 6),
    ValueError,
    "batch_size",
)
bad("learning.training: random_batches list", lambda: ardemo.random_batches([[0.0]], 1), TypeError, "data")
bad(
    "learning.training: train_on_data lr 0",
    lambda: ardemo.train_on_data(torch.nn.Linear(2, 1), lambda m, b: m(b).sum(), torch.zeros(5, 2), 2, lr=0.0),
    ValueError,
    "lr",
)
bad(
    "learning.training: train_on_data model",
    lambda: ardemo.train_on_data("m", lambda m, b: b.sum(), torch.zeros(5, 2), 2, batch_size=2),
    TypeError,
    "model",
)
bad(
    "learning.training: train_on_data steps -1",
    lambda: ardemo.train_on_data(torch.nn.Linear(2, 1), lambda m, b: m(b).sum(), torch.zeros(5, 2), -1, batch_size=2),
    ValueError,
    "steps",
)
bad(
    "learning.training: train_on_data objective",
    lambda: ardemo.train_on_data(torch.nn.Linear(2, 1), None, torch.zeros(5, 2), 2, batch_size=2),
    TypeError,
    "objective",
)
bad(
    "learning.training: train_on_data data 3-d wrong",
    lambda: ardemo.train_on_data(ardemo.BoltzmannMachine(3), ardemo.ExactLikelihood(), binary(5, 2), 2, batch_size=2),
    ValueError,
    "data",
)

# noise-contrastive estimation, negative phase
bad(
    "learning.nce: k 0",
    lambda: ardemo.NoiseContrastive(ardemo.IndependentBernoulli(torch.zeros(4)), k=0),
    ValueError,
    "k",
)
bad("learning.nce: noise without log_prob", lambda: ardemo.NoiseContrastive(torch.zeros(4)), TypeError, "noise")
bad(
    "learning.nce: noise per unit",
    lambda: ardemo.NoiseContrastive(torch.distributions.Bernoulli(torch.full((4,), 0.5)))(
        ardemo.BoltzmannMachine(4), binary(3, 4)
    ),
    ValueError,
    "noise",
)
bad(
    "learning.nce: model without unnormalized_log_prob or log_prob",
    lambda: nce_loss(torch.nn.Linear(4, 1), binary(3, 4)),
    TypeError,
    "model",
)
bad("learning.nce: batch shape", lambda: nce_loss(ardemo.BoltzmannMachine(4), binary(3, 5)), ValueError, "batch")
bad("learning.nce: empty batch", lambda: nce_loss(ardemo.BoltzmannMachine(4), binary(0, 4)), ValueError, "batch")
bad(
    "learning.nce: noise of other size",
    lambda: nce_loss(ardemo.BoltzmannMachine(4), binary(3, 4), noise_size=5),
    ValueError,
    "noise",
)
bad("learning.negative_phase: GibbsLikelihood init", lambda: ardemo.GibbsLikelihood(init="random"), ValueError, "init")
bad("learning.negative_phase: GibbsLikelihood sweeps 0", lambda: ardemo.GibbsLikelihood(sweeps=0), ValueError, "sweeps")
bad("learning.negative_phase: GibbsLikelihood chains 0", lambda: ardemo.GibbsLikelihood(chains=0), ValueError, "chains")
bad(
    "learning.negative_phase: GibbsLikelihood model",
    lambda: ardemo.GibbsLikelihood()(ardemo.AutoregressiveModel(4), binary(3, 4)),
    TypeError,
    "model",
)
bad(
    "learning.negative_phase: GibbsLikelihood batch 0.5",
    lambda: ardemo.GibbsLikelihood()(ardemo.BoltzmannMachine(4), torch.full((3, 4), 0.5)),
    ValueError,
    "binary",
)
bad(
    "learning.negative_phase: ExactLikelihood 30 units",
    lambda: ardemo.ExactLikelihood()(ardemo.BoltzmannMachine(30), binary(3, 30)),
    ValueError,
    "30",
)
bad(
    "learning.negative_phase: EmpiricalNegatives empty",
    lambda: ardemo.EmpiricalNegatives(torch.zeros(0, 4)),
    ValueError,
    "images",
)
bad("learning.negative_phase: EmpiricalNegatives list", lambda: ardemo.EmpiricalNegatives([[0.0]]), TypeError, "images")
bad(
    "learning.negative_phase: CD loss model",
    lambda: ardemo.contrastive_divergence_loss(ardemo.BoltzmannMachine(2), torch.zeros(3, 2), torch.zeros(3, 2)),
    TypeError,
    "model",
)
bad(
    "learning.negative_phase: CD loss negatives shape",
    lambda: ardemo.contrastive_divergence_loss(ardemo.GaussianBernoulliRBM(2, 2), torch.zeros(3, 2), torch.zeros(3, 3)),
    ValueError,
    "negatives",
)
bad(
    "learning.negative_phase: CD loss data NaN",
    lambda: ardemo.contrastive_divergence_loss(
        ardemo.GaussianBernoulliRBM(2, 2), torch.full((3, 2), math.nan), torch.zeros(3, 2)
    ),
    ValueError,
    "data",
)

# ELBO training of SBNs
bad("learning.elbo: ElboTrainer estimator", lambda: ardemo.ElboTrainer(sbn(), "vimco"), ValueError, "estimator")
bad(
    "learning.elbo: ElboTrainer model",
    lambda: ardemo.ElboTrainer(ardemo.AutoregressiveModel(4), "rebar"),
    TypeError,
    "model",
)
bad("learning.elbo: ElboTrainer lr 0", lambda: ardemo.ElboTrainer(sbn(), "rebar", lr=0.0), ValueError, "lr")
bad(
    "learning.elbo: ElboTrainer temperature -1",
    lambda: ardemo.ElboTrainer(sbn(), "rebar", temperature=-1.0),
    ValueError,
    "temperature",
)
bad("learning.elbo: ElboTrainer eta NaN", lambda: ardemo.ElboTrainer(sbn(), "rebar", eta=math.nan), ValueError, "eta")
bad("learning.elbo: ElboTrainer tune 1", lambda: ardemo.ElboTrainer(sbn(), "rebar", tune=1), TypeError, "tune")
bad(
    "learning.elbo: ElboTrainer baseline_hidden 0",
    lambda: ardemo.ElboTrainer(sbn(), "nvil", baseline_hidden=0),
    ValueError,
    "baseline_hidden",
)
bad("learning.elbo: step empty batch", lambda: trainer().step(binary(0, 4)), ValueError, "x")
bad("learning.elbo: step empty batch (nvil)", lambda: trainer("nvil").step(binary(0, 4)), ValueError, "x")
bad("learning.elbo: step 0.5", lambda: trainer().step(torch.full((2, 4), 0.5)), ValueError, "binary")
bad("learning.elbo: step 3 pixels", lambda: trainer().step(binary(2, 3)), ValueError, "x")
bad("learning.elbo: loss list", lambda: trainer().loss([[0.0] * 4]), TypeError, "x")
bad(
    "learning.elbo: gradient_variance repeats 1",
    lambda: trainer().gradient_variance(binary(2, 4), repeats=1),
    ValueError,
    "repeats",
)
bad(
    "learning.elbo: train_sbn steps 0",
    lambda: ardemo.train_sbn(trainer(), binary(10, 4), binary(5, 4), 0),
    ValueError,
    "steps",
)
bad(
    "learning.elbo: train_sbn batch > data",
    lambda: ardemo.train_sbn(trainer(), binary(10, 4), binary(5, 4), 3, batch_size=11),
    ValueError,
    "batch_size",
)
bad(
    "learning.elbo: train_sbn every 0",
    lambda: ardemo.train_sbn(trainer(), binary(10, 4), binary(5, 4), 3, every=0),
    ValueError,
    "every",
)
bad(
    "learning.elbo: train_sbn test pixels",
    lambda: ardemo.train_sbn(trainer(), binary(10, 4), binary(5, 3), 3),
    ValueError,
    "test",
)
bad(
    "learning.elbo: train_sbn trainer",
    lambda: ardemo.train_sbn(sbn(), binary(10, 4), binary(5, 4), 3),
    TypeError,
    "trainer",
)
bad(
    "learning.elbo: train_sbn train 0.5",
    lambda: ardemo.train_sbn(trainer(), torch.full((10, 4), 0.5), binary(5, 4), 3),
    ValueError,
    "binary",
)

# PixelGNN free energy
bad(
    "learning.free_energy: log_mixed_prob anchored not a bool",
    lambda: free_energy.log_mixed_prob(pixelgnn(), torch.zeros(3, 2, 2, dtype=torch.long), 2, anchored=1),
    TypeError,
    "anchored",
)
bad("learning.free_energy: loss batch 0", lambda: free_energy.free_energy_loss(pixelgnn(), 0), ValueError, "batch")
bad(
    "learning.free_energy: loss mixtures 0",
    lambda: free_energy.free_energy_loss(pixelgnn(), 4, mixtures=0),
    ValueError,
    "mixtures",
)
bad(
    "learning.free_energy: loss mixtures 1.5",
    lambda: free_energy.free_energy_loss(pixelgnn(), 4, mixtures=1.5),
    TypeError,
    "mixtures",
)
bad(
    "learning.free_energy: loss beta 0",
    lambda: free_energy.free_energy_loss(pixelgnn(), 4, beta=0.0),
    ValueError,
    "beta",
)
bad(
    "learning.free_energy: loss net",
    lambda: free_energy.free_energy_loss(ardemo.AutoregressiveModel(4), 4),
    TypeError,
    "net",
)
bad("learning.free_energy: train steps -1", lambda: free_energy.train(pixelgnn(), -1), ValueError, "steps")
bad("learning.free_energy: train batch 1", lambda: free_energy.train(pixelgnn(), 2, batch=1), ValueError, "batch")
bad(
    "learning.free_energy: train optimizer",
    lambda: free_energy.train(pixelgnn(), 2, optimizer="adam"),
    TypeError,
    "optimizer",
)
bad("learning.free_energy: train lr -1", lambda: free_energy.train(pixelgnn(), 2, lr=-1.0), ValueError, "lr")
bad("learning.free_energy: train anneal -1", lambda: free_energy.train(pixelgnn(), 2, anneal=-1), ValueError, "anneal")
bad("learning.free_energy: train every -1", lambda: free_energy.train(pixelgnn(), 2, every=-1), ValueError, "every")
bad(
    "learning.free_energy: estimate samples 1",
    lambda: free_energy.estimate_free_energy(pixelgnn(), 1),
    ValueError,
    "samples",
)
bad(
    "learning.free_energy: estimate batch 0",
    lambda: free_energy.estimate_free_energy(pixelgnn(), 10, batch=0),
    ValueError,
    "batch",
)
bad("learning.free_energy: log_mean_exp list", lambda: free_energy.log_mean_exp([0.0]), TypeError, "log_w")
bad(
    "learning.free_energy: log_mixed_prob x shape",
    lambda: free_energy.log_mixed_prob(pixelgnn(), torch.zeros(2, 3, dtype=torch.long), 1),
    ValueError,
    "x",
)
bad(
    "learning.free_energy: randmix mixtures 0",
    lambda: free_energy.randmix(pixelgnn(), torch.zeros(2, 4, dtype=torch.long), 0),
    ValueError,
    "mixtures",
)

# teacher-student
bad(
    "learning.teacher_student: train lr_end -1",
    lambda: teacher_student.train(
        ardemo.AutoregressiveModel(3),
        lambda: torch.zeros((), requires_grad=True),
        2,
        0.1,
        strip(),
        torch.zeros(8),
        lr_end=-1.0,
    ),
    ValueError,
    "lr_end",
)
bad(
    "learning.teacher_student: train record_every 0",
    lambda: teacher_student.train(
        ardemo.AutoregressiveModel(3),
        lambda: torch.zeros((), requires_grad=True),
        2,
        0.1,
        strip(),
        torch.zeros(8),
        record_every=0,
    ),
    ValueError,
    "record_every",
)
bad(
    "learning.teacher_student: train lr 0",
    lambda: teacher_student.train(
        ardemo.AutoregressiveModel(3), lambda: torch.zeros((), requires_grad=True), 2, 0.0, strip(), torch.zeros(8)
    ),
    ValueError,
    "lr",
)
bad(
    "learning.teacher_student: train steps 0",
    lambda: teacher_student.train(
        ardemo.AutoregressiveModel(3), lambda: torch.zeros((), requires_grad=True), 0, 0.1, strip(), torch.zeros(8)
    ),
    ValueError,
    "steps",
)
bad(
    "learning.teacher_student: train target shape",
    lambda: teacher_student.train(
        ardemo.AutoregressiveModel(3), lambda: torch.zeros((), requires_grad=True), 2, 0.1, strip(), torch.zeros(5)
    ),
    ValueError,
    "target_log_probs",
)
bad(
    "learning.teacher_student: sampled_loss batch 0",
    lambda: teacher_student.sampled_loss(ardemo.AutoregressiveModel(3), ardemo.AutoregressiveModel(3), strip(), 0),
    ValueError,
    "batch",
)
bad(
    "learning.teacher_student: sampled_loss width",
    lambda: teacher_student.sampled_loss(ardemo.AutoregressiveModel(4), ardemo.AutoregressiveModel(3), strip(), 2),
    ValueError,
    "student",
)
bad(
    "learning.teacher_student: exact_loss width",
    lambda: teacher_student.exact_loss(ardemo.AutoregressiveModel(3), ardemo.AutoregressiveModel(4), strip()),
    ValueError,
    "teacher",
)
bad(
    "learning.teacher_student: data_distribution shape",
    lambda: teacher_student.data_distribution(torch.zeros(5), strip()),
    ValueError,
    "teacher_log_probs",
)
bad(
    "learning.teacher_student: random_translations 1-d",
    lambda: teacher_student.random_translations(torch.zeros(3)),
    ValueError,
    "x",
)

# --- data ----------------------------------------------------------------------------------------------
bad("data: digits threshold 2", lambda: ardemo.data.digits(binarize=True, threshold=2.0), ValueError, "threshold")
bad("data: digits binarize 'yes'", lambda: ardemo.data.digits(binarize="yes"), TypeError, "binarize")
bad("data: mnist split", lambda: ardemo.data.mnist(split="validation"), ValueError, "split")
bad("data: mnist missing root", lambda: ardemo.data.mnist(root="/nonexistent/ardemo"), FileNotFoundError, "MNIST")
bad(
    "data: mnist download", lambda: ardemo.data.mnist(root="/nonexistent/ardemo", download="yes"), TypeError, "download"
)
bad("data: fashion_mnist split", lambda: ardemo.data.fashion_mnist(split="all"), ValueError, "split")
bad(
    "data: fashion_mnist missing root",
    lambda: ardemo.data.fashion_mnist(root="/nonexistent/ardemo"),
    FileNotFoundError,
    "FashionMNIST",
)
bad("data: photo_patches n 0", lambda: ardemo.data.photo_patches(n=0), ValueError, "n")
bad("data: photo_patches size 100", lambda: ardemo.data.photo_patches(size=1000), ValueError, "size")
bad("data: photo_patches scale 0", lambda: ardemo.data.photo_patches(scale=0), ValueError, "scale")
bad("data: ring n 0", lambda: ardemo.data.ring(n=0), ValueError, "n")
bad("data: ring noise -1", lambda: ardemo.data.ring(noise=-1.0), ValueError, "noise")
bad("data: ring seed -1", lambda: ardemo.data.ring(seed=-1), ValueError, "seed")
bad("data: data_dir not a folder", lambda: ardemo.data.data_dir(__file__), ValueError, "root")
bad(
    "data: ImageSet mismatch",
    lambda: datasets.ImageSet(torch.zeros(3, 4), torch.zeros(2), (2, 2), "x"),
    ValueError,
    "labels",
)
bad("data: data_dir int", lambda: ardemo.data.data_dir(3), TypeError, "root")
bad("data: photo_patches seed -1", lambda: ardemo.data.photo_patches(seed=-1), ValueError, "seed")
bad(
    "data: ImageSet shape",
    lambda: datasets.ImageSet(torch.zeros(3, 4), torch.zeros(3), (3, 3), "x"),
    ValueError,
    "shape",
)

# --- book -----------------------------------------------------------------------------------------------
BOOK = Path(__file__).parents[1] / "book"
bad("book: show_images side", lambda: ardemo.show_images(torch.zeros(2, 10), side=3), ValueError, "side")
bad("book: show_images list", lambda: ardemo.show_images([[0.0]], side=1), TypeError, "images")
bad("book: show_images nrow 0", lambda: ardemo.show_images(torch.zeros(2, 4), side=2, nrow=0), ValueError, "nrow")
bad("book: show_images side 0", lambda: ardemo.show_images(torch.zeros(2, 4), side=0), ValueError, "side")
# the lab's self-checks answer a student's wrong result with an AssertionError that says what is wrong
bad(
    "book: labcheck check_values shape",
    lambda: labcheck.check_values("f", torch.zeros(2), torch.zeros(3)),
    AssertionError,
    "shape",
)
bad(
    "book: labcheck check_shapes",
    lambda: labcheck.check_shapes("f", torch.zeros(2), [(3,)], ["n"]),
    AssertionError,
    "shape",
)
bad(
    "book: student_edition source missing",
    lambda: student_edition.make_edition(Path("/nonexistent/book"), Path(tempfile.mkdtemp()) / "e"),
    ValueError,
    "src",
)
bad("book: student_edition dest is source", lambda: student_edition.make_edition(BOOK, BOOK), ValueError, "dest")
bad("book: student_edition dest is parent", lambda: student_edition.make_edition(BOOK, BOOK.parent), ValueError, "dest")
bad(
    "book: student_edition dest inside",
    lambda: student_edition.make_edition(BOOK, BOOK / "student"),
    ValueError,
    "dest",
)
bad(
    "book: student_edition dest not made by it",
    lambda: student_edition.make_edition(BOOK, Path(tempfile.mkdtemp())),
    ValueError,
    "dest",
)
bad(
    "book: student_edition fill_in count",
    lambda: student_edition.fill_in("no stubs here", ["x = 1"]),
    ValueError,
    "answers",
)

bad(
    "learning: random_batches generator",
    lambda: ardemo.learning.training.random_batches(torch.zeros(4, 2), 2, generator=0),
    TypeError,
    "generator",
)
bad("book: scatter_player frames not a tensor", lambda: scatter_player([[0.0, 0.0]]), TypeError, "frames")
bad("book: scatter_player frames shape", lambda: scatter_player(torch.zeros(5, 2)), ValueError, "(steps, chains, 2)")
bad("book: scatter_player mode", lambda: scatter_player(torch.zeros(2, 1, 2), mode="movie"), ValueError, "mode")
bad(
    "book: scatter_player extent",
    lambda: scatter_player(torch.zeros(2, 1, 2), extent=(1, 0, 0, 1)),
    ValueError,
    "extent",
)
bad(
    "book: scatter_player background",
    lambda: scatter_player(torch.zeros(2, 1, 2), background=torch.zeros(3)),
    ValueError,
    "background",
)
bad(
    "book: grading chapter missing",
    lambda: grading.release(Path("/nonexistent/lab.md"), Path(tempfile.mkdtemp())),
    ValueError,
    "chapter",
)
bad("book: grading no graded cell", lambda: grading.nbgrader_source("# T\n"), ValueError, "grade metadata")
bad(
    "book: grading no submissions",
    lambda: grading.grade(Path(tempfile.mkdtemp()), BOOK / "gaussian_rbm.md", Path(tempfile.mkdtemp())),
    ValueError,
    "submissions",
)

# --- experiments -----------------------------------------------------------------------------------------
LATTICE = ardemo.experiments.REGISTRY["pixelgnn-lattice"]
bad(
    "experiments: unknown name",
    lambda: ardemo.experiments.run_experiment("pixelgnn-lattise", {}, Path(tempfile.mkdtemp()) / "r.json"),
    ValueError,
    "pixelgnn-lattice",
)
bad(
    "experiments: make_settings unknown",
    lambda: ardemo.experiments.make_settings(LATTICE, {"sizes": 8}),
    ValueError,
    "sizes",
)
bad(
    "experiments: make_settings ill-typed",
    lambda: ardemo.experiments.make_settings(LATTICE, {"size": "eight"}),
    ValueError,
    "size",
)
bad(
    "experiments: make_settings size 1",
    lambda: ardemo.experiments.make_settings(LATTICE, {"size": 1}),
    ValueError,
    "size",
)
bad(
    "experiments: make_settings tree size 6",
    lambda: ardemo.experiments.make_settings(LATTICE, {"size": 6}),
    ValueError,
    "power of two",
)
bad(
    "experiments: make_settings steps 0",
    lambda: ardemo.experiments.make_settings(LATTICE, {"steps": 0}),
    ValueError,
    "steps",
)
bad(
    "experiments: out is a folder",
    lambda: ardemo.experiments.run_experiment("pixelgnn-lattice", {}, Path(tempfile.mkdtemp())),
    ValueError,
    "--out",
)
bad(
    "experiments: out unwritable",
    lambda: ardemo.experiments.run_experiment("pixelgnn-lattice", {}, Path("/proc/ardemo/r.json")),
    ValueError,
    "--out",
)
bad(
    "experiments: read missing",
    lambda: ardemo.experiments.read(Path("/nonexistent/x.json")),
    FileNotFoundError,
    "x.json",
)
bad("experiments: read foreign", lambda: ardemo.experiments.read(Path(__file__)), ValueError, "test_bad_input.py")
FOUR = ardemo.experiments.REGISTRY["pixelgnn-4x4"]
bad(
    "experiments: 4x4 lattice name",
    lambda: ardemo.experiments.make_settings(FOUR, {"lattice": "square"}),
    ValueError,
    "lattice",
)
bad(
    "experiments: 4x4 exact_every not a multiple",
    lambda: ardemo.experiments.make_settings(FOUR, {"exact_every": 15}),
    ValueError,
    "exact_every",
)
bad(
    "experiments: 4x4 scale_invariance not a bool",
    lambda: ardemo.experiments.make_settings(FOUR, {"scale_invariance": "no"}),
    ValueError,
    "scale_invariance",
)
bad(
    "experiments: 4x4 mixtures 0",
    lambda: ardemo.experiments.make_settings(FOUR, {"mixtures": 0}),
    ValueError,
    "mixtures",
)
bad(
    "experiments: trained_4x4 of another experiment",
    lambda: ardemo.experiments.trained_4x4({"experiment": "pixelgnn-lattice", "parameters": {}}),
    ValueError,
    "pixelgnn-lattice",
)
bad(
    "experiments: parameters_from_json not a dict",
    lambda: ardemo.experiments.parameters_from_json([1.0, 2.0]),
    TypeError,
    "data",
)
bad(
    "experiments: parameters_from_json wrong shape",
    lambda: ardemo.experiments.parameters_from_json({"w": {"dtype": "float32", "shape": [3], "values": [1.0]}}),
    ValueError,
    "'w'",
)


# --- silent NaN (issue "Nothing lost, nothing unsafe"): each used to return NaN or a wrong shape --------
bad(
    "learning.negative_phase: ExactLikelihood empty batch",
    lambda: ardemo.ExactLikelihood()(ardemo.BoltzmannMachine(3), torch.zeros(0, 3)),
    ValueError,
    "empty batch",
)
bad(
    "learning.negative_phase: GibbsLikelihood empty batch",
    lambda: ardemo.GibbsLikelihood("data")(ardemo.BoltzmannMachine(3), torch.zeros(0, 3)),
    ValueError,
    "empty batch",
)
bad("sampling: autocorrelation 0 chains", lambda: ardemo.autocorrelation(torch.zeros(10, 0), 3), ValueError, "chain")
bad(
    "sampling: autocorrelation NaN",
    lambda: ardemo.autocorrelation(torch.tensor([[0.0], [float("nan")], [1.0]]), 1),
    ValueError,
    "finite",
)
bad(
    "learning.free_energy: log_mean_exp NaN",
    lambda: free_energy.log_mean_exp(torch.tensor([float("nan")])),
    ValueError,
    "NaN",
)
bad(
    "exact: row_observables unnormalised",
    lambda: ardemo.row_observables(torch.zeros(8), 3),
    ValueError,
    "normalised",
)
bad(
    "models.GaussianBernoulliRBM: log_prob NaN log_z",
    lambda: ardemo.GaussianBernoulliRBM(4, 3).log_prob(torch.randn(2, 4), torch.tensor(float("nan"))),
    ValueError,
    "log_z",
)
bad(
    "models.GaussianBernoulliRBM: log_prob log_z of shape (2,)",
    lambda: ardemo.GaussianBernoulliRBM(4, 3).log_prob(torch.randn(2, 4), torch.zeros(2)),
    ValueError,
    "log_z",
)
bad(
    "models.BoltzmannMachine: from_parameters NaN bias",
    lambda: ardemo.BoltzmannMachine.from_parameters(torch.zeros(3, 3), torch.tensor([0.0, float("nan"), 0.0])),
    ValueError,
    "bias",
)
bad(
    "models.GaussianBernoulliRBM: sample_chains 1-d x0",
    lambda: ardemo.GaussianBernoulliRBM(4, 3).sample_chains(4, 2, x0=torch.randn(4)),
    ValueError,
    "x0",
)
bad(
    "models.GaussianBernoulliRBM: sample_chains x0 of 3 chains for 5",
    lambda: ardemo.GaussianBernoulliRBM(4, 3).sample_chains(5, 2, x0=torch.randn(3, 4)),
    ValueError,
    "n_chains",
)


# --- limits checked before any training or allocation ---------------------------------------------
bad(
    "models.SigmoidBeliefNetwork: log_prob of 784 pixels over 2**20 states",
    lambda: ardemo.SigmoidBeliefNetwork(784, 20).log_prob(torch.zeros(1, 784)),
    ValueError,
    "at most 16 units",
)
bad(
    "experiments: rebar-sbn ll_samples 1e8",
    lambda: ardemo.experiments.make_settings(ardemo.experiments.REGISTRY["rebar-sbn"], {"ll_samples": 10**8}),
    ValueError,
    "ll_samples",
)
bad(
    "experiments: boltzmann-mnist temperatures 1e9",
    lambda: ardemo.experiments.make_settings(ardemo.experiments.REGISTRY["boltzmann-mnist"], {"temperatures": 10**9}),
    ValueError,
    "temperatures",
)
bad(
    "experiments: pixelgnn-lattice mixtures 1e8",
    lambda: ardemo.experiments.make_settings(ardemo.experiments.REGISTRY["pixelgnn-lattice"], {"mixtures": 10**8}),
    ValueError,
    "mixtures",
)


bad("lattices: space_group of 64x64", lambda: ardemo.FlatLattice(64, 2).space_group(), ValueError, "randperm")
bad("lattices: TreeLattice(1024, 2)", lambda: ardemo.TreeLattice(1024, 2), ValueError, "at most 65,536 sites")


@pytest.mark.parametrize("call, error, fragment", CASES)
def test_bad_input(call, error, fragment):
    def too_slow(signum, frame):
        raise TimeoutError("no answer within 20 s: a bad input must be refused at once")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(20)
    try:
        with pytest.raises(error) as info:
            call()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert fragment in str(info.value), f"message {str(info.value)!r} does not mention {fragment!r}"


def test_enough_cases():
    assert len(CASES) >= 300, len(CASES)


def counts_by_module() -> Counter:
    """Cases per module: ``learning`` by submodule, the others by subpackage."""

    def module(case_id: str) -> str:
        parts = case_id.split(":")[0].split(".")
        return ".".join(parts[:2]) if parts[0] == "learning" else parts[0]

    return Counter(module(p.id) for p in CASES)


if __name__ == "__main__":
    for module, n in sorted(counts_by_module().items()):
        print(f"{module:32s} {n}")
    print(f"{'total':32s} {len(CASES)}")
