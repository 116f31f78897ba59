"""Variational free energy of a lattice model with an autoregressive :math:`q`:

.. math::

    F_q = \\mathbb{E}_{x\\sim q}[E(x) + \\ln q(x)] = F + \\mathrm{KL}(q\\|p) \\ge F = -\\ln Z,

its score-function (REINFORCE) gradient
:math:`\\nabla F_q = \\mathbb{E}_q[(E + \\ln q - b)\\,\\nabla\\ln q]` with a baseline :math:`b`, and the
symmetrised mixture :math:`q_\\text{sym}(x) = \\frac1{|G|}\\sum_g q(g\\cdot x)`, estimated from ``n`` space-group
elements in two ways:

* ``random`` (the source's): :math:`\\ln\\frac1n\\sum_i q(g_i x)` with :math:`n` uniform elements, plus the
  bin-statistics correction. Its expectation lies *below* :math:`\\ln q_\\text{sym}(x)`, without limit: a loss
  built on it can be lowered by making :math:`q` asymmetric, not by approaching :math:`p`.
* ``anchored``: :math:`\\ln\\frac1n\\big(q(x) + \\sum_{i=2}^{n} q(g_i x)\\big)` for :math:`x \\sim q`: the sample's own
  term is an exact draw from the posterior over group elements, which makes the estimate's expectation an
  *upper* bound, :math:`U_n = \\mathbb{E}[E + \\ln\\hat q] \\ge F_{q_\\text{sym}} \\ge F`, equal to :math:`F_q` at
  :math:`n = 1` and decreasing to :math:`F_{q_\\text{sym}}` as :math:`n` grows.
"""

from __future__ import annotations

import torch

from ..core.stats import standard_error
from ..core.validation import (
    check_bool,
    check_int,
    check_positive_float,
    check_tensor,
    no_validation,
    validate_args_default,
)
from ..models.lattice_made import LatticeMADE
from ..models.pixelgnn import PixelGNN
from .training import History, fit


def _check_net(net: object) -> PixelGNN | LatticeMADE:
    if not isinstance(net, (PixelGNN, LatticeMADE)):
        raise TypeError(f"net: expected an ardemo.PixelGNN or LatticeMADE, got {type(net).__name__}")
    return net


def randmix(net: PixelGNN, x: torch.Tensor, mixtures: int) -> torch.Tensor:
    """``mixtures`` random space-group images of each configuration, shape ``(batch, mixtures, size, ..., size)``."""
    net = _check_net(net)
    mixtures = check_int("mixtures", mixtures, minimum=1)
    x = net.model.check("x", x)
    lattice = net.model.lattice
    perms = lattice.randperm(x.shape[0] * mixtures).to(x.device)
    images = x.flatten(1).repeat_interleave(mixtures, 0).gather(1, perms)
    return images.reshape(x.shape[0], mixtures, *lattice.shape)


def log_mean_exp(log_w: torch.Tensor, correct: bool = True) -> torch.Tensor:
    """:math:`\\ln\\frac1n\\sum_i w_i` over the last axis, plus (``correct``) the bin-statistics term
    :math:`\\widehat{\\mathrm{var}}(w)/(2n\\bar w^2)` that removes its :math:`O(1/n)` bias as an
    estimate of :math:`\\ln\\mathbb{E}[w]`. All weights 0 give :math:`-\\infty`, an infinite one :math:`+\\infty`.

    >>> log_mean_exp(torch.tensor([[0.0, 0.0], [-float("inf"), -float("inf")]]), correct=False)
    tensor([0., -inf])
    """
    log_w = check_tensor("log_w", log_w)
    if log_w.dim() == 0 or log_w.shape[-1] == 0:
        raise ValueError(f"log_w: expected at least one value along the last axis, got shape {tuple(log_w.shape)}")
    n = log_w.shape[-1]
    if validate_args_default() and bool(torch.isnan(log_w).any()):
        raise ValueError("log_w: expected log-weights without NaN, got NaN")
    top = log_w.max(-1, keepdim=True).values.detach()
    finite_top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))  # all -inf, or a +inf: below
    w = (log_w - finite_top).exp()
    mean = w.mean(-1)
    out = finite_top.squeeze(-1) + mean.log()
    if correct and n > 1:
        out = out + torch.where(mean > 0, w.var(-1) / (2 * n * mean**2), torch.zeros_like(mean))
    top = top.squeeze(-1)
    out = torch.where(torch.isneginf(top), top, out)  # every weight 0: ln 0 = -inf
    return torch.where(torch.isposinf(top), top, out)  # an infinite weight: +inf


def log_mixed_prob(
    net: PixelGNN, x: torch.Tensor, mixtures: int, correct: bool = True, anchored: bool = False
) -> torch.Tensor:
    """Estimate of :math:`\\ln q_\\text{sym}(x) = \\ln \\frac1{|G|}\\sum_{g\\in G} q(g\\cdot x)` from ``mixtures``
    elements: all random, with the bin-statistics correction (``correct``), or ``anchored``: :math:`x`
    itself and ``mixtures - 1`` random images, no correction (an upper bound in expectation for
    :math:`x \\sim q`; see the module docstring). ``mixtures = 1`` is :math:`\\ln q(x)` itself."""
    net = _check_net(net)
    mixtures = check_int("mixtures", mixtures, minimum=1)
    anchored = check_bool("anchored", anchored)
    if mixtures == 1:
        return net.log_prob(x)
    if anchored:
        x = net.model.check("x", x)
        images = torch.cat([x.unsqueeze(1), randmix(net, x, mixtures - 1)], 1)
        correct = False
    else:
        images = randmix(net, x, mixtures)
    log_q = net.log_prob(images.flatten(0, 1)).reshape(x.shape[0], mixtures)
    return log_mean_exp(log_q, correct)


