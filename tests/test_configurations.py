import math

import pytest
import torch

import ardemo
from ardemo import MAX_ENUMERATION_SITES


@pytest.mark.parametrize("n", [1, 3, 7])
def test_all_configurations_are_distinct_and_indexed_in_order(n):
    x = ardemo.all_configurations(n)
    assert x.shape == (2**n, n)
    assert torch.equal(ardemo.configuration_index(x), torch.arange(2**n))


def test_all_configurations_big_endian():
    assert ardemo.all_configurations(3)[1].tolist() == [0.0, 0.0, 1.0]
    assert ardemo.all_configurations(3)[4].tolist() == [1.0, 0.0, 0.0]


def test_too_many_sites_is_a_clear_error_not_an_allocation():
    with pytest.raises(ValueError, match="too large"):
        ardemo.all_configurations(MAX_ENUMERATION_SITES + 1)


@pytest.mark.parametrize("n, error", [(0, ValueError), (2.0, TypeError)])
def test_bad_n(n, error):
    with pytest.raises(error, match="n:"):
        ardemo.all_configurations(n)


def test_empirical_distribution_counts():
    x = torch.tensor([[0.0, 1.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    assert ardemo.empirical_distribution(x).tolist() == [0.25, 0.5, 0.0, 0.25]


def test_index_rejects_non_binary():
    with pytest.raises(ValueError, match="binary"):
        ardemo.configuration_index(torch.tensor([[0.0, 0.5]]))


def test_total_variation_and_kl_on_known_distributions():
    p = torch.tensor([0.5, 0.5])
    q = torch.tensor([0.9, 0.1])
    assert ardemo.total_variation(p, q).item() == pytest.approx(0.4)
    kl = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)
    assert ardemo.kl_divergence(p.log(), q.log()).item() == pytest.approx(kl, rel=1e-6)
    assert ardemo.kl_divergence(p.log(), p.log()).item() == 0.0


def test_kl_ignores_zero_mass_and_is_infinite_off_support():
    p = torch.tensor([1.0, 0.0])
    q = torch.tensor([0.5, 0.5])
    assert ardemo.kl_divergence(p.log(), q.log()).item() == pytest.approx(math.log(2))
    assert math.isinf(ardemo.kl_divergence(q.log(), p.log()).item())


def test_divergence_shape_mismatch():
    with pytest.raises(ValueError, match="shape"):
        ardemo.total_variation(torch.ones(3) / 3, torch.ones(2) / 2)


def test_divergences_refuse_what_is_not_a_distribution():
    """kl_divergence dropped NaNs and went negative on unnormalised input; total_variation took negative
    probabilities: each is a clear error now (and validation can be switched off)."""
    p = torch.tensor([0.5, 0.5])
    with pytest.raises(ValueError, match="log_q: expected log-probabilities, found NaN"):
        ardemo.kl_divergence(p.log(), torch.tensor([float("nan"), 0.0]))
    with pytest.raises(ValueError, match="log_q: expected a normalised distribution"):
        ardemo.kl_divergence(p.log(), torch.tensor([0.0, 0.0]))  # q = (1, 1)
    with pytest.raises(ValueError, match="q: expected probabilities >= 0"):
        ardemo.total_variation(p, torch.tensor([1.5, -0.5]))
    with pytest.raises(ValueError, match="p: expected a normalised"):
        ardemo.total_variation(torch.tensor([0.5, 0.6]), p)
    with ardemo.no_validation():
        assert float(ardemo.kl_divergence(p.log(), torch.tensor([0.0, 0.0]))) < 0  # unchecked: garbage in, out
