"""The mixture of Bernoullis and its EM: what EM guarantees, what it recovers, and its messages.

(Normalisation, the sampler's chi-square test and validation switches are in tests/test_contract.py.)"""

from __future__ import annotations

import pytest
import torch

import ardemo
from ardemo import BernoulliMixture, em_step
from ardemo.experiments.boltzmann import BernoulliMixtureMNIST


def _log_posterior(model: BernoulliMixture, data: torch.Tensor, alpha: float) -> float:
    """N × mean ln p(x) + the log-density (up to a constant) of the Beta/Dirichlet prior EM maximises under."""
    with torch.no_grad():
        mu, log_pi = torch.sigmoid(model.logits), torch.log_softmax(model.mixing, 0)
        prior = alpha * (mu.log() + (1 - mu).log()).sum() + alpha * log_pi.sum()
        return float(model.log_prob(data).sum() + prior)


def _planted(n=10_000, seed=0):
    g = torch.Generator().manual_seed(seed)
    truth = torch.tensor([[0.9] * 6 + [0.1] * 6, [0.1] * 6 + [0.9] * 6, [0.5] * 12])
    k = torch.multinomial(torch.tensor([0.5, 0.3, 0.2]), n, replacement=True, generator=g)
    return (torch.rand(n, 12, generator=g) < truth[k]).double(), truth


@pytest.mark.parametrize("alpha", [1.0, 1e-3])
def test_no_em_step_lowers_the_log_posterior(alpha):
    data, _ = _planted(seed=1)
    model = BernoulliMixture.random_init(data, 5, generator=torch.Generator().manual_seed(0))
    values = []
    for _ in range(25):
        values.append(_log_posterior(model, data, alpha))
        em_step(model, data, alpha)
    values.append(_log_posterior(model, data, alpha))
    steps = torch.tensor(values).diff()
    assert bool((steps > -1e-6 * abs(values[0])).all()), steps.min()
    assert values[-1] > values[0] + 100  # and it did move


def test_em_returns_the_mean_log_likelihood_before_its_step():
    data, _ = _planted(seed=2)
    model = BernoulliMixture.random_init(data, 3, generator=torch.Generator().manual_seed(0))
    before = float(model.log_prob(data).detach().mean())
    assert float(em_step(model, data)) == pytest.approx(before, rel=1e-12)


def test_em_recovers_a_planted_mixture():
    n = 10_000
    data, truth = _planted(n)
    ardemo.seed_all(0)
    model = BernoulliMixture.random_init(data, 3, generator=torch.Generator().manual_seed(3))
    for _ in range(100):
        em_step(model, data, 1.0)
    fitted = torch.sigmoid(model.logits).detach()
    # each true component has a fitted one within 5 standard errors in every pixel (the smallest
    # component's share of the images, 0.2 n, and a pixel's largest variance, 1/4)
    tolerance = 5 * (0.25 / (0.2 * n)) ** 0.5
    distance = (fitted[:, None, :] - truth[None, :, :]).abs().amax(-1)
    assert bool((distance.amin(0) < tolerance).all()), (distance, tolerance)
    weights = torch.softmax(model.mixing, 0).detach()[distance.argmin(0)]
    assert torch.allclose(weights, torch.tensor([0.5, 0.3, 0.2], dtype=weights.dtype), atol=0.04), weights


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="logits: expected shape \\(components, n\\)"):
        BernoulliMixture(torch.zeros(4))
    with pytest.raises(ValueError, match="mixing: expected shape \\(3,\\)"):
        BernoulliMixture(torch.zeros(3, 4), torch.zeros(2))
    with pytest.raises(ValueError, match="logits: expected finite"):
        BernoulliMixture(torch.tensor([[float("inf"), 0.0]]))
    model = BernoulliMixture(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="x: expected shape \\(\\.\\.\\., 3\\)"):
        model.log_prob(torch.zeros(5, 4))
    with pytest.raises(ValueError, match="x: expected binary"):
        model.log_prob(torch.full((2, 3), 0.5))
    with pytest.raises(TypeError, match="model: expected an ardemo.BernoulliMixture"):
        em_step(ardemo.IndependentBernoulli(torch.zeros(3)), torch.zeros(2, 3))
    with pytest.raises(ValueError, match="data: expected a non-empty \\(N, 3\\)"):
        em_step(model, torch.zeros(2, 4))
    with pytest.raises(ValueError, match="data: expected binary"):
        em_step(model, torch.full((2, 3), 0.3))
    with pytest.raises(ValueError, match="alpha: expected a number in \\(0, inf\\)"):
        em_step(model, torch.zeros(2, 3), alpha=0.0)
    with pytest.raises(ValueError, match="components: expected"):
        BernoulliMixture.random_init(torch.zeros(2, 3), 0)


def test_the_experiment_rejects_bad_settings():
    with pytest.raises(ValueError, match="data: expected 'mnist-test' or 'mnist'"):
        BernoulliMixtureMNIST(data="fashion-mnist")
    with pytest.raises(ValueError, match="components"):
        BernoulliMixtureMNIST(components=0)
    with pytest.raises(ValueError, match="alpha"):
        BernoulliMixtureMNIST(alpha=-1.0)
