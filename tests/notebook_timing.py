"""pytest plugin: add up each notebook's cell times under nbval and list the slowest notebooks.

Used by ``make test`` (``-p notebook_timing``). A notebook's budget is 120 s on the project's
2-core CPU unless its metadata sets ``ardemo: {budget_s: N}``; notebooks over budget are flagged,
not failed — timing is reported, never asserted.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

DEFAULT_BUDGET_S = 120.0
_durations: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _durations[path] += report.duration


def _budget(path: str) -> float:
    try:
        meta = json.loads(Path(path).read_text()).get("metadata", {})
        return float(meta.get("ardemo", {}).get("budget_s", DEFAULT_BUDGET_S))
    except (OSError, ValueError):
        return DEFAULT_BUDGET_S


def pytest_terminal_summary(terminalreporter):
    if not _durations:
        return
    terminalreporter.section("slowest notebooks")
    for path, seconds in sorted(_durations.items(), key=lambda kv: -kv[1]):
        budget = _budget(path)
        flag = "" if seconds <= budget else "   OVER BUDGET"
        terminalreporter.write_line(f"{seconds:8.1f} s  (budget {budget:.0f} s)  {path}{flag}")
