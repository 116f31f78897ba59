"""Relaxed (Concrete / Gumbel-softmax) samples of Bernoulli variables.

A Bernoulli variable with logit :math:`\\ell` is a two-class categorical with logits
:math:`(0, \\ell)`. Adding Gumbel noise :math:`g_0, g_1` and taking a softmax at
temperature :math:`\\lambda` gives the one-hot relaxation; its second coordinate is
:math:`\\sigma((\\ell + L)/\\lambda)` with :math:`L = g_1 - g_0 \\sim \\mathrm{Logistic}(0, 1)`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..core.validation import (
    check_binary,
    check_bool,
    check_open_unit,
    check_positive,
    check_same_shape,
    check_shape_arg,
    check_tensor,
    validate_args_default,
)


def _check_uniform(name: str, u: object, logits: object) -> None:
    """``logits`` a floating tensor and ``u`` uniforms of its shape strictly inside (0, 1)."""
    logits = check_tensor("logits", logits)
    check_same_shape(name, check_tensor(name, u), "logits", logits)
    if validate_args_default():
        check_open_unit(name, u)


def open_uniform(shape: torch.Size | tuple[int, ...], *, like: torch.Tensor) -> torch.Tensor:
    """Uniforms strictly inside :math:`(0, 1)` on ``like``'s device and dtype. ``torch.rand`` can
    return exactly 0 (in float32 once in about :math:`1.7\\times10^7` draws), where :math:`\\ln u` is infinite.

    >>> u = open_uniform((1000,), like=torch.zeros(()))
    >>> bool(((u > 0) & (u < 1)).all())
    True
    """
    shape = check_shape_arg("shape", shape)
    like = check_tensor("like", like)
    u = torch.rand(shape, device=like.device, dtype=like.dtype)
    return u.clamp_(torch.finfo(like.dtype).tiny, 1.0 - torch.finfo(like.dtype).eps)


def logistic_noise(shape: torch.Size | tuple[int, ...], *, like: torch.Tensor) -> torch.Tensor:
    """Draw :math:`L = \\ln u - \\ln(1-u)`, :math:`u \\sim U(0,1)`: the difference of two Gumbels.

    >>> logistic_noise((2, 3), like=torch.zeros((), dtype=torch.float64)).dtype
    torch.float64

    Half-precision noise is drawn in float32 and cast, so that it stays unbiased.
    """
    like = check_tensor("like", like)
    if like.dtype in (torch.float16, torch.bfloat16):
        # their uniforms are too coarse (bfloat16 has 8 bits: u = 1/2 exactly, noise 0, in 1 draw of 256):
        # drawn in float32, cast after the logs
        u = open_uniform(shape, like=like.float())
        return (torch.log(u) - torch.log1p(-u)).to(like.dtype)
    u = open_uniform(shape, like=like)
    return torch.log(u) - torch.log1p(-u)


def binary_concrete(
    logits: torch.Tensor,
    temperature: float | torch.Tensor = 1.0,
    hard: bool = False,
    noise: torch.Tensor | None = None,
) -> torch.Tensor:
    """Reparameterised relaxed Bernoulli sample :math:`\\sigma((\\ell + L)/\\lambda)` (temperature :math:`\\lambda`).

    Args:
        logits: Bernoulli logits :math:`\\ell`, any shape.
        temperature: :math:`\\lambda > 0`, a number or a tensor (broadcast against ``logits``; its gradient
            flows, as in ``torch.distributions.RelaxedBernoulli``); as :math:`\\lambda \\to 0` samples approach 0/1.
        hard: if true, return the exact Bernoulli sample :math:`H(\\ell + L)` (0 or 1)
            whose gradient is the relaxed sample's (straight-through).
        noise: logistic noise :math:`L` to use instead of fresh draws (same shape as logits).

    Returns:
        A tensor shaped like ``logits``, differentiable with respect to ``logits``.

    >>> binary_concrete(torch.zeros(3), temperature=0.5, noise=torch.zeros(3))
    tensor([0.5000, 0.5000, 0.5000])
    >>> binary_concrete(torch.tensor([2.0]), hard=True, noise=torch.zeros(1))
    tensor([1.])
    """
    logits = check_tensor("logits", logits)
    temperature = check_positive("temperature", temperature)
    check_bool("hard", hard)
    if noise is None:
        noise = logistic_noise(logits.shape, like=logits)
    else:
        check_same_shape("noise", check_tensor("noise", noise), "logits", logits)
    z = logits + noise
    soft = torch.sigmoid(z / temperature)
    if not hard:
        return soft
    # exactly 0/1 in value; d/dlogits is that of `soft`
    return (z > 0).to(soft.dtype) + (soft - soft.detach())


def logistic(logits: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """:math:`z = \\ell + \\ln u - \\ln(1-u) \\sim \\mathrm{Logistic}(\\ell, 1)`; :math:`H(z) \\sim \\mathrm{Bernoulli}(\\sigma(\\ell))`.

    >>> logistic(torch.zeros(2), torch.tensor([0.5, 0.75]))
    tensor([0.0000, 1.0986])
    """
    _check_uniform("u", u, logits)
    return _logistic(logits, u)


def _logistic(logits: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """:func:`logistic` without checks (the estimators check ``u`` once)."""
    return logits + torch.log(u) - torch.log1p(-u)


def muprop_relaxation(z: torch.Tensor, logits: torch.Tensor, temperature: float | torch.Tensor) -> torch.Tensor:
    """The relaxation of REBAR's official code (Tucker et al. 2017, Section 3.2), in place of :math:`\\sigma(z/\\lambda)`:

    .. math:: \\sigma_\\lambda^{\\mathrm{MP}}(z) = \\sigma\\Big(\\frac{z}{\\lambda} + \\frac{\\lambda}{\\lambda + 1}\\,\\ell\\Big),
       \\qquad z = \\ell + \\ln\\tfrac{u}{1-u}.

    Its threshold stays at :math:`z = 0` only in the limit :math:`\\lambda \\to 0`, where it becomes :math:`H(z)`;
    the extra :math:`\\ell` term pulls the relaxed value towards the mean :math:`\\sigma(\\ell)`, as in MuProp's
    expansion about the mean. ``temperature`` may be a tensor that carries a gradient.

    >>> z, ell = torch.tensor([0.4]), torch.tensor([1.0])
    >>> muprop_relaxation(z, ell, 0.5), torch.sigmoid(z / 0.5 + ell / 3)
    (tensor([0.7565]), tensor([0.7565]))
    """
    z, logits = check_tensor("z", z), check_tensor("logits", logits)
    check_same_shape("z", z, "logits", logits)
    return _muprop_relaxation(z, logits, check_positive("temperature", temperature))


def _muprop_relaxation(z: torch.Tensor, logits: torch.Tensor, temperature: float | torch.Tensor) -> torch.Tensor:
    """:func:`muprop_relaxation` without checks."""
    return torch.sigmoid(z / temperature + logits * (temperature / (temperature + 1)))


def coupled_uniform(logits: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """The uniform :math:`v` of :math:`z \\mid b` that the same :math:`u` implies.

    With :math:`\\theta = \\sigma(\\ell)`, :math:`b = 1` iff :math:`u > 1-\\theta`; then
    :math:`v = (u - (1-\\theta))/\\theta`, else :math:`v = u/(1-\\theta)`. Given :math:`b`, :math:`v` is
    uniform on :math:`(0,1)`, and :func:`conditional_logistic` maps it back to :math:`z` itself.
    The result carries no gradient: :math:`v` is noise.

    >>> coupled_uniform(torch.zeros(1), torch.tensor([0.75]))  # theta = 1/2, b = 1
    tensor([0.5000])
    """
    _check_uniform("u", u, logits)
    return _coupled_uniform(logits, u)


def _coupled_uniform(logits: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """:func:`coupled_uniform` without checks."""
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

    >>> ell, u = torch.tensor([0.3]), torch.tensor([0.8])
    >>> z = logistic(ell, u)
    >>> torch.allclose(conditional_logistic(ell, (z > 0).float(), coupled_uniform(ell, u)), z)
    True
    """
    _check_uniform("v", v, logits)
    b = check_same_shape("b", check_tensor("b", b), "logits", logits)
    if validate_args_default():
        check_binary("b", b)
    return _conditional_logistic(logits, b, v)


def _conditional_logistic(logits: torch.Tensor, b: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """:func:`conditional_logistic` without checks."""
    log_ratio = torch.log(v) - torch.log1p(-v)
    positive = F.softplus(log_ratio + F.softplus(logits))  # ln(1 + v / ((1 - v)(1 - theta)))
    negative = -F.softplus(F.softplus(-logits) - log_ratio)  # -ln(1 + (1 - v) / (v theta))
    return torch.where(b > 0.5, positive, negative)
