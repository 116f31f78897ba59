"""Gradient estimators for :math:`\\nabla_\\ell\\,\\mathbb{E}_{b \\sim \\mathrm{Bernoulli}(\\sigma(\\ell))}[f(b)]`.

Each row of ``logits`` (shape ``(batch, d)``) gets one sample :math:`b`; ``f`` maps a
``(batch, d)`` tensor to ``(batch,)`` values (for the relaxed estimators it must accept values in
:math:`(0,1)` and be differentiable). Every estimator returns per-row gradients shaped like
``logits``, and takes the uniforms ``u`` (shape of ``logits``) so that estimators can be compared
on common random numbers. All share one signature, ``estimator(f, logits, *, u=..., baseline=..., ...)``
(keyword-only after ``f`` and ``logits``), and return a :class:`GradientEstimate`. The checks of values
(finite logits, uniforms inside :math:`(0, 1)`) run while validation is on (:func:`ardemo.set_validate_args`):
with it off an estimator reads nothing back from the device.

With :math:`z = \\ell + \\ln\\frac{u}{1-u}` and :math:`b = H(z)`:

* REINFORCE: :math:`(f(b) - c)\\,(b - \\sigma(\\ell))` with a baseline :math:`c`;
* Concrete: :math:`\\nabla_\\ell f(\\sigma(z/\\lambda))` (biased);
* REBAR (Tucker et al. 2017): :math:`[f(b) - \\eta f(\\sigma_\\lambda(\\tilde z))](b - \\sigma(\\ell))
  + \\eta\\nabla_\\ell f(\\sigma_\\lambda(z)) - \\eta\\nabla_\\ell f(\\sigma_\\lambda(\\tilde z))`, where
  :math:`\\tilde z \\sim p(z \\mid b)` is reparameterised by a uniform :math:`v` coupled to :math:`u`;
* RELAX (Grathwohl et al. 2018): REBAR with any differentiable control :math:`c(z)` in place of
  :math:`\\eta f(\\sigma_\\lambda(z))`: :math:`[f(b) - c(\\tilde z)](b - \\sigma(\\ell)) + \\nabla_\\ell c(z) - \\nabla_\\ell c(\\tilde z)`;
* MuProp (Gu et al. 2016): REINFORCE with the first-order Taylor expansion of :math:`f` about the
  mean :math:`\\mu = \\sigma(\\ell)` as control variate, whose expectation is known:
  :math:`[f(b) - f(\\mu) - f'(\\mu)^\\top(b - \\mu)](b - \\mu) + f'(\\mu)\\,\\sigma'(\\ell)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch

from ..core.validation import check_callable, check_positive, check_real, check_tensor, validate_args_default
from ..distributions.relaxed import _conditional_logistic, _coupled_uniform, _logistic, open_uniform

Objective = Callable[[torch.Tensor], torch.Tensor]


def _check_logits(logits: object, f: object = None, hard_f: object = None) -> torch.Tensor:
    check_callable("f", f)
    if hard_f is not None:
        check_callable("hard_f", hard_f)
    logits = check_tensor("logits", logits)
    if logits.dim() != 2:
        raise ValueError(f"logits: expected shape (batch, d), got {tuple(logits.shape)}")
    if validate_args_default() and not bool(torch.isfinite(logits).all()):
        raise ValueError("logits: expected finite values, found NaN or infinity")
    return logits


def _uniforms(logits: torch.Tensor, u: torch.Tensor | None, name: str = "u") -> torch.Tensor:
    if u is None:
        u = open_uniform(logits.shape, like=logits)
    u = check_tensor(name, u)
    if u.shape != logits.shape:
        raise ValueError(f"{name}: expected shape {tuple(logits.shape)} like logits, got {tuple(u.shape)}")
    if validate_args_default() and not bool(((u > 0) & (u < 1)).all()):
        raise ValueError(f"{name}: expected uniforms strictly inside (0, 1)")
    return u


def _check_temperature(temperature: float | torch.Tensor) -> float | torch.Tensor:
    return check_positive("temperature", temperature)


def _coefficient(name: str, value: object, rows: int) -> float | torch.Tensor:
    """A number, or a tensor that is one number or one per row (``baseline``, ``eta``)."""
    if isinstance(value, torch.Tensor):
        check_tensor(name, value)
        if value.numel() != 1 and value.shape != (rows,):
            raise ValueError(
                f"{name}: expected a number or one value per row, shape ({rows},), got {tuple(value.shape)}"
            )
        if validate_args_default() and not bool(torch.isfinite(value).all()):
            raise ValueError(f"{name}: expected finite values, found NaN or infinity")
        return value
    return check_real(name, value)


def _noise_and_baseline(
    logits: torch.Tensor, u: torch.Tensor | None, v: torch.Tensor | None, baseline: object
) -> tuple[torch.Tensor, torch.Tensor | None, float | torch.Tensor]:
    """The checked uniforms ``u`` (drawn when ``None``), ``v`` (kept ``None``) and ``baseline``."""
    u = _uniforms(logits, u)
    v = None if v is None else _uniforms(logits, v, "v")
    return u, v, _coefficient("baseline", baseline, logits.shape[0])


def _values(f: Objective, x: torch.Tensor) -> torch.Tensor:
    out = f(x)
    if not isinstance(out, torch.Tensor) or out.shape != x.shape[:1]:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(f"f: expected one value per row, shape ({x.shape[0]},), got {got}")
    return out


class GradientEstimate(NamedTuple):
    """What every estimator returns: the per-row ``gradient`` (shaped like ``logits``; ``None`` from
    :func:`~ardemo.learning.estimators.rebar_values`, which computes the values only), ``values``, the
    learning signal :math:`f` per row at the point the estimator evaluated it (the hard sample :math:`b`,
    or the relaxed sample for Concrete), and ``control``: :math:`f(\\sigma_\\lambda(\\tilde z))` for REBAR,
    :math:`c(\\tilde z)` for RELAX, the linear expansion :math:`h(b)` for MuProp (``None``
    otherwise). ``values`` and ``control`` carry no gradient; they are what a baseline is trained on.

    >>> est = GradientEstimate(torch.zeros(2, 1), torch.ones(2))
    >>> gradient, values, control = est
    >>> control is None
    True
    """

    gradient: torch.Tensor | None
    values: torch.Tensor
    control: torch.Tensor | None = None


def reinforce(
    f: Objective,
    logits: torch.Tensor,
    *,
    u: torch.Tensor | None = None,
    baseline: float | torch.Tensor = 0.0,
) -> GradientEstimate:
    """Score-function estimate :math:`(f(b) - c)(b - \\sigma(\\ell))`; ``baseline`` :math:`c` is a number or
    one per row.

    >>> est = reinforce(lambda b: b.sum(-1), torch.zeros(4, 2), u=torch.full((4, 2), 0.75))
    >>> est.gradient
    tensor([[1., 1.],
            [1., 1.],
            [1., 1.],
            [1., 1.]])
    """
    logits = _check_logits(logits, f)
    u, _, baseline = _noise_and_baseline(logits, u, None, baseline)
    with torch.no_grad():
        b = (_logistic(logits, u) > 0).to(logits.dtype)
        values = _values(f, b)
        estimate = (values - baseline).reshape(-1, 1) * (b - torch.sigmoid(logits))
    return GradientEstimate(estimate, values)


def concrete(
    f: Objective,
    logits: torch.Tensor,
    *,
    u: torch.Tensor | None = None,
    temperature: float = 0.5,
) -> GradientEstimate:
    """Concrete (Gumbel-softmax) estimate :math:`\\nabla_\\ell f(\\sigma(z/\\lambda))`: low variance, biased.

    >>> concrete(lambda s: s.sum(-1), torch.zeros(1, 2), u=torch.full((1, 2), 0.5)).gradient
    tensor([[0.5000, 0.5000]])
    """
    logits = _check_logits(logits, f)
    temperature = _check_temperature(temperature)
    u = _uniforms(logits, u)
    with torch.enable_grad():  # the estimate is itself a gradient, also when called under no_grad
        ell = logits.detach().requires_grad_()
        soft = torch.sigmoid(_logistic(ell, u) / temperature)
        values = _values(f, soft)
        (grad,) = torch.autograd.grad(values.sum(), ell)
    return GradientEstimate(grad, values.detach())


def _relaxed_pair(
    ell: torch.Tensor, u: torch.Tensor, v: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """:math:`b = H(z)`, :math:`z` and :math:`\\tilde z \\sim p(z \\mid b)` from ``v`` (default: coupled to ``u``)."""
    z = _logistic(ell, u)
    b = (z > 0).to(ell.dtype).detach()
    return b, z, _conditional_logistic(ell, b, _coupled_uniform(ell, u) if v is None else v)


def rebar_values(
    f: Objective,
    logits: torch.Tensor,
    *,
    u: torch.Tensor | None = None,
    v: torch.Tensor | None = None,
    temperature: float | torch.Tensor = 0.5,
    hard_f: Objective | None = None,
) -> GradientEstimate:
    """:math:`f(b)` and :math:`f(\\sigma_\\lambda(\\tilde z))` per row, without gradient (``hard_f(b)``
    in place of :math:`f(b)` when given; see :func:`rebar`): the ``values`` and ``control`` that
    :func:`rebar` returns, computed before it, to build a baseline. Returned as a
    :class:`GradientEstimate` whose ``gradient`` is ``None``.

    REBAR's learning signal is :math:`f(b) - \\eta f(\\sigma_\\lambda(\\tilde z))`; a baseline
    :math:`c(x) - \\eta\\,\\tilde c(x)` built from predictions of each part stays centred while :math:`\\eta` changes.

    >>> _, hard, control = rebar_values(lambda s: s.sum(-1), torch.zeros(1, 2), u=torch.full((1, 2), 0.75))
    >>> hard
    tensor([2.])
    """
    logits = _check_logits(logits, f, hard_f)
    temperature = _check_temperature(temperature)
    u = _uniforms(logits, u)
    v = None if v is None else _uniforms(logits, v, "v")
    with torch.no_grad():
        b, _, z_tilde = _relaxed_pair(logits, u, v)
        hard = _values(f if hard_f is None else hard_f, b)
        return GradientEstimate(None, hard, _values(f, torch.sigmoid(z_tilde / temperature)))


def _relaxed_estimate(
    g: Objective,
    scale: float | torch.Tensor,
    logits: torch.Tensor,
    u: torch.Tensor,
    v: torch.Tensor | None,
    baseline: float | torch.Tensor,
    f_hard: torch.Tensor,
    create_graph: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """REBAR's and RELAX's estimate with the control :math:`c = \\mathrm{scale}\\cdot g(z)`:
    :math:`[f(b) - \\text{baseline} - c(\\tilde z)](b - \\sigma(\\ell)) + \\nabla_\\ell c(z) - \\nabla_\\ell c(\\tilde z)`,
    and :math:`g(\\tilde z)` (differentiable in what ``g`` and ``scale`` depend on when ``create_graph``)."""
    with torch.enable_grad():  # the estimate is itself a gradient, also when called under no_grad
        ell = logits.detach().requires_grad_()
        b, z, z_tilde = _relaxed_pair(ell, u, v)
        g_z, g_tilde = _values(g, z), _values(g, z_tilde)
        difference = (g_z - g_tilde).sum()
        if difference.requires_grad:
            (relaxed,) = torch.autograd.grad(difference, ell, create_graph=create_graph, allow_unused=True)
        else:  # a control that does not depend on z
            relaxed = None
        relaxed = torch.zeros_like(ell) if relaxed is None else relaxed
    score = (b - torch.sigmoid(ell)).detach()
    g_coefficient = g_tilde if create_graph else g_tilde.detach()
    estimate = (f_hard - baseline - scale * g_coefficient).reshape(-1, 1) * score + scale * relaxed
    return estimate, g_tilde


def _hard_values(f: Objective, logits: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """:math:`f(b)` at :math:`b = H(\\ell + \\ln\\frac{u}{1-u})`, without gradient."""
    with torch.no_grad():
        return _values(f, (_logistic(logits, u) > 0).to(logits.dtype))


def rebar(
    f: Objective,
    logits: torch.Tensor,
    *,
    u: torch.Tensor | None = None,
    baseline: float | torch.Tensor = 0.0,
    v: torch.Tensor | None = None,
    eta: float | torch.Tensor = 1.0,
    temperature: float | torch.Tensor = 0.5,
    hard_f: Objective | None = None,
    create_graph: bool = False,
) -> GradientEstimate:
    """REBAR estimate (see the module docstring); unbiased for every ``eta`` and ``temperature``.

    ``baseline`` (a number or one per row) is subtracted from the learning signal
    :math:`f(b) - \\eta f(\\sigma_\\lambda(\\tilde z))` (see :func:`rebar_values`), which it should predict;
    it may depend on ``eta`` (then ``create_graph`` differentiates through it).

    ``v`` are the uniforms of :math:`\\tilde z`; by default they are coupled to ``u``
    (:func:`~ardemo.coupled_uniform`), so that :math:`\\tilde z = z` in value.
    Independent ones also give an unbiased estimate.

    ``hard_f``, when given, replaces :math:`f` at the discrete sample :math:`b` only: the estimate is
    then unbiased for :math:`\\nabla_\\ell\\,\\mathbb{E}[\\mathrm{hard\\_f}(b)]`, with ``f`` a continuous
    control variate that need not equal ``hard_f`` at binary points (in a two-layer network: the
    relaxed second layer inside ``f``, the sampled one inside ``hard_f``).

    With ``create_graph=True`` the result is differentiable in ``eta`` and ``temperature``
    (tensors with ``requires_grad``), so :math:`\\sum \\hat g^2` can be minimised over them:
    since the mean does not depend on them, that minimises the variance.

    >>> est = rebar(lambda s: s.sum(-1), torch.zeros(1, 2), u=torch.full((1, 2), 0.75), eta=0.0)
    >>> est.gradient, est.values  # eta = 0: REINFORCE
    (tensor([[1., 1.]]), tensor([2.]))
    """
    logits = _check_logits(logits, f, hard_f)
    temperature = _check_temperature(temperature)
    u, v, baseline = _noise_and_baseline(logits, u, v, baseline)
    eta = _coefficient("eta", eta, logits.shape[0])
    f_hard = _hard_values(f if hard_f is None else hard_f, logits, u)
    estimate, f_tilde = _relaxed_estimate(
        lambda z: f(torch.sigmoid(z / temperature)), eta, logits, u, v, baseline, f_hard, create_graph
    )
    return GradientEstimate(estimate, f_hard, f_tilde.detach())


def relax(
    f: Objective,
    logits: torch.Tensor,
    *,
    u: torch.Tensor | None = None,
    baseline: float | torch.Tensor = 0.0,
    v: torch.Tensor | None = None,
    control: Objective,
    create_graph: bool = False,
) -> GradientEstimate:
    """RELAX estimate (Grathwohl et al. 2018) with a differentiable ``control`` :math:`c(z)` of the
    logistic sample :math:`z = \\ell + \\ln\\frac{u}{1-u}` (shape ``(batch, d)`` to ``(batch,)``):
    :math:`[f(b) - \\text{baseline} - c(\\tilde z)](b - \\sigma(\\ell)) + \\nabla_\\ell c(z) - \\nabla_\\ell c(\\tilde z)`,
    unbiased for every :math:`c`; :math:`c(z) = \\eta f(\\sigma(z/\\lambda))` is REBAR. ``f`` is only
    evaluated at :math:`b`. With ``create_graph=True`` the estimate is differentiable in the control's
    parameters, so that its squared norm (the variance, up to a constant) can be minimised over them.
    ``control`` is returned as :math:`c(\\tilde z)`.

    >>> est = relax(lambda b: b.sum(-1), torch.zeros(1, 2), u=torch.full((1, 2), 0.75), control=lambda z: 0 * z.sum(-1))
    >>> est.gradient  # a zero control: REINFORCE
    tensor([[1., 1.]])
    """
    logits = _check_logits(logits, f)
    check_callable("control", control)
    u, v, baseline = _noise_and_baseline(logits, u, v, baseline)
    f_hard = _hard_values(f, logits, u)
    estimate, c_tilde = _relaxed_estimate(control, 1.0, logits, u, v, baseline, f_hard, create_graph)
    return GradientEstimate(estimate, f_hard, c_tilde.detach())


def muprop(
    f: Objective,
    logits: torch.Tensor,
    *,
    u: torch.Tensor | None = None,
    baseline: float | torch.Tensor = 0.0,
    hard_f: Objective | None = None,
) -> GradientEstimate:
    """MuProp estimate (Gu et al. 2016; see the module docstring): REINFORCE centred by the linear
    expansion :math:`h(b) = f(\\mu) + f'(\\mu)^\\top(b - \\mu)` of a differentiable ``f`` about the mean
    :math:`\\mu = \\sigma(\\ell)` (per row), plus the exact gradient of :math:`\\mathbb{E}[h(b)] = f(\\mu)`
    with the slope held fixed. Unbiased for any ``f``, as :math:`h` is linear in :math:`b`; ``hard_f``
    (default ``f``) is the signal at the sample :math:`b` (as in :func:`rebar`), ``baseline`` is
    subtracted from the residual :math:`\\mathrm{hard\\_f}(b) - h(b)`, returned as ``values - control``.

    >>> est = muprop(lambda s: (s * torch.tensor([1.0, 2.0])).sum(-1), torch.zeros(3, 2))
    >>> est.gradient  # f linear: h = f, the estimate is exact, f'(mu) sigma'(l)
    tensor([[0.2500, 0.5000],
            [0.2500, 0.5000],
            [0.2500, 0.5000]])
    """
    logits = _check_logits(logits, f, hard_f)
    u, _, baseline = _noise_and_baseline(logits, u, None, baseline)
    values = _hard_values(f if hard_f is None else hard_f, logits, u)
    b = (_logistic(logits, u) > 0).to(logits.dtype).detach()
    with torch.enable_grad():
        mu = torch.sigmoid(logits.detach()).requires_grad_()
        f_mu = _values(f, mu)
        (slope,) = torch.autograd.grad(f_mu.sum(), mu, allow_unused=True) if f_mu.requires_grad else (None,)
    mu, slope = mu.detach(), torch.zeros_like(mu) if slope is None else slope.detach()
    control = f_mu.detach() + (slope * (b - mu)).sum(-1)
    estimate = (values - baseline - control).reshape(-1, 1) * (b - mu) + slope * mu * (1 - mu)
    return GradientEstimate(estimate, values, control)
