"""Training a :class:`~ardemo.SigmoidBeliefNetwork` by its ELBO with NVIL, MuProp, Concrete, REBAR or RELAX.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn as nn

from ..core.validation import check_bool, check_int, check_positive_float, check_real, no_validation
from ..distributions.bernoulli import _bernoulli_log_prob
from ..distributions.relaxed import _logistic, open_uniform
from ..models.sbn import SigmoidBeliefNetwork
from . import estimators
from .training import History, fit, random_batches

ESTIMATORS = ("nvil", "muprop", "concrete", "rebar", "relax")


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


def trainer_state(trainer: Any, tensors: Sequence[str]) -> dict:
    """A trainer's checkpoint state: its ``baselines``, ``controls`` and ``optimiser`` state dicts and
    copies of the named tensors (or lists of tensors)."""
    state = {name: getattr(trainer, name).state_dict() for name in ("baselines", "controls", "optimiser")}
    for name in tensors:
        value = getattr(trainer, name)
        state[name] = [v.detach().clone() for v in value] if isinstance(value, list) else value.detach().clone()
    return state


def load_trainer_state(trainer: Any, tensors: Sequence[str], state: dict) -> None:
    """Restore what :func:`trainer_state` saved into a trainer built with the same settings."""
    for name in ("baselines", "controls", "optimiser"):
        getattr(trainer, name).load_state_dict(state[name])
    with torch.no_grad():
        for name in tensors:
            value = getattr(trainer, name)
            for v, saved in zip(value, state[name]) if isinstance(value, list) else [(value, state[name])]:
                v.copy_(saved)


class ElboTrainer:
    """Maximises the ELBO with one latent sample per data point and one of five estimators for the
    recognition network:

    * ``"nvil"``: REINFORCE with NVIL's centring — a running mean of the learning signal and a
      baseline network (per layer, fed the layer below) trained to predict the rest — and, with
      ``normalise=True``, NVIL's variance normalisation (the layer's estimate divided by the running
      standard deviation of its centred signal, when that exceeds 1);
    * ``"muprop"``: MuProp, the residual after its linear control variate centred the same way
      (and normalised the same way with ``normalise=True``);
    * ``"concrete"``: the Concrete relaxation at ``temperature``;
    * ``"rebar"``: REBAR, its learning signal :math:`f(b) - \\eta f(\\sigma_\\lambda(\\tilde z))` centred
      by :math:`c - \\eta\\,\\tilde c`, where running means plus a second baseline output predict
      :math:`f(\\sigma_\\lambda(\\tilde z))`; :math:`\\eta` and :math:`\\lambda` (one each per layer) are tuned
      online by minimising the estimate's squared norm (``tune=False`` keeps them fixed);
    * ``"relax"``: RELAX with the control :math:`c(z) = \\eta f(\\sigma_\\lambda(z)) + r(z)`, where
      :math:`r` (per layer, one tanh layer of ``baseline_hidden`` units fed :math:`\\sigma(z)` and the
      layer below, its output starting at 0 so that RELAX starts as REBAR) is trained with
      :math:`\\eta, \\lambda` to minimise the estimate's squared norm; the baseline predicts
      :math:`f(b) - c(\\tilde z)`.

    The generative network and prior always get the exact :math:`\\nabla\\ln p(x, b)` at the sampled :math:`b`.

    >>> from ardemo import SigmoidBeliefNetwork
    >>> trainer = ElboTrainer(SigmoidBeliefNetwork(6, 3), "rebar")
    >>> x = torch.bernoulli(torch.full((8, 6), 0.5))
    >>> trainer.step(x).shape, trainer.eta.shape
    (torch.Size([]), torch.Size([1]))
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
        normalise: bool = False,
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
        self.normalise = check_bool("normalise", normalise) and estimator in ("nvil", "muprop")
        dev, dtype = model.prior_logits.device, model.prior_logits.dtype
        n_layers = model.n_layers
        inputs = (model.n_visible, *model.latent_sizes[:-1])
        # per layer, baseline outputs predicting f(b) and f(sigma(z~ / lambda)), around running means
        self.baselines = nn.ModuleList(
            nn.Sequential(nn.Linear(n_in, baseline_hidden), nn.Tanh(), nn.Linear(baseline_hidden, 2)) for n_in in inputs
        ).to(dev, dtype)
        self.centre = torch.zeros(n_layers, 2, device=dev, dtype=dtype)
        self.signal_variance = torch.zeros(n_layers, device=dev, dtype=dtype)  # for normalise
        self.tuning = estimator in ("rebar", "relax") and tune
        self.eta = torch.full((n_layers,), float(eta), device=dev, dtype=dtype, requires_grad=self.tuning)
        self.log_temperature = torch.full(
            (n_layers,), math.log(temperature), device=dev, dtype=dtype, requires_grad=self.tuning
        )
        self.controls = nn.ModuleList()  # RELAX's r, per layer
        if estimator == "relax":
            for n_in, d in zip(inputs, model.latent_sizes):
                r = nn.Sequential(nn.Linear(d + n_in, baseline_hidden), nn.Tanh(), nn.Linear(baseline_hidden, 1))
                nn.init.zeros_(r[-1].weight)
                nn.init.zeros_(r[-1].bias)
                self.controls.append(r)
            self.controls.to(dev, dtype)
        # what the variance objective trains: eta, lambda and RELAX's r
        self.tuned = [self.eta, self.log_temperature, *self.controls.parameters()] if self.tuning else []
        self.optimiser = torch.optim.Adam([*model.parameters(), *self.baselines.parameters(), *self.tuned], lr=lr)

    def state_dict(self) -> dict:
        """Everything a checkpoint needs to continue exactly, besides the model: baselines, running
        means and variances, :math:`\\eta`, :math:`\\lambda`, RELAX's controls and the optimiser."""
        return trainer_state(self, ("centre", "signal_variance", "eta", "log_temperature"))

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` saved (into a trainer built with the same settings)."""
        load_trainer_state(self, ("centre", "signal_variance", "eta", "log_temperature"), state)

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

    def _signal(
        self, k: int, x: torch.Tensor, sample: LatentSample, upper: Callable[[int, torch.Tensor], torch.Tensor]
    ) -> estimators.Objective:
        """Layer ``k``'s learning signal as a function of its own sample, the layers above it following
        from the one below by ``upper(j, logits_j)``."""
        model, below, logits = self.model, self._below(k, x, sample), sample.logits[k]

        def f(s: torch.Tensor) -> torch.Tensor:
            layers = [s]
            for j in range(k + 1, model.n_layers):
                layers.append(upper(j, model.layer_logits(j, layers[-1])))
            return model.local_signal(k, below, layers, logits)

        return f

    def _signals(
        self, k: int, x: torch.Tensor, sample: LatentSample, temperature: torch.Tensor
    ) -> tuple[estimators.Objective, estimators.Objective | None]:
        """Layer ``k``'s learning signal as a function of its own (hard or relaxed) sample: relaxed
        layers above (from the same uniforms) for Concrete, REBAR's and RELAX's controls, and mean-field
        ones (:math:`\\sigma` of the logits) for MuProp's expansion; hard ones for the sampled value
        (``None`` for the top layer, where they coincide)."""
        us = sample.uniforms
        if self.estimator == "muprop":
            smooth = self._signal(k, x, sample, lambda j, ell: torch.sigmoid(ell))
        else:
            smooth = self._signal(k, x, sample, lambda j, ell: torch.sigmoid(_logistic(ell, us[j]) / temperature))
        if k == self.model.n_layers - 1:
            return smooth, None
        return smooth, self._signal(k, x, sample, lambda j, ell: (_logistic(ell, us[j]) > 0).to(ell.dtype))

    def _predictions(self, k: int, below: torch.Tensor) -> torch.Tensor:
        """Layer ``k``'s baseline predictions :math:`(c, \\tilde c)`, shape ``(batch, 2)``."""
        return self.centre[k] + self.baselines[k](2 * below - 1)

    def _relax_control(
        self, k: int, below: torch.Tensor, relaxed: estimators.Objective, temperature: torch.Tensor
    ) -> estimators.Objective:
        """RELAX's :math:`c(z) = \\eta f(\\sigma_\\lambda(z)) + r(\\sigma(z), \\text{below})` for layer ``k``."""
        side = 2 * below - 1

        def control(z: torch.Tensor) -> torch.Tensor:
            r = self.controls[k](torch.cat([torch.sigmoid(z), side], -1)).squeeze(-1)
            return self.eta[k] * relaxed(torch.sigmoid(z / temperature)) + r

        return control

    def _estimates(
        self, x: torch.Tensor, sample: LatentSample, create_graph: bool = False
    ) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per layer, the per-row gradient estimate and what that layer's baseline outputs should
        predict: the sampled learning signal (less MuProp's or RELAX's control; for REBAR also its value
        at the relaxed conditional sample), shape ``(batch, 1 or 2)`` — from one evaluation of the signals."""
        out = []
        for k, (logits, u) in enumerate(zip(sample.logits, sample.uniforms)):
            temperature = self.log_temperature[k].exp()
            smooth, hard = self._signals(k, x, sample, temperature)
            if self.estimator == "concrete":
                grad = estimators.concrete(smooth, logits, u=u, temperature=temperature.detach()).gradient
                with torch.no_grad():
                    out.append((grad, (hard or smooth)(sample.layers[k]).unsqueeze(-1)))
                continue
            below = self._below(k, x, sample)
            c = self._predictions(k, below).detach()
            if self.estimator == "nvil":
                grad, values, _ = estimators.reinforce(hard or smooth, logits, u=u, baseline=c[:, 0])
                out.append((grad, values.unsqueeze(-1)))
            elif self.estimator == "muprop":
                grad, values, control = estimators.muprop(smooth, logits, u=u, baseline=c[:, 0], hard_f=hard)
                out.append((grad, (values - control).unsqueeze(-1)))
            elif self.estimator == "relax":
                grad, values, control = estimators.relax(
                    hard or smooth,
                    logits,
                    u=u,
                    baseline=c[:, 0],
                    control=self._relax_control(k, below, smooth, temperature),
                    create_graph=create_graph,
                )
                out.append((grad, (values - control).unsqueeze(-1)))
            else:
                eta = self.eta[k]
                grad, values, control = estimators.rebar(
                    smooth,
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

    def loss(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The objective of one step on the batch ``x``, for :func:`~ardemo.fit` (which zeroes the gradients
        first): a surrogate whose gradient is minus the estimated ELBO gradient (plus the baselines'
        squared error), and the batch's mean single-sample ELBO. With tuning on, it first backpropagates
        the estimate's squared norm into :math:`\\eta`, :math:`\\lambda` (and RELAX's :math:`r`) only."""
        model = self.model
        x = model.check(x)
        if x.shape[0] == 0:
            raise ValueError("x: expected a non-empty batch, got 0 rows")
        sample = self.sample_latents(x)
        with no_validation():  # x is checked above; the logits and uniforms are the trainer's own
            estimates = self._estimates(x, sample, create_graph=self.tuning)
        grads = [grad for grad, _ in estimates]
        log_joint = model.log_joint(x, *sample.layers)
        baseline_loss = torch.zeros((), device=x.device, dtype=x.dtype)
        with torch.no_grad():
            f = log_joint - sum(_bernoulli_log_prob(b, ell) for b, ell in zip(sample.layers, sample.logits))
        self.last_elbo = f  # the batch's single-sample ELBO per image (for a per-step standard error)
        scales = []
        for k, (_, targets) in enumerate(estimates):
            used = targets.shape[-1]
            with torch.no_grad():
                self.centre[k, :used] = 0.9 * self.centre[k, :used] + 0.1 * targets.mean(0)
            predictions = self._predictions(k, self._below(k, x, sample))[:, :used]
            residual = targets - predictions
            baseline_loss = baseline_loss + (residual**2).sum(-1).mean()
            if self.normalise:  # NVIL: divide by the running standard deviation of the centred signal, if > 1
                with torch.no_grad():
                    self.signal_variance[k] = 0.9 * self.signal_variance[k] + 0.1 * (residual[:, 0] ** 2).mean()
                    scales.append(self.signal_variance[k].sqrt().clamp(min=1.0))
        if scales:
            grads = [g / scale for g, scale in zip(grads, scales)]
        surrogate = -sum((ell * g.detach()).sum(-1).mean() for ell, g in zip(sample.logits, grads))
        surrogate = surrogate - log_joint.mean() + baseline_loss
        if self.tuning:
            sum((g**2).sum(-1).mean() for g in grads).backward(inputs=self.tuned)
        return surrogate, {"elbo": f.mean()}

    def step(self, x: torch.Tensor) -> torch.Tensor:
        """One update on the batch ``x`` (what one :func:`~ardemo.fit` step of :meth:`loss` does); returns the
        batch's mean single-sample ELBO as a 0-dim tensor (no host read: ``float()`` of it waits for the step
        on a GPU)."""
        self.optimiser.zero_grad()
        loss, metrics = self.loss(x)
        loss.backward()
        self.optimiser.step()
        return metrics["elbo"]

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

    def parameter_gradient_variance(self, x: torch.Tensor, repeats: int = 50) -> float:
        """Variance of the estimate of :math:`\\nabla_\\phi` (the recognition network's parameters) of the
        batch's mean ELBO, over ``repeats`` estimates on the same batch ``x`` at the current parameters,
        averaged over parameters (before NVIL's normalisation, so that every unbiased estimator's is
        comparable). Tucker et al.'s plots estimate the same kind of quantity differently: moments of the
        minibatch gradient along the training path, from exponential moving averages over steps."""
        x = self.model.check(x)
        repeats = check_int("repeats", repeats, minimum=2)
        params = list(self.model.encoders.parameters())
        draws = []
        for _ in range(repeats):
            sample = self.sample_latents(x)
            grads = self.encoder_gradients(x, sample)
            surrogate = sum((ell * g.detach()).sum(-1).mean() for ell, g in zip(sample.logits, grads))
            draws.append(torch.cat([g.flatten() for g in torch.autograd.grad(surrogate, params)]))
        return float(torch.stack(draws).var(0).mean())


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
