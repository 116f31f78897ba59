"""``python -m ardemo.experiments``: list, run, replay and regenerate the registered long runs.

    python -m ardemo.experiments list
    python -m ardemo.experiments run NAME [--SETTING VALUE ...] [--device D] --out PATH [--resume | --restart] [--force]
    python -m ardemo.experiments replay [--mode M] [--record-exact | --record-portable] FILE [FILE ...]
    python -m ardemo.experiments regenerate [FILE ...]

``run NAME --help`` lists the experiment's settings with their defaults. Every argument is checked
before any training starts; a run writes its results file only when it has finished, atomically, and
replaces an existing ``--out`` only when that is a results file of the same experiment (or with
``--force``). Checkpoints go to a folder of their own per results file; ``regenerate FILE`` writes to
FILE itself, whatever the command stored inside it says.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
import time
import typing
from pathlib import Path
from typing import Any

import torch

from ..core.runtime import device as default_device
from . import results as R
from .registry import REGISTRY, Experiment, Outcome, Run, field_types, finite, make_settings, parameters_to_json
from .replay import ReplayMismatch, record_exact_replay, record_portable_replay, replay, replay_many, run_prefix

DEFAULT_CHECKPOINTS = Path("build") / "experiments"


def _parser_for(experiment: Experiment) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m ardemo.experiments run {experiment.name}",
        description=f"{experiment.summary}. Cost: {experiment.cost}.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    group = parser.add_argument_group("settings (all recorded in the results file)")
    defaults = experiment.defaults()
    for name, kind in field_types(experiment.settings).items():
        flag = "--" + name.replace("_", "-")
        default = getattr(defaults, name)
        if typing.get_origin(kind) is tuple:
            group.add_argument(flag, type=typing.get_args(kind)[0], nargs="+", default=list(default), metavar="N")
        elif kind is bool:
            group.add_argument(flag, type=_parse_bool, default=default, metavar="{True,False}")
        else:
            group.add_argument(flag, type=kind, default=default)
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1, ...; default: ardemo.device()")
    parser.add_argument("--out", type=Path, required=True, help="the results file (JSON) to write")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint of these settings")
    parser.add_argument(
        "--restart", action="store_true", help="start over, replacing an unfinished run's checkpoint (ardemo's own)"
    )
    parser.add_argument(
        "--force", action="store_true", help="replace --out even when it is not a results file of this experiment"
    )
    parser.add_argument("--allow-dirty", action="store_true", help="run from a tree with uncommitted changes")
    parser.add_argument(
        "--checkpoint-dir",
        type=Path,
        default=None,
        help=f"where checkpoints go (default: {DEFAULT_CHECKPOINTS}/<name of --out>-<digest of its full path>)",
    )
    parser.add_argument("--checkpoint-minutes", type=float, default=5.0, help="minutes between checkpoints")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.add_argument(
        "--no-portable",
        action="store_true",
        help="do not add the first steps with portable kernels (replay.portable) when the run ends; replays on "
        "other processors then compare in standard errors",
    )
    return parser


def _parse_bool(text: str) -> bool:
    """``True``/``False`` (any case, or 1/0, yes/no) for a yes-or-no setting; argparse's ``type=bool``
    would read ``"False"`` as true."""
    value = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(text.lower())
    if value is None:
        raise argparse.ArgumentTypeError(f"expected True or False, got {text!r}")
    return value


def command_for(experiment: Experiment, settings: Any, out: Path) -> str:
    """The command that regenerates a run, with every setting spelled out."""
    parts = ["python", "-m", "ardemo.experiments", "run", experiment.name]
    for name, value in dataclasses.asdict(settings).items():
        parts.append("--" + name.replace("_", "-"))
        parts += (
            [str(v) for v in value]
            if isinstance(value, (list, tuple))
            else [repr(value) if isinstance(value, float) else str(value)]
        )
    parts += ["--out", str(out)]
    return shlex.join(parts)


def _device(name: str | None) -> torch.device:
    if name is None:
        return default_device()
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise ValueError(f"--device: expected a device name such as 'cpu' or 'cuda:0', got {name!r}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device: {name!r}, but this machine has no CUDA device")
    return dev


def record_for(
    experiment: Experiment,
    settings: Any,
    outcome: Outcome,
    out: Path,
    dev: torch.device,
    commit: str,
    dirty: bool,
    started: str,
    wall: float,
) -> dict:
    """The results file's content."""
    log = outcome.log
    return {
        "format": R.FORMAT,
        "experiment": experiment.name,
        "summary": experiment.summary,
        "settings": dataclasses.asdict(settings),
        "command": command_for(experiment, settings, out) + (" --allow-dirty" if dirty else ""),
        "data": outcome.data,
        "provenance": {
            "commit": commit,
            "dirty": dirty,
            "torch": torch.__version__,
            "python": sys.version.split()[0],
            "device": R.device_name(dev),
            "device_type": dev.type,
            "threads": torch.get_num_threads(),
            "processor": R.processor(dev),
            "seed": getattr(settings, "seed", None),
            "started": started,
            "wall_seconds": round(wall, 1),
            "train_seconds": round(log.seconds, 1),
            "steps_per_second": round(log.total_steps / log.seconds, 4) if log.seconds > 0 else None,
        },
        "replay": {"steps": experiment.replay_steps, "metrics": experiment.metrics},
        "log": {"steps": log.steps, "metrics": {k: [finite(v) for v in col] for k, col in log.metrics.items()}},
        "final": {
            k: {"value": finite(v), "stderr": None if e is None else finite(e)} for k, (v, e) in outcome.final.items()
        },
        **({} if outcome.parameters is None else {"parameters": parameters_to_json(outcome.parameters)}),
        **({} if outcome.arrays is None else {"arrays": parameters_to_json(outcome.arrays)}),
        **(
            {}
            if outcome.per_item is None
            else {"per_item": {k: [finite(v) for v in vs] for k, vs in outcome.per_item.items()}}
        ),
    }


