"""Benchmark: Gibbs sweeps of a fully visible Boltzmann machine, vectorised over chains against a
per-chain, per-unit Python loop. Throughput is chain-sweeps per second; the ratio is measured in
one run on one machine.

    python tests/benchmarks/bench_gibbs.py [--units 64] [--chains 1000] [--loop-chains 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from bench_sampling import interleaved_times  # noqa: E402

import ardemo  # noqa: E402
from ardemo import BoltzmannMachine, gibbs_sweep, gibbs_sweep_loop  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--chains", type=int, default=1000)
    parser.add_argument("--loop-chains", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    ardemo.seed_all(0)
    dev = ardemo.device()
    model = BoltzmannMachine(args.units, weight_scale=0.1).to(dev)
    w, b = model.weight.detach(), model.bias.detach()
    x = torch.bernoulli(torch.full((args.chains, args.units), 0.5, device=dev))
    x_loop = x[: args.loop_chains].cpu()
    t = interleaved_times(
        {"vectorised": lambda: gibbs_sweep(x, w, b), "loop": lambda: gibbs_sweep_loop(x_loop, w.cpu(), b.cpu())},
        args.repeats,
    )
    rates = [(args.chains / v, args.loop_chains / lp) for v, lp in zip(t["vectorised"], t["loop"])]
    fast = statistics.median(r[0] for r in rates)
    slow = statistics.median(r[1] for r in rates)
    ratio = statistics.median(r[0] / r[1] for r in rates)
    print(f"Gibbs sweeps: units={args.units} device={dev} threads={torch.get_num_threads()} torch={torch.__version__}")
    print(f"  vectorised, {args.chains} chains  {fast:12,.0f} chain-sweeps/s")
    print(f"  Python loop, {args.loop_chains} chains  {slow:12,.1f} chain-sweeps/s (on the CPU)")
    print(f"  vectorised / loop = {ratio:,.0f}  (median of per-round ratios)")


if __name__ == "__main__":
    main()
