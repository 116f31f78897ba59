"""The ``rebar-sbn`` experiment: Tucker et al.'s SBNs on binarised MNIST, at a size a test can run."""

from pathlib import Path

import pytest
import torch
from mnist_available import HAVE_MNIST, needs_mnist

import ardemo
from ardemo.experiments import Interrupted, main, read, replay, run_experiment
from ardemo.experiments.sbn import RebarSBN, build_sbn, mnist_split, sbn_split

TINY = dict(
    model="two-layer",
    estimator="relax",
    units=8,
    steps=400,
    log_every=100,
    eval_every=200,
    eval_images=20,
    variance_repeats=3,
    ll_samples=20,
)


def _tiny(tmp_path: Path, name: str = "sbn.json", **kw) -> dict:
    return run_experiment(
        "rebar-sbn", TINY, tmp_path / name, device="cpu", allow_dirty=True, checkpoint_dir=tmp_path / "ck", **kw
    )


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory) -> Path:
    if not HAVE_MNIST:
        pytest.skip("MNIST is not under $ARDEMO_DATA_DIR")
    tmp = tmp_path_factory.mktemp("sbn")
    _tiny(tmp)
    return tmp / "sbn.json"


@needs_mnist
def test_the_split_is_fixed_and_recorded():
    train, held_out, info = mnist_split("mnist-test")
    again, _, info_again = mnist_split("mnist-test")
    assert train.shape == (9000, 784) and held_out.shape == (1000, 784)
    assert torch.equal(train, again) and info == info_again
    assert set(train.unique().tolist()) == {0.0, 1.0}
    assert info["train"] == 9000 and len(info["sha256"]) == 64


@needs_mnist
def test_a_run_logs_curves_and_ends_with_an_importance_sampled_likelihood(tiny_file):
    record = read(tiny_file)
    log = record["log"]
    assert log["steps"] == [0, 100, 200, 300, 400]
    evaluated = [i for i, v in enumerate(log["metrics"]["test_elbo"]) if v is not None]
    assert [log["steps"][i] for i in evaluated] == [0, 200, 400]
    assert all(log["metrics"][f"eta_{k}"][-1] is not None for k in (0, 1))
    final = record["final"]
    # on the same images, the ELBO lies below the importance-sampled ln p(x) (here by about 3 nats)
    assert final["test_log_likelihood"]["value"] > final["test_elbo"]["value"]
    assert record["data"]["dataset"].startswith("MNIST official test split")
    for name, values in record["per_item"].items():  # one value per evaluated image, for paired comparisons
        assert len(values) == 20
        assert sum(values) / 20 == pytest.approx(final[name]["value"], abs=1e-3)


@needs_mnist
def test_a_resumed_run_ends_with_the_metrics_of_an_uninterrupted_one(tiny_file, tmp_path):
    with pytest.raises(Interrupted):
        _tiny(tmp_path, stop_after=200, interrupt=True, checkpoint_minutes=0)
    resumed = _tiny(tmp_path, resume=True)
    uninterrupted = read(tiny_file)
    assert resumed["log"] == uninterrupted["log"] and resumed["final"] == uninterrupted["final"]


@needs_mnist
def test_replay_agrees_and_catches_a_change_in_the_estimator(tiny_file, monkeypatch):
    assert replay(tiny_file, steps=200).points >= 2
    monkeypatch.setattr(ardemo.learning.elbo.ElboTrainer, "_relax_control", _no_r)
    with pytest.raises(AssertionError, match="rebar-sbn"):
        replay(tiny_file, steps=200)


def _no_r(self, k, below, relaxed, temperature):  # RELAX without its learned part: plain REBAR's control
    return lambda z: self.eta[k] * relaxed(torch.sigmoid(z / temperature)) * 1.5


def test_the_three_models_have_the_papers_shapes():
    linear, two, nonlinear = (build_sbn(m, 200) for m in ("linear", "two-layer", "nonlinear"))
    assert linear.latent_sizes == (200,) and two.latent_sizes == (200, 200) and nonlinear.hidden == (200, 200)
    assert sum(p.numel() for p in linear.parameters()) == 2 * 784 * 200 + 784 + 200 + 200
    with pytest.raises(ValueError, match="model"):
        build_sbn("deep", 200)


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(estimator="vimco"), "estimator"),
        (dict(model="deep"), "model"),
        (dict(data="fashion-mnist"), "data"),
        (dict(units=0), "units"),
        (dict(temperature=0.0), "temperature"),
        (dict(eval_every=150), "eval_every"),
        (dict(eval_images=5000), "eval_images"),
    ],
)
def test_bad_settings_are_named(change, match):
    with pytest.raises((ValueError, TypeError), match=match):
        RebarSBN(**change)


def test_bad_settings_on_the_command_line_fail_before_training(tmp_path, capsys):
    out = tmp_path / "x.json"
    assert main(["run", "rebar-sbn", "--units", "0", "--out", str(out), "--allow-dirty", "--no-progress"]) != 0
    assert "units" in capsys.readouterr().err and not out.exists()


def test_omniglot_trains_on_the_background_alphabets_and_holds_out_evaluation_drawings(tmp_path, monkeypatch):
    """The paper's second dataset, read through torchvision's folder when it is on disk (here a fake one)."""
    from fake_omniglot import make_fake_omniglot

    make_fake_omniglot(tmp_path / "data", {"background": 4, "evaluation": 52}, drawings=20)
    monkeypatch.setenv("ARDEMO_DATA_DIR", str(tmp_path / "data"))
    train, held_out, info = sbn_split("omniglot")
    assert train.shape == (80, 784) and held_out.shape == (1000, 784)
    assert set(train.unique().tolist()) == {0.0, 1.0} and info["train"] == 80 and info["held_out"] == 1000
    assert "Omniglot" in info["dataset"] and "1,000 of the 1,040 evaluation drawings" in info["dataset"]
    again = sbn_split("omniglot")
    assert torch.equal(held_out, again[1]) and info == again[2]  # the same drawings every time
    record = run_experiment(
        "rebar-sbn", {**TINY, "data": "omniglot", "steps": 200}, tmp_path / "o.json", device="cpu", allow_dirty=True
    )
    assert record["data"] == info and record["settings"]["data"] == "omniglot"
    assert record["final"]["test_log_likelihood"]["value"] > record["final"]["test_elbo"]["value"]
    monkeypatch.setenv("ARDEMO_DATA_DIR", str(tmp_path / "nothing"))
    with pytest.raises(FileNotFoundError, match="Omniglot"):
        sbn_split("omniglot")
    with pytest.raises(ValueError, match="data"):
        mnist_split("omniglot")
