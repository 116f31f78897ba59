"""Exact solvers: divergences on a finite set, lattice enumeration, the row transfer matrix, and
Onsager's and Kaufman's formulas."""

from .divergences import kl_divergence, total_variation
from .lattice_enumeration import LatticeEnumeration, bond_correlations
from .onsager import CRITICAL_COUPLING, kaufman_log_partition, onsager_free_energy
from .transfer_matrix import MAX_TRANSFER_WIDTH, IsingStrip, compare_rows, row_observables

__all__ = [
    "CRITICAL_COUPLING",
    "IsingStrip",
    "LatticeEnumeration",
    "MAX_TRANSFER_WIDTH",
    "bond_correlations",
    "compare_rows",
    "kaufman_log_partition",
    "kl_divergence",
    "onsager_free_energy",
    "row_observables",
    "total_variation",
]
