"""The estimators of REBAR's released code (OfficialElboTrainer) and the MuProp-style relaxation:
unbiased against the enumerated gradient, the relaxation against its hand-derived derivatives, the
variance gradient against finite differences, checkpoints that continue exactly, clear errors."""

import copy

import pytest
import torch

import ardemo
from ardemo import SigmoidBeliefNetwork
from ardemo.distributions import muprop_relaxation
from ardemo.experiments.replay import critical_sigmas
from ardemo.learning.elbo_official import OfficialElboTrainer


def test_muprop_relaxation_value_and_derivatives_by_hand():
    """sigma(a), a = z / lam + ell lam / (lam + 1): da/dz = 1/lam, da/dell = lam/(lam+1),
    da/dlam = -z/lam^2 + ell/(lam+1)^2; and it is sigma(z/lam) shifted towards the mean."""
    z = torch.tensor([-1.3, 0.2, 2.5], dtype=torch.float64, requires_grad=True)
    ell = torch.tensor([0.7, -2.0, 0.1], dtype=torch.float64, requires_grad=True)
    lam = torch.tensor(0.6, dtype=torch.float64, requires_grad=True)
    y = muprop_relaxation(z, ell, lam)
    a = z / lam + ell * lam / (lam + 1)
    s = torch.sigmoid(a).detach()
    assert torch.allclose(y, torch.sigmoid(a))
    gz, gell, glam = torch.autograd.grad(y.sum(), (z, ell, lam))
    slope = s * (1 - s)
    assert torch.allclose(gz, slope / 0.6)
    assert torch.allclose(gell, slope * 0.6 / 1.6)
    assert torch.allclose(glam, (slope * (-z / 0.36 + ell / 1.6**2)).sum().detach())
    # as lambda -> 0 it becomes the hard threshold H(z)
    small = muprop_relaxation(z.detach(), ell.detach(), 1e-3)
    assert torch.equal(small.round(), (z > 0).double())


def test_muprop_relaxation_bad_input():
    with pytest.raises(ValueError, match="temperature"):
        muprop_relaxation(torch.zeros(2), torch.zeros(2), 0.0)
    with pytest.raises(ValueError, match="z"):
        muprop_relaxation(torch.zeros(2), torch.zeros(3), 0.5)


def _sbn(layers):
    digits = ardemo.data.digits(binarize=True)
    torch.manual_seed(1)
    model = SigmoidBeliefNetwork(64, layers, data_mean=digits.images.mean(0)).double()
    with torch.no_grad():  # a prior (and second layer) far from uniform, so that every term matters
        model.prior_logits.normal_(0, 1.5)
        for k in range(1, model.n_layers):
            model.decoders[k].weight.mul_(4)
            model.encoders[k].weight.mul_(4)
    return model, digits.images.double()


def _shaped(trainer):
    """Move the tuned quantities away from their starting values, so that every term matters."""
    torch.manual_seed(2)
    with torch.no_grad():
        for w in trainer.eta_logits:
            w.normal_(0, 1)
        trainer.muprop_logits.normal_(0, 1)
        trainer.log_temperature.fill_(-0.3)
        for p in [*trainer.controls.parameters(), *trainer.baselines.parameters()]:
            p.normal_(0, 0.3)


@pytest.mark.parametrize(
    "layers,estimator,relaxation",
    [
        (4, "nvil", "muprop"),
        (4, "muprop", "muprop"),
        (4, "rebar", "muprop"),
        (4, "rebar", "plain"),
        (4, "relax", "muprop"),
        (4, "concrete", "muprop"),
        ((4, 3), "nvil", "muprop"),
        ((4, 3), "muprop", "muprop"),
        ((4, 3), "rebar", "muprop"),
        ((4, 3), "relax", "muprop"),
        ((4, 3), "concrete", "muprop"),
    ],
)
def test_official_estimators_against_the_enumerated_gradient(layers, estimator, relaxation):
    """The mean of many minibatch estimates of the recognition gradient against the exact ELBO
    gradient by enumeration, in standard errors: unbiased for NVIL, MuProp, REBAR and RELAX (the
    largest |t| over all recognition parameters below the Bonferroni bound for 1e-4), Concrete not."""
    model, data = _sbn(layers)
    x = data[7:9]
    params = list(model.encoders.parameters())
    exact = torch.cat([g.flatten() for g in torch.autograd.grad(model.exact_elbo(x).mean(), params)])
    trainer = OfficialElboTrainer(model, estimator, relaxation=relaxation)
    _shaped(trainer)
    torch.manual_seed(3)
    xs = x.repeat(500, 1)
    draws = torch.stack([trainer.recognition_gradient(xs).detach() for _ in range(60)])
    t = ardemo.t_statistic(draws, exact).abs()
    bound = critical_sigmas(exact.numel(), alpha=1e-4, df=draws.shape[0] - 1)
    if estimator == "concrete":
        assert float(t.max()) > 2 * bound, float(t.max())
    else:
        assert float(t.max()) < bound, (float(t.max()), bound)


