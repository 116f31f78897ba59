import pytest
import torch

import ardemo
from ardemo import logistic_noise


def test_binary_concrete_is_two_class_gumbel_softmax():
    logits = torch.randn(1000)
    g = -torch.log(-torch.log(torch.rand(1000, 2)))  # Gumbel(0, 1) pairs
    tau = 0.7
    one_hot = torch.softmax((torch.stack([torch.zeros_like(logits), logits], -1) + g) / tau, -1)
    ours = ardemo.binary_concrete(logits, tau, noise=g[:, 1] - g[:, 0])
    torch.testing.assert_close(ours, one_hot[:, 1])


def test_hard_sample_is_exact_bernoulli_with_straight_through_gradient():
    logits = torch.full((200_000,), 0.8, requires_grad=True)
    noise = logistic_noise(logits.shape, like=logits)
    x = ardemo.binary_concrete(logits, 0.5, hard=True, noise=noise)
    assert set(x.unique().tolist()) <= {0.0, 1.0}
    assert x.mean().item() == pytest.approx(torch.sigmoid(torch.tensor(0.8)).item(), abs=5e-3)
    x.sum().backward()
    soft = torch.sigmoid((0.8 + noise) / 0.5)
    torch.testing.assert_close(logits.grad, soft * (1 - soft) / 0.5)  # d soft / d logits


def test_soft_samples_have_the_bernoulli_mean_at_low_temperature():
    logits = torch.full((200_000,), -0.4)
    x = ardemo.binary_concrete(logits, 0.01)
    assert x.mean().item() == pytest.approx(torch.sigmoid(torch.tensor(-0.4)).item(), abs=5e-3)


def test_logistic_noise_law():
    z = logistic_noise((200_000,), like=torch.zeros(1))
    # Logistic(0, 1): P(z <= 1) = sigmoid(1)
    assert (z <= 1).float().mean().item() == pytest.approx(torch.sigmoid(torch.tensor(1.0)).item(), abs=5e-3)


@pytest.mark.parametrize(
    "temperature, error", [(0.0, ValueError), (-1.0, ValueError), (float("nan"), ValueError), ("1", TypeError)]
)
def test_bad_temperature(temperature, error):
    with pytest.raises(error, match="temperature"):
        ardemo.binary_concrete(torch.zeros(3), temperature)


def test_bad_logits_and_noise():
    with pytest.raises(TypeError, match="logits"):
        ardemo.binary_concrete([0.0, 1.0])
    with pytest.raises(ValueError, match="noise"):
        ardemo.binary_concrete(torch.zeros(3), noise=torch.zeros(4))
