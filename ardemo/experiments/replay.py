"""Replay: re-run the first steps of a results file on the CPU and compare the logged metrics.

A discrete sample flips on a last-bit difference, and the run then goes down another path; so how a
replay compares depends on where it runs. Three ways, the first that applies:

1. **Exact on the processor that made the file** (``mode="exact"``; relative ``RTOL``): this CPU's
   :func:`~ardemo.experiments.results.processor` signature (vendor, model, feature flags, vector
   instructions, ATen CPU capability, BLAS, MKL, oneDNN, torch) equals the maker's, or an exact replay on
   such a processor is recorded in the file's ``replay.exact_on``.
2. **Exact with portable kernels** (``mode="portable"``): the file carries ``replay.portable``, the same
   first steps computed with kernels whose rounding does not depend on the x86-64 processor
   (:data:`~ardemo.experiments.results.PORTABLE_ENV`: ATen's scalar kernels, MKL's ``COMPATIBLE`` mode,
   one thread), and this machine has the same :func:`~ardemo.experiments.results.portable_signature`
   (architecture, torch, MKL, C library). The replay runs with those kernels (in a child process unless
   this one runs with them already) and must agree to rounding. It cannot fail by chance, and it sees
   any change of the code that the first way sees.
3. **In standard errors** (``mode="statistical"``), everywhere else (another torch or architecture, a
   file made on a GPU): each compared value with the per-step standard error the registry names for it
   (``free_energy`` -> ``error``, ``elbo`` -> ``elbo_se``, ``loss`` -> ``loss_se``, ...), from the file
   and from the replay (a file made before a column existed is given the replay's: the same code on
   the same batch estimates the same spread). Each value must lie within ``z*`` combined standard
   errors, and so must their standardised sum, with ``z*`` the Student-t (``DF`` degrees of freedom: the
   smallest batch a registered experiment logs) quantile at ``ALPHA / (4 n)`` for ``n`` values (``ALPHA
   / 4`` for the sum): a correct replay fails by chance with probability below ``ALPHA`` = 1e-4 per file.
   This way sees only changes that move a logged value by several standard errors.

A mismatch names the file and the command that regenerates it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.runtime import ENV_THREADS
from . import results as R
from .registry import REGISTRY, Run, make_settings

RTOL, ATOL = 1e-5, 1e-6  # exact ways: rounding only
ALPHA = 1e-4  # in standard errors: the chance that a correct replay fails, per file
DF = 23  # degrees of freedom of the least precise per-step standard error (rebar-sbn: batch 24)
MODES = ("exact", "portable", "statistical")


class ReplayMismatch(AssertionError):
    """The replayed metrics differ from the file's."""


def critical_sigmas(points: int, alpha: float = ALPHA, df: int = DF) -> float:
    """The two-sided Bonferroni threshold, in standard errors, for ``points`` compared values.

    >>> round(critical_sigmas(1), 2), round(critical_sigmas(3), 2)
    (4.69, 5.14)
    """
    from scipy.stats import t

    return float(t.isf(alpha / (2 * max(points, 1)), df))


@dataclass
class ReplayReport:
    """What a replay compared: ``steps`` re-run, ``points`` compared, the ``mode`` (see the module
    docstring), the largest relative difference and, in standard errors, the largest difference
    (``max_sigmas``), the standardised sum (``combined``) and the ``limit`` they were held to."""

    steps: int
    points: int
    mode: str
    max_relative: float
    max_sigmas: float = 0.0
    limit: float | None = None
    combined: float = 0.0

    @property
    def exact(self) -> bool:
        """Whether the comparison was to rounding (the first two ways)."""
        return self.mode != "statistical"

    def __str__(self) -> str:
        if self.mode == "exact":
            how = f"exactly: max relative difference {self.max_relative:.1e}"
        elif self.mode == "portable":
            how = f"exactly, with portable kernels: max relative difference {self.max_relative:.1e}"
        else:
            how = (
                f"in standard errors: max {self.max_sigmas:.2f} of {self.limit:.2f} allowed, "
                f"{self.combined:.2f} summed; max relative difference {self.max_relative:.1e}"
            )
        return f"replayed {self.steps} steps, {self.points} logged values agree ({how})"


