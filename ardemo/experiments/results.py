"""Results files: one JSON file per run, with its provenance, written atomically.

A results file holds ``format`` (``"ardemo-results/1"``), the ``experiment``, every ``setting`` (the
defaults included), the ``command`` that regenerates it, the ``data`` it read, the ``provenance``
(commit, whether the tree was clean, torch, device, seed, start time, wall time, steps per second),
the ``log`` of metrics recorded every few steps and the ``final`` metrics with their standard errors.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
from pathlib import Path
from typing import Any

import torch

from ..core.runtime import git_commit, now  # noqa: F401 (part of this module's interface)

FORMAT = "ardemo-results/1"
ENV_RESULTS_DIR = "ARDEMO_RESULTS_DIR"
PACKAGED_RESULTS = Path(__file__).resolve().parents[2] / "book" / "data"
"""The results files beside the package, in ``book/data`` of the checkout an editable install points at.

:meta hide-value:
"""
REQUIRED = ("format", "experiment", "settings", "command", "data", "provenance", "replay", "log", "final")


def results_dir() -> Path:
    """Where results files are read: ``$ARDEMO_RESULTS_DIR`` when set; else ``data/`` or ``book/data/``
    below the working directory (a chapter runs in ``book/``, a command in the repository's root); else
    the results files that came with the package: ``book/data`` of the checkout that the README's install
    (``pip install -e .``) points the package at. So a chapter downloaded as ``.ipynb`` runs from any folder.
    """
    env = os.environ.get(ENV_RESULTS_DIR, "").strip()
    if env:
        return Path(env)
    for candidate in (Path("data"), Path("book") / "data", PACKAGED_RESULTS):
        if candidate.is_dir():
            return candidate.resolve()
    raise FileNotFoundError(
        f"no results folder: set {ENV_RESULTS_DIR} to the folder that holds the results files "
        f"(book/data in the repository), run from the repository or from book/, or install the package "
        f"from its checkout (pip install -e .; looked for {PACKAGED_RESULTS})"
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


def device_name(device: torch.device) -> str:
    """A readable name: the GPU's model for CUDA, else ``cpu`` with the processor.

    >>> device_name(torch.device("cpu")).startswith("cpu")
    True
    """
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def _cpuinfo() -> dict[str, str]:
    """The first processor's entries of ``/proc/cpuinfo`` (empty where there is none)."""
    out: dict[str, str] = {}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return out
    for line in text.splitlines():
        if not line.strip():
            if out:
                break
            continue
        key, _, value = line.partition(":")
        out.setdefault(key.strip().lower(), value.strip())
    return out


def _vector_isa(flags: set[str]) -> str:
    """The widest vector instructions the processor offers (what MKL and oneDNN dispatch on)."""
    for isa, needs in (
        ("avx512", {"avx512f", "avx512bw", "avx512vl"}),
        ("avx2", {"avx2", "fma"}),
        ("avx", {"avx"}),
        ("sve", {"sve"}),
        ("neon", {"asimd"}),
    ):
        if needs <= flags:
            return isa
    return "baseline"


def _library_versions() -> dict[str, str]:
    config = torch.__config__.show()
    out = {}
    for name, pattern in (
        ("blas", r"BLAS_INFO=(\w+)"),
        ("mkl", r"Math Kernel Library Version ([\w.-]+)"),
        ("onednn", r"MKL-DNN v([\d.]+)"),
    ):
        found = re.search(pattern, config)
        if found:
            out[name] = found.group(1)
    return out


def processor(device: torch.device | None = None) -> dict[str, Any]:
    """What made (or replays) a run's numbers, as far as rounding goes. For the CPU: the processor (vendor,
    model name, family/model/stepping, a digest of its feature flags, its widest vector instructions), the
    ATen CPU capability in use (``$ATEN_CPU_CAPABILITY`` changes it), the BLAS, MKL and oneDNN builds, torch
    and the thread count; for CUDA: the GPU, its compute capability, CUDA, cuDNN and torch. Two runs whose
    signatures agree (:func:`same_processor`) round alike.

    >>> sig = processor(torch.device("cpu"))
    >>> sig["kind"], sig["aten_capability"] == torch.backends.cpu.get_cpu_capability()
    ('cpu', True)
    """
    device = torch.device("cpu") if device is None else torch.device(device)
    if device.type == "cuda":
        major, minor = torch.cuda.get_device_capability(device)
        return {
            "kind": "cuda",
            "model": torch.cuda.get_device_name(device),
            "compute_capability": f"{major}.{minor}",
            "cuda": torch.version.cuda,
            "cudnn": str(torch.backends.cudnn.version()),
            "torch": torch.__version__,
        }
    if device.type != "cpu":
        return {"kind": device.type, "torch": torch.__version__}
    info = _cpuinfo()
    flags = set((info.get("flags") or info.get("features") or "").split())
    family = "/".join(info.get(k, "?") for k in ("cpu family", "model", "stepping"))
    return {
        "kind": "cpu",
        "machine": platform.machine(),
        "vendor": info.get("vendor_id", info.get("cpu implementer", "unknown")),
        "model": info.get("model name") or platform.processor() or platform.machine(),
        "family": family,
        "flags_sha256": hashlib.sha256(" ".join(sorted(flags)).encode()).hexdigest()[:16],
        "vector_isa": _vector_isa(flags),
        "aten_capability": torch.backends.cpu.get_cpu_capability(),
        **_library_versions(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }


def same_processor(a: dict | None, b: dict | None) -> bool:
    """Whether two :func:`processor` signatures round alike (every entry but the thread count, which a
    replay sets to the file's, agrees); ``False`` when either is unknown.

    >>> sig = processor()
    >>> same_processor(sig, {**sig, "threads": 64}), same_processor(sig, {**sig, "aten_capability": "X"})
    (True, False)
    """
    if not isinstance(a, dict) or not isinstance(b, dict):
        return False
    strip = lambda sig: {k: v for k, v in sig.items() if k != "threads"}  # noqa: E731
    return strip(a) == strip(b)


PORTABLE_ENV = {
    "ATEN_CPU_CAPABILITY": "default",
    "MKL_CBWR": "COMPATIBLE",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "ARDEMO_THREADS": "1",
}
"""Kernels whose rounding does not depend on the x86-64 processor (ATen's scalar ``default`` kernels, MKL in
its conditional-numerical-reproducibility mode ``COMPATIBLE``, one thread)."""


def portable_signature() -> dict[str, Any]:
    """What the portable kernels' rounding still depends on: the architecture, torch and its MKL, the C
    library (``exp``, ``log`` of the scalar kernels) and whether that library takes its FMA variants.

    >>> set(portable_signature()) == {"machine", "torch", "mkl", "libc", "libm_fma"}
    True
    """
    flags = set((_cpuinfo().get("flags") or "").split())
    return {
        "machine": platform.machine(),
        "torch": torch.__version__,
        "mkl": _library_versions().get("mkl", "none"),
        "libc": " ".join(platform.libc_ver()) or "unknown",
        "libm_fma": {"fma", "avx2"} <= flags,
    }


def in_portable_mode() -> bool:
    """Whether this process computes with the :data:`PORTABLE_ENV` kernels (they are chosen when torch
    starts, so a process is started in this mode, not switched into it)."""
    return (
        torch.backends.cpu.get_cpu_capability() == "DEFAULT"
        and os.environ.get("MKL_CBWR", "").upper().startswith("COMPATIBLE")
        and torch.get_num_threads() == 1
    )


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


def check_replaceable(path: Path, experiment: str, force: bool = False) -> Path:
    """Refuse to replace an existing ``path`` that is not a results file of ``experiment`` (a user's
    notes, a chapter, a results file of another run), unless ``force``."""
    path = Path(path)
    if not path.exists() or force:
        return path
    try:
        theirs = read(path)["experiment"]
    except ValueError:
        raise ValueError(
            f"--out: {path} exists and is not a results file; choose another path, or pass --force to replace it"
        ) from None
    if theirs != experiment:
        raise ValueError(
            f"--out: {path} is a results file of {theirs!r}, not of {experiment!r}; choose another path, "
            "or pass --force to replace it"
        )
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
    for key, inner in (("provenance", ("device_type", "commit")), ("replay", ()), ("settings", ())):
        if not isinstance(record[key], dict):
            raise ValueError(f"{path}: {key}: expected a JSON object, got {type(record[key]).__name__}")
        lacking = [k for k in inner if k not in record[key]]
        if lacking:
            raise ValueError(f"{path}: a results file whose {key} lacks {lacking}")
    return record


def is_results_file(path: Path) -> bool:
    """Whether ``path`` is a JSON file in the results format (quietly ``False`` otherwise)."""
    try:
        read(path)
    except (ValueError, FileNotFoundError):
        return False
    return True
