"""Relaxed (Concrete / Gumbel-softmax) samples of Bernoulli variables.

A Bernoulli variable with logit :math:`\\ell` is a two-class categorical with logits
:math:`(0, \\ell)`. Adding Gumbel noise :math:`g_0, g_1` and taking a softmax at
temperature :math:`\\tau` gives the one-hot relaxation; its second coordinate is
:math:`\\sigma((\\ell + L)/\\tau)` with :math:`L = g_1 - g_0 \\sim \\mathrm{Logistic}(0, 1)`.
"""

from __future__ import annotations

import torch

from ._validation import check_positive_float, check_tensor


def open_uniform(shape: torch.Size | tuple[int, ...], *, like: torch.Tensor) -> torch.Tensor:
    """Uniforms strictly inside :math:`(0, 1)` on ``like``'s device and dtype. ``torch.rand`` can
    return exactly 0 (in float32 once in about :math:`1.7\\times10^7` draws), where :math:`\\ln u` is infinite."""
    u = torch.rand(shape, device=like.device, dtype=like.dtype)
    return u.clamp_(torch.finfo(like.dtype).tiny, 1.0 - torch.finfo(like.dtype).eps)


def logistic_noise(shape: torch.Size | tuple[int, ...], *, like: torch.Tensor) -> torch.Tensor:
    """Draw :math:`L = \\ln u - \\ln(1-u)`, :math:`u \\sim U(0,1)`: the difference of two Gumbels."""
    u = open_uniform(shape, like=like)
    return torch.log(u) - torch.log1p(-u)


def binary_concrete(
    logits: torch.Tensor,
    temperature: float = 1.0,
    hard: bool = False,
    noise: torch.Tensor | None = None,
) -> torch.Tensor:
    """Reparameterised relaxed Bernoulli sample :math:`\\sigma((\\ell + L)/\\tau)`.

    Args:
        logits: Bernoulli logits :math:`\\ell`, any shape.
        temperature: :math:`\\tau > 0`; as :math:`\\tau \\to 0` samples approach 0/1.
        hard: if true, return the exact Bernoulli sample :math:`H(\\ell + L)` (0 or 1)
            whose gradient is the relaxed sample's (straight-through).
        noise: logistic noise :math:`L` to use instead of fresh draws (same shape as logits).

    Returns:
        A tensor shaped like ``logits``, differentiable with respect to ``logits``.
    """
    logits = check_tensor("logits", logits)
    temperature = check_positive_float("temperature", temperature)
    if noise is None:
        noise = logistic_noise(logits.shape, like=logits)
    elif noise.shape != logits.shape:
        raise ValueError(f"noise: expected shape {tuple(logits.shape)} like logits, got {tuple(noise.shape)}")
    z = logits + noise
    soft = torch.sigmoid(z / temperature)
    if not hard:
        return soft
    # exactly 0/1 in value; d/dlogits is that of `soft`
    return (z > 0).to(soft.dtype) + (soft - soft.detach())
