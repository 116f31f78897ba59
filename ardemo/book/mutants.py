"""Planted faults: run a chapter with one known mistake put in, and see which check cells catch it.

A :class:`Fault` is a real mistake — from a source (``000`` … ``004``, the seeds the chapters follow)
or a classic one — written as a few lines of Python that patch the library before the chapter runs
(a monkeypatch of one function or class). :func:`run_fault` executes the chapter with that patch in
a fresh kernel, every cell even after a failure, and reports the check cells (``# check: ...``) that
failed with an ``AssertionError``. A fault that no check catches is a finding: either a check is
missing, or the chapter should say why the mistake does not matter.

    python -m ardemo.book.mutants            # every fault (make mutants)
    python -m ardemo.book.mutants --fast     # the fast subset: each chapter stops at the check expected to fire
    python -m ardemo.book.mutants --fault NAME
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BOOK = Path(__file__).resolve().parents[2] / "book"


@dataclass(frozen=True)
class Fault:
    """One planted mistake: where it comes from, the patch that plants it, and the check cell (a
    fragment of its first line) that must catch it."""

    name: str
    chapter: str
    source: str
    description: str
    patch: str
    catches: str
    fast: bool = True
    edit: tuple[str, str] | None = None
    """Text replaced in the chapter's code cells (for a mistake in code the chapter writes itself, like the
    lab's training loop), besides or instead of a ``patch``."""


@dataclass
class Outcome:
    """What a run with a planted fault gave: the check cells that failed, other cells that failed (errors
    that followed from the fault), and the time."""

    fault: Fault
    caught: list[str] = field(default_factory=list)
    other_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def as_expected(self) -> bool:
        return any(self.fault.catches in title for title in self.caught)


def _check_title(source: str) -> str | None:
    """The first line of a check cell (``# check: ...`` or, in a lab, ``# check task N: ...``), without the
    ``# check:`` prefix; ``None`` for any other cell. A lab's graded cell starts with a ``:grade:`` line."""
    lines = [line for line in source.strip().splitlines() if not line.startswith(":grade:") and line.strip()]
    first = lines[0] if lines else ""
    if first.startswith("# check:"):
        return first[len("# check:") :].strip()
    if first.startswith("# check task"):
        return first[len("# ") :].strip()
    return None


_PATCH_PRELUDE = "# planted fault (ardemo.book.mutants): patched before the chapter runs\n"

