import pytest
import torch

import ardemo
from ardemo import AutoregressiveLinear, AutoregressiveModel

SHAPES = [(1, 1, "ReLU"), (2, 2, "Tanh"), (5, 1, "ReLU"), (5, 3, "ELU"), (9, 2, "Tanh"), (12, 3, "SiLU")]


def _model(features, depth, nonlinearity, dev):
    model = AutoregressiveModel(features, depth, nonlinearity).to(dev)
    with torch.no_grad():  # larger weights than the default init, so conditionals are far from uniform
        for p in model.parameters():
            p.mul_(3.0)
    return model


@pytest.mark.parametrize("features, depth, nonlinearity", SHAPES)
def test_probabilities_sum_to_one(features, depth, nonlinearity, dev):
    model = _model(features, depth, nonlinearity, dev)
    x = ardemo.all_configurations(features, device=dev)
    total = torch.logsumexp(model.log_prob(x), 0).exp()
    assert total.item() == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("features, depth, nonlinearity", [(3, 1, "ReLU"), (4, 3, "Tanh"), (6, 2, "ELU")])
def test_sample_frequencies_match_log_prob(features, depth, nonlinearity, dev):
    model = _model(features, depth, nonlinearity, dev)
    n = 200_000
    freq = ardemo.empirical_distribution(model.sample(n))
    p = model.log_prob(ardemo.all_configurations(features, device=dev)).exp().detach()
    # multinomial noise gives TV ~ 0.5 * sum sqrt(2 p / (pi n)) <= 0.5 * sqrt(2 * 2^n / (pi n)) ~ 0.007 for n = 6 sites
    assert ardemo.total_variation(freq, p).item() < 0.02


@pytest.mark.parametrize("features, depth, nonlinearity", SHAPES)
def test_conditionals_are_strictly_causal(features, depth, nonlinearity, dev):
    model = AutoregressiveModel(features, depth, nonlinearity).to(dev)
    x = torch.rand(features, device=dev)
    jac = torch.autograd.functional.jacobian(model, x)  # d logit_i / d x_j
    assert torch.all(torch.triu(jac) == 0), "a conditional depends on its own or a later site"
    if features > 1 and nonlinearity != "ReLU":  # smooth activations: every earlier site matters
        assert torch.all(torch.tril(jac, -1)[torch.tril(torch.ones_like(jac, dtype=torch.bool), -1)] != 0)


def test_forward_at_equals_row_of_forward(dev):
    for diagonal in (-2, -1, 0, 1):
        layer = AutoregressiveLinear(6, 4, diagonal=diagonal).to(dev)
        x = torch.randn(10, 6, device=dev)
        full = layer(x)
        for i in range(4):
            torch.testing.assert_close(layer.forward_at(x, i), full[:, i])


def test_masked_weight_gets_masked_gradient():
    layer = AutoregressiveLinear(4, 4, diagonal=-1)
    layer(torch.randn(3, 4)).pow(2).sum().backward()
    assert torch.all(torch.triu(layer.weight.grad) == 0)
    assert torch.any(torch.tril(layer.weight.grad, -1) != 0)


def test_linear_layer_learns_cumulative_sum():
    layer = AutoregressiveLinear(5, 5)
    x = torch.randn(64, 5)
    y = torch.cumsum(x, dim=1)
    opt = torch.optim.Adam(layer.parameters(), lr=0.1)
    for _ in range(600):
        opt.zero_grad()
        torch.nn.functional.mse_loss(layer(x), y).backward()
        opt.step()
    torch.testing.assert_close(layer.masked_weight, torch.ones(5, 5).tril(), atol=1e-3, rtol=0)
    torch.testing.assert_close(layer.bias, torch.zeros(5), atol=1e-3, rtol=0)


def test_sample_shape_dtype_device_and_no_grad(dev):
    model = AutoregressiveModel(7, 2).to(dev)
    x = model.sample(33)
    assert x.shape == (33, 7) and x.dtype == torch.float32 and x.device.type == dev.type
    assert not x.requires_grad
    assert set(x.unique().tolist()) <= {0.0, 1.0}


def test_sample_follows_a_deterministic_model():
    # site 0 is 1 for sure, every later site copies its predecessor: the only configuration is all ones
    model = AutoregressiveModel(6, 1)
    with torch.no_grad():
        model.layers[0].weight.zero_()
        model.layers[0].weight += 40 * torch.eye(6).roll(-1, 1)  # W[i, i-1] = 40
        model.layers[0].bias.fill_(-20.0)
        model.layers[0].bias[0] = 20.0
    assert torch.all(model.sample(100) == 1)


