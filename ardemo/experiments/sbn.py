"""Sigmoid belief networks on binarised MNIST at the scale of Tucker et al. (2017), Section 5.2.1.

Registered as ``rebar-sbn`` (the chapter's estimators, :class:`~ardemo.ElboTrainer`) and
``rebar-sbn-official`` (those of REBAR's released code, :class:`~ardemo.OfficialElboTrainer`,
with its Adam :math:`\\beta_2 = 0.99999` and the tuned quantities at 10 times the learning rate): one model (``linear``: 784-200, ``two-layer``: 784-200-200, ``nonlinear``:
784-200 with two tanh layers of 200 units in every map) trained by one estimator (``nvil``,
``muprop``, ``concrete``, ``rebar``, ``relax``) with the paper's settings (batch 24, Adam at 3e-4,
λ = 0.5 to start). Every ``log_every`` steps the batch's training ELBO; every ``eval_every`` steps the
single-sample ELBO of 1,000 training and 1,000 held-out images with standard errors, the variance of
the recognition network's gradient estimate at the current parameters, and REBAR's and RELAX's η, λ.
At the end, the held-out log-likelihood by importance sampling, and the ELBOs with 100 samples per
image, each also per image (the results file's ``per_item``: every run is evaluated on the same
images, so two runs can be compared image by image).

Data: ``mnist-test`` (the default here) is the official MNIST test split, binarised stochastically
once with seed 0, its first 9,000 images for training and its last 1,000 held out; ``mnist`` trains
on the official training split (60,000 images, binarised the same way) and holds out the same 1,000;
``omniglot`` (the paper's second dataset, read from torchvision's Omniglot folder when it is on disk)
trains on the 19,280 drawings of the background alphabets, averaged down to 28x28 and binarised the
same way, and holds out 1,000 drawings of the evaluation alphabets drawn with seed 0.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..core.runtime import seed_all
from ..core.stats import standard_error
from ..core.validation import check_int, check_positive_float, no_validation
from ..data.datasets import binarize_stochastically, mnist, omniglot
from ..learning.elbo import ESTIMATORS, ElboTrainer
from ..learning.elbo_official import RELAXATIONS, OfficialElboTrainer
from ..learning.training import History, fit, random_batches
from ..models.sbn import SigmoidBeliefNetwork
from .registry import Outcome, Run, register

MODELS = ("linear", "two-layer", "nonlinear")
DATA = ("mnist-test", "mnist", "omniglot")
HELD_OUT = 1000
MAX_LL_SAMPLES = 100_000
"""At most this many importance samples per held-out image: 1,000 images then take about 100 minutes."""
"""How many images are held out. With MNIST they are the last 1,000 of the official test split,
whichever MNIST data trains; with Omniglot, 1,000 drawings of its evaluation alphabets."""


@dataclass
class RebarSBN:
    """Settings of ``rebar-sbn``: the paper's by default (every one is recorded in the results file)."""

    model: str = "linear"
    estimator: str = "rebar"
    data: str = "mnist-test"
    units: int = 200
    steps: int = 100_000
    batch: int = 24
    lr: float = 3e-4
    temperature: float = 0.5
    seed: int = 0
    log_every: int = 100
    eval_every: int = 2000
    eval_images: int = 1000
    variance_repeats: int = 50
    ll_samples: int = 1000

    def __post_init__(self) -> None:
        for name, allowed in (("model", MODELS), ("estimator", ESTIMATORS), ("data", DATA)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}: expected one of {allowed}, got {getattr(self, name)!r}")
        for name in ("units", "steps", "batch", "log_every", "eval_every"):
            check_int(name, getattr(self, name), minimum=1)
        # used only after training: bounded here, before any (see the cost in the message)
        if not isinstance(self.ll_samples, int) or not 1 <= self.ll_samples <= MAX_LL_SAMPLES:
            raise ValueError(
                f"ll_samples: expected an integer in [1, {MAX_LL_SAMPLES:,}] (importance samples per held-out image; "
                f"1,000 take about a minute on one CPU thread), got {self.ll_samples!r}"
            )
        check_int("eval_images", self.eval_images, minimum=2, maximum=HELD_OUT)  # a standard error needs two
        check_int("variance_repeats", self.variance_repeats, minimum=2)
        check_int("seed", self.seed, minimum=0)
        for name in ("lr", "temperature"):
            check_positive_float(name, getattr(self, name))
        if self.eval_every % self.log_every:
            raise ValueError(f"eval_every: expected a multiple of log_every ({self.log_every}), got {self.eval_every}")


