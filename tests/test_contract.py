"""The model contract, run on every model class of the library.

Each case is one line in CASES: a factory for a tiny instance and the kind of its events. Every test
below runs on every case: sample shapes, dtype and device, log_prob over batch dimensions, exact
normalisation by enumeration (or quadrature), a chi-square test of the sampler against exp(log_prob),
the validation messages and the switch that turns validation off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import pytest
import torch
from scipy import stats

import ardemo


def _lattice_model(lattice):
    return ardemo.Model(ardemo.ising(0.44), lattice, ardemo.SymmetricGroup(2))


@dataclass
class Case:
    make: Callable[[], ardemo.ProbabilisticModel]
    kind: str  # "binary" (0/1 floats), "group" (integer group elements) or "real"
    ais: str = ""  # "start" (a product of Bernoullis), "target" (ais_log_partition estimates its ln Z) or ""


CASES = {
    "IndependentBernoulli": Case(lambda: ardemo.IndependentBernoulli(torch.randn(4)), "binary", ais="start"),
    "AutoregressiveModel": Case(lambda: ardemo.AutoregressiveModel(4, depth=2, nonlinearity="Tanh"), "binary"),
    "BernoulliMixture": Case(lambda: ardemo.BernoulliMixture(torch.randn(3, 4), torch.randn(3)), "binary"),
    "MADE": Case(lambda: ardemo.MADE(4, [6, 5], ordering=[2, 0, 3, 1], nonlinearity="Tanh"), "binary"),
    "SpinFlipSymmetric": Case(lambda: ardemo.SpinFlipSymmetric(ardemo.AutoregressiveModel(4, depth=2)), "binary"),
    "BoltzmannMachine": Case(lambda: ardemo.BoltzmannMachine(4, weight_scale=0.8), "binary", ais="target"),
    "BoltzmannMachine-no-couplings": Case(lambda: ardemo.BoltzmannMachine(4, weight_scale=0.0), "binary", ais="start"),
    "SigmoidBeliefNetwork": Case(lambda: ardemo.SigmoidBeliefNetwork(4, 3), "binary"),
    "SigmoidBeliefNetwork-2-layer": Case(lambda: ardemo.SigmoidBeliefNetwork(4, (3, 2), hidden=5), "binary"),
    "LatticeMADE": Case(lambda: ardemo.LatticeMADE(_lattice_model(ardemo.FlatLattice(2, 2)), [4, 4]), "group"),
    "PixelGNN-flat": Case(lambda: ardemo.PixelGNN(_lattice_model(ardemo.FlatLattice(2, 2)), [4]), "group"),
    "PixelGNN-tree": Case(lambda: ardemo.PixelGNN(_lattice_model(ardemo.TreeLattice(2, 2)), [4, 4]), "group"),
    "SymmetrizedMixture": Case(
        lambda: ardemo.SymmetrizedMixture(ardemo.PixelGNN(_lattice_model(ardemo.FlatLattice(2, 2)), [4])), "group"
    ),
    "GaussianBernoulliRBM": Case(lambda: ardemo.GaussianBernoulliRBM(1, 3, sigma=0.5), "real", ais="target"),
}
NOT_NORMALISED = {
    "EmpiricalNegatives": "negative sampling's p_n = 1 on purpose (tests/test_contract.py tests it below)"
}


def _scramble(model: torch.nn.Module) -> torch.nn.Module:
    """Move every parameter away from its (often symmetric) start, so the tests see a generic model."""
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.7 * torch.randn_like(p))
    return model


@pytest.fixture(params=sorted(CASES), ids=sorted(CASES))
def case(request):
    torch.manual_seed(sorted(CASES).index(request.param))
    model = _scramble(CASES[request.param].make()).to(ardemo.device())
    return request.param, model, CASES[request.param].kind


def _all_events(model, kind) -> torch.Tensor:
    n = math.prod(model.event_shape)
    dtype = torch.long if kind == "group" else model.dtype
    return ardemo.all_configurations(n, device=model.device, dtype=dtype).reshape(-1, *model.event_shape)


def test_every_model_class_is_in_the_suite():
    """A model class of the library that is missing here fails this test: add one line to CASES."""
    classes = {
        name
        for name in ardemo.__all__
        if isinstance(getattr(ardemo, name), type)
        and issubclass(getattr(ardemo, name), ardemo.ProbabilisticModel)
        and getattr(ardemo, name) not in (ardemo.ProbabilisticModel, ardemo.EnergyBasedModel)
        and name not in NOT_NORMALISED
    }
    covered = {type(case.make()).__name__ for case in CASES.values()}
    assert classes <= covered, f"models without a contract case: {sorted(classes - covered)}"


@pytest.mark.parametrize("shape", [(), 5, (5,), (2, 3), (0,)])
def test_sample_shape(case, shape):
    _, model, _ = case
    x = model.sample(shape)
    expected = ardemo.as_sample_shape(shape) + model.event_shape
    assert x.shape == expected
    assert not x.requires_grad
    assert x.device.type == ardemo.device().type


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtype_is_kept(case, dtype):
    _, model, kind = case
    model = model.to(dtype)
    x = model.sample(6)
    if kind != "group":
        assert x.dtype == dtype
    assert model.log_prob(x).dtype == dtype


def test_log_prob_over_batch_dimensions(case):
    _, model, _ = case
    x = model.sample((2, 3))
    lp = model.log_prob(x)
    assert lp.shape == (2, 3)
    flat = model.log_prob(x.reshape(6, *model.event_shape))
    assert torch.allclose(lp.reshape(6), flat, atol=1e-5)
    assert model.log_prob(x[0, 0]).shape == ()


def test_normalised(case):
    _, model, kind = case
    model = model.double()
    with torch.no_grad():
        if kind == "real":  # one visible unit: the trapezoid rule on a grid that covers the density
            lo, hi = model.covering_box()
            grid = torch.linspace(lo, hi, 20001, dtype=torch.float64, device=model.device).unsqueeze(-1)
            total = torch.trapezoid(model.log_prob(grid).exp(), grid.squeeze(-1))
        else:
            total = model.log_prob(_all_events(model, kind)).exp().sum()
    assert abs(float(total) - 1) < 1e-6


def test_sample_frequencies_match_log_prob(case):
    """Pearson's chi-square over all configurations (binned on a grid for a real model); the test fails
    with probability 1e-4 when the sampler is right."""
    _, model, kind = case
    model = model.double()
    n = 40_000
    with torch.no_grad():
        x = model.sample(n)
        if kind == "real":
            edges = torch.quantile(x.flatten(), torch.linspace(0, 1, 21, dtype=torch.float64, device=x.device))
            edges[0], edges[-1] = -math.inf, math.inf
            counts = torch.histogram(x.flatten().cpu(), edges.cpu()).hist
            lo, hi = model.covering_box()
            grid = torch.linspace(lo, hi, 200001, dtype=torch.float64, device=model.device)
            density = model.log_prob(grid.unsqueeze(-1)).exp()
            cdf = torch.cat([torch.zeros(1, dtype=torch.float64), torch.cumulative_trapezoid(density, grid).cpu()])
            at = torch.searchsorted(grid.cpu(), edges[1:-1].cpu().contiguous())
            probs = torch.diff(
                torch.cat([torch.zeros(1, dtype=torch.float64), cdf[at], torch.ones(1, dtype=torch.float64)])
            )
        else:
            events = _all_events(model, kind)
            probs = model.log_prob(events).exp().cpu()
            index = ardemo.configuration_index(x.reshape(n, -1).double())
            counts = torch.bincount(index.cpu(), minlength=len(events)).double()
    expected = n * probs / probs.sum()
    keep = expected >= 5
    observed = torch.cat([counts[keep], counts[~keep].sum().reshape(1)])
    expected = torch.cat([expected[keep], expected[~keep].sum().reshape(1)])
    if expected[-1] == 0:
        observed, expected = observed[:-1], expected[:-1]
    p = stats.chisquare(observed.numpy(), expected.numpy()).pvalue
    assert p > 1e-4, p


def _bad_value(kind, x):
    if kind == "binary":
        return torch.full_like(x, 0.5), "binary"
    if kind == "group":
        return torch.full_like(x, 7), "elements"
    return torch.full_like(x, math.nan), "finite"


def test_validation_messages(case):
    _, model, kind = case
    x = model.sample(3)
    wrong = torch.zeros(3, *[s + 1 for s in model.event_shape], dtype=x.dtype, device=x.device)
    with pytest.raises(ValueError, match=r"x: expected shape \(\.\.\., "):
        model.log_prob(wrong)
    with pytest.raises(TypeError, match="x: expected a torch.Tensor"):
        model.log_prob(x.tolist())
    bad, fragment = _bad_value(kind, x)
    with pytest.raises(ValueError, match=f"x: .*{fragment}"):
        model.log_prob(bad)
    with pytest.raises(ValueError, match="sample_shape"):
        model.sample(-2)
    with pytest.raises(TypeError, match="sample_shape"):
        model.sample("3")


def test_validation_switch(case, monkeypatch):
    """With validation off (library-wide, or for one model) the value check is not run at all."""
    _, model, kind = case
    x = model.sample(3)
    calls = []
    original = type(model)._check_support
    monkeypatch.setattr(
        type(model), "_check_support", lambda self, name, v: calls.append(name) or original(self, name, v)
    )
    model.log_prob(x)
    assert calls, "validation on: the value check runs"
    calls.clear()
    ardemo.set_validate_args(False)
    try:
        assert not model.validate_args
        model.log_prob(x)
        assert not calls
    finally:
        ardemo.set_validate_args(True)
    model.validate_args = False
    model.log_prob(x)
    assert not calls
    model.validate_args = None
    assert model.validate_args
    with pytest.raises(TypeError, match="validate_args"):
        model.validate_args = "no"


def test_energy_based_models_are_normalised_by_their_partition_function(case):
    _, model, _ = case
    if not isinstance(model, ardemo.EnergyBasedModel):
        pytest.skip("not an energy-based model")
    x = model.sample(5)
    lhs = model.log_prob(x).double()
    rhs = model.unnormalized_log_prob(x).double() - model.log_partition().double()
    assert torch.allclose(lhs, rhs, atol=1e-4)


def test_rsample_where_reparameterised(case):
    _, model, _ = case
    if not model.has_rsample:
        with pytest.raises(NotImplementedError):
            model.rsample(2)
        return
    x = model.rsample((2, 3), temperature=0.5)
    assert x.shape == (2, 3, *model.event_shape)
    x.sum().backward()
    assert any(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in model.parameters())


def test_an_ardemo_model_is_the_noise_of_nce():
    """NCE draws noise with sample((k * B,)) and scores it with log_prob: an autoregressive model fitted to
    the data serves, and NCE then fits a Boltzmann machine whose c approaches -ln Z."""
    torch.manual_seed(0)
    teacher = _scramble(ardemo.BoltzmannMachine(5, weight_scale=0.8))
    data = teacher.sample(4000)
    noise = ardemo.AutoregressiveModel(5, depth=1)
    ardemo.fit(lambda step: -noise.log_prob(data).mean(), torch.optim.Adam(noise.parameters(), lr=0.05), 300)
    noise.zero_grad(set_to_none=True)
    nce = ardemo.NoiseContrastive(noise, k=5)
    assert not any(p is q for p in nce.parameters() for q in noise.parameters())
    student = ardemo.BoltzmannMachine(5)
    ardemo.train_on_data(student, nce, data, steps=800, batch_size=200, lr=0.05)
    assert abs(nce.c.item() + student.log_partition().item()) < 0.1
    p, q = teacher.probabilities(), student.probabilities()
    assert float(ardemo.kl_divergence(p.log(), q.log())) < 0.02
    assert all(p.grad is None for p in noise.parameters())


# --- every model serves where a distribution is expected ----------------------------------------------


def _twin(name: str) -> ardemo.ProbabilisticModel:
    """A second, differently scrambled instance of the case (the model being trained)."""
    torch.manual_seed(100 + sorted(CASES).index(name))
    return _scramble(CASES[name].make()).to(ardemo.device())


def test_every_model_is_the_noise_of_nce_and_is_trained_by_it(case):
    """One NCE step with the case's model as the noise, and a twin of it as the model trained (its
    ``unnormalized_log_prob`` if it is energy-based, else its ``log_prob``): a finite loss whose gradient
    reaches the trained model's parameters and NCE's c, never the noise's."""
    name, noise, _ = case
    model = _twin(name)
    nce = ardemo.NoiseContrastive(noise, k=2)
    loss = nce(model, noise.sample(16))
    loss.backward()
    assert torch.isfinite(loss)
    assert nce.c.grad is not None
    trained = [p for p in model.parameters() if p.requires_grad]
    assert any(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in trained)
    assert all(p.grad is None for p in noise.parameters())


