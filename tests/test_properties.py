"""Property tests (hypothesis) over shapes and dtypes: whatever batch shape and floating dtype a caller
uses, the models and estimators give results of the promised shape and dtype, finite, and the same
numbers in float32 and float64 up to rounding. Mixing a float32 batch with a float64 model (or the
reverse) is accepted and gives the model's dtype, never a bare torch error.

The examples are derandomised, so a run in CI tries the same cases every time.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ardemo
from ardemo.learning import estimators

PROPERTY = settings(max_examples=25, deadline=None, derandomize=True)
DTYPES = st.sampled_from([torch.float32, torch.float64])
SAMPLE_SHAPES = st.one_of(
    st.integers(0, 4),
    st.lists(st.integers(0, 3), min_size=0, max_size=3).map(tuple),
)


def _lattice_model() -> ardemo.Model:
    return ardemo.Model(ardemo.ising(0.44), ardemo.FlatLattice(2, 2), ardemo.SymmetricGroup(2))


MODELS = {
    "IndependentBernoulli": lambda: ardemo.IndependentBernoulli(torch.randn(4)),
    "AutoregressiveModel": lambda: ardemo.AutoregressiveModel(4, depth=2),
    "SpinFlipSymmetric": lambda: ardemo.SpinFlipSymmetric(ardemo.AutoregressiveModel(4)),
    "BoltzmannMachine": lambda: ardemo.BoltzmannMachine(4, weight_scale=0.5),
    "SigmoidBeliefNetwork": lambda: ardemo.SigmoidBeliefNetwork(4, (3, 2)),
    "GaussianBernoulliRBM": lambda: ardemo.GaussianBernoulliRBM(2, 3, sigma=0.5),
    "PixelGNN": lambda: ardemo.PixelGNN(_lattice_model(), [4]),
    "SymmetrizedMixture": lambda: ardemo.SymmetrizedMixture(ardemo.PixelGNN(_lattice_model(), [4])),
}


@pytest.mark.parametrize("name", sorted(MODELS))
@PROPERTY
@given(shape=SAMPLE_SHAPES, dtype=DTYPES)
def test_sample_and_log_prob_shapes_and_dtypes(name, shape, dtype):
    torch.manual_seed(0)
    model = MODELS[name]().to(dtype)
    x = model.sample(shape)
    expected = ardemo.as_sample_shape(shape)
    assert x.shape == expected + model.event_shape
    if model.support != "group":
        assert x.dtype == dtype
    log_p = model.log_prob(x)
    assert log_p.shape == expected
    assert log_p.dtype == dtype
    assert bool(torch.isfinite(log_p).all())


@pytest.mark.parametrize("name", sorted(n for n in MODELS if MODELS[n]().support != "group"))
@PROPERTY
@given(model_dtype=DTYPES, data_dtype=DTYPES, n=st.integers(1, 5))
def test_mixed_dtypes_give_the_models_dtype_and_the_same_numbers(name, model_dtype, data_dtype, n):
    torch.manual_seed(1)
    model = MODELS[name]().to(model_dtype)
    x = model.sample(n)
    log_p = model.log_prob(x.to(data_dtype))
    assert log_p.dtype == model_dtype
    reference = model.double().log_prob(x.double())
    torch.testing.assert_close(log_p.double(), reference, rtol=1e-4, atol=1e-4)


@PROPERTY
@given(dtype=DTYPES, n=st.integers(1, 6), steps=st.integers(1, 3))
def test_rbm_samples_and_chains_in_every_dtype(dtype, n, steps):
    rbm = ardemo.GaussianBernoulliRBM(2, 3, sigma=0.5).to(dtype)
    assert rbm.sample(n).dtype == dtype
    path = rbm.sample_chains(n, steps, x0=torch.zeros(n, 2))  # float32 start, any model dtype
    assert path.shape == (steps, n, 2) and path.dtype == dtype
    assert rbm.log_partition().dtype == torch.float64  # one policy: ln Z in float64 for every model
    assert rbm.log_prob(rbm.sample(n)).dtype == dtype


@PROPERTY
@given(
    rows=st.integers(1, 4),
    d=st.integers(1, 5),
    dtype=DTYPES,
    scale=st.floats(0.0, 8.0),
    estimator=st.sampled_from(["reinforce", "concrete", "rebar"]),
)
def test_estimators_return_gradients_shaped_like_the_logits(rows, d, dtype, scale, estimator):
    logits = scale * torch.randn(rows, d, dtype=dtype)
    target = torch.linspace(0.2, 0.8, d, dtype=dtype)
    est = getattr(estimators, estimator)(lambda b: (b - target).pow(2).sum(-1), logits)
    assert est.gradient.shape == logits.shape and est.gradient.dtype == dtype
    assert est.values.shape == (rows,)
    assert bool(torch.isfinite(est.gradient).all())


@PROPERTY
@given(rows=st.integers(1, 6), d=st.integers(1, 6), logit_scale=st.floats(0.0, 50.0), temperature=st.floats(0.05, 5.0))
def test_rebar_control_variate_is_finite_at_extreme_logits(rows, d, logit_scale, temperature):
    logits = logit_scale * torch.randn(rows, d, dtype=torch.float64)
    u = ardemo.open_uniform(logits.shape, like=logits)
    z = ardemo.logistic(logits, u)
    z_tilde = ardemo.conditional_logistic(logits, (z > 0).double(), ardemo.coupled_uniform(logits, u))
    assert bool(torch.isfinite(z_tilde).all())
    soft = ardemo.binary_concrete(logits, temperature=temperature)
    assert bool(((soft >= 0) & (soft <= 1)).all())


@PROPERTY
@given(k=st.integers(2, 64), rows=st.integers(1, 3), dtype=DTYPES, seed=st.integers(0, 2**16))
def test_divergences_of_random_distributions(k, rows, dtype, seed):
    gen = torch.Generator().manual_seed(seed)
    p = torch.rand(rows, k, generator=gen, dtype=dtype).softmax(-1)
    q = torch.rand(rows, k, generator=gen, dtype=dtype).pow(3).softmax(-1)
    kl = ardemo.kl_divergence(p.log(), q.log())
    tv = ardemo.total_variation(p, q)
    assert kl.shape == tv.shape == (rows,)
    assert bool((kl >= -1e-6).all()) and bool(((tv >= 0) & (tv <= 1 + 1e-6)).all())
    # Pinsker: TV <= sqrt(KL / 2)
    assert bool((tv <= (kl.clamp_min(0) / 2).sqrt() + 1e-5).all())


@PROPERTY
@given(n=st.integers(1, 10), dtype=st.sampled_from([torch.float32, torch.float64, torch.long, torch.int32]))
def test_configuration_index_inverts_all_configurations(n, dtype):
    states = ardemo.all_configurations(n, dtype=dtype)
    assert torch.equal(ardemo.configuration_index(states), torch.arange(2**n))


@PROPERTY
@given(batch=st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple), n=st.integers(1, 5), dtype=DTYPES)
def test_bernoulli_log_prob_broadcasts_and_normalises(batch, n, dtype):
    logits = torch.randn(*batch, n, dtype=dtype)
    states = ardemo.all_configurations(n, dtype=dtype).reshape(2**n, *([1] * len(batch)), n)
    log_p = ardemo.bernoulli_log_prob(states, logits)
    assert log_p.shape == (2**n, *batch)
    torch.testing.assert_close(log_p.exp().sum(0), torch.ones(batch, dtype=dtype))


@PROPERTY
@given(n=st.integers(1, 6), chains=st.integers(1, 4), dtype=DTYPES)
def test_boltzmann_gibbs_keeps_shape_dtype_and_support(n, chains, dtype):
    model = ardemo.BoltzmannMachine(n, weight_scale=1.0).to(dtype)
    x = model.gibbs(torch.zeros(chains, n, dtype=torch.float32), sweeps=2)
    assert x.shape == (chains, n) and x.dtype == dtype
    assert bool(((x == 0) | (x == 1)).all())
    assert math.isfinite(model.log_partition().item())
