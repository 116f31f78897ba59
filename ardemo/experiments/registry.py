"""The registry of long runs: each experiment is a function registered under a name with typed settings.

An experiment is ``fn(settings, run) -> Outcome``: ``settings`` is an instance of its settings dataclass
(every field has a type and a default), ``run`` a :class:`Run` that knows the device, where to
checkpoint, whether to resume, and when to stop early (a replay). The function builds its models from
the library and trains them with :func:`ardemo.fit`; it returns an :class:`Outcome` with the metrics it
logged (a :class:`~ardemo.History`) and its final metrics with their standard errors.
"""

from __future__ import annotations

import dataclasses
import math
import os
import random
import time
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..learning.training import History

REGISTRY: dict[str, Experiment] = {}


@dataclass(frozen=True)
class Experiment:
    """A registered long run: its ``name``, a one-line ``summary``, the ``cost`` a reader should expect
    (as measured here), its ``settings`` dataclass, the function, which logged ``metrics`` a replay
    compares (each with the name of its standard-error column, or ``None``), and ``replay_steps``, how
    many steps a replay re-runs."""

    name: str
    summary: str
    cost: str
    settings: type
    fn: Callable[[Any, Run], Outcome]
    metrics: dict[str, str | None]
    replay_steps: int

    def defaults(self) -> Any:
        """The settings with every default."""
        return self.settings()


def register(
    name: str, *, summary: str, cost: str, settings: type, metrics: dict[str, str | None], replay_steps: int
) -> Callable[[Callable], Callable]:
    """Register ``fn(settings, run)`` under ``name``.

    >>> @dataclass
    ... class Toy:
    ...     steps: int = 3
    >>> @register("toy-doc", summary="a toy", cost="1 s", settings=Toy, metrics={"loss": None}, replay_steps=1)
    ... def toy(settings, run):
    ...     return Outcome(History(), {})
    >>> REGISTRY["toy-doc"].summary
    'a toy'
    >>> del REGISTRY["toy-doc"]
    """
    if not dataclasses.is_dataclass(settings):
        raise TypeError(f"settings: expected a dataclass of settings, got {settings!r}")
    if "steps" not in {f.name for f in dataclasses.fields(settings)}:
        raise ValueError(f"settings: {settings.__name__} needs a 'steps' field (a replay shortens nothing else)")

    def decorate(fn: Callable) -> Callable:
        if name in REGISTRY:
            raise ValueError(f"name: an experiment named {name!r} is registered already")
        REGISTRY[name] = Experiment(name, summary, cost, settings, fn, dict(metrics), replay_steps)
        return fn

    return decorate


@dataclass
class Outcome:
    """What an experiment returns: the ``log`` of metrics recorded every few steps, the ``final``
    metrics, ``{name: (value, standard error or None)}`` (empty when a replay stopped early), and the
    ``data`` it read (dataset, split, size, checksum; ``None`` when it generates its own), and the trained
    ``parameters`` (a ``state_dict``; small models only: they are stored in the JSON file, exactly), and
    ``per_item``: final values per evaluated item (one per held-out image, say), stored so that two
    results files evaluated on the same items can be compared pairwise, and ``arrays``: other small
    tensors the chapter shows (a grid of model samples, say), stored like ``parameters``."""

    log: History
    final: dict[str, tuple[float, float | None]] = field(default_factory=dict)
    data: dict | None = None
    parameters: dict[str, torch.Tensor] | None = None
    per_item: dict[str, list[float]] | None = None
    arrays: dict[str, torch.Tensor] | None = None


def parameters_to_json(state: dict[str, torch.Tensor]) -> dict[str, dict]:
    """A ``state_dict`` as JSON: each tensor's ``dtype``, ``shape`` and its ``values`` in row-major order
    (float32 values survive the trip through JSON's doubles exactly).

    >>> state = {"w": torch.tensor([[0.1, -2.0]]), "n": torch.tensor(3)}
    >>> back = parameters_from_json(parameters_to_json(state))
    >>> all(torch.equal(state[k], back[k]) for k in state)
    True
    """
    return {
        name: {
            "dtype": str(t.dtype).removeprefix("torch."),
            "shape": list(t.shape),
            "values": t.detach().cpu().flatten().tolist(),
        }
        for name, t in state.items()
    }


