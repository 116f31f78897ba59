"""The fast subset of the planted faults (``make mutants`` runs them all): each chapter runs with one
known mistake up to the check cell that must catch it, and that check fails."""

import pytest

from ardemo.book.mutants import FAULTS, run_fault


@pytest.mark.parametrize("fault", [f for f in FAULTS if f.fast], ids=lambda f: f"{f.chapter}: {f.name}")
def test_a_planted_fault_is_caught_by_its_check(fault):
    outcome = run_fault(fault, fast=True)
    assert outcome.as_expected, (fault.catches, outcome.caught, outcome.other_errors)


def test_without_a_fault_the_same_cells_pass():
    """The patch cell alone is what turns the check red: with a harmless patch every check passes."""
    from dataclasses import replace

    harmless = replace(FAULTS[0], name="no fault", patch="pass")
    outcome = run_fault(harmless, fast=True)
    assert outcome.caught == [] and outcome.other_errors == []
