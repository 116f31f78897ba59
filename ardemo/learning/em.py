"""Expectation–maximisation for :class:`~ardemo.BernoulliMixture`.

One step, for data :math:`x_1, \\dots, x_N`:

.. math::

    r_{tk} = \\frac{\\pi_k\\, p(x_t \\mid k)}{\\sum_j \\pi_j\\, p(x_t \\mid j)}, \\qquad
    \\pi_k \\leftarrow \\frac{\\sum_t r_{tk} + \\alpha}{N + K\\alpha}, \\qquad
    \\mu_{ki} \\leftarrow \\frac{\\sum_t r_{tk} x_{ti} + \\alpha}{\\sum_t r_{tk} + 2\\alpha},

the maximum a posteriori update under a symmetric Beta/Dirichlet prior of strength ``alpha > 0`` (which
keeps every probability away from 0 and 1, so a held-out image never gets :math:`\\ln 0`; with
``alpha = 0``, maximum likelihood, a pixel constant in a component's share of the data would). No step
lowers the log posterior, the training log-likelihood plus the prior's log-density.
"""

from __future__ import annotations

import torch

from ..core.validation import check_binary, check_real, check_tensor
from ..models.bernoulli_mixture import BernoulliMixture


def _check(model: object, data: object) -> torch.Tensor:
    if not isinstance(model, BernoulliMixture):
        raise TypeError(f"model: expected an ardemo.BernoulliMixture, got {type(model).__name__}")
    data = check_tensor("data", data)
    if data.dim() != 2 or data.shape[1] != model.event_shape[0] or data.shape[0] == 0:
        raise ValueError(
            f"data: expected a non-empty (N, {model.event_shape[0]}) tensor, got shape {tuple(data.shape)}"
        )
    return check_binary("data", data).to(model.dtype)


@torch.no_grad()
def em_step(model: BernoulliMixture, data: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """One EM step on ``data`` (shape ``(N, n)``, binary), in place; returns the mean training
    :math:`\\ln p(x)` *before* the step (a 0-dim tensor: the E step computes it for free).

    >>> from ardemo import BernoulliMixture
    >>> data = torch.tensor([[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    >>> model = BernoulliMixture(torch.tensor([[1.0, 1.0], [-1.0, -1.0]]))
    >>> before = em_step(model, data, alpha=1e-3)  # a weak prior: the likelihood itself rises
    >>> bool(model.log_prob(data).mean() > before)
    True
    """
    data = _check(model, data)
    alpha = check_real("alpha", alpha, minimum=0.0, strict=True)
    joint = model.joint_log_prob(data)  # (N, K)
    log_p = torch.logsumexp(joint, -1, keepdim=True)
    r = torch.exp(joint - log_p)  # responsibilities
    counts = r.sum(0)  # (K,)
    means = (r.T @ data + alpha) / (counts[:, None] + 2 * alpha)
    weights = (counts + alpha) / (data.shape[0] + model.components * alpha)
    model.logits.copy_(torch.logit(means))
    model.mixing.copy_(weights.log())
    return log_p.mean()
