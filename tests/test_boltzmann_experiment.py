"""The ``boltzmann-mnist`` experiment: a 784-unit Boltzmann machine on binarised MNIST, at a length a test can run."""

from pathlib import Path

import pytest
import torch
from mnist_available import HAVE_MNIST, needs_mnist

import ardemo
from ardemo.experiments import Interrupted, main, parameters_from_json, read, replay, run_experiment
from ardemo.experiments.boltzmann import METHODS, BoltzmannMNIST, SeededBatches, binary_split

TINY = dict(
    method="pcd",
    steps=200,
    log_every=50,
    eval_every=100,
    eval_images=40,
    raise_images=20,
    ais_chains=10,
    temperatures=30,
    noise_steps=20,
    samples=4,
    sample_sweeps=3,
)


def _tiny(tmp_path: Path, name: str = "bm.json", **kw) -> dict:
    settings = {**TINY, **kw.pop("settings", {})}
    return run_experiment(
        "boltzmann-mnist",
        settings,
        tmp_path / name,
        device="cpu",
        allow_dirty=True,
        checkpoint_dir=tmp_path / "ck",
        **kw,
    )


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory) -> Path:
    if not HAVE_MNIST:
        pytest.skip("MNIST is not under $ARDEMO_DATA_DIR")
    tmp = tmp_path_factory.mktemp("bm")
    _tiny(tmp)
    return tmp / "bm.json"


@needs_mnist
def test_data_negatives_and_split_are_fixed():
    train, held_out, negatives, info = binary_split("mnist-test")
    assert train.shape == (9000, 784) and held_out.shape == (1000, 784) and negatives.shape == (10_000, 784)
    for images in (train, held_out, negatives):
        assert set(images.unique().tolist()) == {0.0, 1.0}
    assert "photographs" in info["negatives"] and info["train"] == 9000
    # photo patches are another kind of image: far more ink than digits
    assert float(negatives.mean()) > 2 * float(train.mean())


@needs_mnist
def test_a_run_logs_curves_and_brackets_the_held_out_likelihood(tiny_file):
    record = read(tiny_file)
    log = record["log"]
    assert log["steps"] == [0, 50, 100, 150, 200]
    evaluated = [s for s, v in zip(log["steps"], log["metrics"]["test_pll"]) if v is not None]
    assert evaluated == [0, 100, 200]
    final = record["final"]
    # PCD improves on independent pixels within 200 steps, in pseudo-likelihood
    assert final["test_pll"]["value"] > final["test_independent"]["value"] + 5
    assert len(record["per_item"]["test_raise"]) == 20 and len(record["per_item"]["test_unnormalised"]) == 40
    samples = parameters_from_json(record["arrays"])["samples"]
    assert samples.shape == (4, 784) and samples.dtype == torch.uint8 and int(samples.max()) <= 1
    assert final["ais_minus_raise"]["stderr"] > 0


@needs_mnist
def test_a_resumed_run_ends_with_the_metrics_of_an_uninterrupted_one(tiny_file, tmp_path):
    with pytest.raises(Interrupted):
        _tiny(tmp_path, stop_after=100, interrupt=True, checkpoint_minutes=0)
    resumed = _tiny(tmp_path, resume=True)
    uninterrupted = read(tiny_file)
    assert resumed["log"] == uninterrupted["log"] and resumed["final"] == uninterrupted["final"]


@needs_mnist
def test_resume_restores_the_fitted_noise_model(tmp_path):
    kw = dict(settings=dict(method="nce-autoregressive", steps=100, eval_every=50))
    full = _tiny(tmp_path, "full.json", **kw)
    with pytest.raises(Interrupted):
        _tiny(tmp_path / "b", stop_after=50, interrupt=True, checkpoint_minutes=0, **kw)
    resumed = _tiny(tmp_path / "b", resume=True, **kw)
    assert resumed["final"] == full["final"] and "test_noise_log_likelihood" in full["final"]


@needs_mnist
def test_replay_agrees_and_catches_a_change_in_the_sampler(tiny_file, monkeypatch):
    assert replay(tiny_file, steps=100).points >= 2
    monkeypatch.setattr(ardemo.learning.negative_phase.GibbsLikelihood, "start", _start_from_zeros)
    with pytest.raises(AssertionError, match="boltzmann-mnist"):
        replay(tiny_file, steps=100)


def _start_from_zeros(self, model, batch):
    return torch.zeros(self.chains, model.n_units, dtype=batch.dtype)


@needs_mnist
@pytest.mark.parametrize("method", [m for m in METHODS if m != "pcd"])
def test_every_method_runs(method, tmp_path):
    record = _tiny(tmp_path, settings=dict(method=method, steps=20, log_every=10, eval_every=20))
    assert record["log"]["steps"][-1] == 20 and all(v is not None for v in record["log"]["metrics"]["loss"][1:])
    assert ("c" in record["final"]) == method.startswith(("nce", "negative"))


@needs_mnist
def test_a_profiled_normaliser_follows_the_offset(tmp_path):
    """With c learned, Adam moves c by at most about lr per step from its start; profiled, it goes
    further than a learned c could in the same steps."""
    profiled = _tiny(tmp_path, "p.json", settings=dict(method="nce-bernoulli", normaliser="profiled", steps=100))
    learned = _tiny(tmp_path, "l.json", settings=dict(method="nce-bernoulli", steps=100))
    start = learned["log"]["metrics"]["c"][0]
    assert abs(learned["final"]["c"]["value"] - start) <= 100 * 1e-3 * 1.01
    assert abs(profiled["final"]["c"]["value"] - start) > 100 * 1e-3 * 1.01
    assert profiled["settings"]["normaliser"] == "profiled"


def test_the_batches_follow_their_own_stream():
    data = torch.arange(50.0)[:, None]
    a, b = SeededBatches(data, 5, 3), SeededBatches(data, 5, 3)
    first = [a() for _ in range(3)]
    torch.rand(100)  # draws from the global stream (Gibbs, noise) do not move it: every method sees these batches
    state = b.state_dict()
    assert all(torch.equal(x, b()) for x in first)
    b.load_state_dict(state)  # a checkpoint restores its position
    assert torch.equal(b(), first[0]) and not torch.equal(first[0], first[1])


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(method="score-matching"), "method"),
        (dict(data="cifar"), "data"),
        (dict(k=0), "k"),
        (dict(raise_images=2000), "raise_images"),
        (dict(eval_every=150), "eval_every"),
        (dict(lr=-1.0), "lr"),
        (dict(normaliser="free"), "normaliser"),
        (dict(method="pcd", normaliser="profiled"), "normaliser: only the contrastive"),
    ],
)
def test_bad_settings_are_named(change, match):
    with pytest.raises((ValueError, TypeError), match=match):
        BoltzmannMNIST(**change)


def test_bad_settings_on_the_command_line_fail_before_training(tmp_path, capsys):
    out = tmp_path / "x.json"
    assert (
        main(["run", "boltzmann-mnist", "--method", "gibbs", "--out", str(out), "--allow-dirty", "--no-progress"]) != 0
    )
    assert "method" in capsys.readouterr().err and not out.exists()
