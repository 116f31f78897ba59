"""Row-to-row transfer matrix of the 2D Ising model on an infinite strip of width ``N``.

Sites of a row are binary, spin :math:`S_i = (-1)^{x_i}`, periodic across the strip. With
bond energy :math:`\\epsilon(a, b) = -(-1)^{a + b}`,

.. math::

    T[x', x] = e^{-\\beta (E_h[x] + E_v[x', x])}, \\quad
    E_h[x] = \\sum_i \\epsilon(x_i, x_{i+1}), \\quad E_v[x', x] = \\sum_i \\epsilon(x'_i, x_i).

:math:`T = V D` with :math:`D = \\mathrm{diag}(e^{-\\beta E_h})` and :math:`V = v^{\\otimes N}`, so
:math:`T` is applied in :math:`O(N 2^N)` without ever being stored. Its Perron eigenvector
:math:`\\psi` (:math:`T\\psi = \\lambda\\psi`), normalised to sum 1, is the fixed point :math:`p^*` of
the iteration :math:`p \\mapsto Tp / \\sum Tp`; the free energy per site is :math:`-\\ln\\lambda / N`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import torch

from ..core.enumeration import all_configurations
from ..core.validation import (
    check_binary,
    check_float_dtype,
    check_int,
    check_last_dim,
    check_positive_float,
    check_real,
    check_tensor,
    validate_args_default,
)
from .divergences import kl_divergence

MAX_TRANSFER_WIDTH = 16
"""The widest strip handled exactly, with :math:`2^{16}` row states."""


@dataclass(frozen=True)
class IsingStrip:
    """The Ising model on a periodic strip of ``width`` sites at inverse temperature ``beta``.

    >>> strip = IsingStrip(4, 0.44)
    >>> strip.configurations().shape
    torch.Size([16, 4])
    >>> round(strip.free_energy_per_site(), 6)
    -0.945814
    """

    width: int
    beta: float

    def __post_init__(self) -> None:
        check_int("width", self.width, minimum=2)
        if self.width > MAX_TRANSFER_WIDTH:
            raise ValueError(
                f"width: a transfer matrix over 2**{self.width} row states is too large to treat exactly; "
                f"expected width <= {MAX_TRANSFER_WIDTH}"
            )
        object.__setattr__(self, "beta", check_positive_float("beta", self.beta))

    # --- energies and the conditional p(x' | x) ------------------------------------------------
    def _rows(self, name: str, x: torch.Tensor) -> torch.Tensor:
        check_last_dim(name, check_tensor(name, x), self.width, "sites")
        return check_binary(name, x) if validate_args_default() else x

    def horizontal_energy(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`E_h[x] = -\\sum_i S_i S_{i+1}` (periodic), shape ``x.shape[:-1]``."""
        s = 1 - 2 * self._rows("x", x)
        return -(s * s.roll(1, -1)).sum(-1)

    def vertical_energy(self, x_next: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """:math:`E_v[x', x] = -\\sum_i S'_i S_i`."""
        return -((1 - 2 * self._rows("x_next", x_next)) * (1 - 2 * self._rows("x", x))).sum(-1)

    def log_row_weight(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`\\ln T[x] = \\ln \\sum_{x'} T[x', x] = N \\ln(2\\cosh\\beta) - \\beta E_h[x]`."""
        return self.width * math.log(2 * math.cosh(self.beta)) - self.beta * self.horizontal_energy(x)

    @property
    def copy_probability(self) -> float:
        """:math:`p(x'_i = x_i \\mid x_i) = e^{\\beta} / (2\\cosh\\beta) = \\sigma(2\\beta)`."""
        return 1.0 / (1.0 + math.exp(-2.0 * self.beta))

    def sample_next(self, x: torch.Tensor) -> torch.Tensor:
        """Draw :math:`x' \\sim p(x' \\mid x) = T[x', x] / T[x]`: each site copies :math:`x_i` with :attr:`copy_probability`."""
        x = self._rows("x", x)
        flip = torch.rand_like(x) >= self.copy_probability
        return torch.where(flip, 1 - x, x)

    # --- exact linear algebra ------------------------------------------------------------------
    def configurations(
        self, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
    ) -> torch.Tensor:
        """All :math:`2^N` rows, in the order of :func:`ardemo.all_configurations`."""
        return all_configurations(self.width, device=device, dtype=dtype)

    @cached_property
    def _log_d(self) -> torch.Tensor:
        """:math:`-\\beta E_h[x]` for every row, float64 (the log-diagonal of :math:`D`), computed once."""
        return -self.beta * self.horizontal_energy(self.configurations(dtype=torch.float64))

    def apply(self, psi: torch.Tensor) -> torch.Tensor:
        """:math:`T\\psi` for a vector over all rows (length :math:`2^N`), in :math:`O(N 2^N)`."""
        psi = check_tensor("psi", psi)
        if psi.shape != (2**self.width,):
            raise ValueError(f"psi: expected shape ({2**self.width},), got {tuple(psi.shape)}")
        t = psi * self._log_d.to(psi.device, psi.dtype).exp()
        return math.exp(self.width * self.beta) * self._apply_bonds(t)

    def _apply_bonds(self, t: torch.Tensor) -> torch.Tensor:
        """:math:`e^{-N\\beta} V t`: the vertical bonds with every factor divided by :math:`e^{\\beta}`
        (entries 1 and :math:`e^{-2\\beta}`), so that nothing overflows however large :math:`\\beta` is."""
        f = math.exp(-2.0 * self.beta)
        v = torch.tensor([[1.0, f], [f, 1.0]], dtype=t.dtype, device=t.device)
        for i in range(self.width):  # contract one site's index with the 2x2 bond matrix
            t = torch.einsum("ab,ibj->iaj", v, t.reshape(2**i, 2, -1))
        return t.reshape(-1)

    def dense(self, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """The full :math:`2^N \\times 2^N` matrix (for small ``width``; tests and figures)."""
        check_float_dtype("dtype", dtype)
        if self.width > 12:
            raise ValueError(f"width: a dense transfer matrix is built only for width <= 12, got {self.width}")
        x = self.configurations(dtype=dtype)
        return torch.exp(
            -self.beta * (self.horizontal_energy(x)[None, :] + self.vertical_energy(x[:, None], x[None, :]))
        )

    def _power_iteration(
        self, phi: torch.Tensor, tol: float, max_iter: int, odd: bool = False
    ) -> tuple[float, torch.Tensor]:
        """:math:`\\ln` of the largest eigenvalue of the symmetric :math:`D^{1/2} V D^{1/2}` reached from
        ``phi``, and its eigenvector, within the flip-even subspace (or, with ``odd``, the flip-odd one),
        re-projected every step: rounding would otherwise let the other sector grow in, at a rate that
        depends on the machine's arithmetic. :math:`D` and :math:`V` are scaled by their largest entries,
        so the iteration neither overflows nor underflows at strong coupling."""
        top = float(self._log_d.max())
        half = torch.exp(0.5 * (self._log_d - top))  # (D / max D)^{1/2}
        sign = -1.0 if odd else 1.0
        phi = phi / phi.norm()
        lam = 0.0
        for _ in range(max_iter):
            nxt = half * self._apply_bonds(half * phi)
            nxt = 0.5 * (nxt + sign * nxt.flip(0))
            lam_new = float(phi @ nxt)
            nxt /= nxt.norm()
            done = abs(lam_new - lam) <= tol * abs(lam_new) and float((nxt - phi).norm()) < 1e-10
            phi, lam = nxt, lam_new
            if done:
                return math.log(lam) + self.width * self.beta + top, phi
        raise RuntimeError(
            f"power iteration did not converge in {max_iter} steps (width {self.width}, beta {self.beta}); "
            "raise max_iter or tol"
        )

    def leading_eigenpair(self, tol: float = 1e-13, max_iter: int = 100_000) -> tuple[float, torch.Tensor]:
        """:math:`(\\lambda_{\\max}, \\psi)` by power iteration on the symmetric :math:`D^{1/2} V D^{1/2}`.

        ``psi`` is the right Perron vector of :math:`T = VD`, positive, normalised to sum 1, in
        float64. It is found as :math:`D^{-1/2}\\phi` from the symmetric form's eigenvector
        :math:`\\phi`, started from the uniform (spin-flip symmetric) vector. With the default
        tolerance the result is computed once per strip and reused. :math:`\\lambda_{\\max}` itself
        overflows float64 at very strong coupling (:math:`\\ln\\lambda_{\\max} > 709`, e.g. width 8 at
        :math:`\\beta > 44`), where it is ``inf``; :meth:`free_energy_per_site` works with its logarithm.
        """
        log_lam, log_psi = self._perron_log_pair(tol, max_iter)
        return (math.exp(log_lam) if log_lam < 709.0 else math.inf), log_psi.exp()

    def _perron_log_pair(self, tol: float = 1e-13, max_iter: int = 100_000) -> tuple[float, torch.Tensor]:
        """:math:`\\ln\\lambda_{\\max}` and :math:`\\ln\\psi` (the default tolerance's computed once)."""
        tol = check_real("tol", tol, minimum=0.0, strict=True)
        max_iter = check_int("max_iter", max_iter, minimum=1)
        if (tol, max_iter) == (1e-13, 100_000):
            log_lam, log_psi = self._perron
            return log_lam, log_psi.clone()
        return self._perron_pair(tol, max_iter)

    @cached_property
    def _perron(self) -> tuple[float, torch.Tensor]:
        return self._perron_pair(1e-13, 100_000)

    def _perron_pair(self, tol: float, max_iter: int) -> tuple[float, torch.Tensor]:
        log_lam, phi = self._power_iteration(torch.ones(2**self.width, dtype=torch.float64), tol, max_iter)
        log_psi = phi.clamp_min(0.0).log() - 0.5 * self._log_d  # D^{-1/2} phi, in logs (no overflow)
        return log_lam, log_psi - torch.logsumexp(log_psi, 0)

    def spin_flip_ratio(self, tol: float = 1e-13, max_iter: int = 100_000) -> float:
        """:math:`\\lambda_- / \\lambda_+`: the largest eigenvalue among rows odd under the global
        flip :math:`x \\to 1 - x`, over the largest overall. Near 1, a state with one sign of
        magnetisation is almost as stable under :math:`T` as the symmetric one."""
        log_plus, _ = self._perron_log_pair(tol, max_iter)
        x = self.configurations(dtype=torch.float64)
        odd = (1 - 2 * x).sum(-1) + 1e-3 * torch.linspace(-1, 1, 2**self.width, dtype=torch.float64)
        odd = odd - odd.flip(0)  # exactly odd: configuration k and its flip 2^N - 1 - k
        log_minus, _ = self._power_iteration(odd, tol, max_iter, odd=True)
        return math.exp(log_minus - log_plus)

    def fixed_point_log_probs(self) -> torch.Tensor:
        """:math:`\\ln p^*(x)`, the normalised Perron vector of :math:`T` (the teacher-student target)."""
        return self._perron_log_pair()[1]

    def bulk_log_probs(self) -> torch.Tensor:
        """:math:`\\ln` of the marginal of one row deep inside the lattice, :math:`\\propto D(x)\\,\\psi(x)^2`."""
        w = self._perron_log_pair()[1] * 2 + self._log_d
        return w - torch.logsumexp(w, 0)

    def free_energy_per_site(self) -> float:
        """:math:`-\\ln\\lambda_{\\max} / N` (dimensionless: :math:`\\beta` times the free energy per site)."""
        return -self._perron_log_pair()[0] / self.width


def _check_rows(name: str, log_p: object, width: object) -> None:
    """``log_p``: a log-distribution over all :math:`2^{\\text{width}}` rows."""
    width = check_int("width", width, minimum=1, maximum=MAX_TRANSFER_WIDTH)
    log_p = check_tensor(name, log_p)
    if log_p.shape != (2**width,):
        raise ValueError(
            f"{name}: expected shape (2**width,) = ({2**width},) for width {width}, got {tuple(log_p.shape)}"
        )


def row_observables(log_p: torch.Tensor, width: int) -> dict[str, float]:
    """Magnetisation :math:`\\langle S_i\\rangle`, :math:`\\langle|\\bar S|\\rangle` and :math:`\\langle S_i S_{i+1}\\rangle` of a distribution over all rows.

    >>> log_p = torch.full((4,), 0.25, dtype=torch.float64).log()  # uniform over the 2**2 rows
    >>> row_observables(log_p, 2)
    {'magnetisation': 0.0, 'abs_magnetisation': 0.5, 'nn_correlation': 0.0}
    """
    _check_rows("log_p", log_p, width)
    total = float(torch.logsumexp(log_p.detach().double(), 0))
    if not abs(total) < 1e-4:  # NaN fails too
        raise ValueError(f"log_p: expected a normalised log-distribution (logsumexp 0), got logsumexp {total:.3g}")
    x = all_configurations(width, device=log_p.device, dtype=log_p.dtype)
    s = 1 - 2 * x
    p = log_p.exp()
    return {
        "magnetisation": float(p @ s.mean(-1)),
        "abs_magnetisation": float(p @ s.mean(-1).abs()),
        "nn_correlation": float(p @ (s * s.roll(1, -1)).mean(-1)),
    }


def compare_rows(log_q: torch.Tensor, log_p: torch.Tensor, width: int) -> dict[str, float]:
    """Exact :math:`\\mathrm{KL}(p\\|q)`, :math:`\\mathrm{KL}(q\\|p)` and row observables of ``q`` and ``p``.

    >>> log_p = torch.full((4,), 0.25, dtype=torch.float64).log()
    >>> compare_rows(log_p, log_p, 2)["kl_pq"]
    0.0
    """
    _check_rows("log_q", log_q, width)
    _check_rows("log_p", log_p, width)
    log_q = log_q.detach().to("cpu", torch.float64)
    log_p = log_p.detach().to("cpu", torch.float64)
    out = {"kl_pq": float(kl_divergence(log_p, log_q)), "kl_qp": float(kl_divergence(log_q, log_p))}
    for tag, lp in (("q", log_q), ("p", log_p)):
        out.update({f"{k}_{tag}": v for k, v in row_observables(lp, width).items()})
    return out
