"""Boltzmann machine, Gibbs sampling, AIS, NCE and the negative-phase objectives."""

import math

import pytest
import torch
from torch.distributions import Bernoulli, Independent

import ardemo
from ardemo import (
    BoltzmannMachine,
    EmpiricalNegatives,
    ExactLikelihood,
    GibbsLikelihood,
    IndependentBernoulli,
    NoiseContrastive,
    PseudoLikelihood,
    ais_log_partition,
    autocorrelation,
    gibbs_sweep,
    gibbs_sweep_loop,
    integrated_time,
    train_on_data,
)


def _random_machine(n: int, scale: float, dev=None) -> BoltzmannMachine:
    w = scale * torch.randn(n, n, device=dev)
    w = (w + w.T).triu(1)
    return BoltzmannMachine.from_parameters(w + w.T, scale * torch.randn(n, device=dev))


def test_energy_matches_sum_over_pairs(dev):
    m = _random_machine(5, 0.7, dev)
    x = torch.bernoulli(torch.full((20, 5), 0.5, device=dev))
    w, b = m.weight.detach(), m.bias.detach()
    pairs = sum(w[i, j] * x[:, i] * x[:, j] for i in range(5) for j in range(i + 1, 5))
    assert torch.allclose(m.energy(x), -pairs - x @ b, atol=1e-5)
    assert torch.allclose(m.weight, m.weight.T) and bool((m.weight.diagonal() == 0).all())


def test_log_prob_normalised_and_sample_matches(dev):
    m = _random_machine(6, 0.8, dev)
    states = ardemo.all_configurations(6, device=dev)
    assert math.isclose(float(m.log_prob(states).detach().exp().sum()), 1.0, rel_tol=1e-9)
    p = m.probabilities()
    q = ardemo.empirical_distribution(m.sample(100_000)).double()
    assert float(ardemo.total_variation(p, q)) < 0.02


def test_gibbs_stationary_distribution_is_boltzmann(dev):
    """4 units, 20,000 chains, 30 sweeps from uniform noise: TV to the exact law below 0.02
    (the sampling floor for 16 states and 20,000 draws is about 0.01)."""
    m = _random_machine(4, 1.0, dev)
    x = torch.bernoulli(torch.full((20_000, 4), 0.5, device=dev))
    samples = m.gibbs(x, 30)
    assert set(samples.unique().tolist()) <= {0.0, 1.0}
    tv = float(ardemo.total_variation(m.probabilities(), ardemo.empirical_distribution(samples).double()))
    assert tv < 0.02


def test_gibbs_sweep_conditionals_with_fixed_uniforms():
    w = torch.tensor([[0.0, 2.0], [2.0, 0.0]])
    b = torch.tensor([-1.0, -1.0])
    x = torch.tensor([[1.0, 1.0]])
    u = torch.tensor([[0.6, 0.6]])
    # unit 0: sigma(2*1 - 1) = 0.73 > 0.6 -> 1; unit 1 sees the new x0 = 1: same -> 1
    assert gibbs_sweep(x, w, b, u).tolist() == [[1.0, 1.0]]
    u = torch.tensor([[0.8, 0.3]])
    # unit 0: 0.73 < 0.8 -> 0; unit 1 sees x0 = 0: sigma(-1) = 0.27 < 0.3 -> 0
    assert gibbs_sweep(x, w, b, u).tolist() == [[0.0, 0.0]]


def test_loop_sweep_has_the_same_law():
    m = _random_machine(3, 1.0)
    x = torch.bernoulli(torch.full((4000, 3), 0.5))
    for _ in range(5):
        x = gibbs_sweep_loop(x, m.weight.detach(), m.bias.detach())
    tv = float(ardemo.total_variation(m.probabilities(), ardemo.empirical_distribution(x).double()))
    assert tv < 0.04


def test_ais_matches_exact_log_partition(dev):
    m = _random_machine(12, 0.4, dev)
    result = ais_log_partition(m, chains=200, temperatures=500)
    exact = float(m.log_partition().detach())
    assert abs(result.log_z - exact) < max(4 * result.stderr, 0.02)
    assert 0 < result.stderr < 0.1 and result.effective_sample_size > 50


def test_exact_objective_gradient_is_positive_minus_negative_phase():
    m = _random_machine(5, 0.5)
    data = torch.bernoulli(torch.full((50, 5), 0.3))
    ExactLikelihood()(m, data.double()).backward()
    p = m.probabilities()
    states = ardemo.all_configurations(5, dtype=torch.float64)
    model_corr = (p[:, None, None] * states[:, :, None] * states[:, None, :]).sum(0)
    data_corr = (data.double().T @ data.double()) / 50
    expected = -(data_corr - model_corr).triu(1)
    assert torch.allclose(m.coupling.grad.double().triu(1), expected, atol=1e-5)
    assert torch.allclose(m.bias.grad.double(), -(data.double().mean(0) - p @ states), atol=1e-5)