def free_energy_loss(
    net: PixelGNN, batch: int, mixtures: int = 1, correct: bool = True, beta: float = 1.0, anchored: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """REINFORCE surrogate and the per-sample estimates :math:`f(x) = \\beta E(x) + \\ln q_\\text{mix}(x)`.

    The surrogate :math:`\\overline{(f - \\bar f)\\ln q}` has gradient
    :math:`\\frac1B\\sum (f_i - \\bar f)\\nabla\\ln q(x_i)`, which estimates
    :math:`(1 - \\tfrac1B)\\nabla F_q` (the batch-mean baseline only rescales it). ``beta`` scales the
    energy (an inverse temperature, for annealing).

    With ``anchored`` mixtures the same surrogate follows the gradient of the upper bound :math:`U_n`: its
    other, pathwise term :math:`\\mathbb{E}[\\nabla\\ln\\hat q(x)]` vanishes, because relabelling which of
    the :math:`n` images is the sample's own maps the joint law of :math:`(x, g_2, \\ldots, g_n)` onto itself,
    so it averages to :math:`\\frac1n\\sum_x\\sum_i\\nabla q(g_i x) = 0`. With all-random (not anchored)
    mixtures that term does not vanish and the surrogate drops it: the update is then score-only, not
    the gradient of the estimate (nor of any bound).
    """
    net = _check_net(net)
    batch = check_int("batch", batch, minimum=2)
    mixtures = check_int("mixtures", mixtures, minimum=1)
    beta = check_positive_float("beta", beta)
    anchored = check_bool("anchored", anchored)
    x = net.sample(batch)
    log_q = net.log_prob(x)
    with torch.no_grad():
        log_mix = log_q.detach() if mixtures == 1 else log_mixed_prob(net, x, mixtures, correct, anchored)
        f = beta * net.model.energy(x) + log_mix
    return ((f - f.mean()) * log_q).mean(), f


ANNEAL_START = 0.2
"""The energy's weight at the first step of an annealed :func:`train`."""


def train(
    net: PixelGNN,
    steps: int,
    batch: int = 1000,
    lr: float = 0.02,
    mixtures: int = 1,
    optimizer: torch.optim.Optimizer | None = None,
    history: History | None = None,
    anneal: int = 0,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    progress: bool = False,
    every: int = 1,
    anchored: bool = False,
) -> History:
    """Minimise :math:`F_q` (or its mixture version) with :func:`~ardemo.fit` (Adam unless ``optimizer``
    is given); records the ``free_energy`` (the batch mean of :math:`f`) and its standard ``error`` of
    every ``every``-th step, and returns (and extends) the history.

    ``anneal > 0`` ramps the energy's weight linearly from ``ANNEAL_START`` (0.2) to 1 over the first ``anneal`` steps
    (training starts hot, which keeps :math:`q` from collapsing onto the ground states early); the
    recorded values are then those of the ramped objective. Annealing counts from the history's
    ``total_steps``, so training in chunks continues the ramp; ``scheduler`` is stepped after every step.
    ``mixtures > 1`` trains the symmetrised mixture, with the source's random estimate or ``anchored``.
    """
    net = _check_net(net)
    steps = check_int("steps", steps, minimum=0)
    lr = check_positive_float("lr", lr)
    anneal = check_int("anneal", anneal, minimum=0)
    batch = check_int("batch", batch, minimum=2)
    mixtures = check_int("mixtures", mixtures, minimum=1)
    anchored = check_bool("anchored", anchored)
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer: expected a torch.optim.Optimizer, got {type(optimizer).__name__}")
    optimizer = optimizer or torch.optim.Adam(net.parameters(), lr=lr)

    def objective(step: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        beta = ANNEAL_START + (1 - ANNEAL_START) * step / anneal if step < anneal else 1.0
        loss, f = free_energy_loss(net, batch, mixtures, beta=beta, anchored=anchored)
        return loss, {"free_energy": f.mean().detach(), "error": standard_error(f).detach()}  # read at records only

    with no_validation():  # the samples come from the model itself: no value checks in the loop
        return fit(
            objective,
            optimizer,
            steps,
            scheduler=scheduler,
            every=every,
            record_start=False,
            history=history,
            progress=progress,
            description="free energy",
        )


@torch.no_grad()
def estimate_free_energy(
    net: PixelGNN, samples: int, mixtures: int = 1, batch: int = 10_000, correct: bool = True, anchored: bool = False
) -> tuple[float, float]:
    """Monte Carlo :math:`F_q` (or the mixture's, with :func:`log_mixed_prob`'s estimate) from ``samples``
    draws: mean and standard error."""
    net = _check_net(net)
    samples = check_int("samples", samples, minimum=2)
    mixtures = check_int("mixtures", mixtures, minimum=1)
    batch = check_int("batch", batch, minimum=1)
    values = []
    for start in range(0, samples, batch):
        x = net.sample(min(batch, samples - start))
        values.append(net.model.energy(x).double() + log_mixed_prob(net, x, mixtures, correct, anchored).double())
    f = torch.cat(values)
    return f.mean().item(), standard_error(f).item()
