"""Sigmoid belief networks with one or more layers of binary latent units.

Layers are numbered from the data up: :math:`b_1` sits above :math:`x`, :math:`b_L` at the top.
:math:`p(b_L) = \\prod_j \\mathrm{Bernoulli}(\\sigma(a_j))`, :math:`p(b_{k} \\mid b_{k+1})` and
:math:`p(x \\mid b_1)` are Bernoulli with logits :math:`g_k(b_{k+1})`; the recognition network runs the
other way, :math:`q(b_1 \\mid x)\\,q(b_2 \\mid b_1)\\cdots`, with logits :math:`h_k`. Each :math:`g_k, h_k` is
linear or a network of tanh hidden layers (Tucker et al.'s nonlinear SBN: two of 200 units). The ELBO :math:`\\mathbb{E}_q[f]`,
:math:`f = \\ln p(x, b) - \\ln q(b \\mid x)`, bounds :math:`\\ln p(x)`; both are exact by enumeration,
summing one layer at a time, for up to 20 units per layer.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import torch
import torch.nn as nn

from ..core.enumeration import all_configurations, check_enumerable
from ..core.validation import check_binary, check_int, check_last_dim, check_tensor
from ..distributions.base import ProbabilisticModel
from ..distributions.bernoulli import _bernoulli_log_prob, _pairwise_bernoulli_log_prob

MAX_ENUMERATION_NUMBERS = 2**26
"""At most this many numbers held at once by an exact sum over a layer's states (256 MB in float32)."""


