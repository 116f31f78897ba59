"""Every committed results file replays: natively, and with another processor's kernels.

The files are replayed in three groups (one per experiment family), so that ``pytest -n 2`` spreads the
work over both cores; the files compared with portable kernels go to one child process per group.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ardemo.experiments import read
from ardemo.experiments.replay import mode_here, replay_many
from ardemo.experiments.results import is_results_file

ROOT = Path(__file__).resolve().parents[1]
RESULTS = sorted(p for p in (ROOT / "book" / "data").glob("*.json") if is_results_file(p))
GROUPS = {
    family: [p for p in RESULTS if p.name.startswith(family)]
    for family in ("boltzmann", "ising", "pixelgnn", "rebar", "van")
}
OTHER_PROCESSOR = {"ATEN_CPU_CAPABILITY": "default"}  # another processor's kernels, as far as rounding goes


def test_the_groups_hold_every_file():
    assert sorted(p for group in GROUPS.values() for p in group) == RESULTS and len(RESULTS) >= 46


@pytest.mark.parametrize("family", GROUPS)
def test_every_committed_results_file_replays(family):
    """The committed results still follow from the code: the first steps, re-run on this CPU, agree
    (exactly, or exactly with portable kernels for a file made on another processor)."""
    failures, native = [], []
    for path in GROUPS[family]:
        record = read(path)
        if "portable" not in record["replay"]:
            failures.append(f"{path.name}: no portable record (python -m ardemo.experiments replay --record-portable)")
        elif mode_here(record) == "exact":
            native.append(path)
        else:  # made on another processor: here too it goes the portable way, which the next test runs for every file
            assert mode_here(record) == "portable", f"{path.name}: would be compared only in standard errors here"
    for path, outcome in zip(native, replay_many(native)):
        if isinstance(outcome, Exception):
            failures.append(str(outcome))
        elif outcome.mode != "exact":
            failures.append(f"{path.name}: {outcome}")
    assert native and not failures, "\n".join(failures)


@pytest.mark.parametrize("family", GROUPS)
def test_every_committed_results_file_replays_with_another_processors_kernels(family):
    """The same on another processor (ATen's default kernels stand in for one), in a child process:
    every file is compared with portable kernels, exactly."""
    done = subprocess.run(
        [sys.executable, "-m", "ardemo.experiments", "replay", *map(str, GROUPS[family])],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **OTHER_PROCESSOR},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if "logged values agree" in line]
    assert len(lines) == len(GROUPS[family])
    assert all("exactly, with portable kernels" in line for line in lines), done.stdout