def parameters_from_json(data: dict[str, dict]) -> dict[str, torch.Tensor]:
    """The inverse of :func:`parameters_to_json`: a ``state_dict`` to ``load_state_dict`` into a model."""
    if not isinstance(data, dict):
        raise TypeError(f"data: expected the 'parameters' of a results file (a dict), got {type(data).__name__}")
    out = {}
    for name, entry in data.items():
        try:
            dtype = getattr(torch, entry["dtype"])
            out[name] = torch.tensor(entry["values"], dtype=dtype).reshape(entry["shape"])
        except (KeyError, TypeError, AttributeError, RuntimeError) as error:
            raise ValueError(f"data: parameter {name!r} is not a stored tensor ({error})") from None
    return out


class Interrupted(Exception):
    """Raised by :meth:`Run.after_chunk` when a run is told to stop (tests simulate an interruption)."""


def rng_state() -> dict:
    """The random states of Python, NumPy and PyTorch (CPU and every CUDA device), in types that
    ``torch.load(weights_only=True)`` reads back (NumPy's key array as a tensor)."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    state = {
        "python": random.getstate(),
        "numpy": (name, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore what :func:`rng_state` saved."""
    random.setstate(state["python"])
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


CHECKPOINT_MARK = ".ardemo-checkpoints"
"""The file that marks a checkpoint folder as ardemo's: a folder without it that holds anything is refused."""
CHECKPOINT_KEYS = ("experiment", "settings", "rng", "objects")