def run_experiment(
    name: str,
    values: dict[str, Any],
    out: Path,
    *,
    device: str | None = None,
    resume: bool = False,
    allow_dirty: bool = False,
    checkpoint_dir: Path | None = None,
    checkpoint_minutes: float = 5.0,
    progress: bool = False,
    stop_after: int | None = None,
    interrupt: bool = False,
    restart: bool = False,
    force: bool = False,
) -> dict:
    """Check everything, run the experiment, write its results file atomically; returns the record.
    An existing ``out`` is replaced only when it is a results file of the same experiment, or with ``force``."""
    if name not in REGISTRY:
        raise ValueError(f"name: no experiment {name!r}; registered: {sorted(REGISTRY)}")
    experiment = REGISTRY[name]
    settings = make_settings(experiment, values)
    out = R.check_replaceable(R.check_writable(Path(out)), name, force)
    if resume and restart:
        raise ValueError("--resume and --restart: expected one of them, got both")
    dev = _device(device)
    commit, dirty = R.git_commit()
    if dirty and not allow_dirty:
        raise ValueError(
            "the working tree has uncommitted changes: commit them first (the results file records the commit), "
            "or pass --allow-dirty, which the file then says"
        )
    if not checkpoint_minutes >= 0:
        raise ValueError(f"--checkpoint-minutes: expected a number >= 0, got {checkpoint_minutes}")
    checkpoint_dir = default_checkpoint_dir(out) if checkpoint_dir is None else Path(checkpoint_dir)
    run = Run(
        experiment,
        settings,
        dev,
        checkpoint_dir,
        60 * checkpoint_minutes,
        resume,
        stop_after,
        interrupt,
        progress,
        restart=restart,
    )
    started, began = R.now(), time.perf_counter()
    outcome = experiment.fn(settings, run)
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    record = record_for(experiment, settings, outcome, out, dev, commit, dirty, started, time.perf_counter() - began)
    R.write_atomically(out, record)
    run.discard_checkpoint()
    return record


