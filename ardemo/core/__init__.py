"""Core: devices and seeds, argument checks, exact enumeration of binary states, standard errors."""

from .enumeration import (
    MAX_ENUMERATION_SITES,
    all_configurations,
    check_enumerable,
    configuration_index,
    empirical_distribution,
)
from .runtime import device, seed_all, seed_offset, threads, use_threads
from .stats import chi_square_test, standard_error, t_statistic, total_variation_bound
from .validation import no_validation, set_validate_args, validate_args_default

__all__ = [
    "MAX_ENUMERATION_SITES",
    "all_configurations",
    "check_enumerable",
    "configuration_index",
    "device",
    "empirical_distribution",
    "no_validation",
    "seed_all",
    "seed_offset",
    "set_validate_args",
    "chi_square_test",
    "standard_error",
    "t_statistic",
    "threads",
    "total_variation_bound",
    "use_threads",
    "validate_args_default",
]
