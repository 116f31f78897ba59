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

from ._validation import check_positive_float

CRITICAL_COUPLING = 0.5 * math.log(1 + math.sqrt(2))
""":math:`K_c = \\tfrac12 \\ln(1 + \\sqrt 2) \\approx 0.4406868`."""


def onsager_free_energy(coupling: float) -> float:
    """Free energy per site :math:`\\beta f` of the infinite lattice at coupling :math:`K = \\beta J`."""
    k = check_positive_float("coupling", coupling)
    kappa = 2 * math.sinh(2 * k) / math.cosh(2 * k) ** 2

    def integrand(theta: float) -> float:
        return math.log(0.5 * (1 + math.sqrt(max(0.0, 1 - kappa**2 * math.sin(theta) ** 2))))

    integral, _ = integrate.quad(integrand, 0, math.pi, limit=200, epsabs=1e-13, epsrel=1e-13)
    return -(math.log(2 * math.cosh(2 * k)) + integral / (2 * math.pi))