def test_every_model_trains_in_train_on_data(case):
    """``train_on_data`` with the exact likelihood on the events of the case's kind (binary floats, real
    rows, integer lattice configurations): the likelihood of the data goes up."""
    name, source, _ = case
    model = _twin(name)
    data = source.sample(256)
    with torch.no_grad():
        before = model.log_prob(data).mean()
    ardemo.train_on_data(model, ardemo.ExactLikelihood(), data, 30, batch_size=64, lr=0.05)
    with torch.no_grad():
        after = model.log_prob(data).mean()
    assert after > before, (before, after)


def test_every_model_with_the_structure_serves_in_ais(case):
    """A product of Bernoullis starts AIS (for a Boltzmann machine target); a Boltzmann machine or a
    Gaussian-Bernoulli RBM is a target whose ln Z AIS estimates within 5 standard errors (+0.02)."""
    name, model, _ = case
    role = CASES[name].ais
    if role == "start":
        if isinstance(model, ardemo.BoltzmannMachine):
            with torch.no_grad():
                model.coupling.zero_()
        torch.manual_seed(1)
        target = ardemo.BoltzmannMachine(4, weight_scale=0.8).to(ardemo.device())
        result = ardemo.ais_log_partition(target, chains=400, temperatures=100, base_logits=model)
        exact = float(target.log_partition().detach())
    elif role == "target":
        result = ardemo.ais_log_partition(model, chains=400, temperatures=200)
        exact = float(model.log_partition().detach())
    else:
        with pytest.raises(TypeError, match="base_logits"):
            ardemo.ais_log_partition(ardemo.BoltzmannMachine(4), base_logits=model)
        return
    assert abs(result.log_z - exact) < 5 * result.stderr + 0.02, (result, exact)