class Run:
    """The context of one run: ``device``, ``progress`` (tqdm on stderr), checkpoints in
    ``checkpoint_dir`` every ``checkpoint_seconds`` (at the experiment's chunk boundaries), ``resume``
    from the last one, and ``stop_after`` steps (a replay, or a simulated interruption with
    ``interrupt=True``).

    The checkpoint folder is ardemo's own (marked by a ``.ardemo-checkpoints`` file): a folder that holds files
    ardemo did not put there is refused, and so is an unfinished run's checkpoint unless ``resume``
    continues it or ``restart`` starts over (which replaces it). Checkpoints are read with
    ``torch.load(weights_only=True)``, which runs no code from the file."""

    def __init__(
        self,
        experiment: Experiment,
        settings: Any,
        device: torch.device,
        checkpoint_dir: Path | None = None,
        checkpoint_seconds: float = 300.0,
        resume: bool = False,
        stop_after: int | None = None,
        interrupt: bool = False,
        progress: bool = False,
        restart: bool = False,
    ) -> None:
        self.experiment, self.settings, self.device = experiment, settings, device
        self.checkpoint_dir = None if checkpoint_dir is None else Path(checkpoint_dir)
        self.checkpoint_seconds = checkpoint_seconds
        if self.checkpoint_dir is not None:
            _check_checkpoint_dir(self.checkpoint_dir, resume, restart)
        self.resume, self.stop_after, self.interrupt, self.progress = resume, stop_after, interrupt, progress
        self._state: dict[str, Any] = {}
        self._last_checkpoint = time.monotonic()
        self._bar = None

    @property
    def checkpoint_path(self) -> Path | None:
        return None if self.checkpoint_dir is None else self.checkpoint_dir / "checkpoint.pt"

    def track(self, **objects: Any) -> None:
        """Name the objects a checkpoint holds: modules, optimizers, schedulers (``state_dict``) and the
        :class:`~ardemo.History`."""
        self._state.update(objects)

    @property
    def target(self) -> int:
        """How many steps this run trains to (the settings' ``steps``, or fewer for a replay)."""
        steps = self.settings.steps
        return steps if self.stop_after is None else min(steps, self.stop_after)

    def save(self) -> None:
        """Write a checkpoint (atomically) of every tracked object and the random states."""
        if self.checkpoint_path is None:
            return
        state = {
            "experiment": self.experiment.name,
            "settings": dataclasses.asdict(self.settings),
            "rng": rng_state(),
            "objects": {k: (v.to_dict() if isinstance(v, History) else v.state_dict()) for k, v in self._state.items()},
        }
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        (self.checkpoint_dir / CHECKPOINT_MARK).touch()
        tmp = self.checkpoint_path.with_suffix(f".tmp-{os.getpid()}")
        torch.save(state, tmp)
        os.replace(tmp, self.checkpoint_path)
        self._last_checkpoint = time.monotonic()

    def restore(self) -> bool:
        """With ``resume``, load the last checkpoint into the tracked objects; ``False`` when there is none.
        A checkpoint of another experiment or other settings is refused."""
        if not self.resume or self.checkpoint_path is None or not self.checkpoint_path.exists():
            return False
        try:
            state = torch.load(self.checkpoint_path, map_location=self.device, weights_only=True)
        except Exception as error:  # a truncated or foreign file, or one that needs pickled code to load
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ValueError(
                f"--resume: {self.checkpoint_path} is not a readable checkpoint (read with weights_only=True, "
                f"which runs no code from the file: {first})"
            ) from None
        if not isinstance(state, dict) or any(k not in state for k in CHECKPOINT_KEYS):
            found = sorted(state) if isinstance(state, dict) else type(state).__name__
            raise ValueError(
                f"--resume: {self.checkpoint_path} is not a checkpoint of ardemo's (expected a dict with "
                f"{list(CHECKPOINT_KEYS)}, found {found})"
            )
        missing = sorted(set(self._state) - set(state["objects"]))
        if missing:
            raise ValueError(f"--resume: {self.checkpoint_path} holds no state for {missing}")
        if state.get("experiment") != self.experiment.name:
            raise ValueError(
                f"--resume: {self.checkpoint_path} is a checkpoint of {state.get('experiment')!r}, "
                f"not of {self.experiment.name!r}"
            )
        ours = dataclasses.asdict(self.settings)
        if state.get("settings") != ours:
            diff = {k: (state["settings"].get(k), v) for k, v in ours.items() if state["settings"].get(k) != v}
            raise ValueError(f"--resume: the checkpoint was made with other settings (checkpoint, now): {diff}")
        for name, obj in self._state.items():
            saved = state["objects"][name]
            if isinstance(obj, History):
                vars(obj).update(vars(History.from_dict(saved)))
            else:
                obj.load_state_dict(saved)
        set_rng_state(state["rng"])
        return True

    def discard_checkpoint(self) -> None:
        """Remove this run's checkpoint once its results file is written (ardemo's own file, in ardemo's
        own folder), so that running the same command again starts afresh without a refusal."""
        if self.checkpoint_path is not None and (self.checkpoint_dir / CHECKPOINT_MARK).exists():
            self.checkpoint_path.unlink(missing_ok=True)

    def after_chunk(self, history: History) -> None:
        """Called by the experiment after each chunk of steps: moves the progress bar (step, rate, ETA,
        the latest metrics), checkpoints when ``checkpoint_seconds`` have passed, and stops a run that
        is told to stop here (:class:`Interrupted`, after a checkpoint)."""
        done = history.total_steps
        if self._bar is not None:
            self._bar.update(done - self._bar.n)
            if history.steps:
                last = history[-1]
                self._bar.set_postfix({k: f"{v:.5g}" for k, v in last.items() if k != "step"}, refresh=True)
            if done >= self.target:
                self._bar.close()
        stopping = self.stop_after is not None and done >= self.stop_after
        if self.checkpoint_path is not None and (
            time.monotonic() - self._last_checkpoint >= self.checkpoint_seconds or (stopping and self.interrupt)
        ):
            self.save()
        if stopping and self.interrupt:
            raise Interrupted(f"stopped after {done} steps (a checkpoint was written)")

    def planned(self, history: History, plan: list[Any]) -> Any:
        """For experiments whose step is one whole training run: yield the items of ``plan`` this run
        still has to make, one step each. The caller trains the item and records its values at
        ``history.total_steps + 1`` (adding the run's ``seconds``); then the step is counted and
        :meth:`after_chunk` moves the progress bar, checkpoints or stops a replay."""
        for n in self.chunks(history, 1):
            for _ in range(n):
                yield plan[history.total_steps]
                history.total_steps += 1
            self.after_chunk(history)

    def chunks(self, history: History, size: int) -> list[int]:
        """The chunk sizes that take ``history`` from its ``total_steps`` to :attr:`target`, each at most
        ``size`` steps and ending on multiples of ``size`` (so checkpoints fall on the same steps
        whether a run was resumed or not)."""
        out, done = [], history.total_steps
        if self.progress and self._bar is None:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.settings.steps, initial=done, desc=self.experiment.name, unit="step")
        while done < self.target:
            step = min(size - done % size, self.target - done)
            out.append(step)
            done += step
        return out


