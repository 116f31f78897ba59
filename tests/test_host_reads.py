"""With validation off, ardemo's own code reads no tensor value on the host in ``log_prob``, ``sample``,
the gradient estimators and one step of every training loop (on a GPU each read stalls the queue).
With validation on, bad values still give the ValueError that names them, nested models included."""

from __future__ import annotations

import pytest
import torch
from host_read_cases import loops, reads_per_step
from test_contract import CASES, _scramble

import ardemo
from ardemo.core.hostreads import count_host_reads
from ardemo.learning import estimators


@pytest.fixture
def validation_off():
    ardemo.set_validate_args(False)
    yield
    ardemo.set_validate_args(True)


def test_the_counter_sees_a_read_in_ardemo_and_not_one_in_torch():
    """The instrument can fail: a value check inside ardemo is counted where it is made; Adam's reading of
    its own step counter (inside torch) is not ours."""
    with count_host_reads() as reads:
        ardemo.core.validation.check_binary("x", torch.ones(3))
    assert reads.total == 1 and "validation.py" in str(reads)
    w = torch.zeros(2, requires_grad=True)
    opt = torch.optim.Adam([w])
    w.sum().backward()
    with count_host_reads() as reads:
        opt.step()
    assert reads.total == 0
    with count_host_reads(package=None) as reads:
        float(torch.ones(()))
    assert reads.total == 1


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("switch", ["library", "model"])
def test_log_prob_and_sample_make_no_host_read_with_validation_off(name, switch):
    torch.manual_seed(0)
    model = _scramble(CASES[name].make())
    x = model.sample(5)
    if switch == "library":
        ardemo.set_validate_args(False)
    else:
        model.validate_args = False
    try:
        with count_host_reads() as reads:
            model.log_prob(x)
            model.sample(5)
            if isinstance(model, ardemo.EnergyBasedModel):
                model.unnormalized_log_prob(x)
    finally:
        ardemo.set_validate_args(True)
    assert reads.total == 0, str(reads)


ESTIMATORS = {
    "reinforce": {},
    "concrete": {},
    "rebar": {},
    "rebar (tuned: tensor eta and temperature)": {
        "eta": torch.tensor(0.7, requires_grad=True),
        "temperature": torch.tensor(0.4, requires_grad=True),
        "create_graph": True,
    },
    "relax": {"control": lambda z: (z**2).sum(-1)},
    "muprop": {},
    "rebar_values": {},
}


@pytest.mark.parametrize("name", ESTIMATORS)
def test_estimators_make_no_host_read_with_validation_off(name, validation_off):
    function = getattr(estimators, name.split()[0])
    with count_host_reads() as reads:
        function(lambda s: (s * torch.arange(3.0)).sum(-1) ** 2, torch.randn(4, 3), **ESTIMATORS[name])
    assert reads.total == 0, str(reads)


def test_rebar_values_is_a_gradient_estimate_like_the_others():
    out = estimators.rebar_values(lambda s: s.sum(-1), torch.zeros(2, 2), u=torch.full((2, 2), 0.75))
    assert isinstance(out, ardemo.GradientEstimate) and out.gradient is None
    assert torch.equal(out.values, torch.tensor([2.0, 2.0]))


@pytest.mark.parametrize("name", list(loops()))
def test_one_training_step_makes_no_host_read_with_validation_off(name, validation_off):
    per_step, reads = reads_per_step(loops()[name])
    assert per_step == 0, str(reads)


def test_the_step_count_would_see_a_read_per_step(validation_off, monkeypatch):
    """Plant a read in the loop (the old ElboTrainer.step returned float(elbo)): the count finds it."""
    original = ardemo.ElboTrainer.step
    monkeypatch.setattr(ardemo.ElboTrainer, "step", lambda self, x: float(original(self, x)))
    per_step, reads = reads_per_step(loops()["ElboTrainer.step nvil"])
    assert per_step == 0  # the read is in this test file, not in ardemo...
    per_step, reads = reads_per_step(loops()["ElboTrainer.step nvil"], package=None)
    assert per_step == 1  # ...and counted when every caller outside torch is


def _lattice_model(lattice):
    return ardemo.Model(ardemo.ising(0.44), lattice, ardemo.SymmetricGroup(2))


NESTED = {
    "PixelGNN": (lambda v: ardemo.PixelGNN(_lattice_model(ardemo.FlatLattice(2, 2)), [4], validate_args=v), 7),
    "SymmetrizedMixture": (
        lambda v: ardemo.SymmetrizedMixture(
            ardemo.PixelGNN(_lattice_model(ardemo.FlatLattice(2, 2)), [4]), validate_args=v
        ),
        7,
    ),
    "SpinFlipSymmetric": (lambda v: ardemo.SpinFlipSymmetric(ardemo.AutoregressiveModel(4), validate_args=v), 2.0),
}


@pytest.mark.parametrize("name", NESTED)
def test_a_model_with_validation_on_checks_its_parts_when_the_library_is_off(name, validation_off):
    make, bad = NESTED[name]
    model = make(True)
    x = model.sample(3).clone()
    x.view(3, -1)[0, 0] = bad
    with pytest.raises(ValueError, match="expected"):
        model.log_prob(x)


@pytest.mark.parametrize("name", NESTED)
def test_a_model_with_validation_off_keeps_its_parts_quiet_when_the_library_is_on(name):
    make, _ = NESTED[name]
    model = make(False)
    x = model.sample(3)
    with count_host_reads() as reads:
        model.log_prob(x)
    assert reads.total == 0, str(reads)