@pytest.mark.parametrize("hard", [True, False])
def test_rsample_gradient_reaches_every_layer(hard, dev):
    model = AutoregressiveModel(6, 3, "Tanh").to(dev)
    x = model.relaxed_sample(50, temperature=0.5, hard=hard)
    assert x.shape == (50, 6) and x.requires_grad
    (x * torch.arange(6.0, device=dev)).sum().backward()
    for layer in model.layers:
        assert layer.weight.grad is not None and layer.weight.grad.abs().sum() > 0


def test_rsample_hard_has_the_model_law(dev):
    model = _model(4, 2, "Tanh", dev)
    with torch.no_grad():
        x = model.relaxed_sample(200_000, temperature=0.3, hard=True)
    assert set(x.unique().tolist()) <= {0.0, 1.0}
    p = model.log_prob(ardemo.all_configurations(4, device=dev)).exp().detach()
    assert ardemo.total_variation(ardemo.empirical_distribution(x), p).item() < 0.02


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(features=0), ValueError, "features"),
        (dict(features=2.5), TypeError, "features"),
        (dict(features=4, depth=0), ValueError, "depth"),
        (dict(features=4, nonlinearity="Relu"), ValueError, "nonlinearity"),
        (dict(features=4, nonlinearity=torch.relu), TypeError, "nonlinearity"),
    ],
)
def test_bad_constructor_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        AutoregressiveModel(**kwargs)


def test_bad_inputs_to_log_prob_and_sample():
    model = AutoregressiveModel(4, 2)
    with pytest.raises(ValueError, match=r"x: expected shape \(\.\.\., 4\)"):
        model.log_prob(torch.zeros(3, 5))
    with pytest.raises(ValueError, match="binary"):
        model.log_prob(torch.full((3, 4), 0.5))
    with pytest.raises(TypeError, match="floating-point"):
        model.log_prob(torch.zeros(3, 4, dtype=torch.long))
    with pytest.raises(TypeError, match="torch.Tensor"):
        model.log_prob([[0, 1, 0, 1]])
    assert model.sample(0).shape == (0, 4)  # an empty sample, as torch.distributions gives
    with pytest.raises(ValueError, match="sample_shape"):
        model.sample(-1)
    with pytest.raises(TypeError, match="sample_shape"):
        model.sample(2.5)
    with pytest.raises(ValueError, match="temperature"):
        model.relaxed_sample(3, temperature=0.0)


def test_bad_inputs_to_linear_layer():
    layer = AutoregressiveLinear(3, 3)
    with pytest.raises(ValueError, match="input features"):
        layer(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="i:"):
        layer.forward_at(torch.zeros(2, 3), 3)
    with pytest.raises(ValueError, match="in_features"):
        AutoregressiveLinear(0, 3)


def test_log_prob_accepts_extra_batch_dimensions():
    model = AutoregressiveModel(3, 2)
    x = ardemo.all_configurations(3)
    torch.testing.assert_close(model.log_prob(x.view(2, 4, 3)), model.log_prob(x).view(2, 4))


def test_relaxed_sample_is_not_an_rsample():
    """The model has no rsample: a relaxed sample is not a sample of q, and log_prob rejects it."""
    model = AutoregressiveModel(4, depth=2)
    assert not model.has_rsample
    with pytest.raises(NotImplementedError, match="relaxed_sample"):
        model.rsample(2)
    x = model.relaxed_sample(3, temperature=0.5)
    with pytest.raises(ValueError, match="binary"):
        model.log_prob(x)


def test_a_temperature_tensor_keeps_its_gradient():
    """A learned temperature: its gradient flows through binary_concrete and relaxed_sample, as through
    torch's RelaxedBernoulli (the same noise gives the same value and the same derivative)."""
    torch.manual_seed(0)
    logits, noise = torch.randn(50), ardemo.logistic_noise((50,), like=torch.zeros(()))
    t = torch.tensor(0.7, requires_grad=True)
    (dt,) = torch.autograd.grad(ardemo.binary_concrete(logits, t, noise=noise).sum(), t)
    expected = (
        torch.sigmoid((logits + noise) / 0.7) * torch.sigmoid(-(logits + noise) / 0.7) * -(logits + noise) / 0.49
    ).sum()
    assert torch.allclose(dt, expected, rtol=1e-5)
    t2 = torch.tensor(0.5, requires_grad=True)
    AutoregressiveModel(4, depth=2).relaxed_sample(8, temperature=t2).sum().backward()
    assert t2.grad is not None and t2.grad != 0
    with pytest.raises(ValueError, match="temperature"):
        ardemo.binary_concrete(logits, torch.tensor(-1.0))
