"""Benchmark: autoregressive sampling against log_prob and against naive sampling.

Sampling fills sites one at a time but computes only row i of every layer at step i,
so a whole batch costs about one network pass. Naive sampling reruns the full network
once per site. Ratios are measured in one run on one machine; absolute times vary.

    python tests/benchmarks/bench_sampling.py [--features 64] [--depth 3] [--batch 10000]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

import ardemo


def naive_sample(model: ardemo.AutoregressiveModel, n: int) -> torch.Tensor:
    """One full forward pass per site: the simple method the library avoids."""
    x = torch.zeros(n, model.features, device=model.layers[0].weight.device)
    for i in range(model.features):
        x[:, i] = torch.bernoulli(torch.sigmoid(model(x)[:, i]))
    return x


def _timed(fn) -> float:
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def interleaved_times(fns: dict, repeats: int) -> dict[str, list[float]]:
    """Times of each function per round, calling them in turn each round so that a slow
    spell of the machine hits all of them alike."""
    for fn in fns.values():
        fn()  # warm-up
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            times[name].append(_timed(fn))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()

    ardemo.seed_all(0)
    dev = ardemo.device()
    model = ardemo.AutoregressiveModel(args.features, depth=args.depth).to(dev)
    x = model.sample(args.batch)
    with torch.no_grad():
        t = interleaved_times(
            {
                "log_prob": lambda: model.log_prob(x),
                "sample": lambda: model.sample(args.batch),
                "naive": lambda: naive_sample(model, args.batch),
            },
            args.repeats,
        )
    t_log_prob, t_sample, t_naive = (statistics.median(t[name]) for name in ("log_prob", "sample", "naive"))
    # ratios within each round, then their median: robust to the machine's slow spells
    ratio = statistics.median(s / lp for s, lp in zip(t["sample"], t["log_prob"]))
    naive_ratio = statistics.median(nv / s for nv, s in zip(t["naive"], t["sample"]))

    print(
        f"autoregressive sampling: features={args.features} depth={args.depth} batch={args.batch} "
        f"device={dev} threads={torch.get_num_threads()} torch={torch.__version__}"
    )
    print(f"  log_prob      {1e3 * t_log_prob:9.2f} ms")
    print(f"  sample        {1e3 * t_sample:9.2f} ms   sample / log_prob = {ratio:5.2f}  (target <= 3)")
    print(f"  naive sample  {1e3 * t_naive:9.2f} ms   naive / sample    = {naive_ratio:5.2f}")
    print("  (times: medians over rounds; ratios: medians of the per-round ratios)")


if __name__ == "__main__":
    main()
