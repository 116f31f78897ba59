import pytest
import torch

import ardemo
from ardemo import AutoregressiveModel, IsingStrip, SpinFlipSymmetric
from ardemo import teacher_student as ts


def test_spin_flip_symmetric_model_is_normalised_symmetric_and_sampled_right():
    model = SpinFlipSymmetric(AutoregressiveModel(5, 2, "Tanh"))
    x = ardemo.all_configurations(5)
    log_q = model.log_prob(x).detach()
    assert log_q.exp().sum().item() == pytest.approx(1, abs=1e-6)
    torch.testing.assert_close(log_q, log_q.flip(0))  # row k and row 2^n-1-k are flips of each other
    freq = ardemo.empirical_distribution(model.sample(200_000))
    assert ardemo.total_variation(freq, log_q.exp()).item() < 0.015


def test_spin_flip_symmetric_rejects_non_models():
    with pytest.raises(TypeError, match="model"):
        SpinFlipSymmetric(torch.nn.Linear(3, 3))


def test_sampled_loss_estimates_the_exact_loss():
    strip = IsingStrip(5, 0.6)
    model = AutoregressiveModel(5, 2, "Tanh")
    exact = ts.exact_loss(model, model, strip).item()
    sampled = ts.sampled_loss(model, model, strip, 200_000).item()
    assert sampled == pytest.approx(exact, abs=0.02)


def test_dropping_the_data_entropy_leaves_the_gradient_unchanged():
    strip = IsingStrip(5, 1.0)
    model = AutoregressiveModel(5, 2, "Tanh")
    grads = []
    for include in (False, True):
        model.zero_grad()
        ts.exact_loss(model, model, strip, include_entropy=include).backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
    torch.testing.assert_close(grads[0], grads[1], rtol=0, atol=0)


def test_exact_iteration_with_symmetric_model_reaches_the_fixed_point():
    strip = IsingStrip(4, 0.44)
    target = strip.fixed_point_log_probs()
    model = SpinFlipSymmetric(AutoregressiveModel(4, 2, "Tanh"))
    history = ts.train(model, lambda: ts.exact_loss(model, model, strip), 400, 3e-2, strip, target, record_every=100)
    assert history[-1]["kl_pq"] < 1e-3
    assert history[0]["kl_pq"] > history[-1]["kl_pq"]


def test_random_translations_are_cyclic_shifts():
    x = torch.tensor([[1.0, 0.0, 0.0, 0.0]]).repeat(1000, 1)
    shifted = ts.random_translations(x)
    assert torch.all(shifted.sum(1) == 1)
    assert set(shifted.argmax(1).tolist()) == {0, 1, 2, 3}


def test_train_rejects_bad_arguments():
    strip = IsingStrip(3, 0.5)
    model = AutoregressiveModel(3)
    with pytest.raises(ValueError, match="steps"):
        ts.train(model, lambda: ts.exact_loss(model, model, strip), 0, 1e-2, strip, strip.fixed_point_log_probs())
    with pytest.raises(ValueError, match="batch"):
        ts.sampled_loss(model, model, strip, 0)
