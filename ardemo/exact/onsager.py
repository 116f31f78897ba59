"""Onsager's exact free energy of the infinite square-lattice Ising model (zero field).

.. math::

    -\\beta f = \\ln(2\\cosh 2K) + \\frac{1}{2\\pi}\\int_0^{\\pi}
    \\ln\\frac{1 + \\sqrt{1 - \\kappa^2 \\sin^2\\theta}}{2}\\, d\\theta,
    \\qquad \\kappa = \\frac{2\\sinh 2K}{\\cosh^2 2K},

for coupling :math:`K = \\beta J` (the energy is :math:`-J\\sum_{\\langle ij\\rangle} S_i S_j`).
"""

from __future__ import annotations

import math

from scipy import integrate

from ..core.validation import check_int, check_positive_float

CRITICAL_COUPLING = 0.5 * math.log(1 + math.sqrt(2))
""":math:`K_c = \\tfrac12 \\ln(1 + \\sqrt 2) \\approx 0.4406868`."""


def onsager_free_energy(coupling: float) -> float:
    """Free energy per site :math:`\\beta f` of the infinite lattice at coupling :math:`K = \\beta J`.

    >>> round(onsager_free_energy(CRITICAL_COUPLING), 6)
    -0.929695
    """
    k = check_positive_float("coupling", coupling)
    sech = 2 * math.exp(-2 * k) / (1 + math.exp(-4 * k))  # 1/cosh(2K) without overflow at strong coupling
    kappa = 2 * math.tanh(2 * k) * sech

    def integrand(theta: float) -> float:
        return math.log(0.5 * (1 + math.sqrt(max(0.0, 1 - kappa**2 * math.sin(theta) ** 2))))

    integral, _ = integrate.quad(integrand, 0, math.pi, limit=200, epsabs=1e-13, epsrel=1e-13)
    return -(2 * k + math.log1p(math.exp(-4 * k)) + integral / (2 * math.pi))  # ln(2 cosh 2K), stably


def kaufman_log_partition(size: int, coupling: float, columns: int | None = None) -> float:
    """:math:`\\ln Z` of the ``size`` × ``columns`` periodic lattice (square by default), exactly.

    Kaufman (1949): :math:`Z = \\tfrac12 (2\\sinh 2K)^{mn/2} \\sum_{i=1}^4 Z_i` with
    :math:`Z_{1,2} = \\prod_{r<n} 2\\cosh, 2\\sinh(\\tfrac m2 \\gamma_{2r+1})`,
    :math:`Z_{3,4} = \\prod_{r<n} 2\\cosh, 2\\sinh(\\tfrac m2 \\gamma_{2r})`,
    :math:`\\cosh\\gamma_k = \\cosh 2K \\cosh 2K^* - \\sinh 2K \\sinh 2K^* \\cos(\\pi k/n)`,
    :math:`\\tanh K^* = e^{-2K}`, and :math:`\\gamma_0 = 2(K - K^*)`, which changes sign at :math:`K_c`.

    >>> round(kaufman_log_partition(4, CRITICAL_COUPLING), 6)  # the critical 4x4 torus
    15.521915
    """
    m = _check_size("size", size)
    n = m if columns is None else _check_size("columns", columns)
    k = check_positive_float("coupling", coupling)
    k_star = math.atanh(math.exp(-2 * k))
    # cosh(gamma_j) = cosh(2K) c_j with c_j = cosh(2K*) - tanh(2K) sinh(2K*) cos(pi j / n): its logarithm
    # stays finite at strong coupling, where cosh(2K) alone overflows
    log_cosh_2k = 2 * k + math.log1p(math.exp(-4 * k)) - math.log(2)
    c_cosh, c_sinh, t = math.cosh(2 * k_star), math.sinh(2 * k_star), math.tanh(2 * k)

    def gamma(j: int) -> float:
        if j == 0:
            return 2 * (k - k_star)
        log_x = log_cosh_2k + math.log(c_cosh - t * c_sinh * math.cos(math.pi * j / n))
        if log_x < 20:
            return math.acosh(max(1.0, math.exp(log_x)))
        return log_x + math.log1p(math.sqrt(max(0.0, 1 - math.exp(-2 * log_x))))  # acosh(x) for huge x

    def log_product(indices: range, hyperbolic: str) -> tuple[float, int]:
        """:math:`\\ln|\\prod_j 2 f(m\\gamma_j/2)|` and the product's sign, with ``f`` cosh or sinh."""
        total, sign = 0.0, 1
        for j in indices:
            g = 0.5 * m * gamma(j)
            if hyperbolic == "cosh":
                total += abs(g) + math.log1p(math.exp(-2 * abs(g)))
            else:
                if g == 0.0:
                    return -math.inf, 0
                total += abs(g) + math.log(-math.expm1(-2 * abs(g)))
                sign *= 1 if g > 0 else -1
        return total, sign

    odd, even = range(1, 2 * n, 2), range(0, 2 * n, 2)
    terms = [log_product(odd, "cosh"), log_product(odd, "sinh"), log_product(even, "cosh"), log_product(even, "sinh")]
    top = max(t for t, s in terms if s != 0)
    total = sum(s * math.exp(t - top) for t, s in terms if s != 0)
    log_2sinh_2k = 2 * k + math.log(-math.expm1(-4 * k))  # ln(2 sinh 2K), stably
    return math.log(0.5) + 0.5 * m * n * log_2sinh_2k + top + math.log(total)


def _check_size(name: str, value: object) -> int:
    return check_int(name, value, minimum=2)
