"""The experiments registry, results files, checkpoints and replays."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from contextlib import nullcontext
from pathlib import Path

import pytest
import torch

import ardemo
from ardemo.experiments import (
    REGISTRY,
    Interrupted,
    ReplayMismatch,
    main,
    read,
    replay,
    run_experiment,
)
from ardemo.experiments import pixelgnn as pixelgnn_experiment
from ardemo.experiments import results as R
from ardemo.experiments.replay import ALPHA, DF, critical_sigmas, record_portable_replay
from ardemo.experiments.replay import mode_here as replay_mode_here
from ardemo.learning.free_energy import estimate_free_energy

ROOT = Path(__file__).resolve().parents[1]
TINY = dict(size=4, steps=40, batch=64, samples=2000, mixtures=2, log_every=10, chunk=20, hidden=[4], anneal=10)


def _tiny(tmp_path: Path, name: str = "tiny.json", **kw) -> dict:
    return run_experiment(
        "pixelgnn-lattice",
        TINY,
        tmp_path / name,
        device="cpu",
        allow_dirty=True,
        checkpoint_dir=tmp_path / f"ck-{name}",
        **kw,
    )


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("results")
    _tiny(tmp)
    return tmp / "tiny.json"


def test_list_names_every_experiment_with_its_cost(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in REGISTRY:
        assert name in out
    assert "cost:" in out


def test_a_results_file_records_its_provenance(tiny_file):
    record = read(tiny_file)
    settings = record["settings"]
    assert settings["size"] == 4 and settings["radius"] == 1.5  # given and default settings alike
    assert set(settings) == set(pixelgnn_experiment.PixelGNNLattice.__dataclass_fields__)
    for name in settings:
        assert "--" + name.replace("_", "-") in record["command"]
    prov = record["provenance"]
    assert prov["torch"] == torch.__version__ and prov["device_type"] == "cpu" and prov["seed"] == 0
    assert isinstance(prov["dirty"], bool) and prov["commit"]
    assert prov["wall_seconds"] > 0 and prov["steps_per_second"] > 0
    assert record["log"]["steps"] == [10, 20, 30, 40]
    assert len(record["log"]["metrics"]["free_energy"]) == 4
    final = record["final"]["free_energy"]
    assert final["stderr"] > 0 and abs(final["value"] - record["final"]["exact_free_energy"]["value"]) < 5


def test_a_lattice_run_stores_its_parameters_and_an_anchored_bound(tiny_file):
    """The anchored mixture estimate is an upper bound on F (four standard errors), and the stored
    parameters rebuild a network whose sampled F_q agrees with the file's."""
    record = read(tiny_file)
    final, exact = record["final"], record["final"]["exact_free_energy"]["value"]
    anchored = final["anchored_mixture_free_energy"]
    assert anchored["stderr"] > 0 and anchored["value"] > exact - 4 * anchored["stderr"]
    s = pixelgnn_experiment.PixelGNNLattice(**record["settings"])
    lattice = ardemo.TreeLattice(s.size, 2)
    model = ardemo.Model(ardemo.ising(s.coupling), lattice, ardemo.SymmetricGroup(2))
    net = ardemo.PixelGNN(model, list(s.hidden), radius=s.radius)
    net.load_state_dict(ardemo.experiments.parameters_from_json(record["parameters"]))
    value, err = estimate_free_energy(net, 20_000)
    f = final["free_energy"]
    assert abs(value - f["value"]) < 5 * (err**2 + f["stderr"] ** 2) ** 0.5


def test_the_recorded_command_makes_the_same_file(tiny_file, tmp_path):
    record = read(tiny_file)
    args = shlex.split(record["command"])[4:]
    args[args.index("--out") + 1] = str(tmp_path / "again.json")
    assert main(["run", *args, "--device", "cpu", "--no-progress", "--checkpoint-dir", str(tmp_path / "ck")]) == 0
    again = read(tmp_path / "again.json")
    assert again["log"] == record["log"] and again["final"] == record["final"]
    portable = again["replay"]["portable"]  # a finished run adds its first steps with portable kernels
    assert portable["made"]["anchor"].startswith("before this record")
    assert "exactly" in portable["made"]["anchor"] and portable["signature"] == R.portable_signature()