def mode_here(record: dict) -> str:
    """How a replay of ``record`` on this machine compares (see the module docstring)."""
    if _replays_exactly_on(record, R.processor()):
        return "exact"
    portable = record["replay"].get("portable")
    if isinstance(portable, dict) and portable.get("signature") == R.portable_signature():
        return "portable"
    return "statistical"


def _replays_exactly_on(record: dict, signature: dict) -> bool:
    """Whether ``record`` was made on, or was checked to replay exactly on, a processor like ``signature``."""
    prov = record["provenance"]
    made = [prov.get("processor")] if prov.get("device_type") == "cpu" else []
    return any(R.same_processor(sig, signature) for sig in [*made, *record["replay"].get("exact_on", [])])


def _portable_record(path: Path, record: dict) -> dict:
    portable = record["replay"].get("portable")
    if not isinstance(portable, dict) or "log" not in portable or "steps" not in portable:
        raise ValueError(f"{path}: no replay.portable record to compare with portable kernels")
    return portable


def _read(path: Path) -> tuple[dict, Any]:
    record = R.read(path)
    name = record["experiment"]
    if name not in REGISTRY:
        raise ValueError(f"{path}: made by experiment {name!r}, which is not registered here")
    for key in ("replay", "provenance"):
        if not isinstance(record.get(key), dict):
            raise ValueError(f"{path}: a results file without its {key!r} record")
    return record, REGISTRY[name]


def run_prefix(path: Path, steps: int | None = None) -> dict:
    """Re-run the first ``steps`` steps (default: the file's ``replay.steps``) of ``path`` on the CPU with
    the file's settings and thread count; returns the replay's log (``{"steps", "metrics"}``)."""
    import torch

    record, experiment = _read(path)
    settings = make_settings(experiment, record["settings"])
    steps = record["replay"].get("steps") if steps is None else steps
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"{path}: replay.steps: expected an integer >= 1, got {steps!r}")
    threads, policy = torch.get_num_threads(), os.environ.get(ENV_THREADS)
    made_with = record["provenance"].get("threads") or 1
    os.environ[ENV_THREADS] = str(made_with)  # the same reductions as the run that made the file
    torch.set_num_threads(made_with)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run = Run(experiment, settings, torch.device("cpu"), Path(tmp), stop_after=steps)
            outcome = experiment.fn(settings, run)
    finally:
        if policy is None:
            os.environ.pop(ENV_THREADS, None)
        else:
            os.environ[ENV_THREADS] = policy
        torch.set_num_threads(threads)
    return {"steps": list(outcome.log.steps), "metrics": {k: list(v) for k, v in outcome.log.metrics.items()}}


