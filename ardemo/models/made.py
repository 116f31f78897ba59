"""MADE: a masked autoencoder whose hidden layers may be wider than the data (Germain et al. 2015).

The width-:math:`n` masked model of :mod:`ardemo.models.autoregressive` gives output :math:`i` a
hidden unit per earlier site. MADE instead gives every hidden unit :math:`k` of layer :math:`l` a
*degree* :math:`m^l(k) \\in \\{1, \\dots, n-1\\}`, the number of leading sites (in the ordering) it may
depend on, and masks each weight matrix by the **degree rule**

.. math::

    M^l_{k,d} = \\mathbb{1}\\big[m^l(k) \\ge m^{l-1}(d)\\big] \\quad\\text{(hidden layers)}, \\qquad
    M^\\text{out}_{i,k} = \\mathbb{1}\\big[m^0(i) > m^L(k)\\big] \\quad\\text{(output)},

where :math:`m^0(i)` is the position of site :math:`i` in the ordering (1 to :math:`n`). A path from
input :math:`j` to output :math:`i` exists only through degrees that never decrease and end below
:math:`m^0(i)`, so the logit of site :math:`i` depends only on the sites before it in the ordering:
:math:`q(x) = \\prod_i q(x_{o_i} \\mid x_{o_{<i}})` is normalised for any width, depth and ordering.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..core.validation import check_int
from ..distributions.bernoulli import _bernoulli_log_prob
from .autoregressive import BinarySites, _activation


class MaskedLinear(nn.Linear):
    """``nn.Linear`` whose weight is multiplied by a fixed 0/1 ``mask`` (a buffer, shape ``(out, in)``)."""

    def __init__(self, mask: torch.Tensor) -> None:
        out_features, in_features = mask.shape
        super().__init__(in_features, out_features)
        self.register_buffer("mask", mask.to(self.weight.dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


def _ordering(features: int, ordering: str | Sequence[int] | torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    if isinstance(ordering, str):
        if ordering == "natural":
            return torch.arange(features)
        if ordering == "random":
            return torch.randperm(features, generator=generator)
        raise ValueError(
            f"ordering: expected 'natural', 'random' or a permutation of range({features}), got {ordering!r}"
        )
    order = torch.as_tensor(ordering)
    if (
        order.dtype.is_floating_point
        or order.shape != (features,)
        or not torch.equal(order.sort().values, torch.arange(features))
    ):
        raise ValueError(f"ordering: expected a permutation of range({features}), got {ordering!r}")
    return order.long()


class MADE(BinarySites):
    """Autoregressive Bernoulli distribution over :math:`\\{0,1\\}^n` with MADE's masked hidden layers.

    Args:
        features: number of binary sites :math:`n` (at least 2).
        hidden: widths of the hidden layers (each at least :math:`n - 1`, so every degree appears).
        ordering: ``"natural"`` (site 0 first), ``"random"``, or a permutation of ``range(n)``: the
            order in which the product of conditionals runs.
        degrees: ``"cyclic"`` (hidden unit :math:`k` of the first layer gets degree
            :math:`1 + (k \\bmod (n-1))`, later layers likewise from the previous layer's minimum) or
            ``"random"`` (uniform in the allowed range, as in the paper).
        nonlinearity: the ``torch.nn`` activation between layers.
        seed: seeds the random ordering and degrees (the masks are fixed at construction).

    >>> model = MADE(4, [10, 10], ordering=[2, 0, 3, 1])
    >>> from ardemo import all_configurations
    >>> round(float(model.log_prob(all_configurations(4)).detach().exp().sum()), 6)  # normalised
    1.0
    >>> model.sample((3,)).shape
    torch.Size([3, 4])
    """

    def __init__(
        self,
        features: int,
        hidden: Sequence[int] = (100,),
        ordering: str | Sequence[int] | torch.Tensor = "natural",
        degrees: str = "cyclic",
        nonlinearity: str = "ReLU",
        seed: int = 0,
        validate_args: bool | None = None,
    ) -> None:
        super().__init__(validate_args)
        self.features = check_int("features", features, minimum=2)
        if isinstance(hidden, (int, str)) or not isinstance(hidden, Sequence) or not hidden:
            raise TypeError(f"hidden: expected a non-empty list of layer widths, got {hidden!r}")
        widths = [check_int("hidden", h, minimum=self.features - 1) for h in hidden]
        if degrees not in ("cyclic", "random"):
            raise ValueError(f"degrees: expected 'cyclic' or 'random', got {degrees!r}")
        generator = torch.Generator().manual_seed(check_int("seed", seed, minimum=0))
        self.activation = _activation(nonlinearity)
        order = _ordering(self.features, ordering, generator)
        self.register_buffer("ordering", order)
        self._order = order.tolist()  # for the sampler's loop, read once here (no host reads while sampling)
        position = torch.empty(self.features, dtype=torch.long)
        position[order] = torch.arange(1, self.features + 1)  # m^0(i): site i's place in the ordering
        self.register_buffer("input_degrees", position)
        previous, layers, self.hidden_degrees = position, [], []
        for width in widths:
            low = int(previous.min()) if previous is not position else 1
            span = self.features - low  # degrees in {low, ..., n - 1}
            if degrees == "cyclic":
                m = low + torch.arange(width) % span
            else:
                m = torch.randint(low, self.features, (width,), generator=generator)
            layers.append(MaskedLinear((m[:, None] >= previous[None, :]).long()))
            self.hidden_degrees.append(m)
            previous = m
        layers.append(MaskedLinear((position[:, None] > previous[None, :]).long()))
        self.layers = nn.ModuleList(layers)

    def extra_repr(self) -> str:
        widths = [layer.out_features for layer in self.layers[:-1]]
        return f"features={self.features}, hidden={widths}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of every conditional, shape ``x.shape``: logit :math:`i` sees the sites before :math:`i`
        in the ordering only."""
        h = x
        for layer in self.layers[:-1]:
            h = self.activation(layer(h))
        return self.layers[-1](h)

    def _log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`\\ln q(x) = \\sum_i x_i f_i - \\mathrm{softplus}(f_i)`, one pass of the network."""
        return _bernoulli_log_prob(x, self(x))

    def _sample(self, n: int) -> torch.Tensor:
        """``n`` configurations, site by site in the ordering: :math:`n` passes of the network."""
        weight = self.layers[0].weight
        x = torch.zeros(n, self.features, device=weight.device, dtype=weight.dtype)
        u = torch.rand(n, self.features, device=weight.device, dtype=weight.dtype)
        for i in self._order:
            x[:, i] = (u[:, i] < torch.sigmoid(self(x)[:, i])).to(x.dtype)
        return x
