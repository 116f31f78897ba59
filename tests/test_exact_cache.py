"""ln Z is summed once per parameter version (recomputed only when a parameter changed); one dtype policy
for log_partition; a GBRBM with more hidden units than can be enumerated still samples."""

from __future__ import annotations

import pytest
import torch

import ardemo

MODELS = {
    "BoltzmannMachine": lambda: ardemo.BoltzmannMachine(10, weight_scale=0.5),
    "GaussianBernoulliRBM (enumerated)": lambda: ardemo.GaussianBernoulliRBM(2, 8, sigma=0.3),
    "GaussianBernoulliRBM (quadrature)": lambda: ardemo.GaussianBernoulliRBM(2, 30, sigma=0.3),
}


def _count_sums(model, monkeypatch) -> list[int]:
    calls = [0]
    original = torch.logsumexp

    def counting(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(torch, "logsumexp", counting)
    return calls


@pytest.mark.parametrize("name", MODELS)
def test_log_partition_is_summed_once_per_parameter_version(name, monkeypatch):
    model = MODELS[name]()
    x = torch.rand(5, model.event_shape[0]).round() if name == "BoltzmannMachine" else torch.randn(5, 2)
    calls = _count_sums(model, monkeypatch)
    with torch.no_grad():
        first = model.log_prob(x)
        for _ in range(3):
            assert torch.equal(model.log_prob(x), first)
        assert calls[0] == 1  # one sum for four calls at the same parameters
        before = model.log_partition().clone()
    torch.optim.SGD(model.parameters(), lr=0.1)  # an optimiser step changes the parameters in place:
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05)
        after = model.log_partition()
    assert calls[0] == 2 and not torch.equal(after, before)
    model.load_state_dict({k: v.clone() - 0.05 for k, v in model.state_dict().items()})
    with torch.no_grad():
        assert torch.allclose(model.log_partition(), before, rtol=1e-6, atol=1e-6)
    assert calls[0] == 3


def test_a_gradient_through_log_partition_is_always_fresh():
    """Under autograd the sum is recomputed: a second backward at the same parameters still works."""
    model = MODELS["BoltzmannMachine"]()
    x = torch.rand(5, 10).round()
    for _ in range(2):
        model.zero_grad()
        (-model.log_prob(x).mean()).backward()
        assert model.bias.grad.abs().sum() > 0


@pytest.mark.parametrize("name", MODELS)
def test_log_partition_is_float64_and_log_prob_the_models_dtype(name):
    model = MODELS[name]()
    assert model.log_partition().dtype == torch.float64
    x = model.sample(3) if "quadrature" not in name else torch.randn(3, 2)
    assert model.log_prob(x).dtype == torch.float32


def test_a_gbrbm_beyond_enumeration_samples_by_gibbs_with_its_burn_in():
    """H = 30 > 20: sample() runs Gibbs chains for burn_in sweeps; their mean matches the mean by quadrature
    within 5 standard errors (the chains are independent)."""
    torch.manual_seed(0)
    model = ardemo.GaussianBernoulliRBM(2, 30, sigma=0.3, burn_in=200)
    with torch.no_grad():
        model.W.normal_(0, 0.08)  # overlapping components: the chains mix (far-apart modes would not)
        model.d.normal_(0, 0.5)
    x = model.sample(4000)
    grid, area = model.quadrature_grid(None, None, 301)
    with torch.no_grad():
        p = torch.softmax(-model.free_energy(grid).double(), 0)
    mean = (p[:, None] * grid.double()).sum(0)
    se = x.double().std(0) / 4000**0.5
    assert ((x.double().mean(0) - mean).abs() < 5 * se).all(), (x.mean(0), mean, se)
    with pytest.raises(ValueError, match="burn_in"):
        ardemo.GaussianBernoulliRBM(2, 30, burn_in=0)
