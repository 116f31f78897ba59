"""PixelGNNs on the critical Ising torus: the source's 4x4 protocol scored exactly, and larger lattices.

Registered as ``pixelgnn-4x4``: one of the source's 4x4 models trained with its protocol, with the exact
:math:`\\mathrm{KL}(q\\|p)` by enumeration as it trains.

And ``pixelgnn-lattice``: larger lattices, where only Kaufman's formula knows :math:`F`, one size per run, trained with the variational free
energy (:func:`ardemo.learning.free_energy.train`, i.e. :func:`ardemo.fit`), cosine-decayed learning rate;
at the end the sampled :math:`F_q` and the symmetrised mixture's :math:`F`, with standard errors,
beside Kaufman's exact :math:`F = -\\ln Z` of the finite torus.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ..core.runtime import seed_all
from ..core.validation import check_int, check_positive_float
from ..exact.lattice_enumeration import LatticeEnumeration
from ..exact.onsager import CRITICAL_COUPLING, kaufman_log_partition
from ..lattices.energy import Model, ising
from ..lattices.groups import SymmetricGroup
from ..lattices.lattice import FlatLattice, TreeLattice
from ..learning.free_energy import estimate_free_energy, train
from ..learning.training import History
from ..models.lattice_made import LatticeMADE
from ..models.pixelgnn import PixelGNN
from .registry import Outcome, Run, make_settings, register

FINAL_LR_FRACTION = 1 / 20
"""The cosine schedule decays the learning rate from ``lr`` to ``lr * FINAL_LR_FRACTION``."""


def _check_training(s: Any, counts: tuple[str, ...], block: str, positive: tuple[str, ...]) -> None:
    """The checks every lattice experiment shares: ``counts`` at least 1, ``batch`` and ``samples`` at least
    2 (a standard error needs two values), ``block`` (the steps between checkpoints or exact evaluations)
    a multiple of ``log_every``, and ``positive`` floats above 0."""
    for name in (*counts, "log_every", block):
        check_int(name, getattr(s, name), minimum=1)
    for name in ("batch", "samples"):
        check_int(name, getattr(s, name), minimum=2)
    if getattr(s, block) % s.log_every:
        raise ValueError(f"{block}: expected a multiple of log_every ({s.log_every}), got {getattr(s, block)}")
    for name in positive:
        check_positive_float(name, getattr(s, name))


def _check_settings(s: PixelGNNLattice | PixelGNN4x4, block: str) -> None:
    """The checks both PixelGNN experiments share; ``block`` names the setting that must be a multiple of
    ``log_every`` (the steps between checkpoints or exact evaluations)."""
    if s.lattice not in ("tree", "flat"):
        raise ValueError(f"lattice: expected 'tree' or 'flat', got {s.lattice!r}")
    _check_training(s, ("steps", "mixtures"), block, ("lr", "radius", "coupling"))
    # the mixture estimate holds samples x mixtures images: bounded before training (2**28 sites, 1 GB)
    sites = s.samples * s.mixtures * getattr(s, "size", 4) ** 2
    if sites > 2**28:
        raise ValueError(
            f"mixtures: samples x mixtures x size**2 = {sites:,} sites is too many for the evaluation "
            f"(about {4 * sites / 2**30:.0f} GB); expected at most {2**28:,}: fewer samples or mixtures"
        )
    if not s.hidden or any(h < 1 for h in s.hidden):
        raise ValueError(f"hidden: expected one or more widths >= 1, got {s.hidden}")


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
        _check_settings(self, "chunk")
        check_int("size", self.size, minimum=2)
        if self.lattice == "tree" and self.size & (self.size - 1):
            raise ValueError(f"size: a tree lattice needs a power of two, got {self.size}")
        if not 0 <= self.anneal <= self.steps:
            raise ValueError(f"anneal: expected 0 <= anneal <= steps ({self.steps}), got {self.anneal}")


def _train_lattice(net: PixelGNN | LatticeMADE, s: PixelGNNLattice | VANLattice, run: Run, cosine: bool) -> History:
    """The training both lattice experiments share: Adam at ``s.lr`` (cosine-decayed to
    ``s.lr * FINAL_LR_FRACTION`` when ``cosine``), the energy annealed over ``s.anneal`` steps, in chunks
    of ``s.chunk`` steps that the run checkpoints (and a replay stops after)."""
    optimizer = torch.optim.Adam(net.parameters(), lr=s.lr)
    schedule = (
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, s.steps), eta_min=s.lr * FINAL_LR_FRACTION)
        if cosine
        else None
    )
    history = History()
    run.track(net=net, optimizer=optimizer, history=history, **({"scheduler": schedule} if cosine else {}))
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
    return history


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
    history = _train_lattice(net, s, run, cosine=True)
    if history.total_steps < s.steps:  # a replay stops here
        return Outcome(history)
    f_q, f_err = estimate_free_energy(net, s.samples, batch=min(s.samples, 10_000))
    f_mix, f_mix_err = estimate_free_energy(net, s.samples, mixtures=s.mixtures, batch=min(s.samples, 1_000))
    anchored = estimate_free_energy(net, s.samples, mixtures=s.mixtures, batch=min(s.samples, 1_000), anchored=True)
    exact = -kaufman_log_partition(s.size, s.coupling)
    return Outcome(
        history,
        {
            "free_energy": (f_q, f_err),
            "mixture_free_energy": (f_mix, f_mix_err),
            "exact_free_energy": (exact, None),
            "relative_error": ((f_q - exact) / abs(exact), f_err / abs(exact)),
            "mixture_relative_error": ((f_mix - exact) / abs(exact), f_mix_err / abs(exact)),
            "anchored_mixture_free_energy": anchored,
            "parameters": (float(sum(p.numel() for p in net.parameters())), None),
            "passes": (float(net.n_passes), None),
        },
        parameters={k: v.detach().cpu() for k, v in net.state_dict().items()},
    )


SOURCE_COUPLING = 0.440686793
"""The coupling the source trains at (the critical :math:`K_c = 0.4406867935\\ldots` to nine digits)."""


@dataclass
class PixelGNN4x4:
    """Settings of ``pixelgnn-4x4``: the source's protocol by default (Adam at 0.02, batch 5000, 2000
    steps, hidden features [8, 8]); its flat runs use ``radius 2.01``, its tree runs 1.5. ``mixtures > 1``
    trains the symmetrised mixture with the source's all-random estimate, or with the ``anchored`` one
    (:mod:`ardemo.learning.free_energy`)."""

    lattice: str = "tree"
    radius: float = 1.5
    hidden: tuple[int, ...] = (8, 8)
    scale_invariance: bool = True
    mixtures: int = 1
    anchored: bool = False
    steps: int = 2000
    batch: int = 5000
    lr: float = 0.02
    coupling: float = SOURCE_COUPLING
    seed: int = 0
    log_every: int = 10
    exact_every: int = 100
    samples: int = 100_000

    def __post_init__(self) -> None:
        _check_settings(self, "exact_every")


def _four_by_four(s: PixelGNN4x4) -> PixelGNN:
    model = Model(ising(s.coupling), (TreeLattice if s.lattice == "tree" else FlatLattice)(4, 2), SymmetricGroup(2))
    return PixelGNN(model, list(s.hidden), radius=s.radius, scale_invariance=s.scale_invariance)


def trained_4x4(record: dict) -> PixelGNN:
    """The trained model of a ``pixelgnn-4x4`` results file (read with :func:`~ardemo.experiments.results.read`),
    rebuilt from its settings and stored parameters, on the CPU."""
    from .registry import REGISTRY, parameters_from_json

    if not isinstance(record, dict) or record.get("experiment") != "pixelgnn-4x4" or "parameters" not in record:
        found = record.get("experiment") if isinstance(record, dict) else type(record).__name__
        raise ValueError(f"record: expected a finished pixelgnn-4x4 results file, got {found!r}")
    net = _four_by_four(make_settings(REGISTRY["pixelgnn-4x4"], record["settings"]))
    net.load_state_dict(parameters_from_json(record["parameters"]))
    return net


def exact_metrics(net: PixelGNN, exact: LatticeEnumeration, group: torch.Tensor) -> dict[str, float]:
    """By enumeration: :math:`F_q`, :math:`\\mathrm{KL}(q\\|p)`, and the same for the symmetrised mixture
    :math:`q_\\text{sym} = \\frac1{|G|}\\sum_g q\\circ T_g` (what the random-element mixture estimates)."""
    with torch.no_grad():
        log_q = exact.log_probs(net.log_prob)
        log_sym = exact.symmetrize(log_q, group)
    return {
        "exact_fq": exact.variational_free_energy(log_q),
        "kl": exact.kl(log_q),
        "exact_fsym": exact.variational_free_energy(log_sym),
        "kl_sym": exact.kl(log_sym),
    }


@register(
    "pixelgnn-4x4",
    summary="the source's 4x4 critical-Ising protocol for one model (lattice, radius, mixtures, scale "
    "invariance): sampled F every 10 steps, exact KL(q||p) and KL(q_sym||p) every 100, trained parameters",
    cost="2000 steps at batch 5000 on one CPU thread here: flat 3 min (2 mixtures 6), tree 6 min "
    "(2 mixtures 10, 4 mixtures 17, 16 mixtures about 60)",
    settings=PixelGNN4x4,
    metrics={"free_energy": "error"},
    replay_steps=10,
)
def pixelgnn_4x4(s: PixelGNN4x4, run: Run) -> Outcome:
    """Train one PixelGNN from scratch on the 4x4 critical torus with the source's protocol, scoring it
    exactly by enumerating all :math:`2^{16}` configurations as it trains."""
    seed_all(s.seed)
    net = _four_by_four(s).to(run.device)
    optimizer = torch.optim.Adam(net.parameters(), lr=s.lr)
    history = History()
    run.track(net=net, optimizer=optimizer, history=history)
    run.restore()
    exact = LatticeEnumeration(Model(ising(s.coupling), FlatLattice(4, 2), SymmetricGroup(2)), device=run.device)
    group = FlatLattice(4, 2).space_group().to(run.device)
    for n in run.chunks(history, s.exact_every):
        train(
            net,
            n,
            s.batch,
            s.lr,
            mixtures=s.mixtures,
            anchored=s.anchored,
            optimizer=optimizer,
            history=history,
            every=s.log_every,
        )
        if history.total_steps % s.exact_every == 0:
            history.annotate(exact_metrics(net, exact, group))
        run.after_chunk(history)
    if history.total_steps < s.steps:  # a replay stops here
        return Outcome(history)
    final = {k: (v, None) for k, v in exact_metrics(net, exact, group).items()}
    final["exact_free_energy"] = (exact.free_energy, None)
    final["free_energy"] = estimate_free_energy(net, s.samples, batch=min(s.samples, 10_000))
    if s.mixtures > 1:  # the training's estimate, and the other kind for comparison
        batch = min(s.samples, 5_000)
        final["mixture_free_energy"] = estimate_free_energy(net, s.samples, s.mixtures, batch, anchored=s.anchored)
        if s.anchored:
            final["random_mixture_free_energy"] = estimate_free_energy(net, s.samples, s.mixtures, batch)
        else:
            final["mixture_free_energy_uncorrected"] = estimate_free_energy(
                net, s.samples, s.mixtures, batch, correct=False
            )
            final["anchored_mixture_free_energy"] = estimate_free_energy(
                net, s.samples, s.mixtures, batch, anchored=True
            )
    final["parameters"] = (float(sum(p.numel() for p in net.parameters())), None)
    return Outcome(history, final, parameters={k: v.detach().cpu() for k, v in net.state_dict().items()})


@dataclass
class VANLattice:
    """Settings of ``van-lattice``: a VAN-style :class:`~ardemo.LatticeMADE` (``depth - 1`` hidden layers of
    ``width`` x :math:`L^2` units, VAN's ``--net made --net_depth 3 --net_width 4`` by default, flip-symmetric
    with ``z2``) trained like the PixelGNNs it is compared with: the same :func:`~ardemo.learning.free_energy.train`
    (score function, batch-mean baseline, Adam), batch, steps, learning rate and annealing; ``cosine``
    decays the learning rate as ``pixelgnn-lattice`` does, else it is constant as in ``pixelgnn-4x4``."""

    size: int = 8
    width: int = 4
    depth: int = 3
    z2: bool = True
    steps: int = 6000
    batch: int = 1000
    lr: float = 0.01
    anneal: int = 500
    cosine: bool = True
    samples: int = 100_000
    coupling: float = CRITICAL_COUPLING
    seed: int = 0
    log_every: int = 20
    chunk: int = 100

    def __post_init__(self) -> None:
        check_int("size", self.size, minimum=2)
        _check_training(self, ("width", "depth", "steps"), "chunk", ("lr", "coupling"))
        if self.depth < 2:
            raise ValueError(f"depth: expected at least 2 (one hidden layer), got {self.depth}")
        if not 0 <= self.anneal <= self.steps:
            raise ValueError(f"anneal: expected 0 <= anneal <= steps ({self.steps}), got {self.anneal}")


VAN_PARAMETERS_STORED = 50_000
"""Models with at most this many parameters keep them in the results file (the 4x4 ones)."""


def van_model(s: VANLattice) -> LatticeMADE:
    """The untrained :class:`~ardemo.LatticeMADE` of ``van-lattice`` settings ``s``."""
    n = s.size**2
    model = Model(ising(s.coupling), FlatLattice(s.size, 2), SymmetricGroup(2))
    return LatticeMADE(model, [s.width * n] * (s.depth - 1), z2=s.z2)


@register(
    "van-lattice",
    summary="a VAN-style MADE (flip-symmetric) on an L x L critical Ising torus, trained like the PixelGNNs: "
    "sampled F_q vs Kaufman (and, at L = 4, exact F_q and KL by enumeration)",
    cost="4x4 (hidden 64, 64), 2000 steps at batch 5000: about 1 min on one CPU thread here; "
    "8x8 (hidden 256, 256), 6000 steps at batch 1000: about 17 min",
    settings=VANLattice,
    metrics={"free_energy": "error"},
    replay_steps=20,
)
def van_lattice(s: VANLattice, run: Run) -> Outcome:
    """Train a VAN-style model on the ``size`` x ``size`` critical torus; see :class:`VANLattice`."""
    seed_all(s.seed)
    net = van_model(s).to(run.device)
    history = _train_lattice(net, s, run, cosine=s.cosine)
    if history.total_steps < s.steps:  # a replay stops here
        return Outcome(history)
    f_q, f_err = estimate_free_energy(net, s.samples, batch=min(s.samples, 10_000))
    exact = -kaufman_log_partition(s.size, s.coupling)
    count = sum(p.numel() for p in net.parameters())
    final = {
        "free_energy": (f_q, f_err),
        "exact_free_energy": (exact, None),
        "relative_error": ((f_q - exact) / abs(exact), f_err / abs(exact)),
        "parameters": (float(count), None),
    }
    if s.size == 4:  # 2**16 configurations: F_q and KL(q||p) exactly
        enumeration = LatticeEnumeration(net.model, device=run.device)
        with torch.no_grad():
            log_q = enumeration.log_probs(net.log_prob)
        final["exact_fq"] = (enumeration.variational_free_energy(log_q), None)
        final["kl"] = (enumeration.kl(log_q), None)
    kept = {k: v.detach().cpu() for k, v in net.state_dict().items()} if count <= VAN_PARAMETERS_STORED else None
    return Outcome(history, final, parameters=kept)