def test_a_resumed_run_ends_with_the_metrics_of_an_uninterrupted_one(tiny_file, tmp_path):
    uninterrupted = read(tiny_file)
    out = tmp_path / "tiny.json"
    with pytest.raises(Interrupted):
        _tiny(tmp_path, stop_after=20, interrupt=True, checkpoint_minutes=0)
    assert not out.exists(), "an interrupted run leaves no results file"
    assert (tmp_path / "ck-tiny.json" / "checkpoint.pt").exists()
    resumed = _tiny(tmp_path, resume=True)
    assert resumed["log"] == uninterrupted["log"]
    assert resumed["final"] == uninterrupted["final"]


def test_replay_agrees_with_a_cpu_file_and_fails_when_the_code_changes(tiny_file, monkeypatch):
    report = replay(tiny_file)
    assert report.mode == "exact" and report.points == 2 and report.max_relative < 1e-6
    monkeypatch.setattr(pixelgnn_experiment, "FINAL_LR_FRACTION", 1 / 10)  # a default in the code, not a setting
    with pytest.raises(ReplayMismatch) as failure:
        replay(tiny_file)
    message = str(failure.value)
    assert str(tiny_file) in message and "python -m ardemo.experiments run pixelgnn-lattice" in message


def test_replay_of_another_device_compares_in_standard_errors(tiny_file, tmp_path):
    record = json.loads(tiny_file.read_text())
    record["provenance"]["device_type"] = "cuda"
    values, errors = record["log"]["metrics"]["free_energy"], record["log"]["metrics"]["error"]
    near, far = tmp_path / "near.json", tmp_path / "far.json"
    record["log"]["metrics"]["free_energy"] = [v + e for v, e in zip(values, errors)]
    near.write_text(json.dumps(record))
    assert not replay(near).exact and replay(near).max_sigmas < 5
    record["log"]["metrics"]["free_energy"] = [v + 20 * e for v, e in zip(values, errors)]
    far.write_text(json.dumps(record))
    with pytest.raises(ReplayMismatch, match="standard errors"):
        replay(far)


def test_a_results_file_records_the_processor_that_made_it(tiny_file):
    made = read(tiny_file)["provenance"]["processor"]
    here = R.processor()
    assert R.same_processor(made, here) and made["aten_capability"] == torch.backends.cpu.get_cpu_capability()
    assert not R.same_processor(made, {**here, "aten_capability": "DEFAULT"})
    assert not R.same_processor(made, {**here, "vector_isa": "avx2"}) and not R.same_processor(made, None)


def _portable_copy(tiny_file: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "tiny-portable.json"
    copy.write_text(tiny_file.read_text())
    record_portable_replay([copy])
    return copy


OTHER_PROCESSOR = {"ATEN_CPU_CAPABILITY": "default"}  # another processor's kernels, as far as rounding goes


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env}
    )


def test_a_portable_record_is_made_with_portable_kernels_and_anchored(tiny_file, tmp_path):
    copy = _portable_copy(tiny_file, tmp_path)
    portable = read(copy)["replay"]["portable"]
    assert portable["signature"] == R.portable_signature() and portable["env"] == R.PORTABLE_ENV
    assert portable["log"]["steps"] == [10, 20] and set(portable["log"]["metrics"]) == {"free_energy", "error"}
    assert "exactly" in portable["made"]["anchor"]  # the file replayed exactly here before the record was made
    assert read(copy)["log"] == read(tiny_file)["log"]  # nothing else in the file changed
    assert replay_mode_here(read(copy)) == "exact"  # on the processor that made it, still the first way


CHANGES = {
    "unchanged": "",
    "FINAL_LR_FRACTION": "import ardemo.experiments.pixelgnn as m; m.FINAL_LR_FRACTION = 1 / 10",
    "ANNEAL_START": "import ardemo.learning.free_energy as m; m.ANNEAL_START = 0.25",
}


