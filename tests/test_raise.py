"""Reverse annealing (RAISE): unbiased for the exact law of the annealing chain, and with AIS it
brackets the exact log-likelihood."""

import math

import pytest
import torch

from ardemo import BoltzmannMachine, IndependentBernoulli, ais_log_partition, all_configurations, raise_log_likelihood
from ardemo.core.stats import standard_error


def _random_machine(n: int, scale: float, dev=None) -> BoltzmannMachine:
    w = scale * torch.randn(n, n, device=dev)
    w = (w + w.T).triu(1)
    return BoltzmannMachine.from_parameters(w + w.T, scale * torch.randn(n, device=dev))


def _annealed_law(model: BoltzmannMachine, temperatures: int, a: torch.Tensor) -> torch.Tensor:
    """The exact law of the last state of the forward annealing chain that RAISE reverses: from
    Bernoulli(σ(a)) through, at each β_t, one sweep over the units in reverse order (the reversal of
    the forward-order sweep RAISE runs), propagated over all 2^n states one unit at a time."""
    n = model.n_units
    states = all_configurations(n, dtype=torch.float64)
    code = states @ (2.0 ** torch.arange(n, dtype=torch.float64))
    row_of = torch.empty(2**n, dtype=torch.long)
    row_of[code.long()] = torch.arange(2**n)
    w, b = model.weight.detach().double(), model.bias.detach().double()
    p = torch.exp(states @ a - torch.nn.functional.softplus(a).sum())
    for beta in torch.linspace(0, 1, temperatures + 1)[1:].tolist():
        field = states @ (beta * w) + (1 - beta) * a + beta * b  # W has a zero diagonal: x_i does not enter
        for i in reversed(range(n)):
            flipped = row_of[(code + (1 - 2 * states[:, i]) * 2.0**i).long()]
            up = torch.sigmoid(field[:, i])
            p = (p + p[flipped]) * torch.where(states[:, i] == 1, up, 1 - up)
    return p


@pytest.mark.parametrize("temperatures", [1, 3])
def test_raise_is_unbiased_for_the_annealed_law(temperatures):
    torch.manual_seed(0)
    model = _random_machine(5, 0.8)
    a = 0.3 * torch.randn(5, dtype=torch.float64)
    law = _annealed_law(model, temperatures, a)
    assert abs(float(law.sum()) - 1) < 1e-12
    x = torch.tensor([[1.0, 0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0, 1.0]])
    result = raise_log_likelihood(model, x, temperatures, base_logits=a.float(), chains=40_000)
    weights = result.log_weights.exp()  # (chains, points)
    states = all_configurations(5, dtype=torch.float64)
    row = [int((states == x[j].double()).all(1).nonzero()) for j in range(2)]
    for j in range(2):
        mean, se = float(weights[:, j].mean()), float(standard_error(weights[:, j]))
        assert abs(mean - float(law[row[j]])) < 4.5 * se, (j, mean, float(law[row[j]]), se)
        # a single chain's ln p-hat lies below ln p_ann on average (Jensen), by a margin the spread allows
        assert float(result.log_weights[:, j].mean()) < math.log(float(law[row[j]])) + 1e-3


def test_raise_and_ais_bracket_the_exact_log_likelihood(dev):
    torch.manual_seed(1)
    model = _random_machine(12, 0.4, dev)
    data = model.sample((300,))
    base = IndependentBernoulli.from_data(data)
    exact = float(model.log_prob(data).detach().mean())
    ais = ais_log_partition(model, chains=200, temperatures=300, base_logits=base)
    optimistic = float(-model.energy(data).detach().mean()) - ais.log_z
    conservative = raise_log_likelihood(model, data, temperatures=300, base_logits=base)
    slack = 4 * (conservative.stderr**2 + ais.stderr**2) ** 0.5
    # both within a few standard errors of the exact value, and the bracket in the right order
    assert conservative.mean < exact + 4 * conservative.stderr + 1e-3
    assert optimistic > exact - 4 * ais.stderr - 1e-3
    assert abs(conservative.mean - exact) < slack + 0.02 and abs(optimistic - exact) < slack + 0.02


def test_raise_with_too_few_temperatures_is_conservative(dev):
    torch.manual_seed(2)
    model = _random_machine(10, 0.9, dev)
    data = model.sample((200,))
    exact = model.log_prob(data).detach().double()
    quick = raise_log_likelihood(model, data, temperatures=2)
    gap = exact - quick.log_likelihood
    assert float(gap.mean()) > 4 * float(standard_error(gap))  # far below the truth, not above it


def test_raise_bad_input():
    model = BoltzmannMachine(4)
    with pytest.raises(TypeError, match="model"):
        raise_log_likelihood("machine", torch.zeros(2, 4))
    with pytest.raises(ValueError, match=r"data: expected a non-empty \(N, 4\)"):
        raise_log_likelihood(model, torch.zeros(4))
    with pytest.raises(ValueError, match="binary"):
        raise_log_likelihood(model, torch.full((2, 4), 0.5))
    with pytest.raises(ValueError, match="chains"):
        raise_log_likelihood(model, torch.zeros(2, 4), chains=0)
    with pytest.raises(ValueError, match="base_logits"):
        raise_log_likelihood(model, torch.zeros(2, 4), base_logits=torch.zeros(3))