def _variance(trainer, x, seed):
    torch.manual_seed(seed)
    _, extras = trainer._gradients(x, create_graph=True)
    return extras["variance"]


@pytest.mark.parametrize("estimator", ["rebar", "relax"])
def test_variance_gradient_matches_finite_differences(estimator):
    """The gradient the tuned quantities follow (ln lambda, an eta, RELAX's r, the baseline) is the
    derivative of the mean square of the minibatch estimate at fixed uniforms, including the learning
    signal's dependence on lambda, which the signal itself hides from the model's parameters."""
    model, data = _sbn((4, 3))
    trainer = OfficialElboTrainer(model, estimator)
    _shaped(trainer)
    x = data[:16]
    torch.manual_seed(5)
    surrogate, _ = trainer.loss(x)
    trainer.optimiser.zero_grad()
    surrogate.backward()
    probes = [trainer.log_temperature, trainer.eta_logits[0], trainer.eta_logits[-1], trainer.baselines[0][0].bias]
    if estimator == "relax":
        probes += [trainer.controls[0][-1].weight, trainer.controls[0][0].weight]
    for p in probes:
        index = (0,) * p.dim()
        analytic = float(p.grad[index])
        h = 1e-5
        with torch.no_grad():
            p[index] += h
        up = float(_variance(trainer, x, 5).detach())
        with torch.no_grad():
            p[index] -= 2 * h
        down = float(_variance(trainer, x, 5).detach())
        with torch.no_grad():
            p[index] += h
        numeric = (up - down) / (2 * h)
        assert abs(analytic - numeric) <= 1e-5 * max(1.0, abs(numeric)), (p.shape, analytic, numeric)


@pytest.mark.parametrize("estimator", ["nvil", "muprop", "concrete", "rebar", "relax"])
def test_official_trainer_state_round_trip_continues_exactly(estimator):
    data = torch.bernoulli(torch.full((40, 6), 0.3))

    def build():
        torch.manual_seed(0)
        model = SigmoidBeliefNetwork(6, (3, 2), hidden=(4, 4))
        return model, OfficialElboTrainer(model, estimator)

    model, trainer = build()
    for _ in range(4):
        trainer.step(data[:10])
    saved = (
        {k: v.clone() for k, v in model.state_dict().items()},
        copy.deepcopy(trainer.state_dict()),
        torch.get_rng_state(),
    )
    for _ in range(3):
        trainer.step(data[10:20])
    other_model, other = build()
    other_model.load_state_dict(saved[0])
    other.load_state_dict(saved[1])
    torch.set_rng_state(saved[2])
    for _ in range(3):
        other.step(data[10:20])
    for a, b in zip(model.parameters(), other_model.parameters()):
        assert torch.equal(a, b)
    assert torch.equal(trainer.eta, other.eta) and trainer.temperature == other.temperature


def test_official_trainer_learns_and_tunes():
    """On the digits a linear SBN improves its exact ELBO; REBAR's eta and lambda move."""
    digits = ardemo.data.digits(binarize=True)
    torch.manual_seed(0)
    model = SigmoidBeliefNetwork(64, 6, data_mean=digits.images.mean(0))
    trainer = OfficialElboTrainer(model, "rebar", lr=3e-3)
    before = float(model.exact_elbo(digits.images[:200]).mean().detach())
    for i in range(150):
        trainer.step(digits.images[(i * 24) % 1700 :][:24])
    assert float(model.exact_elbo(digits.images[:200]).mean().detach()) > before + 1.0
    assert trainer.temperature != 0.5 and not torch.equal(trainer.eta, torch.ones_like(trainer.eta))


def test_official_trainer_bad_input():
    model = SigmoidBeliefNetwork(6, 3)
    with pytest.raises(TypeError, match="model"):
        OfficialElboTrainer(torch.nn.Linear(2, 2), "rebar")
    with pytest.raises(ValueError, match="estimator"):
        OfficialElboTrainer(model, "reinforce")
    with pytest.raises(ValueError, match="relaxation"):
        OfficialElboTrainer(model, "rebar", relaxation="gumbel")
    with pytest.raises(ValueError, match="beta2"):
        OfficialElboTrainer(model, "rebar", beta2=1.0)
    with pytest.raises(ValueError, match="lr"):
        OfficialElboTrainer(model, "rebar", lr=-1.0)
    with pytest.raises(ValueError, match="x"):
        OfficialElboTrainer(model, "rebar").step(torch.zeros(0, 6))
