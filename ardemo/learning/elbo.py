"""Training a :class:`~ardemo.SigmoidBeliefNetwork` by its ELBO with NVIL, Concrete or REBAR.

Each recognition layer :math:`k` gets its own estimate of :math:`\\nabla_{\\ell_k}\\mathrm{ELBO}`,
where :math:`\\ell_k` are the logits of :math:`q(b_k \\mid b_{k-1})` at the sampled :math:`b_{k-1}`, and
its own learning signal: the terms of :math:`f` that involve layer :math:`k` or those above it
(:meth:`~ardemo.SigmoidBeliefNetwork.local_signal`). Layers above :math:`k` enter that signal
through the same uniforms :math:`u_{>k}` that drew them: hard for the discrete sample, relaxed
(:math:`\\sigma(z/\\lambda)`, fed up through the recognition maps) for Concrete and for REBAR's
control variate. With :math:`u_{>k}` independent of :math:`u_k`, REBAR stays unbiased.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn

from ..core.validation import check_bool, check_int, check_positive_float, check_real, no_validation
from ..distributions.bernoulli import _bernoulli_log_prob
from ..distributions.relaxed import _logistic, open_uniform
from ..models.sbn import SigmoidBeliefNetwork
from . import estimators
from .training import History, fit, random_batches

ESTIMATORS = ("nvil", "concrete", "rebar")


@dataclass
class LatentSample:
    """One pass of the recognition network: per layer, the logits, the uniforms and the binary sample.

    >>> from ardemo import SigmoidBeliefNetwork
    >>> sample = ElboTrainer(SigmoidBeliefNetwork(4, (3, 2)), "nvil").sample_latents(torch.ones(5, 4))
    >>> [b.shape for b in sample.layers]
    [torch.Size([5, 3]), torch.Size([5, 2])]
    """

    logits: list[torch.Tensor]
    uniforms: list[torch.Tensor]
    layers: list[torch.Tensor]


class ElboTrainer:
    """Maximises the ELBO with one latent sample per data point and one of three estimators for the
    recognition network:

    * ``"nvil"``: REINFORCE with NVIL's centring — a running mean of the learning signal and a
      baseline network (per layer, fed the layer below) trained to predict the rest;
    * ``"concrete"``: the Concrete relaxation at ``temperature``;
    * ``"rebar"``: REBAR, its learning signal :math:`f(b) - \\eta f(\\sigma_\\lambda(\\tilde z))` centred
      by :math:`c - \\eta\\,\\tilde c`, where running means plus a second baseline output predict
      :math:`f(\\sigma_\\lambda(\\tilde z))`; :math:`\\eta` and :math:`\\lambda` (one each per layer) are tuned
      online by minimising the estimate's squared norm (``tune=False`` keeps them fixed).

    The generative network and prior always get the exact :math:`\\nabla\\ln p(x, b)` at the sampled :math:`b`.

    >>> from ardemo import SigmoidBeliefNetwork
    >>> trainer = ElboTrainer(SigmoidBeliefNetwork(6, 3), "rebar")
    >>> x = torch.bernoulli(torch.full((8, 6), 0.5))
    >>> isinstance(trainer.step(x), float), trainer.eta.shape
    (True, torch.Size([1]))
    """

    def __init__(
        self,
        model: SigmoidBeliefNetwork,
        estimator: str,
        lr: float = 3e-3,
        temperature: float = 0.5,
        eta: float = 1.0,
        tune: bool = True,
        baseline_hidden: int = 50,
    ) -> None:
        if not isinstance(model, SigmoidBeliefNetwork):
            raise TypeError(f"model: expected a SigmoidBeliefNetwork, got {type(model).__name__}")
        if estimator not in ESTIMATORS:
            raise ValueError(f"estimator: expected one of {ESTIMATORS}, got {estimator!r}")
        self.model, self.estimator = model, estimator
        lr = check_positive_float("lr", lr)
        temperature = check_positive_float("temperature", temperature)
        baseline_hidden = check_int("baseline_hidden", baseline_hidden, minimum=1)
        eta = check_real("eta", eta)
        tune = check_bool("tune", tune)
        dev, dtype = model.prior_logits.device, model.prior_logits.dtype
        n_layers = model.n_layers
        inputs = (model.n_visible, *model.latent_sizes[:-1])
        # per layer, baseline outputs predicting f(b) and f(sigma(z~ / lambda)), around running means
        self.baselines = nn.ModuleList(
            nn.Sequential(nn.Linear(n_in, baseline_hidden), nn.Tanh(), nn.Linear(baseline_hidden, 2)) for n_in in inputs
        ).to(dev, dtype)
        self.centre = torch.zeros(n_layers, 2, device=dev, dtype=dtype)
        self.tuning = estimator == "rebar" and tune
        self.eta = torch.full((n_layers,), float(eta), device=dev, dtype=dtype, requires_grad=self.tuning)
        self.log_temperature = torch.full(
            (n_layers,), math.log(temperature), device=dev, dtype=dtype, requires_grad=self.tuning
        )
        tuned = [self.eta, self.log_temperature] if self.tuning else []
        self.optimiser = torch.optim.Adam([*model.parameters(), *self.baselines.parameters(), *tuned], lr=lr)

    def sample_latents(self, x: torch.Tensor) -> LatentSample:
        """Draw :math:`b_1, \\dots, b_L` from :math:`q(b \\mid x)`, keeping the logits and uniforms."""
        sample = LatentSample([], [], [])
        below = x
        for k in range(self.model.n_layers):
            logits = self.model.layer_logits(k, below)
            u = open_uniform(logits.shape, like=logits)
            below = (_logistic(logits.detach(), u) > 0).to(x.dtype)
            sample.logits.append(logits)
            sample.uniforms.append(u)
            sample.layers.append(below)
        return sample

    def _below(self, k: int, x: torch.Tensor, sample: LatentSample) -> torch.Tensor:
        return x if k == 0 else sample.layers[k - 1]

    def _signals(
        self, k: int, x: torch.Tensor, sample: LatentSample, temperature: torch.Tensor
    ) -> tuple[estimators.Objective, estimators.Objective | None]:
        """Layer ``k``'s learning signal as a function of its own (hard or relaxed) sample: relaxed
        layers above for Concrete and REBAR's control variate; hard ones for the sampled value
        (``None`` for the top layer, where the two coincide)."""
        model, below, logits = self.model, self._below(k, x, sample), sample.logits[k]

        def signal(relaxed: bool) -> estimators.Objective:
            def f(s: torch.Tensor) -> torch.Tensor:
                layers = [s]
                for j in range(k + 1, model.n_layers):
                    z = _logistic(model.layer_logits(j, layers[-1]), sample.uniforms[j])
                    layers.append(torch.sigmoid(z / temperature) if relaxed else (z > 0).to(s.dtype))
                return model.local_signal(k, below, layers, logits)

            return f

        return signal(True), (signal(False) if k < model.n_layers - 1 else None)

    def _predictions(self, k: int, below: torch.Tensor) -> torch.Tensor:
        """Layer ``k``'s baseline predictions :math:`(c, \\tilde c)`, shape ``(batch, 2)``."""
        return self.centre[k] + self.baselines[k](2 * below - 1)

    def _estimates(
        self, x: torch.Tensor, sample: LatentSample, create_graph: bool = False
    ) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per layer, the per-row gradient estimate and what that layer's baseline outputs should
        predict: the sampled learning signal (and for REBAR also its value at the relaxed conditional
        sample), shape ``(batch, 1 or 2)`` — both from one evaluation of the signals."""
        out = []
        for k, (logits, u) in enumerate(zip(sample.logits, sample.uniforms)):
            temperature = self.log_temperature[k].exp()
            relaxed, hard = self._signals(k, x, sample, temperature)
            if self.estimator == "concrete":
                grad = estimators.concrete(relaxed, logits, u=u, temperature=temperature.detach()).gradient
                with torch.no_grad():
                    out.append((grad, (hard or relaxed)(sample.layers[k]).unsqueeze(-1)))
                continue
            c = self._predictions(k, self._below(k, x, sample)).detach()
            if self.estimator == "nvil":
                grad, values, _ = estimators.reinforce(hard or relaxed, logits, u=u, baseline=c[:, 0])
                out.append((grad, values.unsqueeze(-1)))
            else:
                eta = self.eta[k]
                grad, values, control = estimators.rebar(
                    relaxed,
                    logits,
                    u=u,
                    baseline=c[:, 0] - eta * c[:, 1],
                    eta=eta,
                    temperature=temperature,
                    hard_f=hard,
                    create_graph=create_graph,
                )
                out.append((grad, torch.stack([values, control], -1)))
        return out

    def encoder_gradients(
        self, x: torch.Tensor, sample: LatentSample, create_graph: bool = False
    ) -> list[torch.Tensor]:
        """Per layer, the per-row estimate of :math:`\\nabla_{\\ell_k}\\mathrm{ELBO}`, shaped like ``sample.logits[k]``."""
        return [grad for grad, _ in self._estimates(x, sample, create_graph)]

    def loss(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        """The objective of one step on the batch ``x``, for :func:`~ardemo.fit` (which zeroes the gradients
        first): a surrogate whose gradient is minus the estimated ELBO gradient (plus the baselines'
        squared error), and the batch's mean single-sample ELBO. With tuning on, it first backpropagates
        the estimate's squared norm into :math:`\\eta` and :math:`\\lambda` only."""
        model = self.model
        x = model.check(x)
        if x.shape[0] == 0:
            raise ValueError("x: expected a non-empty batch, got 0 rows")
        sample = self.sample_latents(x)
        estimates = self._estimates(x, sample, create_graph=self.tuning)
        grads = [grad for grad, _ in estimates]
        log_joint = model.log_joint(x, *sample.layers)
        baseline_loss = torch.zeros((), device=x.device, dtype=x.dtype)
        with torch.no_grad():
            f = log_joint - sum(_bernoulli_log_prob(b, ell) for b, ell in zip(sample.layers, sample.logits))
        for k, (_, targets) in enumerate(estimates):
            used = targets.shape[-1]
            with torch.no_grad():
                self.centre[k, :used] = 0.9 * self.centre[k, :used] + 0.1 * targets.mean(0)
            predictions = self._predictions(k, self._below(k, x, sample))[:, :used]
            baseline_loss = baseline_loss + ((targets - predictions) ** 2).sum(-1).mean()
        surrogate = -sum((ell * g.detach()).sum(-1).mean() for ell, g in zip(sample.logits, grads))
        surrogate = surrogate - log_joint.mean() + baseline_loss
        if self.tuning:
            sum((g**2).sum(-1).mean() for g in grads).backward(inputs=[self.eta, self.log_temperature])
        return surrogate, {"elbo": float(f.mean())}

    def step(self, x: torch.Tensor) -> float:
        """One update on the batch ``x`` (one :func:`~ardemo.fit` step); returns the batch's mean single-sample ELBO."""
        history = fit(lambda step: self.loss(x), self.optimiser, 1, every=1)
        return history.last("elbo")

    @torch.no_grad()
    def gradient_variance(self, x: torch.Tensor, repeats: int = 64) -> float:
        """Variance of the per-row estimate of the gradient with respect to all recognition logits,
        over ``repeats`` draws for each row of ``x``, averaged over rows and latent units (the same
        measure for every estimator)."""
        x = self.model.check(x)
        repeats = check_int("repeats", repeats, minimum=2)
        xs = x.repeat(repeats, 1)
        grad = torch.cat(self.encoder_gradients(xs, self.sample_latents(xs)), -1)
        return float(grad.reshape(repeats, x.shape[0], -1).var(0).mean())


