"""A mixture of factorised Bernoulli distributions, the oldest baseline of binarised-image density estimation.

.. math::

    p(x) = \\sum_{k=1}^{K} \\pi_k \\prod_{i=1}^{n} \\sigma(\\ell_{ki})^{x_i}\\,\\sigma(-\\ell_{ki})^{1-x_i},
    \\qquad \\pi = \\mathrm{softmax}(a),

exact to evaluate (one matrix product and a log-sum-exp) and to sample (a component, then independent
pixels). It is fitted by expectation–maximisation (:func:`ardemo.learning.em.em_step`), which needs no
learning rate: the reason it is a fair bridge between a published setting and ours.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ..core.validation import check_binary, check_finite, check_int, check_tensor
from ..distributions.base import ProbabilisticModel
from ..distributions.bernoulli import _pairwise_bernoulli_log_prob


class BernoulliMixture(ProbabilisticModel):
    """:math:`p(x) = \\sum_k \\pi_k \\prod_i \\mathrm{Bernoulli}(x_i; \\sigma(\\ell_{ki}))` with component
    logits ``logits`` (shape ``(K, n)``) and mixing logits ``mixing`` (shape ``(K,)``, default uniform).

    >>> model = BernoulliMixture(torch.zeros(3, 4))
    >>> model.sample((2, 5)).shape, model.log_prob(torch.ones(4))
    (torch.Size([2, 5, 4]), tensor(-2.7726, grad_fn=<ViewBackward0>))
    """

    def __init__(
        self, logits: torch.Tensor, mixing: torch.Tensor | None = None, validate_args: bool | None = None
    ) -> None:
        super().__init__(validate_args)
        logits = check_tensor("logits", logits)
        if logits.dim() != 2 or logits.shape[0] == 0 or logits.shape[1] == 0:
            raise ValueError(f"logits: expected shape (components, n) with both > 0, got {tuple(logits.shape)}")
        check_finite("logits", logits)
        if mixing is None:
            mixing = torch.zeros(logits.shape[0], dtype=logits.dtype, device=logits.device)
        mixing = check_tensor("mixing", mixing)
        if mixing.shape != logits.shape[:1]:
            raise ValueError(
                f"mixing: expected shape ({logits.shape[0]},), one logit per component, got {tuple(mixing.shape)}"
            )
        check_finite("mixing", mixing)
        self.logits = nn.Parameter(logits.detach().clone())
        self.mixing = nn.Parameter(mixing.detach().clone().to(logits.dtype))

    @classmethod
    def random_init(
        cls, data: torch.Tensor, components: int, generator: torch.Generator | None = None, **kwargs
    ) -> "BernoulliMixture":
        """Components at the data's pixel means, each pixel's probability moved at random by up to
        ±0.25 of the way to 0 or 1 (EM cannot separate identical components), clamped to [0.01, 0.99]."""
        data = check_binary("data", check_tensor("data", data))
        if data.dim() != 2 or data.shape[0] == 0:
            raise ValueError(f"data: expected a non-empty (N, n) tensor, got shape {tuple(data.shape)}")
        components = check_int("components", components, minimum=1)
        # drawn and mixed on the CPU in float64 on purpose: the same seed gives the same start on every
        # device and dtype (a CUDA generator's stream differs), then moved to the data's device
        u = torch.rand(components, data.shape[1], generator=generator, dtype=torch.float64)
        probs = (data.double().cpu().mean(0) + 0.5 * (u - 0.5)).clamp(0.01, 0.99)
        return cls(torch.logit(probs).to(data.dtype).to(data.device), **kwargs)

    @property
    def event_shape(self) -> torch.Size:
        return torch.Size([self.logits.shape[1]])

    @property
    def components(self) -> int:
        return self.logits.shape[0]

    def extra_repr(self) -> str:
        return f"components={self.logits.shape[0]}, n={self.logits.shape[1]}"

    def _check_support(self, name: str, x: torch.Tensor) -> None:
        check_binary(name, x)

    def joint_log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`\\ln \\pi_k + \\ln p(x \\mid k)` for every event and component, shape ``(..., K)``."""
        with self.own_validation():
            x = self.check_event("x", x)
            flat = x.reshape(-1, self.logits.shape[1])
            out = torch.log_softmax(self.mixing, 0) + _pairwise_bernoulli_log_prob(flat, self.logits)
            return out.reshape(*x.shape[:-1], self.logits.shape[0])

    def _log_prob(self, x: torch.Tensor) -> torch.Tensor:
        joint = torch.log_softmax(self.mixing, 0) + _pairwise_bernoulli_log_prob(x, self.logits)
        return torch.logsumexp(joint, -1)

    def _sample(self, n: int) -> torch.Tensor:
        k = torch.multinomial(torch.softmax(self.mixing, 0), n, replacement=True)
        u = torch.rand(n, self.logits.shape[1], device=self.logits.device, dtype=self.logits.dtype)
        return (u < torch.sigmoid(self.logits[k])).to(self.logits.dtype)
