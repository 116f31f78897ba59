"""The REBAR chapter's small belief networks on the 8×8 digits, trained by NVIL, Concrete and REBAR.

Registered as ``rebar-small-sbn``: scikit-learn's digits binarised at 0.5, split with seed 0 into 1,400
training and 397 test images (as in the chapter); a linear and a nonlinear (64 tanh units) one-layer
network with 10 latents, ``steps_one_layer`` Adam steps each from seed 3, and the two-layer network
(10 + 10 latents), ``steps_two_layers`` steps from seed 7, each by each estimator of :data:`ESTIMATORS`
(:class:`~ardemo.ElboTrainer`, Adam at ``lr``, batches of 50). Every 100 steps :func:`~ardemo.train_sbn`
records the exact test ELBO, the gradient variance and η, λ; at the end each network's exact test
:math:`\\ln p(x)`. One *step* of this experiment is one such training run (nine in all); a replay re-runs
the first. The two networks trained by REBAR are kept (their parameters are small) for the chapter's
samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..core.runtime import seed_all
from ..core.validation import check_int, check_positive_float
from ..data.datasets import digits
from ..learning.elbo import ElboTrainer, train_sbn
from ..learning.training import History
from ..models.sbn import SigmoidBeliefNetwork
from .registry import Kept, Outcome, Run, register

ESTIMATORS = ("nvil", "concrete", "rebar")
MODELS = {"linear": (10, None, 3), "nonlinear": (10, 64, 3), "two-layer": ((10, 10), None, 7)}
"""Each network: its latent layers, hidden tanh units (``None``: linear maps) and the seed it starts from."""
CURVES = ("test_elbo", "log10_variance", "eta_0", "eta_1", "temperature_0")


@dataclass
class RebarSmallSBN:
    """Settings of ``rebar-small-sbn`` (every one is recorded in the results file)."""

    steps: int = len(MODELS) * len(ESTIMATORS)
    """How many training runs: every network by every estimator."""
    steps_one_layer: int = 2000
    steps_two_layers: int = 1000
    lr: float = 3e-3
    every: int = 100

    def __post_init__(self) -> None:
        runs = len(MODELS) * len(ESTIMATORS)
        if self.steps != runs:
            raise ValueError(f"steps: expected {runs} runs (every network by every estimator), got {self.steps}")
        check_int("steps_one_layer", self.steps_one_layer, minimum=1)
        check_int("steps_two_layers", self.steps_two_layers, minimum=1)
        check_int("every", self.every, minimum=1)
        check_positive_float("lr", self.lr)

    def plan(self) -> list[tuple[str, str]]:
        """``(network, estimator)`` of every run, in the order they run."""
        return [(model, est) for model in MODELS for est in ESTIMATORS]


def digit_split(device: torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """The chapter's data: the 8×8 digits binarised at 0.5, 1,400 to train and the rest to test (seed 0)."""
    images = (digits(device=device).images > 0.5).float()
    split = torch.randperm(len(images), generator=torch.Generator().manual_seed(0)).to(images.device)
    train, test = images[split[:1400]], images[split[1400:]]
    info = {"dataset": "scikit-learn's 8x8 digits, binarised at 0.5; 1,400 train, 397 test (permutation seed 0)"}
    return train, test, info


def build(model: str, train: torch.Tensor, device: torch.device | None = None) -> SigmoidBeliefNetwork:
    """The untrained network ``model`` of :data:`MODELS`, made from its seed."""
    latents, hidden, seed = MODELS[model]
    seed_all(seed)
    return SigmoidBeliefNetwork(train.shape[1], latents, hidden, data_mean=train.mean(0)).to(device)


@register(
    "rebar-small-sbn",
    summary="The REBAR chapter's small belief networks on the 8x8 digits (linear, nonlinear, two layers) trained "
    "by NVIL, Concrete and REBAR; exact test ELBO, gradient variance, eta and lambda every 100 steps",
    cost="9 runs (15,000 steps in all), one CPU thread here: about 40 s",
    settings=RebarSmallSBN,
    metrics={"test_elbo": None, "test_log_likelihood": None},
    replay_steps=1,
)
def rebar_small_sbn(s: RebarSmallSBN, run: Run) -> Outcome:
    """Train every network of :data:`MODELS` by every estimator; see the module docstring."""
    train, test, info = digit_split(run.device)
    history, kept = History(), Kept()
    run.track(history=history, kept=kept)
    run.restore()
    plan = s.plan()
    for model_name, est in run.planned(history, plan):
        model = build(model_name, train, run.device)
        steps = s.steps_two_layers if model_name == "two-layer" else s.steps_one_layer
        record = train_sbn(ElboTrainer(model, est, lr=s.lr), train, test, steps=steps, every=s.every)
        with torch.no_grad():
            log_lik = float(model.log_prob(test).mean())
        prefix = f"{model_name}.{est}"
        kept.curves[f"{prefix}.step"] = [float(v) for v in record.steps]
        for name in CURVES:
            if name in record.metrics:
                kept.curves[f"{prefix}.{name}"] = [float(v) for v in record[name]]
        if est == "rebar" and model_name != "two-layer":
            kept.parameters.update({f"{model_name}.{k}": v.detach().cpu() for k, v in model.state_dict().items()})
        history.seconds += record.seconds
        history.record(history.total_steps + 1, {"test_elbo": record.test_elbo[-1], "test_log_likelihood": log_lik})
        kept.curves[f"{prefix}.seconds"] = [record.seconds]
    info = {**info, "runs": [{"model": m, "estimator": e} for m, e in plan]}
    if history.total_steps < s.steps:  # a replay stops here
        return Outcome(history, data=info)
    final = {"runs": (float(len(plan)), None)}
    return Outcome(history, final, data=info, parameters=dict(kept.parameters), per_item=dict(kept.curves))