class Kept:
    """What an experiment keeps besides its :class:`~ardemo.History` — ``curves`` (lists of numbers) and
    ``parameters`` (small tensors) — in a form :meth:`Run.track` saves in checkpoints."""

    def __init__(self) -> None:
        self.curves: dict[str, list[float]] = {}
        self.parameters: dict[str, torch.Tensor] = {}

    def state_dict(self) -> dict:
        return {"curves": self.curves, "parameters": self.parameters}

    def load_state_dict(self, state: dict) -> None:
        self.curves, self.parameters = dict(state["curves"]), dict(state["parameters"])


def _check_checkpoint_dir(folder: Path, resume: bool, restart: bool) -> None:
    """Refuse a checkpoint folder that holds files ardemo did not make, and an unfinished run's
    checkpoint that neither ``resume`` nor ``restart`` says what to do with."""
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"--checkpoint-dir: {folder} is a file, expected a folder")
    if not folder.is_dir():
        return
    if not (folder / CHECKPOINT_MARK).exists():
        entries = sorted(p.name for p in folder.iterdir())
        if entries:
            shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
            raise ValueError(
                f"--checkpoint-dir: {folder} holds files ardemo did not put there ({shown}); "
                "choose an empty or new folder"
            )
        return
    if (folder / "checkpoint.pt").exists() and not resume and not restart:
        raise ValueError(
            f"--checkpoint-dir: {folder / 'checkpoint.pt'} is the checkpoint of an unfinished run: pass --resume "
            "to continue it, or --restart to start over and replace it"
        )


def finite(value: float) -> float | None:
    """``value`` for JSON (``None`` for NaN or infinity).

    >>> finite(1.5), finite(float("nan"))
    (1.5, None)
    """
    return value if math.isfinite(value) else None


def field_types(settings: type) -> dict[str, Any]:
    """The type of each field of a settings dataclass, by name."""
    hints = typing.get_type_hints(settings)
    return {f.name: hints[f.name] for f in dataclasses.fields(settings)}


def make_settings(experiment: Experiment, values: dict[str, Any]) -> Any:
    """The experiment's settings from ``values`` (names as in its dataclass), type-checked: an unknown
    name, a value of the wrong type or out of range is a ``ValueError`` naming it."""
    types = field_types(experiment.settings)
    unknown = sorted(set(values) - set(types))
    if unknown:
        raise ValueError(f"settings: {experiment.name} has no setting {unknown}; its settings: {sorted(types)}")
    clean = {}
    for name, value in values.items():
        kind = types[name]
        if typing.get_origin(kind) is tuple:
            inner = typing.get_args(kind)[0]
            if not isinstance(value, (list, tuple)) or not all(_is(inner, v) for v in value):
                raise ValueError(f"{name}: expected a list of {inner.__name__}, got {value!r}")
            clean[name] = tuple(inner(v) for v in value)
        else:
            if not _is(kind, value):
                raise ValueError(f"{name}: expected {kind.__name__}, got {type(value).__name__} {value!r}")
            clean[name] = kind(value)
    return experiment.settings(**clean)


def _is(kind: type, value: Any) -> bool:
    if isinstance(value, bool):
        return kind is bool
    if kind is float:
        return isinstance(value, (int, float)) and math.isfinite(value)
    return isinstance(value, kind)
