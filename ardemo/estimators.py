"""Gradient estimators for :math:`\\nabla_\\ell\\,\\mathbb{E}_{b \\sim \\mathrm{Bernoulli}(\\sigma(\\ell))}[f(b)]`.

Each row of ``logits`` (shape ``(batch, d)``) gets one sample :math:`b`; ``f`` maps a
``(batch, d)`` tensor to ``(batch,)`` values (for the relaxed estimators it must accept values in
:math:`(0,1)` and be differentiable). Every estimator returns per-row gradients shaped like
``logits``, and takes the uniforms ``u`` (shape of ``logits``) so that estimators can be compared
on common random numbers.

With :math:`z = \\ell + \\ln\\frac{u}{1-u}` and :math:`b = H(z)`:

* REINFORCE: :math:`(f(b) - c)\\,(b - \\sigma(\\ell))` with a baseline :math:`c`;
* Concrete: :math:`\\nabla_\\ell f(\\sigma(z/\\lambda))` (biased);
* REBAR (Tucker et al. 2017): :math:`[f(b) - \\eta f(\\sigma_\\lambda(\\tilde z))](b - \\sigma(\\ell))
  + \\eta\\nabla_\\ell f(\\sigma_\\lambda(z)) - \\eta\\nabla_\\ell f(\\sigma_\\lambda(\\tilde z))`, where
  :math:`\\tilde z \\sim p(z \\mid b)` is reparameterised by a uniform :math:`v` coupled to :math:`u`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from ._validation import check_positive_float, check_tensor
from .relaxed import open_uniform

Objective = Callable[[torch.Tensor], torch.Tensor]


def _check_logits(logits: object) -> torch.Tensor:
    logits = check_tensor("logits", logits)
    if logits.dim() != 2:
        raise ValueError(f"logits: expected shape (batch, d), got {tuple(logits.shape)}")
    if not bool(torch.isfinite(logits).all()):
        raise ValueError("logits: expected finite values, found NaN or infinity")
    return logits


def _uniforms(logits: torch.Tensor, u: torch.Tensor | None, name: str = "u") -> torch.Tensor:
    if u is None:
        u = open_uniform(logits.shape, like=logits)
    u = check_tensor(name, u)
    if u.shape != logits.shape:
        raise ValueError(f"{name}: expected shape {tuple(logits.shape)} like logits, got {tuple(u.shape)}")
    if not bool(((u > 0) & (u < 1)).all()):
        raise ValueError(f"{name}: expected uniforms strictly inside (0, 1)")
    return u


def _check_temperature(temperature: float | torch.Tensor) -> float | torch.Tensor:
    if isinstance(temperature, torch.Tensor) and temperature.requires_grad:
        if not bool((temperature > 0).all()):
            raise ValueError(f"temperature: expected > 0, got {temperature.detach().tolist()}")
        return temperature
    return check_positive_float("temperature", temperature)


def _values(f: Objective, x: torch.Tensor) -> torch.Tensor:
    out = f(x)
    if not isinstance(out, torch.Tensor) or out.shape != x.shape[:1]:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(f"f: expected one value per row, shape ({x.shape[0]},), got {got}")
    return out


def logistic(logits: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """:math:`z = \\ell + \\ln u - \\ln(1-u) \\sim \\mathrm{Logistic}(\\ell, 1)`; :math:`H(z) \\sim \\mathrm{Bernoulli}(\\sigma(\\ell))`."""
    return logits + torch.log(u) - torch.log1p(-u)


def coupled_uniform(logits: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """The uniform :math:`v` of :math:`z \\mid b` that the same :math:`u` implies.

    With :math:`\\theta = \\sigma(\\ell)`, :math:`b = 1` iff :math:`u > 1-\\theta`; then
    :math:`v = (u - (1-\\theta))/\\theta`, else :math:`v = u/(1-\\theta)`. Given :math:`b`, :math:`v` is
    uniform on :math:`(0,1)`, and :func:`conditional_logistic` maps it back to :math:`z` itself.
    The result carries no gradient: :math:`v` is noise.
    """
    with torch.no_grad():
        theta, one_minus_theta = torch.sigmoid(logits), torch.sigmoid(-logits)
        one = u > one_minus_theta
        v = torch.where(one, (u - one_minus_theta) / theta, u / one_minus_theta)
        tiny = torch.finfo(v.dtype).eps
        return v.clamp(tiny, 1 - tiny)


def conditional_logistic(logits: torch.Tensor, b: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Reparameterised :math:`\\tilde z \\sim p(z \\mid b)` from a uniform :math:`v`, differentiable in :math:`\\ell`:

    :math:`\\tilde z = \\ln\\big(\\tfrac{v}{(1-v)(1-\\theta)} + 1\\big)` if :math:`b = 1`,
    :math:`\\tilde z = -\\ln\\big(\\tfrac{1-v}{v\\,\\theta} + 1\\big)` if :math:`b = 0`, computed as softplus of
    log-odds so that both branches and their gradients stay finite however large :math:`|\\ell|` is.
    """
    log_ratio = torch.log(v) - torch.log1p(-v)
    positive = F.softplus(log_ratio + F.softplus(logits))  # ln(1 + v / ((1 - v)(1 - theta)))
    negative = -F.softplus(F.softplus(-logits) - log_ratio)  # -ln(1 + (1 - v) / (v theta))
    return torch.where(b > 0.5, positive, negative)