def mnist_split(data: str, device: torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """The training and held-out images of ``data`` (see the module docstring) and what the results
    file records about them (dataset, sizes, binarisation, SHA-256 of the binary images)."""
    if data not in ("mnist-test", "mnist"):
        raise ValueError(f"data: expected 'mnist-test' or 'mnist', got {data!r}")
    test = binarize_stochastically(mnist("test"), seed=0)
    held_out = test.images[-HELD_OUT:]
    if data == "mnist-test":
        train, source = test.images[:-HELD_OUT], "MNIST official test split: first 9,000 train, last 1,000 held out"
    else:
        train = binarize_stochastically(mnist("train"), seed=0).images
        source = "MNIST official training split (60,000) to train; the test split's last 1,000 held out"
    return train.to(device), held_out.to(device), split_info(source, train, held_out)


def omniglot_split(device: torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """Omniglot's background drawings to train and 1,000 of its evaluation drawings (a permutation with
    seed 0) held out, 28x28, binarised stochastically once with seed 0; and what the results file records.

    The importance-weighted autoencoder papers' 28x28 Omniglot (24,345 / 8,070 images, from both sets) is
    not distributed by torchvision; this split keeps the alphabets of the two sets apart instead."""
    train = binarize_stochastically(omniglot("background"), seed=0).images
    evaluation = binarize_stochastically(omniglot("evaluation"), seed=0).images
    if evaluation.shape[0] < HELD_OUT:
        raise ValueError(f"omniglot: expected at least {HELD_OUT} evaluation drawings, found {evaluation.shape[0]}")
    pick = torch.randperm(evaluation.shape[0], generator=torch.Generator().manual_seed(0))[:HELD_OUT]
    held_out = evaluation[pick]
    source = (
        f"Omniglot via torchvision's folder, 28x28 (area-averaged, inverted): the {train.shape[0]:,} background "
        f"drawings to train, 1,000 of the {evaluation.shape[0]:,} evaluation drawings held out (seed 0)"
    )
    return train.to(device), held_out.to(device), split_info(source, train, held_out)


def sbn_split(data: str, device: torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """The training and held-out images of ``data``, one of ``DATA`` (see the module docstring)."""
    if data == "omniglot":
        return omniglot_split(device)
    return mnist_split(data, device)


def split_info(dataset: str, train: torch.Tensor, held_out: torch.Tensor) -> dict:
    """What a results file records about binary training and held-out images: the ``dataset``, the sizes,
    the binarisation and the SHA-256 of the images as bytes."""
    digest = hashlib.sha256()
    for part in (train, held_out):
        digest.update(part.to(torch.uint8).cpu().numpy().tobytes())
    return {
        "dataset": dataset,
        "train": int(train.shape[0]),
        "held_out": int(held_out.shape[0]),
        "binarisation": "stochastic, once, torch.Generator seed 0 (ardemo.data.binarize_stochastically)",
        "sha256": digest.hexdigest(),
    }


def build_sbn(model: str, units: int, data_mean: torch.Tensor | None = None) -> SigmoidBeliefNetwork:
    """One of the paper's three SBNs with ``units`` binary units per stochastic layer."""
    if model not in MODELS:
        raise ValueError(f"model: expected one of {MODELS}, got {model!r}")
    latent = (units, units) if model == "two-layer" else units
    hidden = (units, units) if model == "nonlinear" else None
    return SigmoidBeliefNetwork(784, latent, hidden=hidden, data_mean=data_mean)


def _mean_and_error(values: torch.Tensor) -> tuple[float, float]:
    return float(values.mean()), float(standard_error(values))


@register(
    "rebar-sbn",
    summary="Tucker et al.'s SBNs on binarised MNIST or Omniglot (linear, two-layer, nonlinear; 200 units) trained by "
    "NVIL, MuProp, Concrete, REBAR or RELAX: ELBO and gradient variance curves, held-out ln p(x)",
    cost="100,000 steps at batch 24 on one CPU thread here: about 10 min (linear, NVIL) to 40 min (two-layer, RELAX)",
    settings=RebarSBN,
    metrics={"elbo": "elbo_se", "train_elbo": "train_elbo_se"},
    replay_steps=200,
)
def rebar_sbn(s: RebarSBN, run: Run) -> Outcome:
    """Train one SBN with one of the chapter's estimators (:class:`~ardemo.ElboTrainer`); see the module docstring."""

    def tuned() -> dict[str, float]:
        row = {}
        for k, (eta, log_t) in enumerate(zip(trainer.eta.tolist(), trainer.log_temperature.tolist())):
            row[f"eta_{k}"], row[f"temperature_{k}"] = eta, math.exp(log_t)
        return row

    def make(model: SigmoidBeliefNetwork) -> ElboTrainer:
        nonlocal trainer
        trainer = ElboTrainer(model, s.estimator, lr=s.lr, temperature=s.temperature, normalise=True)
        return trainer

    trainer: ElboTrainer | None = None
    return _train(s, run, make, tuned if s.estimator in ("rebar", "relax") else None)


@dataclass
class OfficialRebarSBN(RebarSBN):
    """Settings of ``rebar-sbn-official``: those of ``rebar-sbn`` and the released code's relaxation and
    Adam :math:`\\beta_2` (the tuned quantities learn at 10 times ``lr``)."""

    relaxation: str = "muprop"
    beta2: float = 0.99999

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.relaxation not in RELAXATIONS:
            raise ValueError(f"relaxation: expected one of {RELAXATIONS}, got {self.relaxation!r}")
        if not 0 <= self.beta2 < 1:
            raise ValueError(f"beta2: expected a number in [0, 1), got {self.beta2}")


@register(
    "rebar-sbn-official",
    summary="The same SBNs trained by the estimators of REBAR's released code (tensorflow/models research/rebar): "
    "one learning signal, the MuProp-style relaxation, eta per parameter tensor, one lambda, tuned by the minibatch "
    "gradient's mean square; Concrete as the fully relaxed ELBO; RELAX with a trained control",
    cost="100,000 steps at batch 24 on one CPU thread here: about 6 min (linear, NVIL) to 36 min (two-layer, RELAX)",
    settings=OfficialRebarSBN,
    metrics={"elbo": "elbo_se", "train_elbo": "train_elbo_se"},
    replay_steps=200,
)
def rebar_sbn_official(s: OfficialRebarSBN, run: Run) -> Outcome:
    """Train one SBN with one estimator of the released code (:class:`~ardemo.OfficialElboTrainer`)."""

    def tuned() -> dict[str, float]:
        eta = trainer.eta
        return {"temperature": trainer.temperature, "eta_min": float(eta.min()), "eta_max": float(eta.max())}

    def make(model: SigmoidBeliefNetwork) -> OfficialElboTrainer:
        nonlocal trainer
        trainer = OfficialElboTrainer(
            model, s.estimator, lr=s.lr, temperature=s.temperature, relaxation=s.relaxation, beta2=s.beta2
        )
        return trainer

    trainer: OfficialElboTrainer | None = None
    return _train(s, run, make, tuned if s.estimator in ("rebar", "relax") else None)


def _train(
    s: RebarSBN,
    run: Run,
    make: Callable[[SigmoidBeliefNetwork], ElboTrainer | OfficialElboTrainer],
    tuned: Callable[[], dict[str, float]] | None,
) -> Outcome:
    """The run shared by both experiments: data, model, checkpoints, evaluations, the final scores."""
    train, held_out, info = sbn_split(s.data, run.device)
    seed_all(s.seed)
    model = build_sbn(s.model, s.units, data_mean=train.mean(0)).to(run.device)
    trainer = make(model)
    history = History()
    run.track(model=model, trainer=trainer, history=history)
    run.restore()
    draw = random_batches(train, s.batch)
    probe, train_eval, held_eval = train[: s.batch], train[: s.eval_images], held_out[: s.eval_images]

    def evaluate() -> dict[str, float]:
        row = {}
        for name, x in (("train", train_eval), ("test", held_eval)):
            row[f"{name}_elbo"], row[f"{name}_elbo_se"] = _mean_and_error(model.log_weights(x)[0])
        variance = trainer.parameter_gradient_variance(probe, s.variance_repeats)
        row["log10_variance"] = math.log10(variance) if variance > 0 else -math.inf
        if tuned is not None:
            row.update(tuned())
        return row

    def objective(step: int) -> tuple[torch.Tensor, dict[str, float]]:
        loss, metrics = trainer.loss(draw())
        if (step + 1) % s.log_every == 0:  # the logged ELBO's standard error over the batch (replays compare in it)
            metrics["elbo_se"] = float(standard_error(trainer.last_elbo))
        return loss, metrics

    with no_validation():
        if not history.steps:
            history.record(0, evaluate())
        for n in run.chunks(history, s.eval_every):
            fit(objective, trainer.optimiser, n, every=s.log_every, history=history)
            if history.total_steps % s.eval_every == 0:
                history.annotate(evaluate())
            run.after_chunk(history)
        if history.total_steps < s.steps:  # a replay stops here
            return Outcome(history, data=info)
        per_image = {
            "test_log_likelihood": model.importance_log_prob(held_eval, s.ll_samples),
            "test_elbo": model.log_weights(held_eval, 100).mean(0),
            "train_elbo": model.log_weights(train_eval, 100).mean(0),
        }
    final = {name: _mean_and_error(values) for name, values in per_image.items()}
    final["parameters"] = (float(sum(p.numel() for p in model.parameters())), None)
    per_item = {name: [round(v, 4) for v in values.tolist()] for name, values in per_image.items()}
    return Outcome(history, final, data=info, per_item=per_item)