def test_torch_independent_bernoulli_starts_ais():
    torch.manual_seed(0)
    target = ardemo.BoltzmannMachine(4, weight_scale=0.8)
    start = torch.distributions.Independent(torch.distributions.Bernoulli(logits=torch.zeros(4)), 1)
    result = ardemo.ais_log_partition(target, chains=400, temperatures=100, base_logits=start)
    assert abs(result.log_z - float(target.log_partition().detach())) < 5 * result.stderr + 0.02
    with pytest.raises(ValueError, match="couplings"):
        ardemo.ais_log_partition(target, base_logits=target)


def test_empirical_negatives_keeps_the_contract_but_not_normalisation():
    noise = ardemo.EmpiricalNegatives(torch.eye(4, dtype=torch.float64))
    assert noise.event_shape == (4,) and noise.sample((2, 3)).shape == (2, 3, 4)
    out = noise.log_prob(torch.ones(5, 4))
    assert out.dtype == torch.float64 and torch.equal(out, torch.zeros(5, dtype=torch.float64))
    with pytest.raises(ValueError, match="x"):
        noise.log_prob(torch.ones(5, 3))  # wrong size: an error, not zeros
    lattice = ardemo.EmpiricalNegatives(torch.zeros(6, 2, 2, dtype=torch.long))
    assert lattice.sample(3).shape == (3, 2, 2) and lattice.log_prob(lattice.sample(3)).shape == (3,)