def _max_states_bits(width: int) -> int:
    return max(0, (MAX_ENUMERATION_NUMBERS // max(width, 1)).bit_length() - 1)


def _net(n_in: int, n_out: int, hidden: tuple[int, ...]) -> nn.Module:
    """Linear, or tanh layers of the widths ``hidden`` and then a linear output."""
    if not hidden:
        return nn.Linear(n_in, n_out)
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(n_in, width), nn.Tanh()]
        n_in = width
    return nn.Sequential(*layers, nn.Linear(n_in, n_out))


def _hidden_widths(hidden: object) -> tuple[int, ...]:
    if hidden is None:
        return ()
    if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
        hidden = (hidden,)
    if not isinstance(hidden, Sequence) or isinstance(hidden, str):
        raise TypeError(f"hidden: expected None, an integer or a sequence of integers, got {hidden!r}")
    return tuple(check_int(f"hidden[{k}]", h, minimum=1) for k, h in enumerate(hidden))


def _latent_sizes(n_latent: object) -> tuple[int, ...]:
    if isinstance(n_latent, numbers.Integral) and not isinstance(n_latent, bool):
        n_latent = (n_latent,)
    if not isinstance(n_latent, Sequence) or len(n_latent) == 0:
        raise TypeError(f"n_latent: expected an integer or a non-empty sequence of integers, got {n_latent!r}")
    return tuple(check_int(f"n_latent[{k}]", d, minimum=1) for k, d in enumerate(n_latent))


class SigmoidBeliefNetwork(ProbabilisticModel):
    """SBN with its recognition network.

    Args:
        n_visible: pixels.
        n_latent: binary latent units: an integer for one layer, or one integer per layer from the
            data up, e.g. ``(10, 10)`` for two layers.
        hidden: ``None`` for linear maps, or the widths of the tanh hidden layers in every map (an
            integer for one layer).
        data_mean: pixel means to start the decoder's output bias at their logits.
        validate_args: check that inputs are binary (default: the library's setting).

    >>> model = SigmoidBeliefNetwork(4, (3, 2))
    >>> x = model.sample((2, 5))
    >>> x.shape, model.log_prob(x).shape
    (torch.Size([2, 5, 4]), torch.Size([2, 5]))
    >>> bool((model.exact_elbo(x) <= model.log_prob(x) + 1e-5).all())
    True
    """

    def __init__(
        self,
        n_visible: int,
        n_latent: int | Sequence[int],
        hidden: int | Sequence[int] | None = None,
        data_mean: torch.Tensor | None = None,
        validate_args: bool | None = None,
    ) -> None:
        super().__init__(validate_args)
        self.n_visible = check_int("n_visible", n_visible, minimum=1)
        self.latent_sizes = _latent_sizes(n_latent)
        self.n_layers = len(self.latent_sizes)
        self.n_latent = sum(self.latent_sizes)
        self.hidden = hidden = _hidden_widths(hidden)
        below = (self.n_visible, *self.latent_sizes[:-1])
        self.encoders = nn.ModuleList(_net(n_in, d, hidden) for n_in, d in zip(below, self.latent_sizes))
        self.decoders = nn.ModuleList(_net(d, n_out, hidden) for n_out, d in zip(below, self.latent_sizes))
        self.prior_logits = nn.Parameter(torch.zeros(self.latent_sizes[-1]))
        if data_mean is not None:
            mean = check_last_dim("data_mean", check_tensor("data_mean", data_mean), self.n_visible, "pixels")
            if not bool(((mean >= 0) & (mean <= 1)).all()):
                raise ValueError("data_mean: expected pixel means in [0, 1]")
            with torch.no_grad():
                out = self.decoder[-1] if hidden else self.decoder
                out.bias.copy_(torch.logit(mean.clamp(0.001, 0.999)))

    @property
    def encoder(self) -> nn.Module:
        """The first recognition map, :math:`x \\mapsto` logits of :math:`q(b_1 \\mid x)`."""
        return self.encoders[0]

    @property
    def decoder(self) -> nn.Module:
        """The last generative map, :math:`b_1 \\mapsto` logits of :math:`p(x \\mid b_1)`."""
        return self.decoders[0]

    @property
    def event_shape(self) -> torch.Size:
        return torch.Size([self.n_visible])

    def check(self, x: object) -> torch.Tensor:
        """Validate data of shape ``(..., n_visible)`` (binary, while :attr:`~ardemo.ProbabilisticModel.validate_args` is on)."""
        return self.check_event("x", x)

    def _check_support(self, name: str, x: torch.Tensor) -> None:
        check_binary(name, check_tensor(name, x))

    def layer_logits(self, k: int, below: torch.Tensor) -> torch.Tensor:
        """Logits of :math:`q(b_{k+1} \\mid \\text{below})`: ``below`` is :math:`x` for ``k = 0``, else :math:`b_k`."""
        k = check_int("k", k, minimum=0, maximum=self.n_layers - 1)
        size = self.n_visible if k == 0 else self.latent_sizes[k - 1]
        check_last_dim("below", check_tensor("below", below), size, "pixels" if k == 0 else f"units of layer {k}")
        return self.encoders[k](2 * below - 1)

    def encoder_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of :math:`q(b_1 \\mid x)`, shape ``(batch, latent_sizes[0])``."""
        check_last_dim("x", check_tensor("x", x), self.n_visible, "pixels")
        return self.layer_logits(0, x)

    def _generative(self, k: int, below: torch.Tensor, above: torch.Tensor) -> torch.Tensor:
        """:math:`\\ln p(\\text{below} \\mid \\text{above})` through the ``k``-th generative map."""
        return _bernoulli_log_prob(below, self.decoders[k](2 * above - 1))

    def log_joint(self, x: torch.Tensor, *layers: torch.Tensor) -> torch.Tensor:
        """:math:`\\ln p(x, b_1, \\dots, b_L)` per row, one tensor per layer (which may be relaxed)."""
        if len(layers) != self.n_layers:
            raise ValueError(f"layers: expected {self.n_layers} latent tensors, got {len(layers)}")
        check_last_dim("x", check_tensor("x", x), self.n_visible, "pixels")
        for k, (layer, size) in enumerate(zip(layers, self.latent_sizes)):
            check_last_dim(f"layers[{k}]", check_tensor(f"layers[{k}]", layer), size, "units")
        below = (x, *layers[:-1])
        out = _bernoulli_log_prob(layers[-1], self.prior_logits)
        for k, layer in enumerate(layers):
            out = out + self._generative(k, below[k], layer)
        return out

    def local_signal(
        self, k: int, below: torch.Tensor, layers: Sequence[torch.Tensor], logits: torch.Tensor
    ) -> torch.Tensor:
        """The terms of :math:`f = \\ln p(x, b) - \\ln q(b \\mid x)` that involve layers ``k`` and above
        (0-based): ``layers`` are :math:`b_{k+1}, \\dots, b_L`, ``below`` the layer (or :math:`x`) under
        them, and :math:`q(b_{k+1} \\mid \\text{below})` is held at ``logits`` (no gradient). The other
        terms of :math:`f` do not depend on :math:`b_{k+1}` given ``below``, so this is :math:`f` less a
        baseline: a valid, quieter learning signal for layer ``k`` (for ``k = 0`` it is all of :math:`f`).
        """
        if len(layers) != self.n_layers - k:
            raise ValueError(f"layers: expected {self.n_layers - k} latent tensors above layer {k}, got {len(layers)}")
        out = self._generative(k, below, layers[0]) - _bernoulli_log_prob(layers[0], logits.detach())
        for j in range(1, len(layers)):
            lower, upper = layers[j - 1], layers[j]
            out = (
                out
                + self._generative(k + j, lower, upper)
                - _bernoulli_log_prob(upper, self.layer_logits(k + j, lower))
            )
        return out + _bernoulli_log_prob(layers[-1], self.prior_logits)

    def learning_signal(self, x: torch.Tensor, logits: torch.Tensor):
        """One-layer networks: :math:`f(b) = \\ln p(x, b) - \\ln q(b \\mid x)` as a function of ``b``, with
        :math:`q` held at ``logits``. (With more layers, see :meth:`local_signal`.)"""
        if self.n_layers != 1:
            raise ValueError(
                f"learning_signal: defined for one latent layer, this network has {self.n_layers}; use local_signal"
            )
        return lambda b: self.local_signal(0, x, [b], logits)

    def _states(self) -> list[torch.Tensor]:
        sizes = self.latent_sizes
        for k, d in enumerate(sizes):
            check_enumerable(f"n_latent[{k}]", d)
        for k, (a, b) in enumerate(zip(sizes, sizes[1:])):  # two adjacent layers: 2^(a + b) pairs of states
            check_enumerable(f"n_latent[{k}] + n_latent[{k + 1}]", a + b, "units in two adjacent layers")
        # the decoder's output for every state of the first layer: 2^d1 x n_visible numbers
        count = 2 ** sizes[0] * max(self.n_visible, max(self.hidden, default=0))
        if count > MAX_ENUMERATION_NUMBERS:
            raise ValueError(
                f"n_latent[0]: enumerating its 2**{sizes[0]} states holds {count:,} numbers at once "
                f"({self.n_visible} pixels each), more than the library's limit of {MAX_ENUMERATION_NUMBERS:,} "
                f"(256 MB in float32); expected at most {_max_states_bits(self.n_visible)} units in the first layer"
            )
        p = self.prior_logits
        return [all_configurations(d, device=p.device, dtype=p.dtype) for d in sizes]

    def _enumerate(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """For every state :math:`b_1` (columns), shape ``(batch, 2^{d_1})`` or ``(2^{d_1},)``:
        :math:`\\ln p(x \\mid b_1)`, :math:`\\ln q(b_1 \\mid x)`, the prior marginal :math:`\\ln p(b_1)`, and
        :math:`V(b_1) = \\mathbb{E}_{q(b_{>1} \\mid b_1)}[\\ln p(b_1, b_{>1}) - \\ln q(b_{>1} \\mid b_1)]`,
        both summed down from the top one layer at a time."""
        states = self._states()
        log_likelihood = _pairwise_bernoulli_log_prob(x, self.decoder(2 * states[0] - 1))
        log_q = _pairwise_bernoulli_log_prob(states[0], self.encoder_logits(x)).T
        log_marginal = _bernoulli_log_prob(states[-1], self.prior_logits)
        value = log_marginal
        for k in reversed(range(self.n_layers - 1)):
            lower, upper = states[k], states[k + 1]
            log_p = _pairwise_bernoulli_log_prob(lower, self.decoders[k + 1](2 * upper - 1))  # ln p(lower | upper)
            log_q_up = _pairwise_bernoulli_log_prob(upper, self.layer_logits(k + 1, lower)).T  # ln q(upper | lower)
            value = (log_q_up.exp() * (log_p - log_q_up + value)).sum(-1)
            log_marginal = torch.logsumexp(log_p + log_marginal, -1)
        return log_likelihood, log_q, log_marginal, value

    def log_weights(self, x: torch.Tensor, samples: int = 1) -> torch.Tensor:
        """:math:`\\ln w = \\ln p(x, b) - \\ln q(b \\mid x)` for ``samples`` independent draws
        :math:`b \\sim q(b \\mid x)` per event of ``x``, shape ``(samples, *batch)``, without gradient. Their
        mean estimates the ELBO; :meth:`importance_log_prob` averages :math:`w` instead.

        >>> model = SigmoidBeliefNetwork(4, (3, 2))
        >>> model.log_weights(torch.ones(5, 4), samples=7).shape
        torch.Size([7, 5])
        """
        x = self.check_event("x", x)
        samples = check_int("samples", samples, minimum=1)
        xs = x.reshape(-1, self.n_visible).repeat(samples, 1)
        with torch.no_grad():
            layers, log_q, below = [], 0.0, xs
            for k in range(self.n_layers):
                logits = self.layer_logits(k, below)
                below = torch.bernoulli(torch.sigmoid(logits))
                log_q = log_q + _bernoulli_log_prob(below, logits)
                layers.append(below)
            return (self.log_joint(xs, *layers) - log_q).reshape(samples, *x.shape[:-1])

    def importance_log_prob(self, x: torch.Tensor, samples: int = 1000, max_draws: int = 100_000) -> torch.Tensor:
        """Importance-sampled :math:`\\ln p(x) \\approx \\ln \\frac1S \\sum_s w_s` with the recognition
        network as proposal, per event of ``x`` (shape ``(..., n_visible)``); a lower bound in expectation
        that tightens as :math:`S` grows (Burda et al. 2016). No more than ``max_draws`` draws are held at
        once: events are taken in chunks, and with ``samples > max_draws`` each event's draws too.

        >>> model = SigmoidBeliefNetwork(4, 3)
        >>> x = model.sample(6)
        >>> bool((model.importance_log_prob(x, 4000) - model.log_prob(x)).abs().max() < 0.05)
        True
        """
        x = self.check_event("x", x)
        samples = check_int("samples", samples, minimum=1)
        max_draws = check_int("max_draws", max_draws, minimum=1)
        flat = x.reshape(-1, self.n_visible)
        if flat.shape[0] == 0:
            raise ValueError(f"x: expected at least one event, got shape {tuple(x.shape)}")
        if samples <= max_draws:
            rows = max_draws // samples
            parts = [
                torch.logsumexp(self.log_weights(flat[i : i + rows], samples), 0) - math.log(samples)
                for i in range(0, flat.shape[0], rows)
            ]
            return torch.cat(parts).reshape(x.shape[:-1])
        # more samples than max_draws: each event in chunks of max_draws draws, combined by logsumexp
        out = []
        for i in range(flat.shape[0]):
            chunks = [min(max_draws, samples - j) for j in range(0, samples, max_draws)]
            sums = torch.stack([torch.logsumexp(self.log_weights(flat[i : i + 1], m), 0) for m in chunks])
            out.append(torch.logsumexp(sums, 0) - math.log(samples))
        return torch.cat(out).reshape(x.shape[:-1])

    def exact_elbo(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`\\mathbb{E}_{q(b \\mid x)}[\\ln p(x,b) - \\ln q(b \\mid x)]` per event of ``x`` (shape
        ``(..., n_visible)``), differentiable."""
        return self._flat(self._exact_elbo, self.check_event("x", x))

    def _exact_elbo(self, x: torch.Tensor) -> torch.Tensor:
        log_likelihood, log_q, _, value = self._enumerate(x)
        return (log_q.exp() * (log_likelihood - log_q + value)).sum(-1)

    def _log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact :math:`\\ln p(x) = \\ln\\sum_b p(x, b)` per row."""
        log_likelihood, _, log_marginal, _ = self._enumerate(x)
        return torch.logsumexp(log_likelihood + log_marginal, -1)

    def _sample(self, n: int) -> torch.Tensor:
        """``n`` images by ancestral sampling from the top layer down, shape ``(n, n_visible)``."""
        b = torch.bernoulli(torch.sigmoid(self.prior_logits).expand(n, -1))
        for decoder in reversed(self.decoders):
            b = torch.bernoulli(torch.sigmoid(decoder(2 * b - 1)))
        return b
