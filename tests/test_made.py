"""MADE: the degree rule, causality in any ordering, normalisation, sampling, and bad input."""

import pytest
import torch

import ardemo
from ardemo import MADE


def test_masks_follow_the_degree_rule():
    model = MADE(5, [8, 6], ordering=[3, 1, 4, 0, 2])
    m0 = model.input_degrees
    assert m0.tolist() == [4, 2, 5, 1, 3]  # site i's position in the ordering
    m1, m2 = model.hidden_degrees
    assert torch.equal(model.layers[0].mask, (m1[:, None] >= m0[None, :]).float())
    assert torch.equal(model.layers[1].mask, (m2[:, None] >= m1[None, :]).float())
    assert torch.equal(model.layers[2].mask, (m0[:, None] > m2[None, :]).float())
    assert set(m1.tolist()) == set(range(1, 5))  # every degree 1 .. n-1 present (cyclic, width >= n - 1)


@pytest.mark.parametrize("ordering", ["natural", "random", [4, 0, 3, 1, 2]])
def test_each_logit_sees_only_earlier_sites_in_the_ordering(ordering):
    model = MADE(5, [12, 12], ordering=ordering, degrees="random", seed=3)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 1)
    x = torch.rand(1, 5)
    jac = torch.autograd.functional.jacobian(lambda v: model(v), x)[0, :, 0].abs()  # (output i, input j)
    position = model.input_degrees
    allowed = position[None, :] < position[:, None]  # j before i in the ordering
    assert float(jac[~allowed].max()) == 0.0
    paths = model.layers[2].mask @ model.layers[1].mask @ model.layers[0].mask  # paths from input j to output i
    assert torch.equal(paths > 0, allowed)  # and every earlier site has a path to it (wide enough layers)


def test_normalised_and_samples_follow_q():
    torch.manual_seed(0)
    model = MADE(5, [16], ordering="random", seed=1)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3.0)
    states = ardemo.all_configurations(5)
    q = model.log_prob(states).detach().double().exp()
    assert abs(float(q.sum()) - 1) < 1e-6
    n = 100_000
    freq = ardemo.empirical_distribution(model.sample((n,)))
    assert ardemo.chi_square_test(freq, q, n)[2] > 1e-4


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="hidden: expected an integer >= 4"):
        MADE(5, [3])
    with pytest.raises(TypeError, match="hidden: expected a non-empty list"):
        MADE(5, 10)
    with pytest.raises(ValueError, match="ordering: expected a permutation of range\\(3\\)"):
        MADE(3, [4], ordering=[0, 0, 1])
    with pytest.raises(ValueError, match="ordering: expected 'natural', 'random'"):
        MADE(3, [4], ordering="reversed")
    with pytest.raises(ValueError, match="degrees"):
        MADE(3, [4], degrees="even")
    with pytest.raises(ValueError, match="features: expected an integer >= 2"):
        MADE(1, [4])