FAULTS: list[Fault] = [
    Fault(
        name="masked layer sees its own input",
        chapter="autoregressive",
        source="000",
        description="the first masked layer built with diagonal=0 instead of -1: conditional i sees x_i",
        patch="""
import ardemo.models.autoregressive as _ar
_init = _ar.AutoregressiveLinear.__init__
def _leaky(self, *args, diagonal=0, **kwargs):
    _init(self, *args, diagonal=0 if diagonal == -1 else diagonal, **kwargs)
_ar.AutoregressiveLinear.__init__ = _leaky
""",
        catches="normalised, and strictly causal",
    ),
    Fault(
        name="probabilities fed forward while sampling",
        chapter="autoregressive",
        source="000",
        description="sampling feeds each site's probability, not its 0/1 sample, to the later conditionals "
        "(the samples returned are 0/1, drawn from those probabilities at the end)",
        patch="""
import torch
import ardemo.models.autoregressive as _ar
def _sample(self, n):  # each site's probability goes on to the later conditionals; 0/1 drawn at the end
    probs = self._autoregress(n, lambda i, logits: torch.sigmoid(logits))
    return (torch.rand_like(probs) < probs).to(probs.dtype)
_ar.AutoregressiveModel._sample = _sample
""",
        catches="samples follow q",
    ),
    Fault(
        name="conditional sample is z itself",
        chapter="rebar",
        source="003",
        description="the relaxed pass reads u instead of v (the source's random_sample_soft_v): z~ = z, "
        "gradient and all, so REBAR's two correction terms cancel",
        patch="""
import ardemo.distributions.relaxed as _rx
import ardemo.learning.estimators as _est
def _v_is_u(logits, u):
    return u
def _z_from_u(logits, b, v):
    return _rx._logistic(logits, v)
for _m in (_rx, _est):
    _m._coupled_uniform, _m._conditional_logistic = _v_is_u, _z_from_u
""",
        catches="gradients flow through the conditional sample",
    ),
    Fault(
        name="b = 0 branch with v and 1 - theta swapped",
        chapter="rebar",
        source="003",
        description="the b = 0 branch of p(z | b) uses log(v(1 - theta)) where log((1 - v) theta) belongs",
        patch="""
import torch
import torch.nn.functional as F
import ardemo.distributions.relaxed as _rx
import ardemo.learning.estimators as _est
def _swapped(logits, b, v):
    log_ratio = torch.log(v) - torch.log1p(-v)
    positive = F.softplus(log_ratio + F.softplus(logits))
    negative = -F.softplus(log_ratio + F.softplus(logits))  # the slip: v(1 - theta) for (1 - v) theta
    return torch.where(b > 0.5, positive, negative)
for _m in (_rx, _est):
    _m._conditional_logistic = _swapped
""",
        catches="the coupled z~ reproduces z",
    ),
    Fault(
        name="teacher-student model without its symmetrisation",
        chapter="ising_teacher_student",
        source="000",
        description="SpinFlipSymmetric returns its inner model unchanged (no average over the spin flip), "
        "where the chapter claims the symmetric scheme converges",
        patch="""
import ardemo.models.symmetry as _sym
_sym.SpinFlipSymmetric._log_prob = lambda self, x: self.model.log_prob(x)
_sym.SpinFlipSymmetric._sample = lambda self, n: self.model.sample(n)
""",
        catches="the sampled scheme reaches 0.005 nats",
        fast=False,  # its check comes late in the chapter
    ),
    Fault(
        name="random-element mixture where a bound is claimed",
        chapter="pixelgnn_free_energy",
        source="001",
        description="the library's anchored estimate of ln q_sym replaced by the source's all-random one "
        "(with its bin-statistics correction), which is not an upper bound",
        patch="""
import ardemo.learning.free_energy as _fe
_mixed = _fe.log_mixed_prob
_fe.log_mixed_prob = lambda net, x, mixtures, correct=True, anchored=False: _mixed(net, x, mixtures, True, False)
""",
        catches="the anchored estimates lie between F_sym and F_q",
        fast=False,  # its check is in the middle of the chapter (about 50 s)
    ),
    Fault(
        name="causal graph includes the site's own value",
        chapter="pixelgnn_graphs",
        source="001",
        description="the first layer also reads the site's own one-hot value (a self edge in the causal graph), "
        "so each conditional sees the value it predicts",
        patch="""
import torch
import ardemo.models.pixelgnn as _pg
_layer = _pg.PixelGNN._layer
def _sees_itself(self, l, h, nodes, d):
    out = _layer(self, l, h, nodes, d)
    if l == 0:
        own = h if d is None else h.index_select(1, nodes)
        mix = torch.linspace(-1.0, 1.0, own.shape[-1] * out.shape[-1], device=h.device, dtype=h.dtype)
        out = out + own @ mix.reshape(own.shape[-1], out.shape[-1])
    return out
_pg.PixelGNN._layer = _sees_itself
""",
        catches="q sums to one",
    ),
    Fault(
        name="Gibbs step returns probabilities",
        chapter="boltzmann_nce",
        source="002",
        description="each unit is set to its conditional probability sigma(Wx + b), not a 0/1 sample of it",
        patch="""
import torch
import ardemo.models.boltzmann as _bm
def _probabilities(x, weight, bias, uniforms=None):
    x = x.clone()
    for i in range(x.shape[-1]):
        x[..., i] = torch.sigmoid(x @ weight[:, i] + bias[i])
    return x
_bm._gibbs_sweep = _probabilities
""",
        catches="Gibbs samples follow the exact Boltzmann distribution",
    ),
    Fault(
        name="energy divided by 1000",
        chapter="boltzmann_nce",
        source="002",
        description="the energy scaled by 1/1000 (which let the source's training run): the exact "
        "distribution is then nearly uniform, while the Gibbs sampler still uses W and b",
        patch="""
import ardemo.models.boltzmann as _bm
_energy = _bm.BoltzmannMachine._energy
_bm.BoltzmannMachine._energy = lambda self, x: _energy(self, x) / 1000
""",
        catches="Gibbs samples follow the exact Boltzmann distribution",
    ),
    Fault(
        name="energy from the upper triangle of W",
        chapter="boltzmann_nce",
        source="002",
        description="a non-symmetric use of W: the energy -x^T triu(W) x / 2 counts each coupling half, "
        "while the Gibbs sweep reads the full row",
        patch="""
import ardemo.models.boltzmann as _bm
def _half(self, x):
    w, b = self.weight.to(x.dtype).triu(1), self.bias.to(x.dtype)
    return -0.5 * ((x @ w) * x).sum(-1) - x @ b
_bm.BoltzmannMachine._energy = _half
""",
        catches="Gibbs samples follow the exact Boltzmann distribution",
    ),
    Fault(
        name="normal given the variance",
        chapter="gaussian_rbm",
        source="004",
        description="x ~ N(b + Wz, sigma^2) drawn with torch.normal given sigma^2 where the standard deviation belongs",
        patch="""
import torch
import ardemo.models.rbm as _rbm
def _draw_visible(self, z):
    mean = self.b + z @ self.W.T
    return torch.normal(mean, self.sigma2.expand_as(mean))
_rbm.GaussianBernoulliRBM._draw_visible = _draw_visible
""",
        catches="one Gibbs step has the exact conditional variance",
        fast=False,  # its check comes late in the chapter (about a minute)
    ),
    Fault(
        name="REINFORCE without its baseline",
        chapter="rebar",
        source="003",
        description="the baseline passed to REINFORCE is ignored where the chapter compares variances",
        patch="""
import ardemo.learning.estimators as _est
_reinforce = _est.reinforce
def _no_baseline(f, logits, *, baseline=0.0, **kwargs):
    return _reinforce(f, logits, **kwargs)
_est.reinforce = _no_baseline
""",
        catches="the unbiased estimators reach the optimum",
    ),
    Fault(
        name="CD samples drawn as means",
        chapter="gaussian_rbm",
        source="004",
        description="the lab's Gibbs sweep keeps x = E[x | z] instead of drawing x ~ N(b + Wz, sigma^2)",
        patch="pass",
        edit=("x = torch.normal(mean, var.sqrt())", "x = mean"),
        catches="check task 4",
    ),
    Fault(
        name="lab: torch.normal given the variance",
        chapter="gaussian_rbm",
        source="004",
        description="the lab's sweep passes the variance to torch.normal, which takes the standard deviation",
        patch="pass",
        edit=("x = torch.normal(mean, var.sqrt())", "x = torch.normal(mean, var)"),
        catches="check task 4",
    ),
    Fault(
        name="the loss with the source's sign",
        chapter="gaussian_rbm",
        source="004",
        description="the contrastive loss c(data) - c(model) instead of c(model) - c(data): training climbs the energy",
        patch="pass",
        edit=("loss = sign * (machine(model_samples)", "loss = -sign * (machine(model_samples)"),
        catches="all three learn the ring",
        fast=False,
    ),
    Fault(
        name="NCE with the noise log-density scaled by 1/10000",
        chapter="boltzmann_nce",
        source="002",
        description="the noise's log-density divided by 10,000 in the classifier's logit, as the source does",
        patch="""
import ardemo.learning.nce as _nce
_noise = _nce.NoiseContrastive._noise_log_prob
_nce.NoiseContrastive._noise_log_prob = lambda self, x, dtype: _noise(self, x, dtype) / 10000
""",
        catches="NCE learns the normaliser",
        fast=False,  # its check is in the second half of the chapter
    ),
]