def test_on_another_processor_the_replay_is_exact_and_still_sees_a_changed_code(tiny_file, tmp_path):
    """With another processor's kernels (ATen's default ones here), a file made on this processor is
    replayed with the portable kernels and compared to rounding: it agrees as it is, and fails for a
    changed code default (the learning-rate floor, the annealing start) and for an edited file."""
    copy = _portable_copy(tiny_file, tmp_path)
    edited, edited_portable = tmp_path / "edited.json", tmp_path / "edited-portable.json"
    record = json.loads(copy.read_text())
    record["log"]["metrics"]["free_energy"][-1] += 0.001  # a value after the replayed steps
    edited.write_text(json.dumps(record))
    record = json.loads(copy.read_text())
    record["replay"]["portable"]["log"]["metrics"]["free_energy"][1] *= 1.001
    edited_portable.write_text(json.dumps(record))
    outcome = {}
    for name, change in CHANGES.items():
        code = (
            f"{change}\nfrom ardemo.experiments import replay, ReplayMismatch\n"
            f"try:\n    print('agrees', replay({str(copy)!r}).mode)\n"
            f"except ReplayMismatch as e:\n    print('differs', str(e).splitlines()[0])"
        )
        done = _python(code, {**OTHER_PROCESSOR, **R.PORTABLE_ENV})  # the child runs the portable kernels itself
        assert done.returncode == 0, done.stderr[-2000:]
        outcome[name] = done.stdout.strip()
    assert outcome["unchanged"] == "agrees portable"
    for name in ("FINAL_LR_FRACTION", "ANNEAL_START"):
        assert outcome[name].startswith("differs") and "with portable kernels" in outcome[name], outcome[name]
    # with another processor's kernels only, the replay starts the portable kernels in a child process
    done = subprocess.run(
        [sys.executable, "-m", "ardemo.experiments", "replay", str(copy), str(edited), str(edited_portable)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **OTHER_PROCESSOR},
    )
    assert done.returncode == 1
    assert "exactly, with portable kernels" in done.stdout and str(copy) in done.stdout
    assert f"{edited}: its metrics (log, final or per-item values) were changed" in done.stderr
    assert f"{edited_portable}: the replay differs from the file at step 20" in done.stderr


def test_in_standard_errors_a_replay_needs_a_standard_error_for_every_metric(tiny_file, tmp_path):
    record = json.loads(tiny_file.read_text())
    record["provenance"]["device_type"] = "cuda"
    record["log"]["metrics"]["error"] = [None] * len(record["log"]["steps"])  # a file made before the column
    old = tmp_path / "old.json"
    old.write_text(json.dumps(record))
    report = replay(old)  # the replay's own standard error stands in for the file's
    assert report.mode == "statistical" and report.limit == pytest.approx(critical_sigmas(2 * report.points))
    record["replay"]["metrics"] = {"loss": None}  # a metric with no standard error anywhere
    old.write_text(json.dumps(record))
    with pytest.raises(ReplayMismatch, match="no per-step standard error"):
        replay(old)


def test_in_standard_errors_values_all_on_one_side_fail_together(tiny_file, tmp_path):
    record = json.loads(tiny_file.read_text())
    record["provenance"]["device_type"] = "cuda"
    values, errors = record["log"]["metrics"]["free_energy"], record["log"]["metrics"]["error"]
    z = 0.9 * critical_sigmas(2 * 2)  # two values, each within its limit; their standardised sum is not
    assert 2 * z / 2**0.5 > critical_sigmas(2)
    record["log"]["metrics"]["free_energy"] = [v + z * e * 2**0.5 for v, e in zip(values, errors)]
    biased = tmp_path / "biased.json"
    biased.write_text(json.dumps(record))
    with pytest.raises(ReplayMismatch, match="on one side"):
        replay(biased)


def test_the_false_failure_rate_of_a_replay_in_standard_errors_is_below_alpha():
    from scipy.stats import t

    for n in (1, 3, 10, 40):  # each of n values, and their sum, at a Student-t level of ALPHA / 4 (n values each)
        assert 2 * n * t.sf(critical_sigmas(2 * n), DF) + 2 * t.sf(critical_sigmas(2), DF) <= ALPHA * 1.0000001


