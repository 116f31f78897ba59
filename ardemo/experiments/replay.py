"""Replay: re-run the first steps of a results file on the CPU and compare the logged metrics.

A file made on the CPU must match to floating-point tolerance; one made on another device (whose
random stream differs) must agree within the standard errors it records. A mismatch names the file
and the command that regenerates it.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import results as R
from .registry import REGISTRY, Run

RTOL, ATOL = 1e-5, 1e-6  # the same code on the same kind of device: rounding only
SIGMAS = 5.0  # another device: within five combined standard errors


class ReplayMismatch(AssertionError):
    """The replayed metrics differ from the file's."""


@dataclass
class ReplayReport:
    """What a replay compared: ``steps`` re-run, ``points`` compared, the largest difference in
    standard errors (``max_sigmas``, other devices) or relative terms (``max_relative``, CPU files)."""

    steps: int
    points: int
    exact: bool
    max_relative: float
    max_sigmas: float

    def __str__(self) -> str:
        how = f"max relative difference {self.max_relative:.1e}" if self.exact else f"max {self.max_sigmas:.2f} sigma"
        return f"replayed {self.steps} steps, {self.points} logged values agree ({how})"


def replay(path: Path, steps: int | None = None) -> ReplayReport:
    """Replay ``path`` (see the module docstring); raises :class:`ReplayMismatch` on a difference."""
    import torch

    from .cli import make_settings

    record = R.read(path)
    name = record["experiment"]
    if name not in REGISTRY:
        raise ValueError(f"{path}: made by experiment {name!r}, which is not registered here")
    experiment = REGISTRY[name]
    settings = make_settings(experiment, record["settings"])
    steps = record["replay"]["steps"] if steps is None else steps
    exact = record["provenance"]["device_type"] == "cpu"
    threads = torch.get_num_threads()
    if exact and record["provenance"].get("threads"):  # the same reductions as the run that made the file
        torch.set_num_threads(record["provenance"]["threads"])
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run = Run(experiment, settings, torch.device("cpu"), Path(tmp), stop_after=steps)
            outcome = experiment.fn(settings, run)
    finally:
        torch.set_num_threads(threads)
    logged = record["log"]
    now = outcome.log
    index = {s: i for i, s in enumerate(now.steps)}
    points, max_rel, max_sig = 0, 0.0, 0.0
    for j, step in enumerate(logged["steps"]):
        if step > steps or step not in index:
            continue
        i = index[step]
        for metric, error in record["replay"]["metrics"].items():
            a, b = logged["metrics"][metric][j], now.metrics[metric][i]
            if a is None and math.isnan(b):  # not recorded at this step, then or now
                continue
            if a is None or b is None or not math.isfinite(b):
                raise ReplayMismatch(_message(path, record, step, metric, a, b, "a missing or non-finite value"))
            points += 1
            if exact:
                rel = abs(a - b) / max(abs(a), 1e-30)
                max_rel = max(max_rel, rel)
                if abs(a - b) > ATOL + RTOL * abs(a):
                    raise ReplayMismatch(_message(path, record, step, metric, a, b, f"relative difference {rel:.1e}"))
            else:
                ea = logged["metrics"][error][j] if error else 0.0
                eb = now.metrics[error][i] if error else 0.0
                sigma = math.hypot(ea, eb)
                z = abs(a - b) / sigma if sigma > 0 else (0.0 if a == b else math.inf)
                max_sig = max(max_sig, z)
                if z > SIGMAS:
                    raise ReplayMismatch(_message(path, record, step, metric, a, b, f"{z:.1f} standard errors"))
    if points == 0:
        raise ReplayMismatch(f"{path}: no logged value within the first {steps} steps to compare")
    return ReplayReport(steps, points, exact, max_rel, max_sig)


def _message(path: Path, record: dict, step: int, metric: str, a: object, b: object, how: str) -> str:
    return (
        f"{path}: the replay differs from the file at step {step}: {metric} {a} in the file, {b} now ({how}). "
        f"The code no longer makes this result; if the change is intended, regenerate the file with:\n"
        f"    {record['command']}"
    )
