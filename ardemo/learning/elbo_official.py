"""The estimators of REBAR's released code (tensorflow/models, ``research/rebar``), written anew for a
:class:`~ardemo.SigmoidBeliefNetwork`: the settings under which Tucker et al. (2017) report their SBN results.

They differ from :class:`~ardemo.ElboTrainer` (the chapter's own variants) in five ways:

* **one learning signal**: every recognition layer's score :math:`\\nabla\\ln q(b_k \\mid b_{k-1})` is
  multiplied by the whole single-sample ELBO :math:`f(b) = \\ln p(x, b) - \\ln q(b \\mid x)`, less an
  input-dependent baseline :math:`B(x)` (a tanh layer of 100 units fed :math:`2x - 1`);
* **the MuProp-style relaxation** :math:`\\sigma(z/\\lambda + \\ell\\lambda/(\\lambda+1))`
  (:func:`~ardemo.distributions.muprop_relaxation`; ``relaxation="plain"`` gives :math:`\\sigma(z/\\lambda)`),
  with the relaxed :math:`\\ln q` of the relaxed values in :math:`f`;
* **control-variate scales per parameter tensor**: :math:`\\eta_v = 2\\sigma(w_v) \\in (0, 2)`, one for
  each recognition weight and bias tensor, and one temperature :math:`\\lambda` shared by all layers;
* **tuning by the minibatch gradient**: :math:`\\eta`, :math:`\\lambda`, the baselines (and RELAX's
  :math:`r`) minimise the mean square of the minibatch gradient estimate of every model parameter,
  :math:`\\overline{g^2}`, with Adam at 10 times the model's learning rate; both Adams use
  :math:`\\beta_2 = 0.99999`;
* **Concrete as the fully relaxed ELBO**: every parameter, generative ones included, follows
  :math:`\\nabla f(\\sigma_\\lambda(z))` with :math:`\\ln q` of the relaxed values, as ``SBNGumbel`` does.

With several layers, REBAR's control variate is the released code's default ("quadratic"): one term
per layer :math:`s`, with the layers below :math:`s` hard and those from :math:`s` up relaxed from the
same uniforms. The released code also moves the upper layers' uniforms with the conditional
reparameterisation of layer :math:`s`'s terms; here the upper layers' uniforms are held fixed in both
passes (the tests check this estimate against the enumerated gradient). The recognition network is
fed :math:`2x - 1` (the released code feeds :math:`x - \\bar x`) and the output bias starts at the
pixel means' logits (there a fixed offset): the same functions, parameterised differently.

RELAX (Grathwohl et al. 2018) is REBAR with the control :math:`c(z) = \\eta\\,[f(\\sigma_\\lambda(z)) + r_\\rho(\\sigma_\\lambda(z))]`,
as their released code adds it (the scale :math:`\\eta` multiplies both): :math:`r_\\rho` is fed the relaxed top
layer (:math:`2y - 1`) and is, as the paper's best setting, 4 ReLU layers of 200 units, weight decay
0.001, at the model's learning rate (``control_layers``, ``control_hidden``, ``control_decay``, ``control_lr_scale``);
its output starts at 0, so that RELAX starts as REBAR. The variance gradient trains :math:`\\rho` through
every term of the estimate, the learning signal :math:`c(\\tilde z)` of the score term included (the
paper's :math:`\\partial\\,\\mathbb{E}[\\hat g^2]/\\partial\\rho`; the released code stops that part). The released
code's :math:`r` sums its outputs over the whole minibatch; here it is one number per row.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn

from ..core.validation import check_int, check_positive_float, check_real
from ..distributions.bernoulli import _bernoulli_log_prob
from ..distributions.relaxed import _conditional_logistic, _coupled_uniform, _logistic, _muprop_relaxation, open_uniform
from ..models.sbn import SigmoidBeliefNetwork
from .elbo import load_trainer_state, trainer_state

OFFICIAL_ESTIMATORS = ("nvil", "muprop", "concrete", "rebar", "relax")
RELAXATIONS = ("muprop", "plain")


def _baseline(n_in: int, hidden: int) -> nn.Sequential:
    """An input-dependent baseline :math:`B(x)`: one tanh layer, one output."""
    return nn.Sequential(nn.Linear(n_in, hidden), nn.Tanh(), nn.Linear(hidden, 1))


# what a checkpoint keeps besides the baselines, controls and optimiser
_STATE = ("muprop_logits", "eta_logits", "log_temperature")


class OfficialElboTrainer:
    """Maximises the ELBO of a :class:`~ardemo.SigmoidBeliefNetwork` as REBAR's released code does
    (see the module docstring), with one of ``"nvil"``, ``"muprop"``, ``"concrete"``, ``"rebar"``
    (dynamic: :math:`\\eta` and :math:`\\lambda` tuned) or ``"relax"``.

    >>> from ardemo import SigmoidBeliefNetwork
    >>> trainer = OfficialElboTrainer(SigmoidBeliefNetwork(6, 3), "rebar")
    >>> x = torch.bernoulli(torch.full((8, 6), 0.5))
    >>> trainer.step(x).shape, len(trainer.eta_logits), round(trainer.temperature, 1)
    (torch.Size([]), 2, 0.5)
    """

    def __init__(
        self,
        model: SigmoidBeliefNetwork,
        estimator: str,
        lr: float = 3e-4,
        temperature: float = 0.5,
        relaxation: str = "muprop",
        beta2: float = 0.99999,
        baseline_hidden: int = 100,
        control_layers: int = 4,
        control_hidden: int = 200,
        control_decay: float = 1e-3,
        control_lr_scale: float = 1.0,
    ) -> None:
        if not isinstance(model, SigmoidBeliefNetwork):
            raise TypeError(f"model: expected a SigmoidBeliefNetwork, got {type(model).__name__}")
        if estimator not in OFFICIAL_ESTIMATORS:
            raise ValueError(f"estimator: expected one of {OFFICIAL_ESTIMATORS}, got {estimator!r}")
        if relaxation not in RELAXATIONS:
            raise ValueError(f"relaxation: expected one of {RELAXATIONS}, got {relaxation!r}")
        self.model, self.estimator, self.relaxation = model, estimator, relaxation
        lr = check_positive_float("lr", lr)
        temperature = check_positive_float("temperature", temperature)
        beta2 = check_real("beta2", beta2)
        if not 0 <= beta2 < 1:
            raise ValueError(f"beta2: expected a number in [0, 1), got {beta2}")
        baseline_hidden = check_int("baseline_hidden", baseline_hidden, minimum=1)
        control_layers = check_int("control_layers", control_layers, minimum=1)
        control_hidden = check_int("control_hidden", control_hidden, minimum=1)
        control_decay = check_real("control_decay", control_decay)
        control_lr_scale = check_positive_float("control_lr_scale", control_lr_scale)
        if control_decay < 0:
            raise ValueError(f"control_decay: expected a number >= 0, got {control_decay}")
        dev, dtype = model.prior_logits.device, model.prior_logits.dtype
        n_layers = model.n_layers
        # B(x): one for NVIL, REBAR, RELAX; one per layer for MuProp (as in the released code)
        n_baselines = {"nvil": 1, "rebar": 1, "relax": 1, "muprop": n_layers}.get(estimator, 0)
        self.baselines = nn.ModuleList(_baseline(model.n_visible, baseline_hidden) for _ in range(n_baselines))
        # MuProp's two scales per layer (of f(mu) and of the linear term), 2 sigma(w) starting at 1
        self.muprop_logits = torch.zeros(n_layers if estimator == "muprop" else 0, 2, device=dev, dtype=dtype)
        self.muprop_logits.requires_grad_(estimator == "muprop")
        tuned = estimator in ("rebar", "relax")
        self.encoder_parameters = list(model.encoders.parameters())
        self.eta_logits = [
            torch.zeros((), device=dev, dtype=dtype, requires_grad=True)
            for _ in (self.encoder_parameters if tuned else ())
        ]
        self.log_temperature = torch.tensor(math.log(temperature), device=dev, dtype=dtype, requires_grad=tuned)
        self.controls = nn.ModuleList()  # RELAX's r, fed the relaxed top layer
        if estimator == "relax":
            widths = (model.latent_sizes[-1], *([control_hidden] * control_layers))
            layers: list[nn.Module] = []
            for a, b in zip(widths[:-1], widths[1:]):
                layers += [nn.Linear(a, b), nn.ReLU()]
            layers.append(nn.Linear(widths[-1], 1))
            nn.init.zeros_(layers[-1].weight)
            nn.init.zeros_(layers[-1].bias)
            self.controls.append(nn.Sequential(*layers))
        self.baselines.to(dev, dtype)
        self.controls.to(dev, dtype)
        extra = [*self.baselines.parameters(), *self.eta_logits]
        if estimator == "muprop":
            extra.append(self.muprop_logits)
        if tuned:
            extra.append(self.log_temperature)
        groups = [{"params": list(model.parameters()), "lr": lr}]
        if extra:
            groups.append({"params": extra, "lr": 10 * lr})
        if estimator == "relax":
            groups.append(
                {"params": list(self.controls.parameters()), "lr": control_lr_scale * lr, "weight_decay": control_decay}
            )
        self.optimiser = torch.optim.Adam(groups, betas=(0.9, beta2))
        self.last_elbo = torch.zeros(0)

    # --- state -------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything a checkpoint needs to continue exactly, besides the model."""
        return trainer_state(self, _STATE)

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` saved (into a trainer built with the same settings)."""
        load_trainer_state(self, _STATE, state)

    @property
    def temperature(self) -> float:
        """The shared temperature :math:`\\lambda`."""
        return float(self.log_temperature.detach().exp())

    @property
    def eta(self) -> torch.Tensor:
        """:math:`\\eta_v = 2\\sigma(w_v)`, one per recognition parameter tensor (REBAR, RELAX)."""
        if not self.eta_logits:
            return torch.zeros(0)
        return 2 * torch.sigmoid(torch.stack([w.detach() for w in self.eta_logits]))

    # --- passes ------------------------------------------------------------------------------------
    def _relax(self, z: torch.Tensor, logits: torch.Tensor, temperature: torch.Tensor) -> torch.Tensor:
        if self.relaxation == "muprop":
            return _muprop_relaxation(z, logits, temperature)
        return torch.sigmoid(z / temperature)

    def _elbo(self, x: torch.Tensor, layers: list[torch.Tensor], logits: list[torch.Tensor]) -> torch.Tensor:
        """:math:`\\ln p(x, b) - \\sum_k \\ln q(b_k \\mid b_{k-1})` per row (relaxed layers allowed)."""
        return self.model.log_joint(x, *layers) - sum(_bernoulli_log_prob(b, ell) for b, ell in zip(layers, logits))

    def _hard(self, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor], list[torch.Tensor]]:
        """Logits, uniforms and binary samples of one pass of the recognition network."""
        logits, us, layers, below = [], [], [], x
        for k in range(self.model.n_layers):
            ell = self.model.layer_logits(k, below)
            u = open_uniform(ell.shape, like=ell)
            below = (_logistic(ell.detach(), u) > 0).to(x.dtype)
            logits.append(ell)
            us.append(u)
            layers.append(below)
        return logits, us, layers

    def _switch(
        self,
        x: torch.Tensor,
        s: int,
        hard: tuple[list[torch.Tensor], list[torch.Tensor], list[torch.Tensor]],
        temperature: torch.Tensor,
        conditional: bool,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The ELBO with layers below ``s`` hard and layers from ``s`` up relaxed from the same uniforms;
        with ``conditional`` layer ``s`` is :math:`\\tilde z \\mid b_s` (same value, conditional
        reparameterisation). Returns that ELBO and the top layer (relaxed)."""
        logits, us, layers = hard
        out_layers, out_logits = list(layers[:s]), list(logits[:s])
        ell = logits[s]
        if conditional:
            z = _conditional_logistic(ell, layers[s], _coupled_uniform(ell, us[s]))
        else:
            z = _logistic(ell, us[s])
        for k in range(s, self.model.n_layers):
            if k > s:
                ell = self.model.layer_logits(k, out_layers[-1])
                z = _logistic(ell, us[k])
            out_layers.append(self._relax(z, ell, temperature))
            out_logits.append(ell)
        return self._elbo(x, out_layers, out_logits), out_layers[-1]

    def _control(self, top: torch.Tensor) -> torch.Tensor:
        """RELAX's :math:`r_\\rho` of the relaxed top layer, per row."""
        return self.controls[0](2 * top - 1).squeeze(-1)

    # --- the estimate --------------------------------------------------------------------------------
    def _gradients(self, x: torch.Tensor, create_graph: bool) -> tuple[list[torch.Tensor], dict[str, torch.Tensor]]:
        """The estimate of minus the gradient of the batch's mean ELBO for every model parameter, and
        what the tuned quantities learn from: ``"variance"`` (the mean square of that estimate, with
        ``create_graph``) or ``"baseline"`` (NVIL's and MuProp's squared centred signal)."""
        model = self.model
        params = list(model.parameters())
        extras: dict[str, torch.Tensor] = {}
        if self.estimator == "concrete":
            temperature = self.log_temperature.exp().detach()
            hard = self._hard(x)
            with torch.no_grad():
                self.last_elbo = self._elbo(x, hard[2], [ell.detach() for ell in hard[0]])
            soft, _ = self._switch(x, 0, hard, temperature, conditional=False)
            return list(torch.autograd.grad(-soft.mean(), params, allow_unused=True)), extras
        logits, us, layers = hard = self._hard(x)
        log_q = [_bernoulli_log_prob(b, ell) for b, ell in zip(layers, logits)]
        log_p = model.log_joint(x, *layers)
        with torch.no_grad():
            f = log_p - sum(log_q)
        self.last_elbo = f
        side = 2 * x - 1
        if self.estimator == "nvil":
            signal = f - self.baselines[0](side).squeeze(-1)
            surrogate = -(signal.detach() * sum(log_q) + log_p).mean()
            extras["baseline"] = (signal**2).mean()
            return list(torch.autograd.grad(surrogate, params, allow_unused=True)), extras
        if self.estimator == "muprop":
            return self._muprop(x, hard, log_q, log_p, f, side, params, extras)
        # REBAR, RELAX: one temperature per row, so that the learning signal's derivative in it is per row
        rows = self.log_temperature.expand(x.shape[0])
        temperature = rows.exp().unsqueeze(-1)
        baseline = self.baselines[0](side).squeeze(-1)
        f_part = -(((f - baseline) * sum(log_q)).mean() + log_p.mean())
        f_grads = torch.autograd.grad(f_part, params, create_graph=create_graph, retain_graph=True, allow_unused=True)
        h = 0.0
        for s in range(model.n_layers):
            soft, top = self._switch(x, s, hard, temperature, conditional=False)
            soft_v, top_v = self._switch(x, s, hard, temperature, conditional=True)
            if self.estimator == "relax":
                soft, soft_v = soft + self._control(top), soft_v + self._control(top_v)
            signal = soft_v.detach()  # c(z~): no gradient into the model ...
            if create_graph:  # ... but its derivative in ln(lambda) per row (to first order) and in rho
                slope = torch.autograd.grad(soft_v.sum(), rows, retain_graph=True)[0]
                signal = signal + (rows - rows.detach()) * slope.detach()
                if self.estimator == "relax":
                    r = self._control(top_v.detach())
                    signal = signal + r - r.detach()
            h = h + signal * log_q[s] - soft + soft_v
        # minus the estimate: -(f - B) grad ln q - grad ln p + eta * grad h
        h_grads = torch.autograd.grad(h.mean(), self.encoder_parameters, create_graph=create_graph)
        combined = {
            id(p): 2 * torch.sigmoid(w) * hg for p, w, hg in zip(self.encoder_parameters, self.eta_logits, h_grads)
        }
        grads = [fg + combined[id(p)] if id(p) in combined else fg for p, fg in zip(params, f_grads)]
        if create_graph:
            extras["variance"] = sum((g**2).sum() for g in grads) / sum(p.numel() for p in params)
        return grads, extras

    def _muprop(self, x, hard, log_q, log_p, f, side, params, extras):
        """MuProp as the released code runs it: per layer, the signal :math:`f(b) - \\eta_0 f(\\mu) -
        \\eta_1 f'(\\mu)^\\top(b_k - \\mu_k) - B_k(x)` and the correction :math:`\\eta_1 f'(\\mu)^\\top \\sigma(\\ell_k)`,
        where :math:`\\mu` is the mean-field pass and :math:`f'` the total derivative along it."""
        logits, _, layers = hard
        mean_elbo, means, slopes = self._mean_field(x)
        eta = 2 * torch.sigmoid(self.muprop_logits)
        surrogate, baseline_loss = -log_p.mean(), 0.0
        for k in range(self.model.n_layers):
            linear = (slopes[k] * (layers[k] - means[k])).sum(-1)
            signal = f - eta[k, 0] * mean_elbo - eta[k, 1] * linear - self.baselines[k](side).squeeze(-1)
            correction = (slopes[k] * torch.sigmoid(logits[k])).sum(-1)
            surrogate = surrogate - (signal.detach() * log_q[k] + eta[k, 1].detach() * correction).mean()
            baseline_loss = baseline_loss + (signal**2).mean()
        extras["baseline"] = baseline_loss
        return list(torch.autograd.grad(surrogate, params, allow_unused=True)), extras

    def _mean_field(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        """:math:`f(\\mu)` of the mean-field pass :math:`\\mu_k = \\sigma(\\ell_k(\\mu_{k-1}))`, the means, and
        the total derivative of :math:`f(\\mu)` in each :math:`\\mu_k` (the layers above following it); no
        gradient into the model."""
        offsets, layers, logits, below = [], [], [], x
        for k in range(self.model.n_layers):
            ell = self.model.layer_logits(k, below)
            offset = torch.zeros_like(ell, requires_grad=True)  # d f / d offset = total derivative in mu_k
            below = torch.sigmoid(ell) + offset
            offsets.append(offset)
            layers.append(below)
            logits.append(ell)
        value = self._elbo(x, layers, logits)
        slopes = torch.autograd.grad(value.sum(), offsets)
        return value.detach(), [m.detach() for m in layers], [t.detach() for t in slopes]

    def loss(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """A surrogate for :func:`~ardemo.fit` whose gradient is the estimate for the model's parameters
        and, for the tuned quantities, the gradient of what they minimise; and the batch's mean ELBO."""
        x = self.model.check(x)
        if x.shape[0] == 0:
            raise ValueError("x: expected a non-empty batch, got 0 rows")
        tuned = self.estimator in ("rebar", "relax")
        grads, extras = self._gradients(x, create_graph=tuned)
        surrogate = sum((g.detach() * p).sum() for g, p in zip(grads, self.model.parameters()) if g is not None)
        objective = extras.get("variance", extras.get("baseline"))
        if objective is not None:
            inputs = [p for group in self.optimiser.param_groups[1:] for p in group["params"]]
            tuned_grads = torch.autograd.grad(objective, inputs, allow_unused=True)
            surrogate = surrogate + sum((g.detach() * p).sum() for g, p in zip(tuned_grads, inputs) if g is not None)
        return surrogate, {"elbo": self.last_elbo.mean()}

    def step(self, x: torch.Tensor) -> torch.Tensor:
        """One update on the batch ``x``; returns the batch's mean single-sample ELBO as a 0-dim tensor
        (no host read: ``float()`` of it waits for the step on a GPU)."""
        self.optimiser.zero_grad()
        loss, metrics = self.loss(x)
        loss.backward()
        self.optimiser.step()
        return metrics["elbo"]

    def recognition_gradient(self, x: torch.Tensor) -> torch.Tensor:
        """One estimate of the gradient of the batch's mean ELBO with respect to the recognition
        network's parameters, flattened (the tuned quantities unchanged)."""
        x = self.model.check(x)
        grads, _ = self._gradients(x, create_graph=False)
        by_id = {id(p): g for p, g in zip(self.model.parameters(), grads)}
        return -torch.cat([by_id[id(p)].detach().reshape(-1) for p in self.encoder_parameters])

    def parameter_gradient_variance(self, x: torch.Tensor, repeats: int = 50) -> float:
        """Variance of :meth:`recognition_gradient` over ``repeats`` estimates on the batch ``x`` at the
        current parameters, averaged over parameters (the measure of :class:`~ardemo.ElboTrainer`)."""
        repeats = check_int("repeats", repeats, minimum=2)
        return float(torch.stack([self.recognition_gradient(x) for _ in range(repeats)]).var(0).mean())
