"""Autoregressive Bernoulli models built from causally masked linear layers.

:math:`q(x) = \\prod_{i=1}^{n} q(x_i \\mid x_{<i})`, each conditional a Bernoulli whose logit
is computed by a network that may look only at earlier sites.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..core.validation import (
    check_binary,
    check_bool,
    check_int,
    check_last_dim,
    check_positive,
    check_tensor,
)
from ..distributions.base import ProbabilisticModel, SampleShape, as_sample_shape
from ..distributions.bernoulli import _bernoulli_log_prob
from ..distributions.relaxed import binary_concrete


class AutoregressiveLinear(nn.Linear):
    """Linear layer :math:`y = \\mathrm{tril}(W, d)\\,x + b`: output :math:`i` sees inputs :math:`j \\le i + d`.

    ``diagonal = -1`` makes the layer strictly causal (:math:`y_i` depends on :math:`x_{<i}`),
    ``diagonal = 0`` lets :math:`y_i` also see :math:`x_i`. The upper part of ``weight`` is
    never used and receives zero gradient.

    >>> layer = AutoregressiveLinear(3, 3, diagonal=-1)
    >>> float(layer.masked_weight.detach().triu().abs().sum())  # strictly lower triangular
    0.0
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        diagonal: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        in_features = check_int("in_features", in_features, minimum=1)
        out_features = check_int("out_features", out_features, minimum=1)
        bias = check_bool("bias", bias)
        super().__init__(in_features, out_features, bias=bias, device=device, dtype=dtype)
        self.diagonal = check_int("diagonal", diagonal)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, diagonal={self.diagonal}"

    @property
    def masked_weight(self) -> torch.Tensor:
        """The weight actually applied, :math:`\\mathrm{tril}(W, d)`."""
        return torch.tril(self.weight, self.diagonal)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_last_dim("x", check_tensor("x", x), self.in_features, "input features")
        return F.linear(x, self.masked_weight, self.bias)

    def visible(self, i: int) -> int:
        """How many leading inputs output ``i`` depends on: :math:`\\min(n_\\text{in}, \\max(0, i + d + 1))`."""
        return min(self.in_features, max(0, i + self.diagonal + 1))

    def forward_at(self, x: torch.Tensor, i: int) -> torch.Tensor:
        """Only output ``i``: :math:`y_i = \\sum_{j \\le i+d} W_{ij} x_j + b_i`, shape ``x.shape[:-1]``.

        Costs one pass over the visible inputs instead of a full matrix product, which is
        what makes site-by-site sampling cheap.
        """
        check_last_dim("x", check_tensor("x", x), self.in_features, "input features")
        i = check_int("i", i, minimum=0, maximum=self.out_features - 1)
        k = self.visible(i)
        y = x[..., :k] @ self.weight[i, :k]
        return y if self.bias is None else y + self.bias[i]

    def _row_program(self) -> list[tuple[int, torch.Tensor, torch.Tensor]]:
        """For each output ``i``: (visible inputs ``k``, weight row ``W[i, :k]``, bias ``b_i``), for the sampler."""
        bias = self.bias if self.bias is not None else self.weight.new_zeros(self.out_features)
        return [(self.visible(i), self.weight[i, : self.visible(i)], bias[i]) for i in range(self.out_features)]


_NONLINEARITIES = ("ReLU", "Tanh", "ELU", "GELU", "SiLU", "Sigmoid", "Softplus", "LeakyReLU")


def _activation(name: object) -> nn.Module:
    if not isinstance(name, str):
        raise TypeError(f"nonlinearity: expected the name of a torch.nn activation, got {type(name).__name__}")
    if name not in _NONLINEARITIES:
        raise ValueError(f"nonlinearity: expected one of {', '.join(_NONLINEARITIES)}, got {name!r}")
    return getattr(nn, name)()


class BinarySites(ProbabilisticModel):
    """Shared by the autoregressive models: events are ``features`` binary sites, ``x`` in :math:`\\{0,1\\}^n`."""

    features: int

    @property
    def event_shape(self) -> torch.Size:
        return torch.Size([self.features])

    def _check_support(self, name: str, x: torch.Tensor) -> None:
        check_binary(name, check_tensor(name, x))