def train_sbn(
    trainer: ElboTrainer,
    train: torch.Tensor,
    test: torch.Tensor,
    steps: int,
    batch_size: int = 50,
    every: int = 100,
    probe: torch.Tensor | None = None,
) -> History:
    """:func:`~ardemo.fit` of ``trainer`` on random minibatches; at the start and every ``every`` steps it
    records the exact test ELBO (``test_elbo``, by enumeration), the gradient variance on ``probe``
    (``log10_variance``, -inf when it is exactly 0 because every probe's codes are saturated; default
    probe: the first 20 test rows), and per layer :math:`\\eta` and
    :math:`\\lambda` (``eta_k``, ``temperature_k``), besides each step's training ``elbo``.

    >>> from ardemo import SigmoidBeliefNetwork
    >>> data = torch.bernoulli(torch.full((40, 6), 0.3))
    >>> history = train_sbn(ElboTrainer(SigmoidBeliefNetwork(6, 3), "nvil"), data, data, steps=20, batch_size=10, every=10)
    >>> history.steps, len(history.test_elbo)
    ([0, 10, 20], 3)
    """
    if not isinstance(trainer, ElboTrainer):
        raise TypeError(f"trainer: expected an ardemo.ElboTrainer, got {type(trainer).__name__}")
    steps = check_int("steps", steps, minimum=1)
    every = check_int("every", every, minimum=1)
    train, test = (
        trainer.model.check_event("train", train),
        trainer.model.check_event("test", test),
    )  # once, not at every step
    draw = random_batches(train, batch_size)
    probe = test[:20] if probe is None else probe

    def monitor() -> dict[str, float]:
        with torch.no_grad():
            row = {"test_elbo": float(trainer.model.exact_elbo(test).mean())}
        variance = trainer.gradient_variance(probe)  # exactly 0 when every probe's codes are saturated
        row["log10_variance"] = math.log10(variance) if variance > 0 else -math.inf
        for k, (eta, t) in enumerate(
            zip(trainer.eta.detach().tolist(), trainer.log_temperature.detach().exp().tolist())
        ):
            row[f"eta_{k}"], row[f"temperature_{k}"] = eta, t
        return row

    with no_validation():
        return fit(lambda step: trainer.loss(draw()), trainer.optimiser, steps, every=every, monitor=monitor)
