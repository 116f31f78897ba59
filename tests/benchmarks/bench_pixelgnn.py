"""Benchmark: PixelGNN sampling by graph depth against one node at a time, and the training step.

The sampler fills every node of one graph depth together, reusing cached features:
``max_depth + 1`` passes per batch. The naive sampler reruns the whole network once per node.
Ratios are measured in one run, interleaved; absolute samples/s vary between machines.

    python tests/benchmarks/bench_pixelgnn.py [--batch 1000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sampling import interleaved_times  # noqa: E402

import ardemo  # noqa: E402
from ardemo import (  # noqa: E402
    FlatLattice,
    Model,
    PixelGNN,
    SymmetricGroup,
    TreeLattice,
    ising,
)
from ardemo import free_energy as fe  # noqa: E402


@torch.no_grad()
def naive_sample(net: PixelGNN, n: int) -> torch.Tensor:
    """One full network pass per node, in node order."""
    g, nodes = net.model.group.order, net.model.lattice.n_nodes
    y = torch.zeros(n, nodes, dtype=torch.long, device=net.biases[0].device)
    for k in range(nodes):
        logits = net.network(F.one_hot(y, g).to(net.biases[0].dtype))[:, k]
        y[:, k] = torch.distributions.Categorical(logits=logits).sample()
    return net.model.decode(y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    ardemo.seed_all(0)
    dev = ardemo.device()
    print(f"device {dev}, batch {args.batch}, {args.repeats} interleaved rounds (medians)")
    cases = [
        ("flat 4x4, r = 2.01", FlatLattice(4, 2), 2.01),
        ("tree 4x4, r = 1.5", TreeLattice(4, 2), 1.5),
        ("flat 16x16, r = 1.01", FlatLattice(16, 2), 1.01),
        ("tree 16x16, r = 1.0", TreeLattice(16, 2), 1.0),
    ]
    for name, lattice, radius in cases:
        net = PixelGNN(Model(ising(0.44), lattice, SymmetricGroup(2)), [8, 8], radius=radius).to(dev)
        net.passes = 0
        net.sample(2)
        assert net.passes == net.graph.max_depth + 1, "sampling must take max_depth + 1 passes"
        fns = {"depth": lambda: net.sample(args.batch)}
        if lattice.n_sites <= 16:
            fns["naive"] = lambda: naive_sample(net, args.batch)
        times = interleaved_times(fns, args.repeats)
        depth_s = statistics.median(times["depth"])
        line = (
            f"{name:22s} {net.n_passes:3d} passes for {lattice.n_nodes:3d} nodes: "
            f"{args.batch / depth_s:10,.0f} samples/s"
        )
        if "naive" in times:
            ratios = [a / b for a, b in zip(times["naive"], times["depth"])]
            line += f"; naive / by-depth time = {statistics.median(ratios):.1f}"
        print(line)
    net = PixelGNN(Model(ising(0.44), TreeLattice(4, 2), SymmetricGroup(2)), [8, 8], radius=1.5).to(dev)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    step = {
        "train step": lambda: fe.train(net, 1, args.batch, optimizer=optimizer),
        "sample only": lambda: net.sample(args.batch),
    }
    times = interleaved_times(step, args.repeats)
    train_s = statistics.median(times["train step"])
    ratios = [a / b for a, b in zip(times["train step"], times["sample only"])]
    print(
        f"training step, tree 4x4, batch {args.batch}: {1000 * train_s:.1f} ms "
        f"({args.batch / train_s:,.0f} samples/s); step / sampling time = {statistics.median(ratios):.2f}"
    )


if __name__ == "__main__":
    main()