class AutoregressiveModel(BinarySites):
    """Autoregressive Bernoulli distribution over :math:`\\{0,1\\}^n`.

    :math:`\\ln q(x) = \\sum_i x_i \\ln\\sigma(f_i) + (1-x_i)\\ln(1-\\sigma(f_i))`, where the logits
    :math:`f = f(x)` come from ``depth`` masked layers of width ``features``: the first
    strictly causal (``diagonal=-1``), the rest ``diagonal=0``, with ``nonlinearity``
    between them. So :math:`f_i` depends on :math:`x_{<i}` only.

    Args:
        features: number of binary sites :math:`n`.
        depth: number of masked linear layers.
        nonlinearity: name of the ``torch.nn`` activation between layers (default ``"ReLU"``).
        validate_args: check inputs of :meth:`~ardemo.ProbabilisticModel.log_prob` (default: the library's setting).

    >>> model = AutoregressiveModel(3, depth=2)
    >>> model.sample((4, 2)).shape
    torch.Size([4, 2, 3])
    >>> from ardemo import all_configurations
    >>> round(float(model.log_prob(all_configurations(3)).detach().exp().sum()), 6)  # normalised
    1.0
    """

    def __init__(
        self, features: int, depth: int = 1, nonlinearity: str = "ReLU", validate_args: bool | None = None
    ) -> None:
        super().__init__(validate_args)
        self.features = check_int("features", features, minimum=1)
        depth = check_int("depth", depth, minimum=1)
        self.activation = _activation(nonlinearity)
        self.layers = nn.ModuleList(
            AutoregressiveLinear(self.features, self.features, diagonal=-1 if l == 0 else 0) for l in range(depth)
        )

    @property
    def depth(self) -> int:
        """The number of masked layers."""
        return len(self.layers)

    def extra_repr(self) -> str:
        return f"features={self.features}, depth={self.depth}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits :math:`f_i(x_{<i})` of every conditional, shape ``x.shape``."""
        h = x
        for l, layer in enumerate(self.layers):
            h = layer(h)
            if l < self.depth - 1:
                h = self.activation(h)
        return h

    def _log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`\\ln q(x) = \\sum_i x_i f_i - \\mathrm{softplus}(f_i)`."""
        return _bernoulli_log_prob(x, self(x))

    def _autoregress(self, n: int, draw: Callable[[int, torch.Tensor], torch.Tensor]) -> torch.Tensor:
        """Fill sites one at a time, computing only row ``i`` of every layer at step ``i``.

        Activations are stored site-major, ``(features, n)``, so the rows a step reads are
        contiguous. Without autograd the buffers are written in place; with autograd (for
        :meth:`relaxed_sample`) rows are written out of place so the graph stays valid.
        """
        n = check_int("n", n, minimum=1)
        w = self.layers[0].weight
        acts = [w.new_zeros(self.features, n) for _ in range(self.depth + 1)]
        track = torch.is_grad_enabled()

        def put(buffer: torch.Tensor, i: int, row: torch.Tensor) -> torch.Tensor:
            if not track:
                buffer[i] = row
                return buffer
            return torch.cat([buffer[:i], row.unsqueeze(0), buffer[i + 1 :]])

        programs = [layer._row_program() for layer in self.layers]  # weight rows, sliced once
        last = self.depth - 1
        for i in range(self.features):
            for l in range(self.depth):
                k, w, b = programs[l][i]
                h = torch.addmv(b, acts[l][:k].T, w) if k else b.expand(n)  # row i of layer l
                if l < last:
                    h = self.activation(h)
                acts[l + 1] = put(acts[l + 1], i, h)
            acts[0] = put(acts[0], i, draw(i, h))
        return acts[0].T.contiguous()

    def _sample(self, n: int) -> torch.Tensor:
        """``n`` configurations :math:`x \\sim q`; one network pass in total (row by row), not one per site."""
        u = torch.rand(self.features, n, device=self.layers[0].weight.device)  # one draw for all sites
        return self._autoregress(n, lambda i, logits: (u[i] < torch.sigmoid(logits)).to(logits.dtype))

    def relaxed_sample(
        self, sample_shape: SampleShape = torch.Size(), temperature: float | torch.Tensor = 1.0, hard: bool = False
    ) -> torch.Tensor:
        """Relaxed samples, shape ``sample_shape + (features,)``, differentiable in the parameters (and in a
        tensor ``temperature``).

        Each site is drawn from its binary Concrete (two-class Gumbel-softmax) relaxation
        :math:`\\sigma((f_i + L_i)/\\lambda)` at ``temperature`` :math:`\\lambda` and fed to the later
        conditionals. These are **not** samples of :math:`q`: the values lie in :math:`(0, 1)` (which
        :meth:`~ardemo.ProbabilisticModel.log_prob` rejects), and the later sites are drawn given relaxed earlier ones, so the pathwise
        gradient of :math:`\\mathbb{E}[g]` is biased for :math:`\\nabla\\mathbb{E}_q[g]` at every
        :math:`\\lambda > 0`. That is why the model has no ``rsample`` (``has_rsample`` is False). With
        ``hard=True`` the values are exact 0/1 samples of :math:`q` whose gradient is the relaxed one
        (straight-through), biased too.
        """
        temperature = check_positive("temperature", temperature)
        hard = check_bool("hard", hard)
        shape = as_sample_shape(sample_shape)
        n = max(1, math.prod(shape))
        x = self._autoregress(n, lambda i, logits: binary_concrete(logits, temperature, hard=hard))
        return x[: math.prod(shape)].reshape(*shape, self.features)

    def rsample(self, sample_shape: SampleShape = torch.Size(), **kwargs) -> torch.Tensor:
        """Not available: there is no reparameterised sampler of a discrete :math:`q` (see :meth:`relaxed_sample`)."""
        raise NotImplementedError(
            "AutoregressiveModel has no reparameterised sampler (has_rsample is False); "
            "relaxed_sample(shape, temperature, hard) draws from its Concrete relaxation instead"
        )
