"""Annealed importance sampling (AIS) estimate of a Boltzmann machine's :math:`\\ln Z`.

From independent Bernoullis :math:`p_0(x) \\propto e^{a^\\top x}` (:math:`\\ln Z_0 = \\sum_i \\mathrm{softplus}(a_i)`)
to the model through :math:`f_\\beta(x) = (1-\\beta)\\,a^\\top x - \\beta E(x)`, itself a Boltzmann machine
with couplings :math:`\\beta W` and biases :math:`(1-\\beta)a + \\beta b`. Each chain accumulates
:math:`\\ln w = \\sum_t f_{\\beta_t}(x_{t-1}) - f_{\\beta_{t-1}}(x_{t-1})` and takes a Gibbs sweep at
:math:`\\beta_t`; then :math:`\\mathbb{E}[w] = Z/Z_0`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from ..core.validation import check_finite, check_int, check_last_dim, check_tensor
from ..distributions.bernoulli import IndependentBernoulli
from ..models.boltzmann import BoltzmannMachine, _gibbs_sweep


@dataclass(frozen=True)
class AISResult:
    """``log_z``: the estimate :math:`\\ln Z_0 + \\ln\\overline{w}`; ``stderr``: its standard error
    :math:`\\mathrm{sd}(w)/(\\overline{w}\\sqrt{N})` (delta method); ``log_weights``: the :math:`N` values :math:`\\ln w`.

    >>> AISResult(1.0, 0.1, torch.zeros(4)).effective_sample_size
    4.0
    """

    log_z: float
    stderr: float
    log_weights: torch.Tensor = field(repr=False)

    @property
    def effective_sample_size(self) -> float:
        """:math:`(\\sum w)^2/\\sum w^2`."""
        w = (self.log_weights - self.log_weights.max()).exp()
        return float(w.sum() ** 2 / (w**2).sum())


@torch.no_grad()
def ais_log_partition(
    model: BoltzmannMachine,
    chains: int = 100,
    temperatures: int = 1000,
    base_logits: torch.Tensor | IndependentBernoulli | None = None,
) -> AISResult:
    """Estimate :math:`\\ln Z` with ``chains`` independent AIS runs over ``temperatures`` evenly
    spaced :math:`\\beta \\in (0, 1]`, starting from Bernoullis with logits ``base_logits``
    (default 0: uniform; the logits of the data's marginals make the path shorter), or from an
    :class:`~ardemo.IndependentBernoulli` model.

    >>> from ardemo import BoltzmannMachine
    >>> model = BoltzmannMachine(4, weight_scale=0.5)
    >>> result = ais_log_partition(model, chains=200, temperatures=100)
    >>> abs(result.log_z - model.log_partition().item()) < 5 * result.stderr + 0.01
    True
    """
    if not isinstance(model, BoltzmannMachine):
        raise TypeError(f"model: expected an ardemo.BoltzmannMachine, got {type(model).__name__}")
    if isinstance(base_logits, IndependentBernoulli):  # a fitted factorised model as the starting distribution
        base_logits = base_logits.logits
    chains = check_int("chains", chains, minimum=2)  # the standard error needs two runs
    temperatures = check_int("temperatures", temperatures, minimum=1)
    w = model.weight.detach().double()
    b = model.bias.detach().double()
    if base_logits is None:
        a = torch.zeros_like(b)
    else:
        a = check_last_dim("base_logits", check_tensor("base_logits", base_logits), model.n_units, "units")
        if a.dim() != 1:
            raise ValueError(f"base_logits: expected shape ({model.n_units},), got {tuple(a.shape)}")
        a = check_finite("base_logits", a.detach()).to(b)

    def f(x: torch.Tensor, beta: float) -> torch.Tensor:
        return (1 - beta) * (x @ a) + beta * (0.5 * ((x @ w) * x).sum(-1) + x @ b)

    x = torch.bernoulli(torch.sigmoid(a).expand(chains, -1))
    log_w = torch.zeros(chains, dtype=torch.float64, device=b.device)
    betas = torch.linspace(0, 1, temperatures + 1).tolist()
    for previous, beta in zip(betas[:-1], betas[1:]):
        log_w += f(x, beta) - f(x, previous)
        x = _gibbs_sweep(x, beta * w, (1 - beta) * a + beta * b)  # couplings checked once, above
    log_z0 = float(F.softplus(a).sum())
    top = log_w.max()
    ratio = (log_w - top).exp()
    mean = ratio.mean()
    stderr = float(ratio.std() / mean / math.sqrt(chains))
    return AISResult(log_z0 + float(top + mean.log()), stderr, log_w)
