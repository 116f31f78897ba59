"""One step of every training loop of the library, for counting host reads (tests/test_host_reads.py and
``make bench``). Each case builds a tiny problem and returns ``run(steps)``, which trains for ``steps``
steps with records only at the end; the reads of one step are those of 11 steps less those of 1."""

from __future__ import annotations

from collections.abc import Callable

import torch

import ardemo
from ardemo.core.hostreads import HostReads, count_host_reads
from ardemo.learning import free_energy, teacher_student


def _elbo(cls: type, estimator: str) -> Callable[[int], None]:
    torch.manual_seed(0)
    layers = (3, 2) if cls is ardemo.ElboTrainer else 3
    trainer = cls(ardemo.SigmoidBeliefNetwork(6, layers, hidden=4), estimator)
    data = torch.bernoulli(torch.full((40, 6), 0.4))

    def run(steps: int) -> None:
        for k in range(steps):
            trainer.step(data[(8 * k) % 32 :][:8])

    return run


def _on_data(model: torch.nn.Module, objective, data: torch.Tensor) -> Callable[[int], None]:
    return lambda steps: ardemo.train_on_data(model, objective, data, steps, batch_size=8)


def _cd(model, batch):
    return ardemo.contrastive_divergence_loss(model, batch, model.gibbs_step(batch))


def loops() -> dict[str, Callable[[], Callable[[int], None]]]:
    """name → a factory of ``run(steps)``."""
    binary = torch.bernoulli(torch.full((40, 6), 0.4))
    cases: dict[str, Callable[[], Callable[[int], None]]] = {}
    for cls in (ardemo.ElboTrainer, ardemo.OfficialElboTrainer):
        for estimator in ("nvil", "muprop", "concrete", "rebar", "relax"):
            cases[f"{cls.__name__}.step {estimator}"] = lambda cls=cls, e=estimator: _elbo(cls, e)
    for name, objective in {
        "ExactLikelihood": ardemo.ExactLikelihood,
        "GibbsLikelihood persistent": lambda: ardemo.GibbsLikelihood("persistent", 1, 10),
        "GibbsLikelihood data (CD-1)": lambda: ardemo.GibbsLikelihood("data"),
        "NoiseContrastive": lambda: ardemo.NoiseContrastive(ardemo.IndependentBernoulli.from_data(binary), k=2),
    }.items():
        cases[f"train_on_data {name}"] = lambda o=objective: _on_data(ardemo.BoltzmannMachine(6), o(), binary)
    cases["train_on_data contrastive_divergence_loss (GBRBM)"] = lambda: _on_data(
        ardemo.GaussianBernoulliRBM(2, 3), _cd, torch.randn(40, 2)
    )
    lattice_model = ardemo.Model(ardemo.ising(0.44), ardemo.FlatLattice(3, 2), ardemo.SymmetricGroup(2))
    for mixtures in (1, 2):
        cases[f"free_energy.train mixtures={mixtures}"] = lambda m=mixtures: (
            lambda steps, net=ardemo.PixelGNN(lattice_model, [4]): free_energy.train(
                net, steps, batch=16, mixtures=m, every=10**6, anchored=m > 1
            )
        )
    strip = ardemo.IsingStrip(4, 0.3)
    target = torch.log_softmax(torch.randn(16, generator=torch.Generator().manual_seed(0)), 0)

    def _teacher(exact: bool) -> Callable[[int], None]:
        student = ardemo.AutoregressiveModel(4, depth=2)
        if exact:
            loss = lambda: teacher_student.exact_loss(student, student, strip)  # noqa: E731
        else:
            loss = lambda: teacher_student.sampled_loss(student, student, strip, 32)  # noqa: E731
        return lambda steps: teacher_student.train(student, loss, steps, 0.01, strip, target, record_every=10**6)

    cases["teacher_student.train sampled_loss"] = lambda: _teacher(False)
    cases["teacher_student.train exact_loss"] = lambda: _teacher(True)
    return cases


def reads_per_step(
    make: Callable[[], Callable[[int], None]], package: str | None = "ardemo"
) -> tuple[float, HostReads]:
    """Host reads of one step (those of 11 steps less those of 1, after a warm-up step) and the 11 steps' reads."""
    run = make()
    run(1)  # warm up (lazily built tables, first-step branches)
    with count_host_reads(package) as one:
        run(1)
    with count_host_reads(package) as eleven:
        run(11)
    return (eleven.total - one.total) / 10, eleven
