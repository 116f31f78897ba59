"""Where tensors live and how runs are seeded: :func:`device` and :func:`seed_all`."""

from __future__ import annotations

import datetime
import os
import random
import subprocess
from pathlib import Path

import numpy as np
import torch

from .validation import check_int

ENV_DEVICE = "ARDEMO_DEVICE"
ENV_SEED_OFFSET = "ARDEMO_SEED_OFFSET"
ENV_THREADS = "ARDEMO_THREADS"
DEFAULT_THREADS = 1
"""Threads per process unless ``$ARDEMO_THREADS`` says otherwise (see :func:`use_threads`)."""


def _available(dev: torch.device) -> bool:
    if dev.type == "cpu":
        return True
    if dev.type == "cuda":
        return torch.cuda.is_available() and (dev.index is None or dev.index < torch.cuda.device_count())
    if dev.type == "mps":
        return torch.backends.mps.is_available()
    return False


def device() -> torch.device:
    """The device the book computes on.

    CUDA when available, else the CPU. The environment variable ``ARDEMO_DEVICE``
    (``cpu``, ``cuda``, ``cuda:1``, ``mps``) overrides the choice; a value that is not a
    device name, or names a device this machine lacks, raises :class:`ValueError`.

    >>> device().type in ("cpu", "cuda", "mps")
    True
    """
    use_threads()
    name = os.environ.get(ENV_DEVICE, "").strip()
    if not name:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise ValueError(
            f"{ENV_DEVICE}: expected a device name such as 'cpu', 'cuda' or 'cuda:0', got {name!r}"
        ) from None
    if dev.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"{ENV_DEVICE}: expected 'cpu', 'cuda[:N]' or 'mps', got {name!r}")
    if not _available(dev):
        raise ValueError(f"{ENV_DEVICE}={name!r}, but that device is not available on this machine")
    return dev


def _env_int(name: str, default: int, minimum: int) -> int:
    """The integer in the environment variable ``name`` (``default`` when unset or blank); a value that is
    not an integer >= ``minimum`` is a ``ValueError`` naming the variable."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {text!r}") from None
    if value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value}")
    return value


def threads() -> int:
    """How many CPU threads the book's torch uses: ``$ARDEMO_THREADS`` when set (an integer >= 1), else
    ``DEFAULT_THREADS`` (1).

    The book's work is many small operations; with two threads torch's workers wait on each other at
    every operation, and when another process wants a core (a second notebook, a background experiment,
    a shared CI machine) that wait grows 10-70 times. One thread costs little when alone and keeps a
    chapter's time when the processor is shared (``make bench`` measures both).

    >>> threads() >= 1
    True
    """
    return _env_int(ENV_THREADS, DEFAULT_THREADS, minimum=1)


def use_threads() -> int:
    """Apply the thread policy (:func:`threads`) to torch's intra-op pool; returns the count.
    :func:`seed_all` and :func:`device`, which every chapter calls first, apply it.

    >>> use_threads() == torch.get_num_threads() == threads()
    True
    """
    n = threads()
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def seed_offset() -> int:
    """The offset ``$ARDEMO_SEED_OFFSET`` that :func:`seed_all` adds to every seed (0 when unset).

    >>> seed_offset()
    0
    """
    return _env_int(ENV_SEED_OFFSET, 0, minimum=0)


def seed_all(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's (CPU and every CUDA device) random streams.

    The same seed gives the same numbers on the same device; CPU and GPU streams differ,
    so the book's checks never rely on particular draws. The environment variable
    ``ARDEMO_SEED_OFFSET`` (an integer >= 0) is added to every seed: a whole chapter, or the whole
    book, then runs on another random stream without an edit (``make streams``). It also applies the
    thread policy (:func:`use_threads`).

    >>> seed_all(0); a = torch.rand(2)
    >>> seed_all(0); torch.equal(a, torch.rand(2))
    True
    """
    seed = check_int("seed", seed, minimum=0, maximum=2**32 - 1) + seed_offset()
    if seed > 2**32 - 1:
        raise ValueError(f"seed: with {ENV_SEED_OFFSET}={seed_offset()} the seed {seed} exceeds 2**32 - 1")
    use_threads()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds CUDA devices too


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


def now() -> str:
    """The current UTC time, ISO 8601."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
