"""A fully visible Boltzmann machine on 784 binarised pixels, at the scale of the Boltzmann chapter's source.

Registered as ``boltzmann-mnist``: one 784-unit machine (couplings symmetric, zero diagonal, biases)
trained by one ``method`` with the same data order, batch size, initialisation and optimiser:

* ``cd``: contrastive divergence, ``sweeps`` Gibbs sweeps from the batch;
* ``pcd``: persistent CD, ``chains`` chains carried from step to step;
* ``nce-gaussian``: NCE with ``k`` samples of the source's noise, a standard normal over
  :math:`\\mathbb{R}^{784}` with its log-density divided by 10,000;
* ``nce-bernoulli``: NCE with independent Bernoullis at the training pixel means;
* ``nce-autoregressive``: NCE with an autoregressive Bernoulli model (a fully visible sigmoid belief
  net) fitted first by maximum likelihood;
* ``negative-sampling``: the source's negative sampling, ``k`` images of another kind per data point
  with :math:`p_n \\equiv 1`;
* ``pseudo-likelihood``: maximum pseudo-likelihood (Besag), the classic :math:`Z`-free method for fully
  visible machines: no negative phase, no noise.

For the contrastive methods, ``normaliser`` says how :math:`c` moves: ``learned`` (the first runs: one
parameter under the same Adam as the couplings, so it moves by about ``lr`` per step, at most
``lr × steps`` = 10 nats in a run) or ``profiled`` (set at every step to its optimum on that batch and
its noise, :func:`ardemo.learning.nce.optimal_normaliser`, so it follows any offset and the couplings
need not absorb it).

The machine starts with independent pixels at the training means (biases at their logits, couplings
``weight_scale`` times a standard normal) and NCE's :math:`c` at that machine's :math:`-\\ln Z` without the
couplings (Adam moves :math:`c` by about ``lr`` per step: from 0 it could not reach :math:`-\\ln Z \\approx -130`).

Logged every ``log_every`` steps: the batch objective; every ``eval_every`` steps: the pseudo-log-likelihood
of ``eval_images`` training and held-out images (no :math:`Z` needed) and, for the contrastive methods, the
learned :math:`c`. At the end: :math:`\\ln Z` by AIS, the held-out log-likelihood from both sides (AIS:
optimistic; RAISE from the held-out images: conservative), the independent-pixel baseline, and a grid of
samples from Gibbs chains.

Data: ``mnist-test`` (default) is the official MNIST test split binarised stochastically with seed 0,
its first 9,000 images to train and last 1,000 held out (as ``rebar-sbn``), with 28×28 binarised
patches of scikit-learn's photographs as negatives; ``mnist`` trains on the training split instead;
``fashion-mnist`` is the source's pairing: Fashion-MNIST's training split to train, the last 1,000 of
its test split held out, binarised MNIST test images as negatives.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
from torch.distributions import Independent, Normal

from ..core.runtime import seed_all
from ..core.stats import standard_error
from ..core.validation import check_int, check_positive_float, no_validation
from ..data.datasets import binarize_stochastically, fashion_mnist, mnist, photo_patches
from ..distributions.bernoulli import IndependentBernoulli
from ..learning.em import em_step
from ..learning.nce import NORMALISERS, EmpiricalNegatives, NoiseContrastive
from ..learning.negative_phase import GibbsLikelihood
from ..learning.pseudo_likelihood import PseudoLikelihood
from ..learning.training import History, fit, random_batches, train_on_data
from ..models.autoregressive import AutoregressiveModel
from ..models.bernoulli_mixture import BernoulliMixture
from ..models.boltzmann import BoltzmannMachine
from ..sampling.ais import ais_log_partition, raise_log_likelihood
from .registry import Outcome, Run, register
from .sbn import HELD_OUT, mnist_split, split_info

METHODS = ("cd", "pcd", "nce-gaussian", "nce-bernoulli", "nce-autoregressive", "negative-sampling", "pseudo-likelihood")
CONTRASTIVE = ("nce-gaussian", "nce-bernoulli", "nce-autoregressive", "negative-sampling")
DATA = ("mnist-test", "mnist", "fashion-mnist")
NEGATIVES = 10_000


@dataclass
class BoltzmannMNIST:
    """Settings of ``boltzmann-mnist`` (every one is recorded in the results file)."""

    method: str = "pcd"
    data: str = "mnist-test"
    normaliser: str = "learned"
    steps: int = 10_000
    batch: int = 100
    lr: float = 1e-3
    weight_scale: float = 0.01
    sweeps: int = 1
    chains: int = 100
    k: int = 10
    noise_steps: int = 3000
    seed: int = 0
    log_every: int = 100
    eval_every: int = 1000
    eval_images: int = 1000
    ais_chains: int = 100
    temperatures: int = 2000
    raise_images: int = 500
    samples: int = 36
    sample_sweeps: int = 1000

    def __post_init__(self) -> None:
        for name, allowed in (("method", METHODS), ("data", DATA), ("normaliser", NORMALISERS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}: expected one of {allowed}, got {getattr(self, name)!r}")
        for name in ("steps", "batch", "sweeps", "chains", "k", "log_every", "eval_every", "temperatures", "samples"):
            check_int(name, getattr(self, name), minimum=1)
        for name in ("noise_steps", "seed", "sample_sweeps"):
            check_int(name, getattr(self, name), minimum=0)
        check_int("eval_images", self.eval_images, minimum=2, maximum=HELD_OUT)  # a standard error needs two
        check_int("raise_images", self.raise_images, minimum=2, maximum=self.eval_images)
        check_int("ais_chains", self.ais_chains, minimum=2, maximum=100_000)
        # used only after training: bounded before it (AIS and RAISE run temperatures x chains Gibbs sweeps)
        check_int("temperatures", self.temperatures, minimum=1, maximum=1_000_000)
        check_int("samples", self.samples, minimum=1, maximum=10_000)
        check_int("sample_sweeps", self.sample_sweeps, minimum=0, maximum=1_000_000)
        check_positive_float("lr", self.lr)
        if not (isinstance(self.weight_scale, (int, float)) and self.weight_scale >= 0):
            raise ValueError(f"weight_scale: expected a number >= 0, got {self.weight_scale!r}")
        if self.normaliser != "learned" and self.method not in CONTRASTIVE:
            raise ValueError(
                f"normaliser: only the contrastive methods {CONTRASTIVE} have a normaliser c; "
                f"got normaliser={self.normaliser!r} with method={self.method!r}"
            )
        if self.eval_every % self.log_every:
            raise ValueError(f"eval_every: expected a multiple of log_every ({self.log_every}), got {self.eval_every}")


class ScaledNoise:
    """``noise`` whose log-density is multiplied by ``scale``: the source divides a standard normal's
    by 10,000. Only the log-density changes (it is then no density of anything); samples are the noise's.

    >>> from torch.distributions import Independent, Normal
    >>> noise = ScaledNoise(Independent(Normal(torch.zeros(2), torch.ones(2)), 1), 1e-4)
    >>> noise.sample((3,)).shape, round(float(noise.log_prob(torch.zeros(2))), 6)
    (torch.Size([3, 2]), -0.000184)
    """

    def __init__(self, noise: object, scale: float) -> None:
        self.noise, self.scale = noise, check_positive_float("scale", scale)
        self.event_shape = getattr(noise, "event_shape", None)

    def sample(self, sample_shape: torch.Size | tuple[int, ...] = ()) -> torch.Tensor:
        return self.noise.sample(sample_shape)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * self.noise.log_prob(x)

    def __repr__(self) -> str:
        return f"ScaledNoise({self.noise!r}, scale={self.scale:g})"


class SeededBatches:
    """Minibatches of ``data`` drawn with their own generator, so that every method sees the same
    data order whatever else it draws; a checkpoint saves the generator.

    >>> a, b = SeededBatches(torch.arange(10.0)[:, None], 3, 0), SeededBatches(torch.arange(10.0)[:, None], 3, 0)
    >>> _ = torch.rand(5)  # other draws in between do not change the order
    >>> torch.equal(a(), b())
    True
    """

    def __init__(self, data: torch.Tensor, size: int, seed: int) -> None:
        self.generator = torch.Generator().manual_seed(seed)
        self._draw = random_batches(data, size, self.generator)

    def __call__(self) -> torch.Tensor:
        return self._draw()

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.generator.set_state(state["generator"].cpu())


def binary_split(
    data: str, device: torch.device | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, dict]:
    """Training images, held-out images, negatives (for negative sampling) and what the results file
    records about them; see the module docstring."""
    if data not in DATA:
        raise ValueError(f"data: expected one of {DATA}, got {data!r}")
    if data == "fashion-mnist":
        test = binarize_stochastically(fashion_mnist("test"), seed=0).images
        train, held_out = binarize_stochastically(fashion_mnist("train"), seed=0).images, test[-HELD_OUT:]
        negatives = binarize_stochastically(mnist("test"), seed=0).images[:NEGATIVES]
        dataset = "Fashion-MNIST training split (60,000) to train; its test split's last 1,000 held out"
        info = {
            **split_info(dataset, train, held_out),
            "negatives": "MNIST official test split, first 10,000 (all), binarised the same way",
        }
    else:
        train, held_out, info = mnist_split(data)
        negatives = photo_patches(NEGATIVES, size=28, scale=4, binarize=True, seed=0).images
        info = {
            **info,
            "negatives": "10,000 28x28 patches of scikit-learn's two photographs (112 px crops "
            "averaged down by 4, binarised at 0.5; ardemo.data.photo_patches seed 0)",
        }
    return train.to(device), held_out.to(device), negatives.to(device), info


def _mean_and_error(values: torch.Tensor) -> tuple[float, float]:
    return float(values.mean()), float(standard_error(values))


def _objective(s: BoltzmannMNIST, train: torch.Tensor, negatives: torch.Tensor, noise: object):
    if s.method == "cd":
        return GibbsLikelihood("data", sweeps=s.sweeps)
    if s.method == "pcd":
        return GibbsLikelihood("persistent", sweeps=s.sweeps, chains=s.chains)
    if s.method == "pseudo-likelihood":
        return PseudoLikelihood()
    if s.method == "nce-gaussian":
        zeros = torch.zeros(train.shape[1], device=train.device)
        noise = ScaledNoise(Independent(Normal(zeros, zeros + 1), 1), 1e-4)
    elif s.method == "nce-bernoulli":
        noise = IndependentBernoulli.from_data(train)
    elif s.method == "negative-sampling":
        noise = EmpiricalNegatives(negatives)
    return NoiseContrastive(noise, k=s.k, normaliser=s.normaliser)


@register(
    "boltzmann-mnist",
    summary="A 784-unit fully visible Boltzmann machine on binarised MNIST trained by CD-1, PCD, NCE (k = 10; "
    "Gaussian, Bernoulli or autoregressive noise; c learned or profiled), negative sampling or pseudo-likelihood; "
    "held-out ln p(x) by AIS and RAISE",
    cost="10,000 steps at batch 100 and the evaluation, one CPU thread here: about 10 min (NCE, Bernoulli noise) "
    "to 25 min (NCE, autoregressive noise)",
    settings=BoltzmannMNIST,
    metrics={"loss": "loss_se", "test_pll": "test_pll_se"},
    replay_steps=200,
)
def boltzmann_mnist(s: BoltzmannMNIST, run: Run) -> Outcome:
    """Train one 784-unit machine with one method; see the module docstring."""
    train, held_out, negatives, info = binary_split(s.data, run.device)
    marginals = IndependentBernoulli.from_data(train)
    seed_all(s.seed)
    model = BoltzmannMachine(train.shape[1], weight_scale=s.weight_scale).to(run.device)
    with torch.no_grad():
        model.bias.copy_(marginals.logits)
    noise = AutoregressiveModel(train.shape[1]).to(run.device) if s.method == "nce-autoregressive" else None
    objective = _objective(s, train, negatives, noise)
    if isinstance(objective, NoiseContrastive):  # c starts at -ln Z of the machine without couplings
        with torch.no_grad():
            objective.c.fill_(-float(torch.nn.functional.softplus(marginals.logits).sum()))
    parameters = list(model.parameters()) + (
        list(objective.parameters()) if isinstance(objective, torch.nn.Module) else []
    )
    optimiser = torch.optim.Adam(parameters, lr=s.lr)
    draw = SeededBatches(train, s.batch, s.seed)
    history = History()
    run.track(model=model, optimiser=optimiser, objective=objective, batches=draw, history=history)
    if noise is not None:
        run.track(noise=noise)
    resumed = run.restore()
    if noise is not None and not resumed:  # the noise model is fitted once, before the machine
        train_on_data(noise, lambda m, x: -m.log_prob(x).mean(), train, s.noise_steps, batch_size=s.batch, lr=s.lr)
    train_eval, held_eval = train[: s.eval_images], held_out[: s.eval_images]

    def evaluate() -> dict[str, float]:
        row = {}
        with torch.no_grad():
            for name, x in (("train", train_eval), ("test", held_eval)):
                row[f"{name}_pll"], row[f"{name}_pll_se"] = _mean_and_error(model.pseudo_log_likelihood(x))
        if isinstance(objective, NoiseContrastive):
            row["c"] = float(objective.c.detach())
        return row

    def step_loss(step: int) -> tuple[torch.Tensor, dict[str, float]]:
        loss = objective(model, draw())
        if (step + 1) % s.log_every:
            return loss, {}
        # the logged loss's standard error: it is a sum of means over the data and over the negatives
        se = math.sqrt(sum(float(t.var() / t.numel()) for t in objective.last_terms))
        return loss, {"loss_se": se}

    with no_validation():
        if not history.steps:
            history.record(0, evaluate())
        for n in run.chunks(history, s.eval_every):
            fit(step_loss, optimiser, n, every=s.log_every, history=history)
            if history.total_steps % s.eval_every == 0:
                history.annotate(evaluate())
            run.after_chunk(history)
        if history.total_steps < s.steps:  # a replay stops here
            return Outcome(history, data=info)
        with torch.no_grad():
            ais = ais_log_partition(model, s.ais_chains, s.temperatures, base_logits=marginals)
            unnormalised = -model.energy(held_eval).double()
            reverse = raise_log_likelihood(model, held_eval[: s.raise_images], s.temperatures, base_logits=marginals)
            pll = model.pseudo_log_likelihood(held_eval)
            independent = marginals.log_prob(held_eval).double()
            start = marginals.sample((s.samples,))
            samples = model.gibbs(start, s.sample_sweeps)
            noise_ll = None if noise is None else noise.log_prob(held_eval).double()
    optimistic = unnormalised - ais.log_z
    gap = optimistic[: s.raise_images] - reverse.log_likelihood
    final = {
        "log_z_ais": (ais.log_z, ais.stderr),
        "ais_effective_sample_size": (ais.effective_sample_size, None),
        "test_log_likelihood_ais": (
            float(optimistic.mean()),
            math.hypot(float(standard_error(optimistic)), ais.stderr),
        ),
        "test_log_likelihood_raise": (reverse.mean, reverse.stderr),
        "ais_minus_raise": (float(gap.mean()), math.hypot(float(standard_error(gap)), ais.stderr)),
        "test_pll": _mean_and_error(pll),
        "test_independent": _mean_and_error(independent),
    }
    if isinstance(objective, NoiseContrastive):
        final["c"] = (float(objective.c.detach()), None)
        final["c_plus_log_z"] = (float(objective.c.detach()) + ais.log_z, ais.stderr)
    if noise_ll is not None:
        final["test_noise_log_likelihood"] = _mean_and_error(noise_ll)
    per_item = {
        "test_unnormalised": [round(v, 4) for v in unnormalised.tolist()],
        "test_raise": [round(v, 4) for v in reverse.log_likelihood.tolist()],
        "test_independent": [round(v, 4) for v in independent.tolist()],
    }
    return Outcome(history, final, data=info, per_item=per_item, arrays={"samples": samples.to(torch.uint8).cpu()})


@dataclass
class BernoulliMixtureMNIST:
    """Settings of ``bernoulli-mixture-mnist`` (every one is recorded in the results file)."""

    components: int = 10
    data: str = "mnist-test"
    steps: int = 100
    alpha: float = 1.0
    seed: int = 0
    eval_every: int = 5

    def __post_init__(self) -> None:
        if self.data not in ("mnist-test", "mnist"):
            raise ValueError(f"data: expected 'mnist-test' or 'mnist', got {self.data!r}")
        check_int("components", self.components, minimum=1, maximum=100_000)
        check_int("steps", self.steps, minimum=1)
        check_int("seed", self.seed, minimum=0)
        check_int("eval_every", self.eval_every, minimum=1)
        check_positive_float("alpha", self.alpha)


@register(
    "bernoulli-mixture-mnist",
    summary="A mixture of K factorised Bernoullis on the same binarised MNIST split as boltzmann-mnist, fitted by EM; "
    "held-out ln p(x) exact (the bridge to the published mixtures of Bernoullis)",
    cost="100 EM steps, one CPU thread here: about 10 s (K = 10) to 2 min (K = 500)",
    settings=BernoulliMixtureMNIST,
    metrics={"train_ll": None},
    replay_steps=10,
)
def bernoulli_mixture_mnist(s: BernoulliMixtureMNIST, run: Run) -> Outcome:
    """Fit a ``components``-component Bernoulli mixture by ``steps`` EM steps; exact held-out ln p(x)."""
    train, held_out, info = mnist_split(s.data, run.device)
    seed_all(s.seed)
    generator = torch.Generator().manual_seed(s.seed)
    model = BernoulliMixture.random_init(train.double(), s.components, generator=generator).to(run.device)
    history = History()
    run.track(model=model, history=history)
    run.restore()

    held_out = held_out.double()

    def held_out_ll() -> torch.Tensor:
        with torch.no_grad():
            return model.log_prob(held_out)

    with no_validation():
        data = train.double()
        for n in run.chunks(history, s.eval_every):
            start = time.perf_counter()
            for _ in range(n):
                train_ll = em_step(model, data, s.alpha)
                history.total_steps += 1
            history.seconds += time.perf_counter() - start
            test = held_out_ll()
            # train_ll is the log-likelihood before the last step: recorded at the step count it belongs to
            history.record(history.total_steps - 1, {"train_ll": float(train_ll), "test_ll": float(test.mean())})
            run.after_chunk(history)
        if history.total_steps < s.steps:  # a replay stops here
            return Outcome(history, data=info)
        test = held_out_ll()  # scored here too: a resumed run with no step left never enters the loop
        with torch.no_grad():
            final_train = float(model.log_prob(data).mean())
    final = {
        "test_log_likelihood": _mean_and_error(test),
        "test_log_likelihood_first_500": _mean_and_error(test[:500]),
        "train_log_likelihood": (final_train, None),
        "effective_components": (
            float(torch.exp(-(torch.softmax(model.mixing, 0) * torch.log_softmax(model.mixing, 0)).sum()).detach()),
            None,
        ),
    }
    per_item = {"test_log_likelihood": [round(v, 4) for v in test.tolist()]}
    return Outcome(history, final, data=info, per_item=per_item)
