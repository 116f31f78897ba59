"""Gaussian–Bernoulli restricted Boltzmann machine.

Visible :math:`x \\in \\mathbb{R}^V` (Gaussian), hidden :math:`z \\in \\{0,1\\}^H` (Bernoulli), energy

.. math::

    E(x, z) = \\sum_i \\frac{(x_i - b_i)^2}{2\\sigma_i^2} - \\sum_{ij} \\frac{x_i}{\\sigma_i^2} W_{ij} z_j - d^\\top z,

so :math:`p(x \\mid z) = \\mathcal{N}(b + Wz, \\mathrm{diag}\\,\\sigma^2)`,
:math:`p(z_j = 1 \\mid x) = \\sigma(d_j + \\sum_i x_i W_{ij}/\\sigma_i^2)`, and summing out :math:`z`
gives the free energy :math:`F(x) = -\\ln\\sum_z e^{-E(x,z)}`, :math:`p(x) = e^{-F(x)}/Z`.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..core.enumeration import MAX_ENUMERATION_SITES, all_configurations, check_enumerable
from ..core.validation import (
    check_binary,
    check_bool,
    check_int,
    check_last_dim,
    check_positive_float,
    check_real,
    check_tensor,
)
from ..distributions.base import EnergyBasedModel


def _finite(name: str, x: torch.Tensor) -> torch.Tensor:
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name}: expected finite values, found NaN or infinity")
    return x


class GaussianBernoulliRBM(EnergyBasedModel):
    """RBM with ``n_visible`` Gaussian and ``n_hidden`` Bernoulli units.

    Args:
        n_visible: :math:`V`, the data dimension.
        n_hidden: :math:`H`.
        sigma: initial standard deviation of every visible unit (stored as :math:`\\ln\\sigma^2`).
        learn_sigma: whether :math:`\\ln\\sigma^2` is trained (it is a fixed buffer-like parameter otherwise).
        validate_args: check that inputs are finite (default: the library's setting).
        burn_in: Gibbs sweeps behind ``sample`` when :math:`H` is beyond the enumeration limit (20).

    ``sample`` draws exact samples (the hidden marginal by enumeration, then :math:`p(x \\mid z)`) for
    :math:`H \\le 20`; beyond that, the last states of independent Gibbs chains after ``burn_in``
    sweeps, which are approximate. :meth:`sample_chains` runs Gibbs chains for any :math:`H`.
    ``log_partition`` is float64 (exact, or by quadrature for two visible units).

    >>> model = GaussianBernoulliRBM(2, 3)
    >>> x = model.sample((4, 2))
    >>> x.shape, model.log_prob(x).shape
    (torch.Size([4, 2, 2]), torch.Size([4, 2]))
    """

    support = "real"

    def __init__(
        self,
        n_visible: int,
        n_hidden: int,
        sigma: float = 0.1,
        learn_sigma: bool = False,
        validate_args: bool | None = None,
        burn_in: int = 1000,
    ) -> None:
        super().__init__(validate_args)
        self.n_visible = check_int("n_visible", n_visible, minimum=1)
        self.n_hidden = check_int("n_hidden", n_hidden, minimum=1)
        sigma = check_positive_float("sigma", sigma)
        learn_sigma = check_bool("learn_sigma", learn_sigma)
        self.burn_in = check_int("burn_in", burn_in, minimum=1)
        self.b = nn.Parameter(torch.zeros(self.n_visible))
        self.log_sigma2 = nn.Parameter(torch.full((self.n_visible,), 2 * math.log(sigma)), requires_grad=learn_sigma)
        self.W = nn.Parameter(0.01 * torch.randn(self.n_visible, self.n_hidden))
        self.d = nn.Parameter(0.1 * torch.randn(self.n_hidden))

    def extra_repr(self) -> str:
        return f"n_visible={self.n_visible}, n_hidden={self.n_hidden}"

    @property
    def event_shape(self) -> torch.Size:
        return torch.Size([self.n_visible])

    def _check_support(self, name: str, x: torch.Tensor) -> None:
        _finite(name, check_tensor(name, x))

    @property
    def sigma2(self) -> torch.Tensor:
        """Visible variances :math:`\\sigma^2 = e^{\\ln\\sigma^2}`."""
        return self.log_sigma2.exp()

    def _visible(self, x: torch.Tensor, name: str = "x") -> torch.Tensor:
        check_last_dim(name, check_tensor(name, x), self.n_visible, "visible units")
        if self.validate_args:
            self._check_support(name, x)
        return x.to(self.W.dtype)

    def _hidden(self, z: torch.Tensor) -> torch.Tensor:
        check_last_dim("z", check_tensor("z", z), self.n_hidden, "hidden units")
        if self.validate_args:
            check_binary("z", z)
        return z.to(self.W.dtype)

    def hidden_logits(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`d_j + \\sum_i x_i W_{ij} / \\sigma_i^2`, shape ``(..., H)``."""
        return self._logits(self._visible(x))

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.d + (x / self.sigma2) @ self.W

    def free_energy(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`F(x) = \\sum_i (x_i - b_i)^2 / 2\\sigma_i^2 - \\sum_j \\mathrm{softplus}(d_j + \\sum_i x_i W_{ij}/\\sigma_i^2)`.

        The source's :math:`c(x)`, the log of the unnormalised marginal, is :math:`-F(x)`.
        """
        return self._free_energy(self._visible(x))

    def _free_energy(self, x: torch.Tensor) -> torch.Tensor:
        quadratic = ((x - self.b) ** 2 / (2 * self.sigma2)).sum(-1)
        return quadratic - F.softplus(self._logits(x)).sum(-1)

    def p_x_given_z(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean :math:`b + Wz` and variance :math:`\\sigma^2` of :math:`p(x \\mid z)`, each shape ``(..., V)``."""
        mean = self.b + self._hidden(z) @ self.W.T
        return mean, self.sigma2.expand_as(mean)

    def p_z_given_x(self, x: torch.Tensor) -> torch.Tensor:
        """Bernoulli parameters :math:`p(z_j = 1 \\mid x)`, shape ``(..., H)``."""
        return torch.sigmoid(self.hidden_logits(x))

    def gibbs_step(self, x: torch.Tensor) -> torch.Tensor:
        """One sweep :math:`z \\sim p(z \\mid x)`, then :math:`x' \\sim p(x' \\mid z)`; returns :math:`x'`."""
        return self._gibbs(self._visible(x))

    def _gibbs(self, x: torch.Tensor) -> torch.Tensor:
        p = torch.sigmoid(self._logits(x))
        z = (torch.rand_like(p) < p).to(p.dtype)  # Bernoulli draws (faster than torch.bernoulli on CPU)
        return self._draw_visible(z)

    def _draw_visible(self, z: torch.Tensor) -> torch.Tensor:
        """:math:`x \\sim p(x \\mid z) = \\mathcal{N}(b + Wz, \\sigma^2)`."""
        mean = self.b + z @ self.W.T
        return mean + self.sigma2.sqrt() * torch.randn_like(mean)

    @torch.no_grad()
    def chain_start(self, n_chains: int) -> torch.Tensor:
        """Where Gibbs chains start by default: :math:`x \\sim p(x \\mid z)` with :math:`z` uniform on
        :math:`\\{0, 1\\}^H`, shape ``(n_chains, V)``."""
        n_chains = check_int("n_chains", n_chains, minimum=1)
        z = torch.bernoulli(torch.full((n_chains, self.n_hidden), 0.5, device=self.W.device, dtype=self.W.dtype))
        return self._draw_visible(z)

    @torch.no_grad()
    def sample_chains(self, n_chains: int, n_steps: int, x0: torch.Tensor | None = None) -> torch.Tensor:
        """Run ``n_chains`` Gibbs chains for ``n_steps`` sweeps; the visible states, shape ``(n_steps, n_chains, V)``.

        Chains start from ``x0`` or, by default, from :math:`x \\sim p(x \\mid z)` with :math:`z` uniform.
        """
        n_chains = check_int("n_chains", n_chains, minimum=1)
        n_steps = check_int("n_steps", n_steps, minimum=1)
        if x0 is None:
            x = self.chain_start(n_chains)
        else:
            x = self._visible(x0, "x0")
            if x.dim() != 2 or x.shape[0] != n_chains:
                raise ValueError(
                    f"x0: expected shape (n_chains, n_visible) = ({n_chains}, {self.n_visible}), got {tuple(x.shape)}"
                )
        path = torch.empty(n_steps, x.shape[0], self.n_visible, device=x.device, dtype=x.dtype)
        for t in range(n_steps):  # inputs checked once above, not at every sweep
            x = self._gibbs(x)
            path[t] = x
        return path

    # --- the partition function ----------------------------------------------------------------
    def _hidden_log_weights(self, dtype: torch.dtype | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """All :math:`2^H` hidden states and :math:`\\ln` of their unnormalised marginal weights (without the
        constant :math:`\\prod_i\\sqrt{2\\pi\\sigma_i^2}`), in ``dtype`` (default: the model's)."""
        check_enumerable("n_hidden", self.n_hidden)  # beyond it: log_partition_quadrature
        dtype = self.W.dtype if dtype is None else dtype
        b, w, d, sigma2 = (t.to(dtype) for t in (self.b, self.W, self.d, self.sigma2))
        z = all_configurations(self.n_hidden, device=self.W.device, dtype=dtype)
        mean = b + z @ w.T
        return z, z @ d + ((mean**2 - b**2) / (2 * sigma2)).sum(-1)

    def log_partition_exact(self) -> torch.Tensor:
        """:math:`\\ln Z` by summing over all :math:`2^H` hidden states, a mixture of Gaussians:
        :math:`Z = \\sum_z e^{d^\\top z} \\prod_i \\sqrt{2\\pi\\sigma_i^2}\\, e^{((b + Wz)_i^2 - b_i^2)/2\\sigma_i^2}`."""
        _, log_terms = self._hidden_log_weights(torch.float64)
        return torch.logsumexp(log_terms, 0) + 0.5 * torch.log(2 * math.pi * self.sigma2.double()).sum()

    def log_partition(self) -> torch.Tensor:
        """:math:`\\ln Z` in float64: exact over the hidden states up to the library's enumeration limit, else
        by quadrature (two visible units); computed once per parameter version while no gradient is recorded."""
        if self.n_hidden <= MAX_ENUMERATION_SITES:
            return self._cached("log_partition", self.log_partition_exact)
        return self._cached("log_partition", self.log_partition_quadrature)

    def _unnormalized_log_prob(self, x: torch.Tensor) -> torch.Tensor:
        return -self._free_energy(x)

    def _sample(self, n: int) -> torch.Tensor:
        """Exact samples up to the enumeration limit: :math:`z` from its marginal (enumerated), then
        :math:`x \\sim p(x \\mid z)`. Beyond it, the last states of ``n`` independent Gibbs chains after
        :attr:`burn_in` sweeps (approximate: the law after that many sweeps)."""
        if self.n_hidden > MAX_ENUMERATION_SITES:
            return self.sample_chains(n, self.burn_in)[-1]
        z, log_terms = self._hidden_log_weights()
        index = torch.multinomial(torch.softmax(log_terms.detach(), 0), n, replacement=True)
        return self._draw_visible(z[index])

    @torch.no_grad()
    def covering_box(self, margin: float = 10.0) -> tuple[float, float]:
        """An interval :math:`[lo, hi]` holding every component mean :math:`(b + Wz)_i` widened by
        ``margin`` :math:`\\cdot\\max\\sigma`, so the mass of :math:`p` outside :math:`[lo, hi]^V` is below
        :math:`V e^{-\\text{margin}^2/2}`."""
        margin = check_positive_float("margin", margin)
        low = (self.b + self.W.clamp(max=0).sum(1)).min()
        high = (self.b + self.W.clamp(min=0).sum(1)).max()
        spread = margin * self.sigma2.max().sqrt()
        return (low - spread).item(), (high + spread).item()

    def quadrature_grid(self, lo: float | None, hi: float | None, points: int) -> tuple[torch.Tensor, float]:
        """A square grid over :math:`[lo, hi]^2` (points, shape ``(points**2, 2)``) and its cell area;
        ``lo``/``hi`` left as ``None`` are taken from :meth:`covering_box`."""
        if self.n_visible != 2:
            raise ValueError(f"n_visible: quadrature is implemented for 2 visible units, got {self.n_visible}")
        points = check_int("points", points, minimum=2)
        lo = None if lo is None else check_real("lo", lo)
        hi = None if hi is None else check_real("hi", hi)
        if lo is None or hi is None:
            box = self.covering_box()
            lo = box[0] if lo is None else lo
            hi = box[1] if hi is None else hi
        if not hi > lo:
            raise ValueError(f"hi: expected hi > lo, got lo={lo}, hi={hi}")
        axis = torch.linspace(lo, hi, points, device=self.W.device, dtype=self.W.dtype)
        gx, gy = torch.meshgrid(axis, axis, indexing="xy")
        step = (hi - lo) / (points - 1)
        return torch.stack([gx.flatten(), gy.flatten()], -1), step * step

    def log_partition_quadrature(
        self, lo: float | None = -3.0, hi: float | None = 3.0, points: int = 241
    ) -> torch.Tensor:
        """:math:`\\ln Z = \\ln\\int e^{-F(x)} dx` on a grid (two visible units), for any :math:`H`.

        The grid must cover the density and resolve :math:`\\sigma`: with spacing below :math:`\\sigma` the
        trapezoid rule on these Gaussian mixtures is accurate to many digits (the default spacing is 0.025).
        ``lo = hi = None`` takes the interval from :meth:`covering_box`, which holds the whole density.
        """
        grid, area = self.quadrature_grid(lo, hi, points)
        return torch.logsumexp(-self.free_energy(grid).double(), 0) + math.log(area)

    def log_prob(self, x: torch.Tensor, log_z: torch.Tensor | None = None) -> torch.Tensor:
        """:math:`\\ln p(x) = -F(x) - \\ln Z`; :math:`\\ln Z` exactly (small :math:`H`) or by quadrature unless given."""
        if log_z is None:
            log_z = self.log_partition().to(self.W.dtype)
        elif not isinstance(log_z, torch.Tensor):
            log_z = check_real("log_z", log_z)
        elif log_z.numel() != 1 or not bool(torch.isfinite(log_z).all()):
            raise ValueError(f"log_z: expected one finite number, got a tensor of shape {tuple(log_z.shape)}: {log_z}")
        else:
            log_z = log_z.reshape(())
        return -self.free_energy(x) - log_z