def _notebook(fault: Fault, book: Path, fast: bool):
    import jupytext
    import nbformat

    nb = jupytext.read(book / f"{fault.chapter}.md")
    code = [c for c in nb.cells if c.cell_type == "code"]
    if fault.edit is not None:
        old, new = fault.edit
        hits = [c for c in code if old in c.source]
        if not hits:
            raise ValueError(f"{fault.name}: the chapter {fault.chapter} has no code cell containing {old!r}")
        for cell in hits:
            cell.source = cell.source.replace(old, new)
    if fast:  # stop after the check cell that should catch the fault
        for i, cell in enumerate(nb.cells):
            title = _check_title(cell.source) if cell.cell_type == "code" else None
            if title is not None and fault.catches in title:
                nb.cells = nb.cells[: i + 1]
                break
    if not code:
        raise ValueError(f"{fault.chapter}: the chapter has no code cells")
    nb.cells.insert(0, nbformat.v4.new_code_cell(_PATCH_PRELUDE + fault.patch.strip() + "\n"))
    return nb


def run_fault(fault: Fault, book: Path = BOOK, fast: bool = False, timeout: int = 600) -> Outcome:
    """Run ``fault.chapter`` with ``fault`` planted (every cell, errors or not; with ``fast`` only up to the
    check expected to catch it) and report the check cells that failed."""
    from nbclient import NotebookClient

    nb = _notebook(fault, Path(book), fast)
    start = time.perf_counter()
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(book)}}
    )
    client.execute()
    outcome = Outcome(fault, seconds=time.perf_counter() - start)
    for cell in nb.cells[1:]:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if not errors:
            continue
        title = _check_title(cell.source)
        if title is not None and errors[0].get("ename") == "AssertionError":
            outcome.caught.append(title)
        else:
            first = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else "(empty)"
            outcome.other_errors.append(f"{errors[0].get('ename')} in: {first}")
    return outcome


