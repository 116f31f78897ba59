"""PixelGNNs on larger critical Ising lattices, where only Kaufman's formula knows :math:`F`.

Registered as ``pixelgnn-lattice``: one lattice size per run, trained with the variational free
energy (:func:`ardemo.learning.free_energy.train`, i.e. :func:`ardemo.fit`), cosine-decayed learning rate;
at the end the sampled :math:`F_q` and the symmetrised mixture's :math:`F`, with standard errors,
beside Kaufman's exact :math:`F = -\\ln Z` of the finite torus.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..core.runtime import seed_all
from ..core.validation import check_int, check_positive_float
from ..exact.onsager import CRITICAL_COUPLING, kaufman_log_partition
from ..lattices.energy import Model, ising
from ..lattices.groups import SymmetricGroup
from ..lattices.lattice import FlatLattice, TreeLattice
from ..learning.free_energy import estimate_free_energy, train
from ..learning.training import History
from ..models.pixelgnn import PixelGNN
from .registry import Outcome, Run, register

FINAL_LR_FRACTION = 1 / 20
"""The cosine schedule decays the learning rate from ``lr`` to ``lr * FINAL_LR_FRACTION``."""


@dataclass
class PixelGNNLattice:
    """Settings of ``pixelgnn-lattice`` (every one is recorded in the results file)."""

    size: int = 8
    lattice: str = "tree"
    radius: float = 1.5
    hidden: tuple[int, ...] = (16, 16)
    steps: int = 6000
    batch: int = 1000
    lr: float = 0.01
    anneal: int = 500
    samples: int = 100_000
    mixtures: int = 16
    coupling: float = CRITICAL_COUPLING
    seed: int = 0
    log_every: int = 20
    chunk: int = 100

    def __post_init__(self) -> None:
        if self.lattice not in ("tree", "flat"):
            raise ValueError(f"lattice: expected 'tree' or 'flat', got {self.lattice!r}")
        check_int("size", self.size, minimum=2)
        if self.lattice == "tree" and self.size & (self.size - 1):
            raise ValueError(f"size: a tree lattice needs a power of two, got {self.size}")
        for name in ("steps", "mixtures", "log_every", "chunk"):
            check_int(name, getattr(self, name), minimum=1)
        for name in ("batch", "samples"):  # a standard error needs two values
            check_int(name, getattr(self, name), minimum=2)
        if self.chunk % self.log_every:
            raise ValueError(f"chunk: expected a multiple of log_every ({self.log_every}), got {self.chunk}")
        if not 0 <= self.anneal <= self.steps:
            raise ValueError(f"anneal: expected 0 <= anneal <= steps ({self.steps}), got {self.anneal}")
        for name in ("lr", "radius", "coupling"):
            check_positive_float(name, getattr(self, name))
        if not self.hidden or any(h < 1 for h in self.hidden):
            raise ValueError(f"hidden: expected one or more widths >= 1, got {self.hidden}")


@register(
    "pixelgnn-lattice",
    summary="PixelGNN on an L x L critical Ising torus: sampled F_q and the symmetrised mixture's F vs Kaufman",
    cost="6000 steps: 8x8 0.44 s/step on one CPU thread here (about 45 min), 16x16 5.7 s/step (about 9.5 h); "
    "16 and 27 ms/step on an H100",
    settings=PixelGNNLattice,
    metrics={"free_energy": "error"},
    replay_steps=20,
)
def pixelgnn_lattice(s: PixelGNNLattice, run: Run) -> Outcome:
    """Train a PixelGNN on the ``size`` x ``size`` critical torus; see the module docstring."""
    seed_all(s.seed)
    lattice = TreeLattice(s.size, 2) if s.lattice == "tree" else FlatLattice(s.size, 2)
    net = PixelGNN(Model(ising(s.coupling), lattice, SymmetricGroup(2)), list(s.hidden), radius=s.radius)
    net = net.to(run.device)
    optimizer = torch.optim.Adam(net.parameters(), lr=s.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=max(1, s.steps), eta_min=s.lr * FINAL_LR_FRACTION
    )
    history = History()
    run.track(net=net, optimizer=optimizer, scheduler=schedule, history=history)
    run.restore()
    for n in run.chunks(history, s.chunk):
        train(
            net,
            n,
            s.batch,
            s.lr,
            optimizer=optimizer,
            history=history,
            anneal=s.anneal,
            scheduler=schedule,
            every=s.log_every,
        )
        run.after_chunk(history)
    if history.total_steps < s.steps:  # a replay stops here
        return Outcome(history)
    f_q, f_err = estimate_free_energy(net, s.samples, batch=min(s.samples, 10_000))
    f_mix, f_mix_err = estimate_free_energy(net, s.samples, mixtures=s.mixtures, batch=min(s.samples, 1_000))
    exact = -kaufman_log_partition(s.size, s.coupling)
    return Outcome(
        history,
        {
            "free_energy": (f_q, f_err),
            "mixture_free_energy": (f_mix, f_mix_err),
            "exact_free_energy": (exact, None),
            "relative_error": ((f_q - exact) / abs(exact), f_err / abs(exact)),
            "mixture_relative_error": ((f_mix - exact) / abs(exact), f_mix_err / abs(exact)),
            "parameters": (float(sum(p.numel() for p in net.parameters())), None),
            "passes": (float(net.n_passes), None),
        },
    )