@pytest.mark.parametrize("init", ["fresh", "data", "persistent"])
def test_gibbs_likelihood_learns_a_teacher(init):
    teacher = _random_machine(6, 0.6)
    data = teacher.sample(5000)
    student = BoltzmannMachine(6)
    objective = GibbsLikelihood(init, sweeps=5 if init == "fresh" else 1, chains=200)
    train_on_data(student, objective, data, steps=600, batch_size=200, lr=0.05)
    kl = float(ardemo.kl_divergence(teacher.probabilities().log(), student.probabilities().log()))
    assert kl < 0.02
    if init == "persistent":
        assert objective.state.shape == (200, 6)


def test_nce_recovers_parameters_and_log_partition():
    teacher = _random_machine(6, 0.6)
    data = teacher.sample(20_000)
    noise = Independent(Bernoulli(probs=data.mean(0).clamp(0.05, 0.95)), 1)
    student = BoltzmannMachine(6)
    nce = NoiseContrastive(noise, k=10)
    train_on_data(student, nce, data, steps=3000, batch_size=500, lr=0.03)
    with torch.no_grad():
        assert abs(float(nce.c) + float(student.log_partition())) < 0.1
        assert abs(float(nce.c) + float(teacher.log_partition())) < 0.15
        assert float((student.weight - teacher.weight).abs().max()) < 0.2


def test_profiled_normaliser_is_the_batch_minimiser():
    """The profiled c zeroes dJ/dc on its batch and is the minimum of J over a grid around it."""
    torch.manual_seed(0)
    m = _random_machine(6, 0.8)
    noise = IndependentBernoulli(torch.zeros(6))
    data = m.sample(300)
    nce = NoiseContrastive(noise, k=4, normaliser="profiled")
    assert list(nce.parameters()) == [] and "c" in nce.state_dict()
    torch.manual_seed(1)
    nce(m, data)
    c_star = float(nce.c)
    torch.manual_seed(1)
    learned = NoiseContrastive(noise, k=4)
    with torch.no_grad():
        learned.c.fill_(c_star)
    loss = learned(m, data)
    (slope,) = torch.autograd.grad(loss, learned.c)
    assert abs(float(slope)) < 1e-5
    values = []
    for shift in (-0.05, 0.0, 0.05):
        with torch.no_grad():
            learned.c.fill_(c_star + shift)
        torch.manual_seed(1)
        values.append(float(learned(m, data).detach()))
    assert values[1] < values[0] and values[1] < values[2]


def test_optimal_normaliser_follows_a_far_offset():
    """A shift of the logits by thousands of nats moves the optimum by exactly as much."""
    a, b = torch.randn(50, dtype=torch.float64), torch.randn(200, dtype=torch.float64) - 1
    base = ardemo.learning.nce.optimal_normaliser(a, b, 4)
    far = ardemo.learning.nce.optimal_normaliser(a + 5000, b + 5000, 4)
    assert abs(float(far) - (float(base) - 5000)) < 1e-8


def test_nce_with_a_profiled_normaliser_recovers_log_partition():
    """Data from the family: the profiled c approaches -ln Z, as the learned one does, with no optimiser
    acting on it, from a start thousands of nats away (the couplings, not c, were scaled)."""
    teacher = _random_machine(6, 0.6)
    data = teacher.sample(20_000)
    noise = Independent(Bernoulli(probs=data.mean(0).clamp(0.05, 0.95)), 1)
    student = BoltzmannMachine(6)
    nce = NoiseContrastive(noise, k=10, normaliser="profiled")
    train_on_data(student, nce, data, steps=3000, batch_size=500, lr=0.03)
    with torch.no_grad():
        assert abs(float(nce.c) + float(teacher.log_partition())) < 0.15
        assert float((student.weight - teacher.weight).abs().max()) < 0.2


def test_pseudo_likelihood_gradient_is_the_logistic_regressions():
    """d(-PL)/db_i = mean(sigma(field_i) - x_i); d(-PL)/dW_ij = the two regressions' terms added."""
    m = _random_machine(5, 0.7).double()
    x = torch.randint(0, 2, (40, 5)).double()
    PseudoLikelihood()(m, x).backward()
    field = x @ m.weight.detach() + m.bias.detach()
    residual = torch.sigmoid(field) - x
    assert torch.allclose(m.bias.grad, residual.mean(0), atol=1e-12)
    g = residual.T @ x / x.shape[0]
    assert torch.allclose(m.coupling.grad.triu(1), (g + g.T).triu(1), atol=1e-10)


