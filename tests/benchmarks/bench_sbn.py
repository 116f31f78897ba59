"""Benchmark: one training step of Tucker et al.'s SBNs (200 units, batch 24) for every estimator.

Prints ms per step for each model and estimator (interleaved rounds, medians), the ratios to NVIL
in the same run (the goal: REBAR at most 2x NVIL), and how much of NVIL's step is arithmetic: the
share of its time that grows with the batch (the rest is a fixed cost per step: Python, dispatch).

    python tests/benchmarks/bench_sbn.py [--steps 20] [--repeats 5] [--models linear,two-layer,nonlinear]
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
from ardemo.experiments.sbn import build_sbn  # noqa: E402
from ardemo.learning.elbo import ESTIMATORS, ElboTrainer  # noqa: E402


def _trainer(model_name: str, estimator: str, data: torch.Tensor) -> ElboTrainer:
    ardemo.seed_all(0)
    model = build_sbn(model_name, 200, data_mean=data.mean(0)).to(data.device)
    return ElboTrainer(model, estimator, lr=3e-4, normalise=True)


def _steps(trainer: ElboTrainer, data: torch.Tensor, n: int, batch: int):
    def run() -> None:
        with ardemo.no_validation():  # as in the experiment: the data are checked once, not every step
            _train(trainer, data, n, batch)
        if data.device.type == "cuda":
            torch.cuda.synchronize()

    return run


def _train(trainer: ElboTrainer, data: torch.Tensor, n: int, batch: int) -> None:
    for _ in range(n):
        x = data[torch.randint(data.shape[0], (batch,), device=data.device)]
        trainer.optimiser.zero_grad()
        loss, _ = trainer.loss(x)
        loss.backward()
        trainer.optimiser.step()


def arithmetic_share(trainer_for, data: torch.Tensor, steps: int, batch: int, repeats: int) -> float:
    """The share of a step at ``batch`` rows that grows with the rows: with :math:`t(B) = a + bB`
    (fixed Python and dispatch cost :math:`a`), :math:`bB / t(B) = (t(10B) - t(B)) / (9\\,t(B))`, timed
    interleaved at ``batch`` and ``10 * batch``."""
    small, large = (_steps(trainer_for(), data, steps, b) for b in (batch, 10 * batch))
    times = interleaved_times({"small": small, "large": large}, repeats)
    return statistics.median((tl - ts) / (9 * ts) for ts, tl in zip(times["small"], times["large"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="steps per timed round")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=24)
    parser.add_argument("--models", default="linear,two-layer,nonlinear")
    args = parser.parse_args()

    dev = ardemo.device()
    torch.manual_seed(0)
    data = torch.bernoulli(torch.full((2000, 784), 0.13, device=dev))  # MNIST's mean ink, to time steps
    print(
        f"SBN training step, batch {args.batch}: device={dev} threads={torch.get_num_threads()} torch={torch.__version__}"
    )
    for model_name in args.models.split(","):
        runs = {e: _steps(_trainer(model_name, e, data), data, args.steps, args.batch) for e in ESTIMATORS}
        times = interleaved_times(runs, args.repeats)
        ms = {e: 1000 * statistics.median(t) / args.steps for e, t in times.items()}
        ratios = {e: statistics.median(a / b for a, b in zip(times[e], times["nvil"])) for e in ESTIMATORS}
        print(f"  {model_name}:")
        for e in ESTIMATORS:
            print(f"    {e:9s} {ms[e]:7.2f} ms/step   {ratios[e]:5.2f} x NVIL")
        share = arithmetic_share(lambda: _trainer(model_name, "nvil", data), data, args.steps, args.batch, args.repeats)
        print(
            f"    NVIL's step: {100 * share:.0f}% of its time grows with the batch (arithmetic), the rest is "
            f"fixed per step (Python, dispatch); REBAR/NVIL = {ratios['rebar']:.2f} (goal <= 2)"
        )


if __name__ == "__main__":
    main()
