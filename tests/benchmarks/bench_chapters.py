"""Benchmark: each chapter's execution time alone and beside one busy torch process, in one run.

Every chapter is executed as the book executes it (jupytext to .ipynb, then nbclient), once with the
machine to itself and once while another process trains a sigmoid belief network in a loop (the kind
of work a background experiment or a second notebook does). The busy process follows the book's
thread policy (``ARDEMO_THREADS``, default one thread), or ``--busy-threads N``; the chapters run
with the policy as they are. Prints seconds alone, seconds beside the busy process and their ratio
(the goal: at most 1.5), and the chapter's budget (120 s alone on the project's 2-core CPU).

    python tests/benchmarks/bench_chapters.py [--chapters rebar,boltzmann_nce] [--busy-threads 1]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import jupytext
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
BUDGET_S = 120.0

BUSY = """
import torch, ardemo
from ardemo.experiments.sbn import build_sbn
from ardemo.learning.elbo import ElboTrainer
ardemo.seed_all(0)
data = torch.bernoulli(torch.full((2400, 784), 0.3))
trainer = ElboTrainer(build_sbn("nonlinear", 200, data_mean=data.mean(0)), "rebar", lr=3e-4, normalise=True)
print("busy with", torch.get_num_threads(), "thread(s)", flush=True)
while True:
    for k in range(0, 2400, 24):
        trainer.step(data[k : k + 24])
"""


def chapters() -> list[Path]:
    return sorted(p for p in BOOK.glob("*.md") if re.search(r"^kernelspec:", p.read_text(), re.MULTILINE))


def execute(chapter: Path) -> float:
    """Seconds to execute ``chapter`` (in book/, as jupyter-book does)."""
    notebook = jupytext.read(chapter)
    start = time.perf_counter()
    NotebookClient(notebook, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(BOOK)}}).execute()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapters", default="", help="comma-separated chapter names (default: every chapter)")
    parser.add_argument("--busy-threads", type=int, default=None, help="threads of the busy process")
    args = parser.parse_args()
    selected = chapters()
    if args.chapters:
        names = set(args.chapters.split(","))
        selected = [c for c in selected if c.stem in names]
    env = dict(os.environ)
    if args.busy_threads is not None:
        env["ARDEMO_THREADS"] = str(args.busy_threads)
    print(f"{'chapter':28s} {'alone s':>8s} {'beside s':>9s} {'ratio':>6s}  budget", flush=True)
    worst = 0.0
    for chapter in selected:
        alone = execute(chapter)
        busy = subprocess.Popen([sys.executable, "-c", BUSY], env=env, stdout=subprocess.PIPE, text=True)
        threads = busy.stdout.readline().strip()  # started and training
        try:
            beside = execute(chapter)
        finally:
            busy.kill()
            busy.wait()
        ratio = beside / alone
        worst = max(worst, ratio)
        flag = "" if alone <= BUDGET_S and ratio <= 1.5 else "  OVER"
        print(f"{chapter.stem:28s} {alone:8.1f} {beside:9.1f} {ratio:6.2f}  {BUDGET_S:.0f} s{flag}", flush=True)
    print(f"busy process: {threads}; chapters with ARDEMO_THREADS={os.environ.get('ARDEMO_THREADS', '(unset: 1)')}")
    print(f"worst ratio beside / alone: {worst:.2f} (goal <= 1.5)")


if __name__ == "__main__":
    main()
