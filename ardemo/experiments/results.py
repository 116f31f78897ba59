"""Results files: one JSON file per run, with its provenance, written atomically.

A results file holds ``format`` (``"ardemo-results/1"``), the ``experiment``, every ``setting`` (the
defaults included), the ``command`` that regenerates it, the ``data`` it read, the ``provenance``
(commit, whether the tree was clean, torch, device, seed, start time, wall time, steps per second),
the ``log`` of metrics recorded every few steps and the ``final`` metrics with their standard errors.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import torch

FORMAT = "ardemo-results/1"
ENV_RESULTS_DIR = "ARDEMO_RESULTS_DIR"
REQUIRED = ("format", "experiment", "settings", "command", "data", "provenance", "log", "final")


def results_dir() -> Path:
    """Where results files are read: ``$ARDEMO_RESULTS_DIR`` when set (the Makefile sets it to the book's
    ``book/data``), else ``data/`` or ``book/data/`` below the working directory (a chapter runs in
    ``book/``, a command in the repository's root). It never depends on where the package is installed."""
    env = os.environ.get(ENV_RESULTS_DIR, "").strip()
    if env:
        return Path(env)
    for candidate in (Path("data"), Path("book") / "data"):
        if candidate.is_dir():
            return candidate.resolve()
    raise FileNotFoundError(
        f"no results folder: set {ENV_RESULTS_DIR} to the folder that holds the results files "
        f"(book/data in the repository), or run from the repository or from book/"
    )


def results_file(name: str) -> Path:
    """The results file ``name`` in :func:`~ardemo.experiments.results.results_dir`.

    >>> import os, tempfile
    >>> os.environ["ARDEMO_RESULTS_DIR"] = tempfile.gettempdir()
    >>> results_file("x.json").parent == Path(tempfile.gettempdir())
    True
    >>> del os.environ["ARDEMO_RESULTS_DIR"]
    """
    return results_dir() / name


def git_commit(cwd: Path | None = None) -> tuple[str, bool]:
    """The commit of the working directory's checkout and whether tracked files differ from it
    (``("unknown", False)`` outside a git checkout)."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, cwd=cwd
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            cwd=cwd,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown", False
    return sha, bool(status)


def device_name(device: torch.device) -> str:
    """A readable name: the GPU's model for CUDA, else ``cpu`` with the processor.

    >>> device_name(torch.device("cpu")).startswith("cpu")
    True
    """
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def file_checksum(paths: list[Path]) -> str:
    """SHA-256 over the contents of ``paths`` (in the order given).

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "a"; _ = p.write_bytes(b"abc")
    >>> file_checksum([p])[:12]
    'ba7816bf8f01'
    """
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def now() -> str:
    """The current UTC time, ISO 8601."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def check_writable(path: Path) -> Path:
    """Fail before any training when ``path`` cannot be written (a missing folder is created)."""
    path = Path(path)
    if path.exists() and path.is_dir():
        raise ValueError(f"--out: {path} is a folder; expected a file name such as {path / 'results.json'}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        probe = path.parent / f".ardemo-write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        raise ValueError(f"--out: cannot write to {path.parent} ({error.strerror})") from None
    return path


def write_atomically(path: Path, record: dict) -> None:
    """Write ``record`` as JSON to a temporary file beside ``path`` and rename it: a reader sees the old
    file or the new one, never a partial one."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(json.dumps(record, indent=1) + "\n")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def read(path: Path) -> dict[str, Any]:
    """Read and check a results file: a clear ``ValueError`` for a corrupt or foreign one."""
    path = Path(path)
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a results file (not readable JSON: {error})") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        found = record.get("format") if isinstance(record, dict) else type(record).__name__
        raise ValueError(f"{path}: not a results file of this version (format {found!r}, expected {FORMAT!r})")
    missing = [k for k in REQUIRED if k not in record]
    if missing:
        raise ValueError(f"{path}: a results file without {missing}")
    return record


def is_results_file(path: Path) -> bool:
    """Whether ``path`` is a JSON file in the results format (quietly ``False`` otherwise)."""
    try:
        read(path)
    except (ValueError, FileNotFoundError):
        return False
    return True