def test_pseudo_likelihood_recovers_a_teacher():
    """Data from the family: maximum pseudo-likelihood is consistent (Besag), so the student's
    distribution approaches the teacher's."""
    teacher = _random_machine(6, 0.6)
    data = teacher.sample(20_000)
    student = BoltzmannMachine(6)
    train_on_data(student, PseudoLikelihood(), data, steps=1500, batch_size=500, lr=0.03)
    kl = float(ardemo.kl_divergence(teacher.probabilities().log(), student.probabilities().log()))
    assert kl < 0.01
    assert float((student.weight - teacher.weight).detach().abs().max()) < 0.2


def test_negative_sampling_learns_a_ratio_not_a_density():
    data = torch.tensor([[1.0, 0.0]]).repeat(100, 1)
    negatives = EmpiricalNegatives(torch.tensor([[0.0, 1.0], [1.0, 1.0]]))
    assert negatives.log_prob(data).shape == (100,) and float(negatives.log_prob(data).abs().sum()) == 0
    assert negatives.sample((7,)).shape == (7, 2)
    m = BoltzmannMachine(2)
    ns = NoiseContrastive(negatives, k=1)
    train_on_data(m, ns, data, steps=300, batch_size=50, lr=0.1)
    with torch.no_grad():
        logit = ns.logit(m, torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    assert float(logit[0]) > 2 and float(logit[1]) < -2 and float(logit[2]) < -2


def test_autocorrelation_of_an_ar1_process():
    phi, length = 0.8, 20_000
    noise = torch.randn(length, 8, dtype=torch.float64)
    series = torch.empty_like(noise)
    series[0] = noise[0] / math.sqrt(1 - phi**2)
    for t in range(1, length):
        series[t] = phi * series[t - 1] + noise[t]
    rho = autocorrelation(series, 30)
    assert abs(float(rho[1]) - phi) < 0.02 and abs(float(rho[3]) - phi**3) < 0.03
    assert abs(integrated_time(rho) - (1 + phi) / (1 - phi)) < 1.0


def test_bad_inputs_are_clear_errors():
    m = BoltzmannMachine(4)
    with pytest.raises(ValueError, match="binary"):
        m.energy(torch.full((2, 4), 0.5))
    with pytest.raises(ValueError, match=r"\(\.\.\., 4\)"):
        m.energy(torch.zeros(2, 5))
    with pytest.raises(TypeError, match="floating-point"):
        m.energy(torch.zeros(2, 4, dtype=torch.long))
    asym = torch.tensor([[0.0, 1.0], [0.5, 0.0]])
    with pytest.raises(ValueError, match="symmetric"):
        BoltzmannMachine.from_parameters(asym, torch.zeros(2))
    with pytest.raises(ValueError, match="diagonal"):
        BoltzmannMachine.from_parameters(torch.eye(2), torch.zeros(2))
    with pytest.raises(ValueError, match="weight: expected shape"):
        BoltzmannMachine.from_parameters(torch.zeros(3, 3), torch.zeros(2))
    with pytest.raises(ValueError, match="k: expected an integer >= 1"):
        NoiseContrastive(EmpiricalNegatives(torch.zeros(3, 4)), k=0)
    with pytest.raises(TypeError, match="noise"):
        NoiseContrastive("uniform", k=1)
    with pytest.raises(ValueError, match="normaliser: expected one of"):
        NoiseContrastive(EmpiricalNegatives(torch.zeros(3, 4)), normaliser="free")
    with pytest.raises(TypeError, match="model: expected a fully visible model"):
        PseudoLikelihood()(IndependentBernoulli(torch.zeros(4)), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="batch: expected at least one"):
        PseudoLikelihood()(m, torch.zeros(0, 4))
    with pytest.raises(ValueError, match="init"):
        GibbsLikelihood("random")
    with pytest.raises(ValueError, match=r"n_units: an exact sum over 2\*\*21 states"):
        BoltzmannMachine(21).log_partition()
    with pytest.raises(ValueError, match="sweeps"):
        m.gibbs(torch.zeros(3, 4), -1)
    with pytest.raises(TypeError, match="model"):
        ais_log_partition("machine")
    with pytest.raises(ValueError, match="base_logits"):
        ais_log_partition(m, base_logits=torch.zeros(5))
    with pytest.raises(ValueError, match="series"):
        autocorrelation(torch.ones(10, 2), 3)


def test_a_machine_too_large_for_memory_is_refused():
    """BoltzmannMachine(200_000) tried to allocate 160 GB of couplings."""
    with pytest.raises(ValueError, match="n_units: expected an integer <= 16384"):
        BoltzmannMachine(200_000)


def test_nce_moves_a_model_noise_along_but_does_not_train_it():
    noise = IndependentBernoulli(torch.zeros(3))
    nce = NoiseContrastive(noise, k=2).double()
    assert noise.logits.dtype == torch.float64 and nce.c.dtype == torch.float64
    assert all(p is not noise.logits for p in nce.parameters())
    loss = nce(BoltzmannMachine(3).double(), torch.ones(4, 3, dtype=torch.float64))
    assert loss.dtype == torch.float64
