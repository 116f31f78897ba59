"""Fully visible Boltzmann machine over binary units and its Gibbs sampler.

.. math::

    p(x) = e^{-E(x)}/Z, \\qquad E(x) = -\\tfrac12 x^\\top W x - b^\\top x, \\qquad x \\in \\{0, 1\\}^n,

with :math:`W` symmetric and zero on the diagonal, so that
:math:`p(x_i = 1 \\mid x_{-i}) = \\sigma(\\sum_j W_{ij} x_j + b_i)` (the *local field*). The
log-likelihood gradient is a positive phase minus a negative phase,
:math:`\\nabla_{W_{ij}} \\ln p(x) = x_i x_j - \\mathbb{E}_{p}[x_i x_j]`, and the second term is what
needs samples from the model.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn

from ..core.enumeration import all_configurations, check_enumerable
from ..core.validation import (
    check_binary,
    check_float_dtype,
    check_int,
    check_last_dim,
    check_real,
    check_same_shape,
    check_tensor,
    validate_args_default,
)
from ..distributions.base import EnergyBasedModel

MAX_UNITS = 16384
"""The largest machine: its :math:`n \\times n` couplings take 1 GiB in float32 (784 units: 2.4 MB)."""


def _check_couplings(weight: torch.Tensor, bias: torch.Tensor) -> None:
    weight = check_tensor("weight", weight)
    bias = check_tensor("bias", bias)
    if bias.dim() != 1:
        raise ValueError(f"bias: expected shape (n,), got {tuple(bias.shape)}")
    n = bias.shape[0]
    if weight.shape != (n, n):
        raise ValueError(f"weight: expected shape ({n}, {n}) to match bias, got {tuple(weight.shape)}")
    for name, value in (("weight", weight), ("bias", bias)):
        if not bool(torch.isfinite(value).all()):
            raise ValueError(f"{name}: expected finite values, got NaN or infinity")
    scale = 1e-5 * max(1.0, float(weight.abs().max()))
    if not torch.allclose(weight, weight.T, rtol=0.0, atol=scale):
        gap = float((weight - weight.T).abs().max())
        raise ValueError(f"weight: expected a symmetric matrix, got max |W - W^T| = {gap:.3g}")
    if float(weight.diagonal().abs().max()) > scale:
        raise ValueError("weight: expected a zero diagonal (no self-couplings), got nonzero entries")


def gibbs_sweep(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, uniforms: torch.Tensor | None = None
) -> torch.Tensor:
    """One systematic-scan Gibbs sweep over units :math:`0..n-1` of every chain (rows of ``x``).

    Unit :math:`i` is redrawn as :math:`x_i = [u_i < \\sigma(\\sum_j W_{ij}x_j + b_i)]` from the
    current values of the others; ``uniforms`` (shape of ``x``) fixes the :math:`u` for testing.
    Returns a new tensor of 0/1 samples (never the probabilities).

    >>> w = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    >>> gibbs_sweep(torch.zeros(1, 2), w, torch.zeros(2), uniforms=torch.tensor([[0.4, 0.6]]))
    tensor([[1., 1.]])
    """
    x = _check_sweep(x, weight, bias)
    if uniforms is not None:
        check_same_shape("uniforms", check_tensor("uniforms", uniforms), "x", x)
    return _gibbs_sweep(x, weight, bias, uniforms)


def _check_sweep(x: object, weight: object, bias: object) -> torch.Tensor:
    """``x`` binary chains ``(..., n)``, ``weight`` symmetric ``(n, n)`` with zero diagonal, ``bias`` ``(n,)``."""
    x = check_tensor("x", x)
    _check_couplings(weight, bias)
    check_last_dim("x", x, bias.shape[0], "units")
    if validate_args_default():
        check_binary("x", x)
    return x


def _gibbs_sweep(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, uniforms: torch.Tensor | None = None
) -> torch.Tensor:
    if uniforms is None:
        uniforms = torch.rand_like(x)
    x = x.clone()
    for i in range(x.shape[-1]):
        field = x @ weight[:, i] + bias[i]
        x[..., i] = (uniforms[..., i] < torch.sigmoid(field)).to(x.dtype)
    return x


def gibbs_sweep_loop(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """The same sweep written the slow way, one chain and one unit and one coupling at a time
    in Python (as a per-point implementation would); the reference for the benchmark.

    >>> gibbs_sweep_loop(torch.zeros(3, 2), torch.zeros(2, 2), torch.full((2,), -50.0))
    tensor([[0., 0.],
            [0., 0.],
            [0., 0.]])
    """
    out = _check_sweep(x, weight, bias).clone()
    w, b = weight.tolist(), bias.tolist()
    for chain in out:
        state = chain.tolist()
        for i in range(len(state)):
            field = sum(w[i][j] * state[j] for j in range(len(state)) if j != i) + b[i]
            state[i] = float(torch.rand(()).item() < 1.0 / (1.0 + math.exp(-field)))
        chain.copy_(torch.tensor(state))
    return out


class BoltzmannMachine(EnergyBasedModel):
    """Fully visible Boltzmann machine on ``n_units`` binary units.

    :math:`W` is stored through its strict upper triangle, so it is symmetric with a zero
    diagonal by construction; :attr:`weight` returns the full matrix.

    Args:
        n_units: :math:`n`.
        weight_scale: standard deviation of the initial couplings.
        validate_args: check that inputs are binary (default: the library's setting).

    >>> model = BoltzmannMachine(3)
    >>> x = model.sample((2, 5))
    >>> x.shape, model.log_prob(x).shape
    (torch.Size([2, 5, 3]), torch.Size([2, 5]))
    >>> torch.allclose(model.log_prob(x), model.unnormalized_log_prob(x) - model.log_partition().float())
    True
    """

    def __init__(self, n_units: int, weight_scale: float = 0.01, validate_args: bool | None = None) -> None:
        super().__init__(validate_args)
        self.n_units = check_int("n_units", n_units, minimum=1, maximum=MAX_UNITS)
        weight_scale = check_real("weight_scale", weight_scale, minimum=0.0)
        self.coupling = nn.Parameter(weight_scale * torch.randn(self.n_units, self.n_units).triu(1))
        self.bias = nn.Parameter(torch.zeros(self.n_units))
        self._state_cache: dict[tuple[torch.dtype, torch.device], torch.Tensor] = {}

    @property
    def event_shape(self) -> torch.Size:
        return torch.Size([self.n_units])

    @classmethod
    def from_parameters(cls, weight: torch.Tensor, bias: torch.Tensor) -> "BoltzmannMachine":
        """A machine with the given couplings, which must be symmetric with a zero diagonal."""
        _check_couplings(weight, bias)
        model = cls(bias.shape[0]).to(device=bias.device, dtype=bias.dtype)
        with torch.no_grad():
            model.coupling.copy_(weight.triu(1))
            model.bias.copy_(bias)
        return model

    def extra_repr(self) -> str:
        return f"n_units={self.n_units}"

    @property
    def weight(self) -> torch.Tensor:
        """The symmetric, zero-diagonal coupling matrix :math:`W`."""
        upper = self.coupling.triu(1)
        return upper + upper.T

    def check(self, name: str, x: object) -> torch.Tensor:
        """Validate a batch of configurations: floating point, shape ``(..., n)``, entries 0/1 (the values
        only while :attr:`~ardemo.ProbabilisticModel.validate_args` is on)."""
        return self.check_event(name, x)

    def _check_support(self, name: str, x: torch.Tensor) -> None:
        check_binary(name, check_tensor(name, x))

    def energy(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`E(x) = -\\frac12 x^\\top W x - b^\\top x` per configuration, shape ``(...)``."""
        return self._energy(self.check("x", x))

    def _energy(self, x: torch.Tensor) -> torch.Tensor:
        w, b = self.weight.to(x.dtype), self.bias.to(x.dtype)
        return -0.5 * ((x @ w) * x).sum(-1) - x @ b

    def unnormalized_log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`-E(x) = \\ln p(x) + \\ln Z`."""
        return -self.energy(x)

    def _unnormalized_log_prob(self, x: torch.Tensor) -> torch.Tensor:
        return -self._energy(x)

    def local_fields(self, x: torch.Tensor) -> torch.Tensor:
        """Conditional logits :math:`\\ln\\frac{p(x_i=1\\mid x_{-i})}{p(x_i=0\\mid x_{-i})} = \\sum_j W_{ij}x_j + b_i`."""
        x = self.check("x", x)
        return x @ self.weight + self.bias

    def pseudo_log_likelihood(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`\\sum_i \\ln p(x_i \\mid x_{-i}) = \\sum_i \\ln\\sigma\\big((2x_i - 1)(\\textstyle\\sum_j W_{ij}x_j + b_i)\\big)`
        per configuration: a score of the model's conditionals that needs no :math:`Z` (Besag 1975).

        >>> model = BoltzmannMachine(3)
        >>> round(model.pseudo_log_likelihood(torch.zeros(3)).item(), 5) == round(3 * math.log(0.5), 5)
        True
        """
        x = self.check("x", x)
        return nn.functional.logsigmoid((2 * x - 1) * (x @ self.weight + self.bias)).sum(-1)

    @torch.no_grad()
    def gibbs(self, x: torch.Tensor, sweeps: int = 1) -> torch.Tensor:
        """Run every chain (row of ``x``) ``sweeps`` full Gibbs sweeps; returns the final states."""
        x = self.check("x", x)
        sweeps = check_int("sweeps", sweeps, minimum=0)
        w, b = self.weight.detach(), self.bias.detach()
        for _ in range(sweeps):
            x = _gibbs_sweep(x, w, b)
        return x

    @torch.no_grad()
    def chain(self, x: torch.Tensor, n_samples: int, burn_in: int = 0, thin: int = 1) -> torch.Tensor:
        """Samples from every chain after ``burn_in`` sweeps, one every ``thin`` sweeps:
        shape ``(n_samples, chains, n)``."""
        n_samples = check_int("n_samples", n_samples, minimum=1)
        thin = check_int("thin", thin, minimum=1)
        burn_in = check_int("burn_in", burn_in, minimum=0)
        x = self.gibbs(x, burn_in)
        out = []
        for _ in range(n_samples):
            x = self.gibbs(x, thin)
            out.append(x)
        return torch.stack(out)

    def _states(self, dtype: torch.dtype) -> torch.Tensor:
        """All :math:`2^n` states (cached per dtype and device)."""
        check_enumerable("n_units", self.n_units)  # for larger machines: gibbs/chain and ais_log_partition
        key = (dtype, self.bias.device)
        if key not in self._state_cache:
            self._state_cache[key] = all_configurations(self.n_units, device=self.bias.device, dtype=dtype)
        return self._state_cache[key]

    def log_partition(self, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """Exact :math:`\\ln Z = \\ln\\sum_x e^{-E(x)}` over all :math:`2^n` states (float64 by default);
        computed once per parameter version while no gradient is recorded."""
        check_float_dtype("dtype", dtype)
        return self._cached(("log_partition", dtype), lambda: torch.logsumexp(-self._energy(self._states(dtype)), 0))

    def log_prob(self, x: torch.Tensor, dtype: torch.dtype | None = None) -> torch.Tensor:
        """Exact :math:`\\ln p(x) = -E(x) - \\ln Z` (enumeration) for ``x`` of shape ``(..., n_units)``,
        computed in ``dtype``; by default computed in float64 (the sum over :math:`2^n` states needs it)
        and returned in the model's dtype."""
        x = self.check_event("x", x)
        work = torch.float64 if dtype is None else check_float_dtype("dtype", dtype)
        out = -self._energy(x.to(work)) - self.log_partition(work)
        return out.to(self.dtype) if dtype is None else out

    @torch.no_grad()
    def probabilities(self) -> torch.Tensor:
        """Exact :math:`p` over all :math:`2^n` states, in the order of :func:`ardemo.all_configurations` (no gradient)."""
        return self._cached("probabilities", lambda: torch.softmax(-self._energy(self._states(torch.float64)), 0))

    def _sample(self, n: int) -> torch.Tensor:
        """``n`` exact, independent samples (enumeration; small models only), shape ``(n, n_units)``."""
        index = torch.multinomial(self.probabilities(), n, replacement=True)
        return self._states(self.bias.dtype)[index]
