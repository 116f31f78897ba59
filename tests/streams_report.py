"""Summarise `make streams`: for every notebook cell that failed on some random stream, which offsets.

    python tests/streams_report.py build/streams/offset-*.xml

Each file is the JUnit XML of one nbval run with ARDEMO_SEED_OFFSET set (its name ends in -OFFSET.xml).
Exits 1 when any cell failed on any offset.
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path


def main(paths: list[str]) -> int:
    failed: dict[str, list[str]] = defaultdict(list)
    counts = {}
    for path in paths:
        offset = re.search(r"-(\d+)\.xml$", path)
        offset = offset.group(1) if offset else Path(path).stem
        cases = ET.parse(path).getroot().iter("testcase")
        total = bad = 0
        for case in cases:
            total += 1
            if case.find("failure") is not None or case.find("error") is not None:
                bad += 1
                failed[f"{case.get('classname')}::{case.get('name')}"].append(offset)
        counts[offset] = (total, bad)
    print(f"{'seed offset':>12s} {'cells':>6s} {'failed':>7s}")
    for offset, (total, bad) in sorted(counts.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0):
        print(f"{offset:>12s} {total:6d} {bad:7d}")
    if not failed:
        print("every cell passed on every offset")
        return 0
    print("\ncells that failed, with the offsets they failed on:")
    for cell, offsets in sorted(failed.items()):
        print(f"  {cell}: {', '.join(offsets)}")
    return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
