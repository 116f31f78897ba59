"""Train PixelGNNs on larger critical Ising lattices and write a results file.

    python -m ardemo.experiments --sizes 8 16 --steps 4000 --out book/data/pixelgnn_results.json

Each run records its settings, device, torch version, git commit, wall time, the sampled variational
free energy :math:`F_q` (and that of the symmetrised mixture) with standard errors, and the exact
:math:`F = -\\ln Z` from Kaufman's formula. The book only shows files written by this script.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

from ..core.runtime import device as default_device
from ..core.runtime import seed_all
from ..exact.onsager import CRITICAL_COUPLING, kaufman_log_partition
from ..lattices.energy import Model, ising
from ..lattices.groups import SymmetricGroup
from ..lattices.lattice import FlatLattice, TreeLattice
from ..learning.free_energy import History, estimate_free_energy, train
from ..models.pixelgnn import PixelGNN

ENV_RESULTS_DIR = "ARDEMO_RESULTS_DIR"


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


def results_file(name: str = "pixelgnn_results.json") -> Path:
    """The results file ``name`` in :func:`results_dir`.

    >>> import os, tempfile
    >>> os.environ["ARDEMO_RESULTS_DIR"] = tempfile.gettempdir()
    >>> results_file("x.json").parent == Path(tempfile.gettempdir())
    True
    >>> del os.environ["ARDEMO_RESULTS_DIR"]
    """
    return results_dir() / name


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True, cwd=None
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, cwd=None
        ).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run(size: int, args: argparse.Namespace, dev: torch.device) -> dict:
    """Train one lattice size; return its record."""
    seed_all(args.seed)
    lattice = TreeLattice(size, 2) if args.lattice == "tree" else FlatLattice(size, 2)
    model = Model(ising(args.coupling), lattice, SymmetricGroup(2))
    net = PixelGNN(model, args.hidden, radius=args.radius).to(dev)
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, args.steps), eta_min=args.lr / 20)
    start = time.perf_counter()
    history, curve = History(), []
    chunk = max(1, args.steps // 20)
    while history.total_steps < args.steps:
        n = min(chunk, args.steps - history.total_steps)
        train(net, n, args.batch, args.lr, optimizer=optimizer, history=history, anneal=args.anneal, scheduler=schedule)
        curve.append([history.total_steps, sum(history.free_energy[-n:]) / n])
    if dev.type == "cuda":
        torch.cuda.synchronize()
    train_seconds = time.perf_counter() - start
    f_q, f_err = estimate_free_energy(net, args.samples, batch=min(args.samples, 10_000))
    f_mix, f_mix_err = estimate_free_energy(net, args.samples, mixtures=args.mixtures, batch=min(args.samples, 1_000))
    exact = -kaufman_log_partition(size, args.coupling)
    return {
        "size": size,
        "lattice": args.lattice,
        "radius": net.radius,
        "hidden": list(args.hidden),
        "graph": repr(net.graph),
        "passes": net.n_passes,
        "parameters": sum(p.numel() for p in net.parameters()),
        "steps": args.steps,
        "batch": args.batch,
        "lr": args.lr,
        "anneal": args.anneal,
        "seed": args.seed,
        "coupling": args.coupling,
        "samples": args.samples,
        "mixtures": args.mixtures,
        "train_seconds": round(train_seconds, 2),
        "ms_per_step": round(1000 * train_seconds / max(1, args.steps), 3),
        "free_energy": f_q,
        "free_energy_error": f_err,
        "mixture_free_energy": f_mix,
        "mixture_free_energy_error": f_mix_err,
        "exact_free_energy": exact,
        "kl_estimate": f_q - exact,
        "relative_error": (f_q - exact) / abs(exact),
        "mixture_relative_error": (f_mix - exact) / abs(exact),
        "training_curve": curve,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ardemo.experiments", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 16])
    parser.add_argument("--lattice", choices=["tree", "flat"], default="tree")
    parser.add_argument("--radius", type=float, default=1.5)
    parser.add_argument("--hidden", type=int, nargs="+", default=[16, 16])
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--anneal", type=int, default=0)
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--mixtures", type=int, default=16)
    parser.add_argument("--coupling", type=float, default=CRITICAL_COUPLING)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default=None, help="cpu, cuda, …; default: ardemo.device()")
    parser.add_argument("--out", type=Path, required=True, help="results file (JSON) to write")
    args = parser.parse_args(argv)
    if args.anneal > args.steps:
        parser.error(f"--anneal ({args.anneal}) must not exceed --steps ({args.steps})")
    dev = torch.device(args.device) if args.device else default_device()
    started = time.perf_counter()
    records = []
    for size in args.sizes:
        record = run(size, args, dev)
        records.append(record)
        print(
            f"L = {size}: F_q = {record['free_energy']:.4f} ± {record['free_energy_error']:.4f}, exact F = "
            f"{record['exact_free_energy']:.4f}, relative error {record['relative_error']:.2e}, "
            f"{record['ms_per_step']} ms/step",
            flush=True,
        )
    result = {
        "command": "python -m ardemo.experiments " + " ".join(sys.argv[1:] if argv is None else argv),
        "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else str(dev),
        "torch": torch.__version__,
        "commit": _commit(),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "runs": records,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
