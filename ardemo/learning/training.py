"""The library's one training loop, :func:`fit`, and the one record it keeps, :class:`History`.

Every trainer in ardemo is a call of :func:`fit`: an *objective* (called with the step index, it
returns a scalar loss, or a loss and a dict of metrics to record), an optimizer (and optional
scheduler), a number of steps, and a record every ``every`` steps of the objective's metrics and
of ``monitor()`` (measurements at the current parameters, e.g. an exact test likelihood). The
gradients are zeroed *before* the objective is called, so an objective may itself backpropagate an
extra term into parameters of its choosing (REBAR's variance objective for :math:`\\eta, \\lambda`).
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
import torch.nn as nn

from ..core.validation import check_int, check_positive_float, check_tensor, no_validation
from ..distributions.base import ProbabilisticModel

Metrics = dict[str, float]
Objective = Callable[[int], "torch.Tensor | tuple[torch.Tensor, Metrics]"]


def _check_values(values: object) -> None:
    if not isinstance(values, dict):
        raise TypeError(f"values: expected a dict of metric names to numbers, got {type(values).__name__}")
    for name, value in values.items():
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"values: expected a number for metric {name!r}, got {type(value).__name__} {value!r}")


@dataclass(repr=False)
class History:
    """What :func:`fit` recorded: ``steps`` (the number of optimisation steps taken at each record),
    ``metrics`` (one list per name, aligned with ``steps``; ``nan`` where a record lacks a name),
    ``total_steps`` taken so far and the training wall time in ``seconds``. A metric reads as an
    attribute, ``history.loss``, or an item, ``history["loss"]``; an integer item, ``history[-1]``, is one
    record as a dict with its ``"step"``, and iterating gives the records in order.

    >>> h = History()
    >>> h.record(10, {"loss": 0.5}); h.record(20, {"loss": 0.25, "kl": 0.1})
    >>> h.steps, h.loss, h["kl"]
    ([10, 20], [0.5, 0.25], [nan, 0.1])
    >>> h[-1]
    {'step': 20, 'loss': 0.25, 'kl': 0.1}
    """

    steps: list[int] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    total_steps: int = 0
    seconds: float = 0.0

    def record(self, step: int, values: Metrics) -> None:
        """Append one record taken after ``step`` optimisation steps."""
        step = check_int("step", step, minimum=0)
        _check_values(values)
        for name in values:
            if name not in self.metrics:
                self.metrics[name] = [math.nan] * len(self.steps)
        self.steps.append(int(step))
        for name, column in self.metrics.items():
            column.append(float(values[name]) if name in values else math.nan)

    def annotate(self, values: Metrics) -> None:
        """Add ``values`` to the latest record: metrics computed less often than the others (an exact
        KL every tenth record, say) join the record of the step they belong to.

        >>> h = History(); h.record(10, {"loss": 0.5}); h.annotate({"kl": 0.1})
        >>> h[-1]
        {'step': 10, 'loss': 0.5, 'kl': 0.1}
        """
        if not self.steps:
            raise ValueError("values: a history without records has no latest record to annotate")
        _check_values(values)
        for name, value in values.items():
            self.metrics.setdefault(name, [math.nan] * len(self.steps))[-1] = float(value)

    def __getitem__(self, name: str | int) -> list[float] | dict[str, float]:
        if isinstance(name, int) and not isinstance(name, bool):
            if not -len(self.steps) <= name < len(self.steps):
                raise IndexError(f"name: record {name} of a history with {len(self.steps)} records")
            return {"step": self.steps[name], **{k: v[name] for k, v in self.metrics.items()}}
        if name not in self.metrics:
            raise KeyError(f"name: no metric {name!r} was recorded; recorded: {sorted(self.metrics)}")
        return self.metrics[name]

    def __getattr__(self, name: str) -> list[float]:
        metrics = self.__dict__.get("metrics", {})
        if name in metrics:
            return metrics[name]
        raise AttributeError(f"History has no attribute or metric {name!r}; metrics: {sorted(metrics)}")

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        names = ", ".join(self.metrics) or "no metrics"
        return f"History({len(self.steps)} records of {names}; {self.total_steps} steps in {self.seconds:.1f} s)"

    def __iter__(self) -> Iterator[dict[str, float]]:
        return (self[i] for i in range(len(self.steps)))

    def last(self, name: str) -> float:
        """The latest recorded value of ``name``."""
        return self[name][-1]

    def to_dict(self) -> dict:
        """A JSON-ready copy (results files store it)."""
        return {
            "steps": list(self.steps),
            "metrics": {k: list(v) for k, v in self.metrics.items()},
            "total_steps": self.total_steps,
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "History":
        """The inverse of :meth:`to_dict`."""
        return cls(
            list(data["steps"]),
            {k: list(v) for k, v in data["metrics"].items()},
            int(data["total_steps"]),
            float(data["seconds"]),
        )


def _split(out: object) -> tuple[torch.Tensor, Metrics]:
    if isinstance(out, torch.Tensor):
        return out, {}
    if isinstance(out, tuple) and len(out) == 2 and isinstance(out[0], torch.Tensor) and isinstance(out[1], dict):
        return out
    raise TypeError(f"objective: expected a scalar loss tensor or (loss, metrics dict), got {type(out).__name__}")


def fit(
    objective: Objective,
    optimizer: torch.optim.Optimizer,
    steps: int,
    *,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    every: int = 0,
    monitor: Callable[[], Metrics] | None = None,
    record_start: bool = True,
    history: History | None = None,
    progress: bool = False,
    description: str | None = None,
) -> History:
    """Minimise ``objective`` for ``steps`` steps with ``optimizer``; returns (and extends) ``history``.

    Each step zeroes the gradients, calls ``objective(step)`` (``step`` counts from
    ``history.total_steps``, so training in chunks continues), backpropagates the loss, steps the
    optimizer and then the scheduler. With ``every > 0`` a record is taken after every ``every``-th
    step and after the last: the step's ``loss``, the objective's metrics of that step and ``monitor()``; with
    ``record_start`` also ``monitor()`` before the first step of a fresh history. ``progress`` shows a
    tqdm bar on stderr with the latest metrics (for command-line runs; the book keeps it off).

    >>> w = torch.zeros(1, requires_grad=True)
    >>> h = fit(lambda step: ((w - 3) ** 2).sum(), torch.optim.SGD([w], lr=0.25), 20, every=10,
    ...         monitor=lambda: {"w": w.item()})
    >>> h.steps, [round(v, 4) for v in h.w]
    ([0, 10, 20], [0.0, 2.9971, 3.0])
    """
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer: expected a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if not callable(objective):
        raise TypeError(f"objective: expected a callable objective(step), got {type(objective).__name__}")
    steps = check_int("steps", steps, minimum=0)
    every = check_int("every", every, minimum=0)
    if monitor is not None and not every:
        raise ValueError("every: a monitor is recorded every `every` steps; expected every >= 1 with a monitor, got 0")
    if monitor is not None and not callable(monitor):
        raise TypeError(f"monitor: expected a function returning a dict of metrics, got {type(monitor).__name__}")
    history = History() if history is None else history
    if not isinstance(history, History):
        raise TypeError(f"history: expected an ardemo.History, got {type(history).__name__}")
    start, end = history.total_steps, history.total_steps + steps
    if every and record_start and start == 0 and monitor is not None and not history.steps:
        history.record(0, monitor())
    indices: Iterator[int] | range = range(start, end)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(indices, total=steps, desc=description, unit="step", dynamic_ncols=True)
        indices = iter(bar)
    began = time.perf_counter()
    for step in indices:
        optimizer.zero_grad()
        loss, metrics = _split(objective(step))
        if loss.dim() != 0:
            raise ValueError(f"objective: expected a scalar loss, got shape {tuple(loss.shape)} at step {step}")
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        history.total_steps = step + 1
        done = step + 1
        if every and (done % every == 0 or done == end) or done == end:
            value = loss.item()  # read at records and at the end only (on a GPU each read waits)
            if not math.isfinite(value):
                raise ValueError(
                    f"objective: the loss is not finite ({value}) after {done} steps; lower the learning rate "
                    "or check the objective"
                )
        if every and (done % every == 0 or done == end):
            row = {"loss": value, **metrics}
            if monitor is not None:
                row.update(monitor())
            history.record(done, row)
            if bar is not None:
                bar.set_postfix({k: f"{v:.4g}" for k, v in row.items()}, refresh=False)
    if bar is not None:
        bar.close()
    history.seconds += time.perf_counter() - began
    return history


def random_batches(
    data: torch.Tensor, batch_size: int, generator: torch.Generator | None = None
) -> Callable[[], torch.Tensor]:
    """A function that returns ``batch_size`` rows of ``data`` drawn uniformly with replacement
    (one ``torch.randint`` per call, from ``generator`` when one is given: then the order of the
    batches does not depend on anything else drawn in between).

    >>> draw = random_batches(torch.arange(10.0).unsqueeze(1), 4)
    >>> draw().shape
    torch.Size([4, 1])
    """
    if not isinstance(data, torch.Tensor) or data.is_complex():
        got = f"dtype {data.dtype}" if isinstance(data, torch.Tensor) else type(data).__name__
        raise TypeError(f"data: expected a real tensor (floating, or integer lattice configurations), got {got}")
    if data.dim() < 1 or data.shape[0] == 0:
        raise ValueError(f"data: expected a non-empty batch of rows, got shape {tuple(data.shape)}")
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=data.shape[0])
    if generator is None:
        return lambda: data[torch.randint(data.shape[0], (batch_size,), device=data.device)]
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator: expected a torch.Generator or None, got {type(generator).__name__}")

    def draw() -> torch.Tensor:
        index = torch.randint(data.shape[0], (batch_size,), generator=generator, device=generator.device)
        return data[index.to(data.device)]

    return draw


def train_on_data(
    model: nn.Module,
    objective: Callable[[nn.Module, torch.Tensor], torch.Tensor],
    data: torch.Tensor,
    steps: int,
    batch_size: int = 100,
    lr: float = 0.01,
    every: int = 0,
    monitor: Callable[[nn.Module], float] | None = None,
) -> History:
    """:func:`fit` of ``objective(model, batch)`` with Adam on random minibatches of the rows of ``data``
    (any model's events: binary or real rows, integer lattice configurations).

    The parameters of ``objective`` (if it is a module, e.g. NCE's :math:`c`) are trained too. Every
    ``every`` steps (and at the start and end) ``monitor(model)`` is recorded as the metric ``"monitor"``.

    >>> from ardemo import BoltzmannMachine, ExactLikelihood
    >>> data = torch.tensor([[1.0, 1.0], [0.0, 0.0]]).repeat(50, 1)
    >>> h = train_on_data(BoltzmannMachine(2), ExactLikelihood(), data, 50, batch_size=20, lr=0.1)
    >>> h.total_steps
    50
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    if not callable(objective):
        raise TypeError(f"objective: expected a function objective(model, batch), got {type(objective).__name__}")
    if isinstance(model, ProbabilisticModel):
        data = model.check_event("data", data)  # the values once, then the loop without checks
    else:
        data = check_tensor("data", data)
    steps = check_int("steps", steps, minimum=0)
    lr = check_positive_float("lr", lr)
    draw = random_batches(data, batch_size)
    params = list(model.parameters())
    if isinstance(objective, nn.Module):
        params += list(objective.parameters())
    optimiser = torch.optim.Adam(params, lr=lr)
    watch = None if monitor is None else (lambda: {"monitor": float(monitor(model))})
    if watch is not None and not every:  # record the start and the end only
        every = max(steps, 1)
    with no_validation():
        return fit(lambda step: objective(model, draw()), optimiser, steps, every=every, monitor=watch)