def test_bad_inputs_are_refused_before_training_and_overwrite_nothing(tmp_path, capsys):
    out = tmp_path / "kept.json"
    out.write_text("precious")
    new = tmp_path / "new.json"
    base = ["run", "pixelgnn-lattice", "--out", str(new), "--no-progress", "--allow-dirty"]
    cases = [
        (["run", "pixelgnn-lattice", "--out", str(out), "--allow-dirty"], "exists and is not a results file"),
        (["run", "no-such-run", "--out", str(out)], "no experiment 'no-such-run'"),
        ([*base, "--sise", "4"], "unrecognized arguments: --sise"),
        ([*base, "--size", "four"], "invalid int value: 'four'"),
        ([*base, "--size", "0"], "size: expected an integer >= 2"),
        ([*base, "--chunk", "15"], "chunk: expected a multiple of log_every"),
        ([*base, "--lattice", "hex"], "lattice: expected 'tree' or 'flat'"),
        ([*base, "--device", "tpu:7"], "--device"),
        (["run", "pixelgnn-lattice", "--out", str(tmp_path), "--allow-dirty"], "is a folder"),
        (["run", "pixelgnn-lattice", "--out", "/proc/ardemo/x.json", "--allow-dirty"], "--out: cannot write"),
        (["frobnicate"], "unknown command 'frobnicate'"),
    ]
    for argv, fragment in cases:
        with pytest.raises(SystemExit) if "unrecognized" in fragment or "invalid" in fragment else nullcontext():
            code = main(argv)
            assert code != 0, argv
        assert fragment in capsys.readouterr().err, argv
    assert out.read_text() == "precious" and not new.exists()


def test_replay_refuses_corrupt_and_foreign_files(tmp_path, capsys):
    corrupt, foreign = tmp_path / "corrupt.json", tmp_path / "foreign.json"
    corrupt.write_text('{"format": "ardemo-res')
    foreign.write_text(json.dumps({"format": "something-else/3", "runs": []}))
    assert main(["replay", str(corrupt), str(foreign), str(tmp_path / "missing.json")]) == 1
    err = capsys.readouterr().err
    assert "not readable JSON" in err and "format 'something-else/3'" in err and "missing.json" in err


