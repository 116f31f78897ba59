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


def test_exact_iteration_is_the_hand_built_iteration_and_its_variants_do_what_they_say():
    strip = IsingStrip(4, 1.0)
    target = strip.fixed_point_log_probs()
    ardemo.seed_all(3)
    model = AutoregressiveModel(4, depth=2, nonlinearity="Tanh")
    by_hand = ts.train(model, lambda: ts.exact_loss(model, model, strip), 30, 1e-2, strip, target, lr_end=1e-4)
    run = ts.exact_iteration(1.0, width=4, depth=2, steps=30, seed=3)
    assert run[-1]["kl_pq"] == by_hand[-1]["kl_pq"]  # same seed, same model, same steps: bit for bit
    # the symmetric model keeps <S> = 0; the uniform start begins at <S> = 0 exactly and leaves it
    assert abs(ts.exact_iteration(1.0, width=4, steps=30, symmetric=True)[-1]["magnetisation_q"]) < 1e-6
    start = ts.exact_iteration(1.0, width=4, steps=30, uniform_start=True, record_every=1)
    assert abs(start[0]["magnetisation_q"]) > 0  # one step in: the update leans
    # a frozen teacher and the teacher's gradient each change the run (same seed, same start)
    plain = ts.exact_iteration(1.0, width=4, steps=30)[-1]["kl_pq"]
    for variant in (dict(generation=10), dict(teacher_gradient=True)):
        assert ts.exact_iteration(1.0, width=4, steps=30, **variant)[-1]["kl_pq"] != plain, variant


def test_exact_iteration_and_its_experiment_reject_bad_arguments():
    from ardemo.experiments.ising import IsingHypotheses

    with pytest.raises(ValueError, match="steps"):
        ts.exact_iteration(1.0, width=4, steps=0)
    with pytest.raises(ValueError, match="generation"):
        ts.exact_iteration(1.0, width=4, generation=0)
    with pytest.raises(TypeError, match="symmetric: expected True or False"):
        ts.exact_iteration(1.0, width=4, symmetric="yes")
    with pytest.raises(ValueError, match="steps: expected \\(rows \\+ 1\\) x seeds"):
        IsingHypotheses(seeds=2)
    assert IsingHypotheses(seeds=2, steps=18).steps == 18
