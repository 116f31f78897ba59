"""Benchmark: host reads per training step of every library training loop, in one run.

A host read (``item``, ``bool``, ``int``, ``float``, ``tolist`` of a tensor) makes a GPU wait for the
queued work and copy the value back; inside a training step it stalls every step. For each loop of
``tests/host_read_cases.py`` this prints the reads of one step (those of 11 steps less those of 1)
made by ardemo's own code with validation off (the goal: 0) and on, and those made by any code outside
torch (the test's own and the caller's included). Reads inside torch (an optimiser's step counter) are
not counted.

    python tests/benchmarks/bench_host_reads.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from host_read_cases import loops, reads_per_step  # noqa: E402

import ardemo  # noqa: E402


def main() -> None:
    rows = []
    for name, make in loops().items():
        ardemo.set_validate_args(False)
        off, where = reads_per_step(make)
        everyone, _ = reads_per_step(make, package=None)
        ardemo.set_validate_args(True)
        on, where_on = reads_per_step(make)
        rows.append((name, off, on, everyone, where_on))
    width = max(len(r[0]) for r in rows)
    print(f"{'loop':{width}}  ardemo, validation off  ardemo, validation on  all callers, off")
    for name, off, on, everyone, _ in rows:
        print(f"{name:{width}}  {off:22.1f}  {on:21.1f}  {everyone:16.1f}")
    print("\nwhere the reads with validation on come from (11 steps):")
    for name, _, on, _, where in rows:
        if on:
            print(f"  {name}: {where}")
    bad = [r[0] for r in rows if r[1]]
    if bad:
        raise SystemExit(f"loops with host reads in ardemo's code while validation is off: {bad}")


if __name__ == "__main__":
    main()