MUTANTS_FORMAT = "ardemo-mutants/1"


def write_table(outcomes: list[Outcome], path: Path, fast: bool = False) -> None:
    """The outcomes as JSON, each with the commit and torch that ran it and whether its chapter ran only up
    to the expected check (``fast``). An existing table (of this module's, else refused) keeps its other
    faults, in the order of :data:`FAULTS`, so that one fault can be rerun alone. Written atomically."""
    import json
    import os

    import torch

    from ..core.runtime import git_commit, now

    path = Path(path)
    kept: dict[str, dict] = {}
    if path.exists():  # replace only a table this module wrote
        try:
            old = json.loads(path.read_text())
            ours = old.get("format") == MUTANTS_FORMAT
        except (OSError, ValueError, AttributeError):
            ours = False
        if not ours:
            raise ValueError(f"--write: {path} exists and is not a table of planted faults; choose another path")
        kept = {f["name"]: {"made": old.get("made"), **f} for f in old.get("faults", [])}
    commit, dirty = git_commit()
    made = {"commit": commit, "dirty": dirty, "at": now(), "torch": torch.__version__, "fast": fast}
    for o in outcomes:
        kept[o.fault.name] = {
            "name": o.fault.name,
            "chapter": o.fault.chapter,
            "source": o.fault.source,
            "description": o.fault.description,
            "expected": o.fault.catches,
            "caught_by": o.caught,
            "other_errors": o.other_errors,
            "seconds": round(o.seconds, 1),
            "made": made,
        }
    order = [f.name for f in FAULTS]
    faults = sorted(kept.values(), key=lambda f: order.index(f["name"]) if f["name"] in order else len(order))
    record = {"format": MUTANTS_FORMAT, "made": made, "faults": faults}
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    os.replace(tmp, path)


def table(outcomes: list[Outcome]) -> str:
    """The faults, their chapters and the check cells that caught them (or ``not caught``)."""
    lines = []
    for o in outcomes:
        caught = "; ".join(o.caught) if o.caught else "NOT CAUGHT"
        mark = "ok " if o.as_expected else "!! "
        lines.append(f"{mark}{o.fault.source} {o.fault.chapter}: {o.fault.name} -> {caught} ({o.seconds:.0f} s)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ardemo.book.mutants", description=__doc__.split("\n\n")[0])
    parser.add_argument("--fast", action="store_true", help="stop each chapter at the check expected to fire")
    parser.add_argument("--fault", action="append", default=None, help="run only this fault (by name)")
    parser.add_argument("--book", type=Path, default=BOOK)
    parser.add_argument(
        "--write",
        type=Path,
        default=None,
        help="also write the table as JSON (the book's page reads book/data/mutants.json)",
    )
    opts = parser.parse_args(argv)
    chosen = [f for f in FAULTS if opts.fault is None or f.name in opts.fault]
    if opts.fault and len(chosen) != len(opts.fault):
        known = ", ".join(f.name for f in FAULTS)
        print(f"error: --fault: expected one of: {known}", file=sys.stderr)
        return 2
    outcomes = []
    for fault in chosen:
        outcome = run_fault(fault, opts.book, fast=opts.fast and fault.fast)
        outcomes.append(outcome)
        print(table([outcome]), flush=True)
    if opts.write is not None:
        write_table(outcomes, opts.write, fast=opts.fast)
        print(f"wrote {opts.write}")
    missed = [o for o in outcomes if not o.as_expected]
    print(f"\n{len(outcomes) - len(missed)} of {len(outcomes)} planted faults caught by the check expected")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