def reinforce(
    f: Objective, logits: torch.Tensor, baseline: float | torch.Tensor = 0.0, u: torch.Tensor | None = None,
    return_values: bool = False,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Score-function estimate :math:`(f(b) - c)(b - \\sigma(\\ell))`; ``baseline`` :math:`c` is a number or
    one per row. ``return_values=True`` also returns :math:`f(b)` per row (to train a baseline on)."""
    logits = _check_logits(logits)
    u = _uniforms(logits, u)
    with torch.no_grad():
        b = (logistic(logits, u) > 0).to(logits.dtype)
        values = _values(f, b)
        estimate = (values - baseline).reshape(-1, 1) * (b - torch.sigmoid(logits))
    return (estimate, values) if return_values else estimate


def concrete(f: Objective, logits: torch.Tensor, temperature: float = 0.5, u: torch.Tensor | None = None) -> torch.Tensor:
    """Concrete (Gumbel-softmax) estimate :math:`\\nabla_\\ell f(\\sigma(z/\\lambda))`: low variance, biased."""
    logits = _check_logits(logits)
    temperature = _check_temperature(temperature)
    u = _uniforms(logits, u)
    with torch.enable_grad():  # the estimate is itself a gradient, also when called under no_grad
        ell = logits.detach().requires_grad_()
        soft = torch.sigmoid(logistic(ell, u) / temperature)
        (grad,) = torch.autograd.grad(_values(f, soft).sum(), ell)
    return grad


def _relaxed_pair(ell: torch.Tensor, u: torch.Tensor,
                  v: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """:math:`b = H(z)`, :math:`z` and :math:`\\tilde z \\sim p(z \\mid b)` from ``v`` (default: coupled to ``u``)."""
    z = logistic(ell, u)
    b = (z > 0).to(ell.dtype).detach()
    return b, z, conditional_logistic(ell, b, coupled_uniform(ell, u) if v is None else v)


def rebar_values(
    f: Objective, logits: torch.Tensor, temperature: float | torch.Tensor = 0.5, u: torch.Tensor | None = None,
    v: torch.Tensor | None = None, hard_f: Objective | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """:math:`f(b)` and :math:`f(\\sigma_\\lambda(\\tilde z))` per row, without gradient (``hard_f(b)``
    in place of :math:`f(b)` when given; see :func:`rebar`).

    REBAR's learning signal is :math:`f(b) - \\eta f(\\sigma_\\lambda(\\tilde z))`; a baseline
    :math:`c(x) - \\eta\\,\\tilde c(x)` built from predictions of each part stays centred while :math:`\\eta` changes.
    """
    logits = _check_logits(logits)
    temperature = _check_temperature(temperature)
    u = _uniforms(logits, u)
    v = None if v is None else _uniforms(logits, v, "v")
    with torch.no_grad():
        b, _, z_tilde = _relaxed_pair(logits, u, v)
        return _values(f if hard_f is None else hard_f, b), _values(f, torch.sigmoid(z_tilde / temperature))


def rebar(
    f: Objective,
    logits: torch.Tensor,
    eta: float | torch.Tensor = 1.0,
    temperature: float | torch.Tensor = 0.5,
    u: torch.Tensor | None = None,
    create_graph: bool = False,
    baseline: float | torch.Tensor = 0.0,
    v: torch.Tensor | None = None,
    hard_f: Objective | None = None,
    return_values: bool = False,
) -> torch.Tensor | tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """REBAR estimate (see the module docstring); unbiased for every ``eta`` and ``temperature``.

    ``baseline`` (a number or one per row) is subtracted from the learning signal
    :math:`f(b) - \\eta f(\\sigma_\\lambda(\\tilde z))` (see :func:`rebar_values`), which it should predict;
    it may depend on ``eta`` (then ``create_graph`` differentiates through it).

    ``v`` are the uniforms of :math:`\\tilde z`; by default they are coupled to ``u``
    (:func:`coupled_uniform`), so that :math:`\\tilde z = z` in value. Independent ones also give an
    unbiased estimate.

    ``hard_f``, when given, replaces :math:`f` at the discrete sample :math:`b` only: the estimate is
    then unbiased for :math:`\\nabla_\\ell\\,\\mathbb{E}[\\mathrm{hard\\_f}(b)]`, with ``f`` a continuous
    control variate that need not equal ``hard_f`` at binary points (in a two-layer network: the
    relaxed second layer inside ``f``, the sampled one inside ``hard_f``).

    With ``create_graph=True`` the result is differentiable in ``eta`` and ``temperature``
    (tensors with ``requires_grad``), so :math:`\\sum \\hat g^2` can be minimised over them:
    since the mean does not depend on them, that minimises the variance.

    ``return_values=True`` also returns what :func:`rebar_values` would, computed on the way.
    """
    logits = _check_logits(logits)
    temperature = _check_temperature(temperature)
    u = _uniforms(logits, u)
    v = None if v is None else _uniforms(logits, v, "v")
    with torch.no_grad():
        f_hard = _values(f if hard_f is None else hard_f, (logistic(logits, u) > 0).to(logits.dtype))
    with torch.enable_grad():  # the estimate is itself a gradient, also when called under no_grad
        ell = logits.detach().requires_grad_()
        b, z, z_tilde = _relaxed_pair(ell, u, v)
        f_soft = _values(f, torch.sigmoid(z / temperature))
        f_tilde = _values(f, torch.sigmoid(z_tilde / temperature))
        (relaxed,) = torch.autograd.grad((f_soft - f_tilde).sum(), ell, create_graph=create_graph)
    score = (b - torch.sigmoid(ell)).detach()
    f_tilde_coefficient = f_tilde if create_graph else f_tilde.detach()
    estimate = (f_hard - baseline - eta * f_tilde_coefficient).reshape(-1, 1) * score + eta * relaxed
    return (estimate, (f_hard, f_tilde.detach())) if return_values else estimate
