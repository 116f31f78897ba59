"""Why the Ising teacher–student iteration collapses: the Ising chapter's table of hypotheses.

Registered as ``ising-hypotheses``. Each row of :data:`HYPOTHESES` changes one thing in the learned exact
iteration (:func:`ardemo.teacher_student.exact_iteration`) on the 8-site strip, and runs on ``seeds``
seeds (0, 1, …); then the control, the same iteration from an exactly flip-symmetric start (``uniform_start``,
depth 3, β = 1), on the same seeds, recorded every ``record_every`` steps. One *step* of this experiment
is one such training run of ``train_steps`` Adam steps, so ``steps`` (``(rows + 1) × seeds``) counts
runs; a replay re-runs the first two.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.validation import check_int
from ..learning.teacher_student import exact_iteration
from ..learning.training import History
from .registry import Kept, Outcome, Run, register

HYPOTHESES: dict[str, dict] = {
    "depth 1, lr 1 (the source's model)": dict(beta=1.0, depth=1, lr=1.0),
    "depth 1, lr 0.01": dict(beta=1.0, depth=1),
    "depth 3, lr 0.01": dict(beta=1.0),
    "depth 3, gradient through the teacher": dict(beta=1.0, teacher_gradient=True),
    "depth 3, frozen teacher, 100 steps each": dict(beta=1.0, generation=100),
    "depth 3, spin-flip symmetric model": dict(beta=1.0, symmetric=True),
    "depth 3, at beta = 0.44": dict(beta=0.44),
    "depth 3, symmetric, at beta = 0.44": dict(beta=0.44, symmetric=True),
}
"""The rows: the arguments of :func:`~ardemo.teacher_student.exact_iteration` that differ from its defaults."""

CONTROL = dict(beta=1.0, uniform_start=True)
"""The control from an exactly symmetric start, after the rows."""


@dataclass
class IsingHypotheses:
    """Settings of ``ising-hypotheses`` (every one is recorded in the results file)."""

    seeds: int = 3
    steps: int = (len(HYPOTHESES) + 1) * 3
    """How many training runs: every row and the control, on every seed (``(rows + 1) × seeds``)."""
    train_steps: int = 1500
    record_every: int = 25

    def __post_init__(self) -> None:
        check_int("seeds", self.seeds, minimum=1, maximum=100)
        check_int("train_steps", self.train_steps, minimum=1)
        check_int("record_every", self.record_every, minimum=1)
        runs = (len(HYPOTHESES) + 1) * self.seeds
        if self.steps != runs:
            raise ValueError(
                f"steps: expected (rows + 1) x seeds = ({len(HYPOTHESES)} + 1) x {self.seeds} = {runs} runs, got {self.steps}"
            )

    def plan(self) -> list[tuple[str, int, dict]]:
        """``(row, seed, arguments)`` of every run, in the order they run."""
        rows = [*HYPOTHESES.items(), ("control: symmetric start", CONTROL)]
        return [(name, seed, kwargs) for name, kwargs in rows for seed in range(self.seeds)]


@register(
    "ising-hypotheses",
    summary="The Ising chapter's hypothesis table: eight variants of the learned exact iteration on the 8-site strip "
    "and the symmetric-start control, each on three seeds (final KL(p*||q) and <S>; the control's curves)",
    cost="27 runs of 1,500 exact steps, one CPU thread here: about a minute",
    settings=IsingHypotheses,
    metrics={"kl_pq": None, "magnetisation_q": None},
    replay_steps=2,
)
def ising_hypotheses(s: IsingHypotheses, run: Run) -> Outcome:
    """Run every row of :data:`HYPOTHESES` and the control on every seed; see the module docstring."""
    history, kept = History(), Kept()
    run.track(history=history, kept=kept)
    run.restore()
    plan = s.plan()
    for name, seed, kwargs in run.planned(history, plan):
        control = kwargs is CONTROL
        trained = exact_iteration(
            **kwargs,
            steps=s.train_steps,
            seed=seed,
            device=run.device,
            record_every=s.record_every if control else None,
        )
        last = trained[-1]
        if control:
            kept.curves[f"control_s{seed}_step"] = [float(v) for v in trained.steps]
            for metric in ("magnetisation_q", "kl_pq"):
                kept.curves[f"control_s{seed}_{metric}"] = [float(v) for v in trained[metric]]
        history.seconds += trained.seconds
        history.record(history.total_steps + 1, {"kl_pq": last["kl_pq"], "magnetisation_q": last["magnetisation_q"]})
    info = {"runs": [{"row": name, "seed": seed, **kwargs} for name, seed, kwargs in plan]}
    if history.total_steps < s.steps:  # a replay stops here
        return Outcome(history, data=info)
    kl, magnetisation = history["kl_pq"], history["magnetisation_q"]
    collapsed = sum(k > 1 and abs(m) > 0.3 for k, m in zip(kl, magnetisation))
    final = {"runs": (float(len(plan)), None), "collapsed_runs": (float(collapsed), None)}  # KL > 1 nat, |<S>| > 0.3
    return Outcome(history, final, data=info, per_item=dict(kept.curves))