def test_resume_refuses_a_checkpoint_of_other_settings_or_another_experiment(tiny_file, tmp_path):
    with pytest.raises(Interrupted):
        _tiny(tmp_path, stop_after=20, interrupt=True, checkpoint_minutes=0)
    other = dict(TINY, lr=0.02)
    with pytest.raises(ValueError, match="other settings"):
        run_experiment(
            "pixelgnn-lattice",
            other,
            tmp_path / "tiny.json",
            device="cpu",
            allow_dirty=True,
            checkpoint_dir=tmp_path / "ck-tiny.json",
            resume=True,
        )
    state = torch.load(tmp_path / "ck-tiny.json" / "checkpoint.pt", weights_only=True)
    state["experiment"] = "sbn-mnist"
    torch.save(state, tmp_path / "ck-tiny.json" / "checkpoint.pt")
    with pytest.raises(ValueError, match="is a checkpoint of 'sbn-mnist'"):
        _tiny(tmp_path, resume=True)
    (tmp_path / "ck-tiny.json" / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        _tiny(tmp_path, resume=True)
    assert not (tmp_path / "tiny.json").exists()


def test_a_dirty_tree_is_refused_unless_allowed(tmp_path):
    """Run from a git checkout with an uncommitted change: refused, and --allow-dirty is recorded."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for cmd in (
        ["git", "init", "-q"],
        ["git", "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q", "--allow-empty", "-m", "x"],
    ):
        subprocess.run(cmd, cwd=repo, check=True)
    (repo / "f.txt").write_text("a")
    subprocess.run(["git", "add", "f.txt"], cwd=repo, check=True)
    argv = [
        sys.executable,
        "-m",
        "ardemo.experiments",
        "run",
        "pixelgnn-lattice",
        "--size",
        "4",
        "--steps",
        "2",
        "--batch",
        "8",
        "--samples",
        "8",
        "--mixtures",
        "2",
        "--hidden",
        "2",
        "--anneal",
        "0",
        "--log-every",
        "1",
        "--chunk",
        "1",
        "--device",
        "cpu",
        "--no-progress",
        "--no-portable",
        "--out",
        "r.json",
    ]
    refused = subprocess.run(argv, cwd=repo, capture_output=True, text=True)
    assert refused.returncode == 2 and "uncommitted changes" in refused.stderr
    assert not (repo / "r.json").exists()
    allowed = subprocess.run([*argv, "--allow-dirty"], cwd=repo, capture_output=True, text=True)
    assert allowed.returncode == 0, allowed.stderr
    record = read(repo / "r.json")
    assert record["provenance"]["dirty"] is True and record["command"].endswith("--allow-dirty")


FOUR = dict(steps=4, batch=32, samples=200, mixtures=2, log_every=1, exact_every=2, hidden=[4])


def test_the_4x4_protocol_logs_exact_metrics_and_stores_parameters_that_reproduce_them(tmp_path):
    record = run_experiment(
        "pixelgnn-4x4", FOUR, tmp_path / "four.json", device="cpu", allow_dirty=True, checkpoint_dir=tmp_path / "ck"
    )
    log = record["log"]
    assert log["steps"] == [1, 2, 3, 4]
    kl = log["metrics"]["kl"]
    assert kl[0] is None and kl[2] is None and kl[1] > 0 and kl[3] > 0  # every exact_every steps only
    assert all(v is not None for v in log["metrics"]["free_energy"])
    final = {k: v["value"] for k, v in record["final"].items()}
    assert abs(final["exact_fq"] - final["exact_free_energy"] - final["kl"]) < 1e-9
    assert final["kl_sym"] <= final["kl"] + 1e-12  # symmetrising never hurts
    # the stored parameters are the trained model: loaded into a fresh one, they give the same exact F_q
    net = ardemo.experiments.trained_4x4(record)
    exact = ardemo.LatticeEnumeration(net.model)
    assert exact.variational_free_energy(exact.log_probs(net.log_prob)) == pytest.approx(final["exact_fq"], abs=1e-9)
    net.load_state_dict(  # and they are not just any parameters
        {k: torch.zeros_like(v) for k, v in ardemo.experiments.parameters_from_json(record["parameters"]).items()}
    )
    assert exact.variational_free_energy(exact.log_probs(net.log_prob)) != pytest.approx(final["exact_fq"], abs=1e-3)


@pytest.mark.parametrize("text, value", [("False", False), ("true", True), ("0", False), ("yes", True)])
def test_yes_or_no_settings_read_true_and_false(text, value, tmp_path, capsys):
    out = tmp_path / "b.json"
    args = [
        "run",
        "pixelgnn-4x4",
        *sum(([f"--{k.replace('_', '-')}", *map(str, v if isinstance(v, list) else [v])] for k, v in FOUR.items()), []),
    ]
    assert (
        main(
            [
                *args,
                "--scale-invariance",
                text,
                "--out",
                str(out),
                "--allow-dirty",
                "--no-progress",
                "--no-portable",
                "--checkpoint-dir",
                str(tmp_path / "ck"),
            ]
        )
        == 0
    )
    assert read(out)["settings"]["scale_invariance"] is value


def test_a_yes_or_no_setting_refuses_other_words(capsys):
    with pytest.raises(SystemExit):
        main(["run", "pixelgnn-4x4", "--scale-invariance", "maybe", "--out", "x.json"])
    assert "True or False" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name, settings",
    [
        ("ising-hypotheses", dict(seeds=1, steps=9, train_steps=20, record_every=10)),
        ("rebar-small-sbn", dict(steps_one_layer=20, steps_two_layers=20, every=10)),
    ],
)
def test_experiments_whose_steps_are_whole_runs_resume_to_the_same_file(name, settings, tmp_path):
    """One step of these experiments is one training run; what the runs keep besides the log (the control's
    curves, the kept networks) travels in the checkpoint, so a resumed run writes the same results."""
    common = dict(device="cpu", allow_dirty=True)
    whole = run_experiment(name, settings, tmp_path / "whole.json", checkpoint_dir=tmp_path / "ck-whole", **common)
    with pytest.raises(Interrupted):
        run_experiment(
            name,
            settings,
            tmp_path / "cut.json",
            checkpoint_dir=tmp_path / "ck-cut",
            stop_after=3,
            interrupt=True,
            checkpoint_minutes=0,
            **common,
        )
    resumed = run_experiment(
        name, settings, tmp_path / "cut.json", checkpoint_dir=tmp_path / "ck-cut", resume=True, **common
    )
    untimed = lambda items: {k: v for k, v in (items or {}).items() if not k.endswith(".seconds")}  # noqa: E731 (wall times differ)
    for key in ("log", "final", "parameters"):
        assert resumed.get(key) == whole.get(key), key
    assert untimed(resumed["per_item"]) == untimed(whole["per_item"])
    assert whole["per_item"] and whole["final"]["runs"]["value"] == len(whole["log"]["steps"])
