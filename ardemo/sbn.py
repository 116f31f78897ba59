"""Sigmoid belief network with one layer of binary latent units, and its training by ELBO.

:math:`p(b) = \\prod_j \\mathrm{Bernoulli}(b_j; \\sigma(a_j))`,
:math:`p(x \\mid b) = \\prod_i \\mathrm{Bernoulli}(x_i; \\sigma(g(b)_i))`,
:math:`q(b \\mid x) = \\prod_j \\mathrm{Bernoulli}(b_j; \\sigma(h(x)_j))`, with :math:`g, h` linear or one
tanh hidden layer. The ELBO :math:`\\mathbb{E}_q[f(b)]`, :math:`f(b) = \\ln p(x, b) - \\ln q(b \\mid x)`,
is a lower bound on :math:`\\ln p(x)`; both are exact by enumeration for up to 20 latent units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import estimators
from ._validation import check_binary, check_int, check_last_dim, check_positive_float, check_tensor
from .configurations import MAX_ENUMERATION_SITES, all_configurations

ESTIMATORS = ("nvil", "concrete", "rebar")


def _net(n_in: int, n_out: int, hidden: int | None) -> nn.Module:
    if hidden is None:
        return nn.Linear(n_in, n_out)
    return nn.Sequential(nn.Linear(n_in, hidden), nn.Tanh(), nn.Linear(hidden, n_out))


def bernoulli_log_prob(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """:math:`\\sum_i x_i\\ell_i - \\mathrm{softplus}(\\ell_i)` over the last axis; also defined for relaxed :math:`x \\in [0,1]`."""
    return (x * logits - F.softplus(logits)).sum(-1)


def _pairwise_bernoulli_log_prob(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """:func:`bernoulli_log_prob` of every row of ``x`` (``(n, k)``) under every row of ``logits``
    (``(m, k)``), shape ``(n, m)``: the sum over the last axis becomes one matrix product."""
    return x @ logits.T - F.softplus(logits).sum(-1)


class SigmoidBeliefNetwork(nn.Module):
    """One-latent-layer SBN with its recognition network.

    Args:
        n_visible: pixels.
        n_latent: binary latent units.
        hidden: ``None`` for linear maps, or the width of one tanh hidden layer (nonlinear SBN).
        data_mean: pixel means to start the decoder's output bias at their logits.
    """

    def __init__(self, n_visible: int, n_latent: int, hidden: int | None = None,
                 data_mean: torch.Tensor | None = None) -> None:
        super().__init__()
        self.n_visible = check_int("n_visible", n_visible, minimum=1)
        self.n_latent = check_int("n_latent", n_latent, minimum=1)
        if hidden is not None:
            hidden = check_int("hidden", hidden, minimum=1)
        self.encoder = _net(self.n_visible, self.n_latent, hidden)
        self.decoder = _net(self.n_latent, self.n_visible, hidden)
        self.prior_logits = nn.Parameter(torch.zeros(self.n_latent))
        if data_mean is not None:
            mean = check_last_dim("data_mean", check_tensor("data_mean", data_mean), self.n_visible, "pixels")
            with torch.no_grad():
                out = self.decoder if hidden is None else self.decoder[-1]
                out.bias.copy_(torch.logit(mean.clamp(0.001, 0.999)))

    def check(self, x: object) -> torch.Tensor:
        """Validate binary data of shape ``(batch, n_visible)``."""
        x = check_last_dim("x", check_tensor("x", x), self.n_visible, "pixels")
        return check_binary("x", x)

    def encoder_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of :math:`q(b \\mid x)`, shape ``(batch, n_latent)``."""
        return self.encoder(2 * x - 1)

    def log_joint(self, x: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """:math:`\\ln p(b) + \\ln p(x \\mid b)` per row (``b`` may be relaxed)."""
        return bernoulli_log_prob(b, self.prior_logits) + bernoulli_log_prob(x, self.decoder(2 * b - 1))

    def learning_signal(self, x: torch.Tensor, logits: torch.Tensor):
        """:math:`f(b) = \\ln p(x, b) - \\ln q(b \\mid x)` as a function of ``b``, with :math:`q` held fixed."""
        fixed = logits.detach()
        return lambda b: self.log_joint(x, b) - bernoulli_log_prob(b, fixed)

    def _latents(self) -> torch.Tensor:
        if self.n_latent > MAX_ENUMERATION_SITES:
            raise ValueError(f"n_latent: enumeration needs n_latent <= {MAX_ENUMERATION_SITES}, got {self.n_latent}")
        return all_configurations(self.n_latent, device=self.prior_logits.device, dtype=self.prior_logits.dtype)

    def _enumerate(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """:math:`\\ln p(x, b)` and :math:`\\ln q(b \\mid x)` for every :math:`b`, shape ``(batch, 2^d)``."""
        x = self.check(x)
        states = self._latents()
        log_likelihood = _pairwise_bernoulli_log_prob(x, self.decoder(2 * states - 1))
        log_joint = bernoulli_log_prob(states, self.prior_logits) + log_likelihood
        log_q = _pairwise_bernoulli_log_prob(states, self.encoder_logits(x)).T
        return log_joint, log_q

    def exact_elbo(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`\\sum_b q(b \\mid x)[\\ln p(x,b) - \\ln q(b \\mid x)]` per row, differentiable."""
        log_joint, log_q = self._enumerate(x)
        return (log_q.exp() * (log_joint - log_q)).sum(-1)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact :math:`\\ln p(x) = \\ln\\sum_b p(x, b)` per row."""
        log_joint, _ = self._enumerate(x)
        return torch.logsumexp(log_joint, -1)

    @torch.no_grad()
    def sample(self, n: int) -> torch.Tensor:
        """``n`` images from :math:`p(b)p(x \\mid b)`, shape ``(n, n_visible)``."""
        n = check_int("n", n, minimum=1)
        b = torch.bernoulli(torch.sigmoid(self.prior_logits).expand(n, -1))
        return torch.bernoulli(torch.sigmoid(self.decoder(2 * b - 1)))


class ElboTrainer:
    """Maximises the ELBO with one latent sample per data point and one of three encoder estimators.

    * ``"nvil"``: REINFORCE with NVIL's centring — a running mean of :math:`f` and an input-dependent
      baseline network trained to predict the rest;
    * ``"concrete"``: the Concrete relaxation at ``temperature``;
    * ``"rebar"``: REBAR, its learning signal :math:`f(b) - \\eta f(\\sigma_\\lambda(\\tilde z))` centred
      by :math:`c(x) - \\eta\\,\\tilde c(x)`, where running means plus a second baseline output predict
      :math:`f(\\sigma_\\lambda(\\tilde z))`; :math:`\\eta` and :math:`\\lambda` are tuned online by minimising
      the estimate's squared norm (``tune=False`` keeps them fixed).

    The decoder and prior always get the exact :math:`\\nabla\\ln p(x, b)` at the sampled :math:`b`.
    """

    def __init__(self, model: SigmoidBeliefNetwork, estimator: str, lr: float = 3e-3,
                 temperature: float = 0.5, eta: float = 1.0, tune: bool = True, baseline_hidden: int = 50) -> None:
        if not isinstance(model, SigmoidBeliefNetwork):
            raise TypeError(f"model: expected a SigmoidBeliefNetwork, got {type(model).__name__}")
        if estimator not in ESTIMATORS:
            raise ValueError(f"estimator: expected one of {ESTIMATORS}, got {estimator!r}")
        self.model, self.estimator = model, estimator
        lr = check_positive_float("lr", lr)
        temperature = check_positive_float("temperature", temperature)
        if not isinstance(eta, (int, float)) or isinstance(eta, bool):
            raise TypeError(f"eta: expected a number, got {type(eta).__name__}")
        if not isinstance(tune, bool):
            raise TypeError(f"tune: expected True or False, got {type(tune).__name__}")
        dev, dtype = model.prior_logits.device, model.prior_logits.dtype
        # baseline outputs: predictions of f(b) and of f(sigma(z~ / lambda)), around running means
        self.baseline = nn.Sequential(nn.Linear(model.n_visible, baseline_hidden), nn.Tanh(),
                                      nn.Linear(baseline_hidden, 2)).to(dev, dtype)
        self.centre = torch.zeros(2, device=dev, dtype=dtype)
        self.tuning = estimator == "rebar" and tune
        self.eta = torch.tensor(float(eta), device=dev, dtype=dtype, requires_grad=self.tuning)
        self.log_temperature = torch.tensor(math.log(temperature), device=dev, dtype=dtype, requires_grad=self.tuning)
        self.optimiser = torch.optim.Adam([*model.parameters(), *self.baseline.parameters()], lr=lr)
        self.cv_optimiser = torch.optim.Adam([self.eta, self.log_temperature], lr=lr) if self.tuning else None

    def _predictions(self, x: torch.Tensor) -> torch.Tensor:
        """Baseline predictions :math:`(c(x), \\tilde c(x))`, shape ``(batch, 2)``."""
        return self.centre + self.baseline(2 * x - 1)

    def encoder_gradient(self, x: torch.Tensor, logits: torch.Tensor, u: torch.Tensor,
                         create_graph: bool = False) -> torch.Tensor:
        """Per-row estimate of :math:`\\nabla_\\ell\\,\\mathrm{ELBO}` (``logits`` :math:`\\ell` of :math:`q`)."""
        f = self.model.learning_signal(x, logits)
        if self.estimator == "concrete":
            return estimators.concrete(f, logits, self.log_temperature.exp().detach(), u)
        c = self._predictions(x).detach()
        if self.estimator == "nvil":
            return estimators.reinforce(f, logits, c[:, 0], u)
        return estimators.rebar(f, logits, self.eta, self.log_temperature.exp(), u,
                                create_graph=create_graph, baseline=c[:, 0] - self.eta * c[:, 1])

    def step(self, x: torch.Tensor) -> float:
        """One update on the batch ``x``; returns the batch's mean single-sample ELBO."""
        model = self.model
        x = model.check(x)
        logits = model.encoder_logits(x)
        u = torch.rand_like(logits)
        grad = self.encoder_gradient(x, logits, u, create_graph=self.tuning)
        b = (estimators.logistic(logits.detach(), u) > 0).to(x.dtype)
        log_joint = model.log_joint(x, b)
        with torch.no_grad():
            f = log_joint - bernoulli_log_prob(b, logits)
            targets = f.unsqueeze(-1)
            if self.estimator == "rebar":
                targets = torch.stack(estimators.rebar_values(model.learning_signal(x, logits), logits,
                                                              self.log_temperature.exp(), u), -1)
            used = targets.shape[-1]
            self.centre[:used] = 0.9 * self.centre[:used] + 0.1 * targets.mean(0)
        baseline_loss = ((targets - self._predictions(x)[:, :used]) ** 2).sum(-1).mean()
        surrogate = -(logits * grad.detach()).sum(-1).mean() - log_joint.mean() + baseline_loss
        self.optimiser.zero_grad()
        if self.tuning:
            self.cv_optimiser.zero_grad()
            (grad**2).sum(-1).mean().backward(inputs=[self.eta, self.log_temperature])
            self.cv_optimiser.step()
        surrogate.backward()
        self.optimiser.step()
        return float(f.mean())

    @torch.no_grad()
    def gradient_variance(self, x: torch.Tensor, repeats: int = 64) -> float:
        """Variance of the per-row encoder-gradient estimate over ``repeats`` draws for each row of
        ``x``, averaged over rows and latent units (the same measure for every estimator)."""
        x = self.model.check(x)
        xs = x.repeat(repeats, 1)
        logits = self.model.encoder_logits(xs)
        grad = self.encoder_gradient(xs, logits, torch.rand_like(logits))
        return float(grad.reshape(repeats, x.shape[0], -1).var(0).mean())


@dataclass
class TrainingRecord:
    """What :func:`train_sbn` measured every ``every`` steps."""

    steps: list[int] = field(default_factory=list)
    test_elbo: list[float] = field(default_factory=list)
    log10_variance: list[float] = field(default_factory=list)
    eta: list[float] = field(default_factory=list)
    temperature: list[float] = field(default_factory=list)


def train_sbn(trainer: ElboTrainer, train: torch.Tensor, test: torch.Tensor, steps: int,
              batch_size: int = 50, every: int = 100, probe: torch.Tensor | None = None) -> TrainingRecord:
    """Run ``trainer`` on random minibatches; every ``every`` steps record the exact test ELBO
    (enumeration), the gradient variance on ``probe`` (default: the first 20 test rows), :math:`\\eta`, :math:`\\lambda`."""
    steps = check_int("steps", steps, minimum=1)
    every = check_int("every", every, minimum=1)
    probe = test[:20] if probe is None else probe
    record = TrainingRecord()
    for step in range(steps + 1):
        if step % every == 0:
            with torch.no_grad():
                record.steps.append(step)
                record.test_elbo.append(float(trainer.model.exact_elbo(test).mean()))
            record.log10_variance.append(math.log10(trainer.gradient_variance(probe)))
            record.eta.append(float(trainer.eta.detach()))
            record.temperature.append(float(trainer.log_temperature.detach().exp()))
        if step < steps:
            trainer.step(train[torch.randint(train.shape[0], (batch_size,), device=train.device)])
    return record
