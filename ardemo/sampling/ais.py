"""Annealed importance sampling (AIS) of a Boltzmann machine's (or a Gaussian–Bernoulli RBM's) :math:`\\ln Z`, and reverse annealing
(RAISE) for an estimate of :math:`\\ln p(x)` that errs low (see below for exactly when).

Both follow the path from independent Bernoullis :math:`p_0(x) \\propto e^{a^\\top x}`
(:math:`\\ln Z_0 = \\sum_i \\mathrm{softplus}(a_i)`) to the model through
:math:`f_\\beta(x) = (1-\\beta)\\,a^\\top x - \\beta E(x)`, itself a Boltzmann machine with couplings
:math:`\\beta W` and biases :math:`(1-\\beta)a + \\beta b`, at :math:`\\beta_t = t/T`.

*AIS* (Neal 2001) starts at :math:`x_0 \\sim p_0`, accumulates
:math:`\\ln w = \\sum_{t=1}^{T} f_{\\beta_t}(x_{t-1}) - f_{\\beta_{t-1}}(x_{t-1})` and takes a Gibbs sweep at
:math:`\\beta_t`; then :math:`\\mathbb{E}[w] = Z/Z_0`. Since :math:`\\mathbb{E}\\ln\\hat Z \\le \\ln Z`, the
log-likelihood :math:`-E(x) - \\ln\\hat Z` it gives is optimistic on average.

*RAISE* (Burda, Grosse & Salakhutdinov 2015) runs the chain backwards from a data point
:math:`x_T = x`: :math:`x_{t-1}` is a sweep at :math:`\\beta_t` from :math:`x_t`, and

.. math::

    \\hat p(x) = p_0(x_0) \\prod_{t=1}^{T} \\frac{e^{f_{\\beta_t}(x_t)}}{e^{f_{\\beta_t}(x_{t-1})}}

is an unbiased estimate of :math:`p_\\text{ann}(x)`, the law of the last state of a forward annealing
chain (whose sweeps run the units in the opposite order). :math:`p_\\text{ann}` is a normalised
distribution close to :math:`p` when the annealing is slow, and :math:`\\mathbb{E}\\ln\\hat p(x) \\le
\\ln p_\\text{ann}(x)`.

What is guaranteed, exactly: AIS's :math:`-E(x) - \\ln\\hat Z` is a stochastic upper bound on
:math:`\\ln p(x)` for any model and data; RAISE's :math:`\\ln\\hat p(x)` is a stochastic lower bound on
:math:`\\ln p_\\text{ann}(x)`, the *annealed* model's log-likelihood, not on :math:`\\ln p(x)`. Averaged over
data drawn from the model itself, :math:`\\mathbb{E}_p\\ln p_\\text{ann} = \\mathbb{E}_p\\ln p -
\\mathrm{KL}(p\\,\\|\\,p_\\text{ann}) \\le \\mathbb{E}_p \\ln p`, so there RAISE is conservative about
:math:`\\ln p` too (the theorem-backed case). On real data that the model fits badly,
:math:`p_\\text{ann}` can give the data more mass than :math:`p` does and RAISE can land *above*
:math:`\\ln p(x)` (Burda et al. say so). So "AIS above, RAISE below" is a bracket only heuristically
on real data: trustworthy where the two agree and the annealing is slow, checkable exactly on
small models.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from ..core.stats import standard_error
from ..core.validation import check_finite, check_int, check_last_dim, check_tensor
from ..distributions.bernoulli import IndependentBernoulli
from ..models.boltzmann import BoltzmannMachine, _gibbs_sweep
from ..models.rbm import GaussianBernoulliRBM


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


@dataclass(frozen=True)
class RAISEResult:
    """``log_likelihood``: per data point, :math:`\\ln` of the mean of its chains' :math:`\\hat p(x)`
    (a stochastic lower bound on :math:`\\ln p_\\text{ann}(x)`); ``mean`` and ``stderr``: their average
    over the data points and its standard error; ``log_weights``: every chain's :math:`\\ln\\hat p(x)`,
    shape ``(chains, points)``.

    >>> RAISEResult.from_log_weights(torch.zeros(2, 3)).mean
    0.0
    """

    log_likelihood: torch.Tensor = field(repr=False)
    mean: float
    stderr: float
    log_weights: torch.Tensor = field(repr=False)

    @classmethod
    def from_log_weights(cls, log_weights: torch.Tensor) -> "RAISEResult":
        per_point = torch.logsumexp(log_weights, 0) - math.log(log_weights.shape[0])
        spread = float(standard_error(per_point)) if per_point.numel() > 1 else math.nan
        return cls(per_point, float(per_point.mean()), spread, log_weights)


_AnnealingPath = tuple[torch.Tensor, torch.Tensor, torch.Tensor, Callable[[torch.Tensor, float], torch.Tensor]]


Start = torch.Tensor | IndependentBernoulli | BoltzmannMachine | torch.distributions.Independent | None


def start_logits(start: object) -> torch.Tensor | None:
    """The logits :math:`a` of a product of Bernoullis given as ``start``: a tensor of logits, an
    :class:`~ardemo.IndependentBernoulli`, a ``torch.distributions.Independent(Bernoulli(...), 1)``, or a
    :class:`~ardemo.BoltzmannMachine` without couplings (its biases); ``None`` stays ``None`` (uniform).

    >>> start_logits(torch.distributions.Independent(torch.distributions.Bernoulli(logits=torch.ones(2)), 1))
    tensor([1., 1.])
    """
    if start is None:
        return None
    if isinstance(start, IndependentBernoulli):
        return start.logits
    if isinstance(start, torch.distributions.Independent):
        base = start.base_dist
        if not isinstance(base, torch.distributions.Bernoulli) or start.reinterpreted_batch_ndims != 1:
            raise TypeError(
                f"base_logits: expected Independent(Bernoulli(...), 1), got Independent({type(base).__name__}, "
                f"{start.reinterpreted_batch_ndims})"
            )
        return base.logits
    if isinstance(start, BoltzmannMachine):
        if bool((start.coupling.detach().triu(1) != 0).any()):
            raise ValueError(
                "base_logits: a Boltzmann machine is a product of Bernoullis only without couplings; this one has "
                "nonzero couplings (its ln Z is not a sum of softplus terms)"
            )
        return start.bias
    if isinstance(start, torch.Tensor):
        return start
    raise TypeError(
        "base_logits: expected logits, an IndependentBernoulli, Independent(Bernoulli(...), 1) or a Boltzmann "
        f"machine without couplings, got {type(start).__name__}"
    )


def _annealing_path(model: object, base_logits: object) -> _AnnealingPath:
    """The model's couplings and biases in float64, the base logits :math:`a` (checked) and
    :math:`f_\\beta(x)`."""
    if not isinstance(model, BoltzmannMachine):
        raise TypeError(f"model: expected an ardemo.BoltzmannMachine, got {type(model).__name__}")
    base_logits = start_logits(base_logits)
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

    return w, b, a, f


def _result(log_z0: float, log_w: torch.Tensor) -> AISResult:
    top = log_w.max()
    ratio = (log_w - top).exp()
    mean = ratio.mean()
    stderr = float(ratio.std() / mean / math.sqrt(log_w.shape[0]))
    return AISResult(log_z0 + float(top + mean.log()), stderr, log_w)


def _ais_gbrbm(model: GaussianBernoulliRBM, chains: int, temperatures: int) -> AISResult:
    """AIS for a Gaussian–Bernoulli RBM along :math:`p_\\beta(x, h) \\propto e^{-\\|x-b\\|^2/2\\sigma^2 + \\beta(d + W^\\top x/\\sigma^2)^\\top h}`,
    from :math:`\\mathcal{N}(b, \\sigma^2)` times uniform hidden units (:math:`Z_0 = 2^H\\prod_i\\sqrt{2\\pi\\sigma_i^2}`), with
    :math:`f_\\beta(x) = -\\|x-b\\|^2/2\\sigma^2 + \\sum_j \\mathrm{softplus}(\\beta a_j(x))`, :math:`a(x) = d + W^\\top x/\\sigma^2`,
    and one Gibbs sweep (:math:`h` then :math:`x`) at every :math:`\\beta`."""
    b, w, d = (t.detach().double() for t in (model.b, model.W, model.d))
    sigma2 = model.sigma2.detach().double()

    def f(x: torch.Tensor, beta: float) -> torch.Tensor:
        return -((x - b) ** 2 / (2 * sigma2)).sum(-1) + F.softplus(beta * (d + (x / sigma2) @ w)).sum(-1)

    x = b + sigma2.sqrt() * torch.randn(chains, model.n_visible, dtype=torch.float64, device=b.device)
    log_w = torch.zeros(chains, dtype=torch.float64, device=b.device)
    betas = torch.linspace(0, 1, temperatures + 1).tolist()
    for previous, beta in zip(betas[:-1], betas[1:]):
        log_w += f(x, beta) - f(x, previous)
        h = torch.bernoulli(torch.sigmoid(beta * (d + (x / sigma2) @ w)))
        x = b + beta * h @ w.T + sigma2.sqrt() * torch.randn_like(x)
    log_z0 = model.n_hidden * math.log(2) + float(0.5 * torch.log(2 * math.pi * sigma2).sum())
    return _result(log_z0, log_w)


@torch.no_grad()
def ais_log_partition(
    model: BoltzmannMachine | GaussianBernoulliRBM,
    chains: int = 100,
    temperatures: int = 1000,
    base_logits: Start = None,
) -> AISResult:
    """Estimate :math:`\\ln Z` with ``chains`` independent AIS runs over ``temperatures`` evenly
    spaced :math:`\\beta \\in (0, 1]`. A Boltzmann machine's path starts from Bernoullis with logits
    ``base_logits`` (default 0: uniform; the logits of the data's marginals make the path shorter), given
    as logits or as a product-of-Bernoullis model (see ``start_logits`` in this module). A Gaussian–Bernoulli RBM's
    path starts from its visible Gaussians and uniform hidden units (see ``_ais_gbrbm`` in this module).

    >>> from ardemo import BoltzmannMachine
    >>> model = BoltzmannMachine(4, weight_scale=0.5)
    >>> result = ais_log_partition(model, chains=200, temperatures=100)
    >>> abs(result.log_z - model.log_partition().item()) < 5 * result.stderr + 0.01
    True
    """
    chains = check_int("chains", chains, minimum=2)  # the standard error needs two runs
    temperatures = check_int("temperatures", temperatures, minimum=1)
    if isinstance(model, GaussianBernoulliRBM):
        if base_logits is not None:
            raise ValueError(
                "base_logits: a Gaussian-Bernoulli RBM's path starts at N(b, sigma^2) x uniform hidden units; expected None"
            )
        return _ais_gbrbm(model, chains, temperatures)
    w, b, a, f = _annealing_path(model, base_logits)
    x = torch.bernoulli(torch.sigmoid(a).expand(chains, -1))
    log_w = torch.zeros(chains, dtype=torch.float64, device=b.device)
    betas = torch.linspace(0, 1, temperatures + 1).tolist()
    for previous, beta in zip(betas[:-1], betas[1:]):
        log_w += f(x, beta) - f(x, previous)
        x = _gibbs_sweep(x, beta * w, (1 - beta) * a + beta * b)  # couplings checked once, above
    return _result(float(F.softplus(a).sum()), log_w)


@torch.no_grad()
def raise_log_likelihood(
    model: BoltzmannMachine,
    data: torch.Tensor,
    temperatures: int = 1000,
    base_logits: Start = None,
    chains: int = 1,
) -> RAISEResult:
    """RAISE: ``chains`` reverse annealing chains from every row of ``data`` (shape ``(N, n)``) over
    ``temperatures`` evenly spaced :math:`\\beta`, down to Bernoullis with logits ``base_logits``
    (default 0; the data's marginal logits make the path shorter). All chains run at once.

    >>> from ardemo import BoltzmannMachine
    >>> model = BoltzmannMachine(4, weight_scale=0.5)
    >>> x = torch.tensor([[1.0, 0.0, 1.0, 1.0]])
    >>> r = raise_log_likelihood(model, x, temperatures=200, chains=500)
    >>> abs(r.mean - model.log_prob(x).item()) < 0.05
    True
    """
    w, b, a, f = _annealing_path(model, base_logits)
    data = model.check_event("data", data)
    if data.dim() != 2 or data.shape[0] == 0:
        raise ValueError(f"data: expected a non-empty (N, {model.n_units}) batch, got shape {tuple(data.shape)}")
    temperatures = check_int("temperatures", temperatures, minimum=1)
    chains = check_int("chains", chains, minimum=1)
    x = data.double().repeat(chains, 1)
    log_w = torch.zeros(x.shape[0], dtype=torch.float64, device=b.device)
    betas = torch.linspace(0, 1, temperatures + 1).tolist()
    for beta in reversed(betas[1:]):
        log_w += f(x, beta)
        x = _gibbs_sweep(x, beta * w, (1 - beta) * a + beta * b)
        log_w -= f(x, beta)
    log_w += x @ a - F.softplus(a).sum()  # ln p_0(x_0)
    return RAISEResult.from_log_weights(log_w.view(chains, data.shape[0]))
