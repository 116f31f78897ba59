"""Long runs that write results files: ``python -m ardemo.experiments``. Chapters only read the files.

Each experiment is registered under a name (:func:`register`) with typed settings; a run records its
provenance, checkpoints, resumes, and writes its results file atomically; a replay re-runs the first
steps of a committed file and compares.
"""

from . import boltzmann, ising, pixelgnn, sbn, sbn_small  # noqa: F401  (register their experiments)
from .cli import main, make_settings, run_experiment
from .pixelgnn import trained_4x4
from .registry import (
    REGISTRY,
    Experiment,
    Interrupted,
    Outcome,
    Run,
    parameters_from_json,
    parameters_to_json,
    register,
)
from .replay import ReplayMismatch, ReplayReport, replay
from .results import ENV_RESULTS_DIR, FORMAT, read, results_dir, results_file

__all__ = [
    "ENV_RESULTS_DIR",
    "Experiment",
    "FORMAT",
    "Interrupted",
    "Outcome",
    "REGISTRY",
    "ReplayMismatch",
    "ReplayReport",
    "Run",
    "main",
    "make_settings",
    "parameters_from_json",
    "parameters_to_json",
    "read",
    "register",
    "replay",
    "results_dir",
    "results_file",
    "run_experiment",
    "trained_4x4",
]