def default_checkpoint_dir(out: Path) -> Path:
    """Where a run writing ``out`` keeps its checkpoints unless told otherwise: one folder per results
    file (its name and a digest of its full path), so that two runs never share one.

    >>> default_checkpoint_dir(Path("a/run.json")) != default_checkpoint_dir(Path("b/run.json"))
    True
    """
    import hashlib

    digest = hashlib.sha256(str(Path(out).resolve()).encode()).hexdigest()[:10]
    return DEFAULT_CHECKPOINTS / f"{Path(out).stem}-{digest}"


def _cmd_list(_: list[str]) -> int:
    for name, experiment in sorted(REGISTRY.items()):
        print(f"{name:20s} {experiment.summary}\n{'':20s} cost: {experiment.cost}")
    return 0


def _cmd_run(argv: list[str]) -> int:
    if not argv or argv[0].startswith("-"):
        print(
            "usage: python -m ardemo.experiments run NAME [--SETTING VALUE ...] --out PATH\n"
            f"experiments: {', '.join(sorted(REGISTRY))}; 'run NAME --help' lists a run's settings",
            file=sys.stderr,
        )
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    name = argv[0]
    if name not in REGISTRY:
        print(f"error: no experiment {name!r}; registered: {', '.join(sorted(REGISTRY))}", file=sys.stderr)
        return 2
    experiment = REGISTRY[name]
    args = vars(_parser_for(experiment).parse_args(argv[1:]))
    options = {
        k: args.pop(k)
        for k in (
            "device",
            "out",
            "resume",
            "restart",
            "force",
            "allow_dirty",
            "checkpoint_dir",
            "checkpoint_minutes",
            "no_progress",
            "no_portable",
        )
    }
    try:
        record = run_experiment(
            name,
            args,
            options["out"],
            device=options["device"],
            resume=options["resume"],
            restart=options["restart"],
            force=options["force"],
            allow_dirty=options["allow_dirty"],
            checkpoint_dir=options["checkpoint_dir"],
            checkpoint_minutes=options["checkpoint_minutes"],
            progress=not options["no_progress"],
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    final = ", ".join(
        f"{k} {v['value']:.6g}" + (f" ± {v['stderr']:.2g}" if v["stderr"] else "")
        for k, v in record["final"].items()
        if v["value"] is not None
    )
    print(
        f"{name}: {final}\n{record['provenance']['wall_seconds']} s, "
        f"{record['provenance']['steps_per_second']} steps/s on {record['provenance']['device']}\nwrote {options['out']}"
    )
    if not options["no_portable"] and record["final"]:  # a finished run: its first steps with portable kernels
        try:
            record_portable_replay([Path(options["out"])])
            print(f"added its first steps with portable kernels (replay.portable) to {options['out']}")
        except (ReplayMismatch, ValueError) as error:
            print(f"warning: no portable record: {error}", file=sys.stderr)
    return 0


def _cmd_replay(argv: list[str]) -> int:

    parser = argparse.ArgumentParser(
        prog="python -m ardemo.experiments replay",
        description="Re-run the first steps of results files on the CPU and compare: exactly on the processor "
        "that made a file, exactly with portable kernels where the file has a portable record and this "
        "machine the same torch, MKL and C library, in standard errors elsewhere.",
    )
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--mode", choices=("exact", "portable", "statistical"), default=None, help="force one way")
    parser.add_argument(
        "--record-exact",
        action="store_true",
        help="compare exactly (rounding only) and, where the replay agrees, record this processor in the "
        "file's replay.exact_on, so that later replays here compare exactly too",
    )
    parser.add_argument(
        "--record-portable",
        action="store_true",
        help="replay each file, then store its first steps run with portable kernels (replay.portable), so "
        "that a replay on another x86-64 processor compares exactly",
    )
    opts = parser.parse_args(argv)
    status = 0
    if opts.record_portable:
        try:
            reports = record_portable_replay(opts.files)
        except (ReplayMismatch, ValueError, FileNotFoundError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        for path, report in zip(opts.files, reports):
            print(f"{path}: {report}; portable record written")
        return 0
    if opts.record_exact or opts.mode:
        outcomes = []
        for path in opts.files:
            try:
                outcomes.append(record_exact_replay(path) if opts.record_exact else replay(path, mode=opts.mode))
            except (ReplayMismatch, ValueError, FileNotFoundError) as error:
                outcomes.append(error)
    else:
        outcomes = replay_many(opts.files)
    for path, outcome in zip(opts.files, outcomes):
        if isinstance(outcome, Exception):
            print(f"error: {outcome}", file=sys.stderr)
            status = 1
        else:
            print(f"{path}: {outcome}")
    return status


def _cmd_portable_prefix(argv: list[str]) -> int:
    """Internal: read ``[[file, steps], ...]`` as JSON on stdin, print the replays' logs as JSON (run with
    the portable kernels, which the parent process started this one with)."""

    if argv:
        print("usage: python -m ardemo.experiments portable-prefix < [[FILE, STEPS], ...]", file=sys.stderr)
        return 2
    if not R.in_portable_mode():
        print(f"error: portable-prefix runs only with the portable kernels: {R.PORTABLE_ENV}", file=sys.stderr)
        return 2
    request = json.loads(sys.stdin.read())
    logs = [run_prefix(Path(path), steps) for path, steps in request]
    clean = [
        {"steps": log["steps"], "metrics": {k: [finite(v) for v in col] for k, col in log["metrics"].items()}}
        for log in logs
    ]
    print(json.dumps(clean))
    return 0


def _cmd_regenerate(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ardemo.experiments regenerate",
        description="Run again the command recorded in each results file "
        "(default: every results file in the results folder).",
    )
    parser.add_argument("files", type=Path, nargs="*")
    parser.add_argument("--device", default=None)
    parser.add_argument("--allow-dirty", action="store_true", help="run from a tree with uncommitted changes")
    opts = parser.parse_args(argv)
    files = opts.files or sorted(p for p in R.results_dir().glob("*.json") if R.is_results_file(p))
    for path in files:
        try:
            args = stored_run_arguments(path)
        except (ValueError, FileNotFoundError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        if opts.device:
            args += ["--device", opts.device]
        if opts.allow_dirty:
            args.append("--allow-dirty")
        print(f"$ python -m ardemo.experiments run {shlex.join(args)}", flush=True)
        code = _cmd_run(args)
        if code:
            return code
    return 0


def stored_run_arguments(path: Path) -> list[str]:
    """The ``run`` arguments a results file records, with ``--out`` set to ``path`` itself: a
    regenerated file replaces the file named, never a path written inside it. A file that is not a
    results file, or a command that does not parse, is a ``ValueError`` naming the file."""
    record = R.read(path)
    try:
        words = shlex.split(record["command"]) if isinstance(record["command"], str) else None
    except ValueError as error:
        raise ValueError(f"{path}: its command does not parse ({error}): {record['command']!r}") from None
    if not words or words[:4] != ["python", "-m", "ardemo.experiments", "run"] or len(words) < 5:
        raise ValueError(
            f"{path}: expected a command 'python -m ardemo.experiments run NAME ...', got {record['command']!r}"
        )
    if words[4] != record["experiment"]:
        raise ValueError(
            f"{path}: its command runs {words[4]!r}, but the file is a results file of {record['experiment']!r}"
        )
    args = [a for a in words[4:] if a != "--allow-dirty"]
    out = [i for i, a in enumerate(args) if a == "--out"]
    for i in reversed(out):
        del args[i : i + 2]
    return [*args, "--out", str(path)]


COMMANDS = {
    "list": _cmd_list,
    "run": _cmd_run,
    "replay": _cmd_replay,
    "regenerate": _cmd_regenerate,
    "portable-prefix": _cmd_portable_prefix,
}


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        print(__doc__, file=sys.stderr if argv and argv[0] not in ("-h", "--help") else sys.stdout)
        if argv and argv[0] not in ("-h", "--help"):
            print(f"error: unknown command {argv[0]!r}; commands: {', '.join(COMMANDS)}", file=sys.stderr)
            return 2
        return 0
    return COMMANDS[argv[0]](argv[1:])