def portable_prefixes(paths: list[Path], steps: list[int | None] | None = None) -> list[dict]:
    """:func:`run_prefix` of each file with the portable kernels: here when this process runs with them,
    else in one child process started with :data:`~ardemo.experiments.results.PORTABLE_ENV`."""
    steps = [None] * len(paths) if steps is None else steps
    if R.in_portable_mode():
        return [run_prefix(p, n) for p, n in zip(paths, steps)]
    request = json.dumps([[str(p), n] for p, n in zip(paths, steps)])
    done = subprocess.run(
        [sys.executable, "-m", "ardemo.experiments", "portable-prefix"],
        input=request,
        capture_output=True,
        text=True,
        env={**os.environ, **R.PORTABLE_ENV},
    )
    if done.returncode:
        raise ReplayMismatch(f"the replay with portable kernels failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def replay(path: Path, steps: int | None = None, mode: str | None = None) -> ReplayReport:
    """Replay ``path`` (see the module docstring); raises :class:`ReplayMismatch` on a difference.
    ``mode`` forces one way of comparing (default: :func:`mode_here`)."""
    path = Path(path)
    record, _ = _read(path)
    mode = mode_here(record) if mode is None else mode
    if mode not in MODES:
        raise ValueError(f"mode: expected one of {MODES}, got {mode!r}")
    check_metrics_digest(path, record)
    if mode == "portable":
        portable = _portable_record(path, record)
        n = portable["steps"] if steps is None else steps
        return _compare(path, record, portable["log"], portable_prefixes([path], [n])[0], n, mode)
    n = record["replay"].get("steps") if steps is None else steps
    return _compare(path, record, record["log"], run_prefix(path, n), n, mode)


def replay_many(paths: list[Path]) -> list[ReplayReport | Exception]:
    """:func:`replay` of each file, the ones compared with portable kernels in one child process; each
    entry is the report or the error (:class:`ReplayMismatch`, ``ValueError``, ``FileNotFoundError``)."""
    out: list[ReplayReport | Exception | None] = [None] * len(paths)
    portable = []
    for k, path in enumerate(map(Path, paths)):
        try:
            record, _ = _read(path)
            if mode_here(record) == "portable" and not R.in_portable_mode():
                check_metrics_digest(path, record)
                portable.append((k, path, record, _portable_record(path, record)))
            else:
                out[k] = replay(path)
        except (ReplayMismatch, ValueError, FileNotFoundError) as error:
            out[k] = error
    if portable:
        try:
            logs = portable_prefixes([p for _, p, *_ in portable], [spec["steps"] for *_, spec in portable])
        except ReplayMismatch as error:
            logs = [error] * len(portable)
        for (k, path, record, spec), now in zip(portable, logs):
            try:
                if isinstance(now, Exception):
                    raise now
                out[k] = _compare(path, record, spec["log"], now, spec["steps"], "portable")
            except ReplayMismatch as error:
                out[k] = error
    return out  # type: ignore[return-value]


def metrics_digest(record: dict) -> str:
    """SHA-256 of a results file's logged and final metrics (and per-item values), as JSON."""
    content = {k: record.get(k) for k in ("log", "final", "per_item")}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def check_metrics_digest(path: Path, record: dict) -> None:
    """A file whose metrics changed after its portable record was made fails (:class:`ReplayMismatch`)."""
    portable = record["replay"].get("portable")
    if (
        isinstance(portable, dict)
        and "metrics_sha256" in portable
        and portable["metrics_sha256"] != metrics_digest(record)
    ):
        raise ReplayMismatch(
            f"{path}: its metrics (log, final or per-item values) were changed after the file was replayed and "
            f"given its portable record; regenerate the file with:\n    {record['command']}"
        )


def _compare(path: Path, record: dict, logged: dict, now: dict, steps: int, mode: str) -> ReplayReport:
    experiment = REGISTRY[record["experiment"]]
    index = {s: i for i, s in enumerate(now["steps"])}
    pairs = []  # (step, metric, file value, replayed value, file error, replayed error)
    for j, step in enumerate(logged["steps"]):
        if step > steps or step not in index:
            continue
        i = index[step]
        for metric, column in record["replay"].get("metrics", {}).items():
            column = column or experiment.metrics.get(metric)
            a, b = logged["metrics"][metric][j], now["metrics"][metric][i]
            if a is None and (b is None or math.isnan(b)):  # not recorded at this step, then or now
                continue
            if a is None or b is None or not math.isfinite(b):
                raise ReplayMismatch(_message(path, record, step, metric, a, b, "a missing or non-finite value"))
            ea = logged["metrics"].get(column, [None] * (j + 1))[j] if column else None
            eb = now["metrics"][column][i] if column and column in now["metrics"] else None
            pairs.append((step, metric, a, b, ea, eb))
    if not pairs:
        raise ReplayMismatch(f"{path}: no logged value within the first {steps} steps to compare")
    max_rel, max_sig, total, count = 0.0, 0.0, 0.0, 0
    limit = critical_sigmas(2 * len(pairs))  # half of ALPHA for the values one by one, half for their sum
    for step, metric, a, b, ea, eb in pairs:
        rel = abs(a - b) / max(abs(a), 1e-30)
        max_rel = max(max_rel, rel)
        if mode != "statistical":
            if abs(a - b) > ATOL + RTOL * abs(a):
                how = "relative difference" + (" with portable kernels" if mode == "portable" else "")
                raise ReplayMismatch(_message(path, record, step, metric, a, b, f"{how} {rel:.1e}"))
            continue
        if eb is None or not math.isfinite(eb):
            raise ReplayMismatch(f"{path}: {metric} has no per-step standard error to compare it in standard errors")
        sigma = math.hypot(eb if ea is None else ea, eb)
        z = abs(a - b) / sigma if sigma > 0 else (0.0 if a == b else math.inf)
        max_sig = max(max_sig, z)
        if z > limit:
            raise ReplayMismatch(
                _message(path, record, step, metric, a, b, f"{z:.1f} standard errors, more than {limit:.2f}")
            )
        if sigma > 0:
            total, count = total + (a - b) / sigma, count + 1
    if mode != "statistical":
        return ReplayReport(steps, len(pairs), mode, max_rel)
    combined, summed_limit = (abs(total) / math.sqrt(count) if count else 0.0), critical_sigmas(2)
    if combined > summed_limit:
        raise ReplayMismatch(
            f"{path}: the replay's {len(pairs)} values lie on one side of the file's, together {combined:.1f} "
            f"standard errors away (more than {summed_limit:.2f}). The code no longer makes this result; if the "
            f"change is intended, regenerate the file with:\n    {record['command']}"
        )
    return ReplayReport(steps, len(pairs), mode, max_rel, max_sig, limit, combined)


def record_exact_replay(path: Path) -> ReplayReport:
    """Replay ``path`` exactly (rounding only) and, when it agrees, add this processor's signature to the
    file's ``replay.exact_on`` (written atomically; nothing else in the file changes). A file that does
    not replay exactly here is left as it is (:class:`ReplayMismatch`)."""
    report = replay(path, mode="exact")
    record = R.read(path)
    here = R.processor()
    if not _replays_exactly_on(record, here):
        record["replay"].setdefault("exact_on", []).append(here)
        R.write_atomically(Path(path), record)
    return report


def record_portable_replay(paths: list[Path]) -> list[ReplayReport]:
    """Give each file its ``replay.portable`` record: first the file is replayed as it is (the first way
    where this processor allows, else in standard errors: the anchor, recorded with it), then its first
    steps are run with the portable kernels and their logged metrics stored, with the portable signature
    and the commit (written atomically). A file that does not replay is left as it is."""
    paths = [Path(p) for p in paths]
    commit, dirty = R.git_commit()  # the code that makes the record, as it is now
    anchors = []
    for path in paths:
        record, _ = _read(path)
        mode = mode_here(record)
        anchors.append(replay(path, mode="exact" if mode == "exact" else "statistical"))
    logs = portable_prefixes(paths)
    for path, anchor, log in zip(paths, anchors, logs):
        record = R.read(path)
        metrics = record["replay"].get("metrics", {})
        experiment = REGISTRY[record["experiment"]]
        keep = {m for m in metrics} | {c or experiment.metrics.get(m) for m, c in metrics.items()}
        record["replay"]["portable"] = {
            "signature": R.portable_signature(),
            "env": R.PORTABLE_ENV,
            "steps": record["replay"]["steps"],
            "log": {"steps": log["steps"], "metrics": {k: v for k, v in log["metrics"].items() if k in keep}},
            "metrics_sha256": metrics_digest(record),
            "made": {
                "commit": commit,
                "dirty": dirty,
                "at": R.now(),
                "on": R.processor(),
                "anchor": f"before this record, on this processor, the file {anchor}",
            },
        }
        R.write_atomically(path, record)
    return anchors


def _message(path: Path, record: dict, step: int, metric: str, a: object, b: object, how: str) -> str:
    return (
        f"{path}: the replay differs from the file at step {step}: {metric} {a} in the file, {b} now ({how}). "
        f"The code no longer makes this result; if the change is intended, regenerate the file with:\n"
        f"    {record['command']}"
    )
