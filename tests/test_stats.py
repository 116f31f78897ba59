import pytest
import torch

import ardemo


def test_total_variation_bound_holds_for_exact_samples_and_catches_a_wrong_sampler():
    gen = torch.Generator().manual_seed(0)
    p = torch.rand(64, generator=gen).pow(3)
    p = p / p.sum()
    n = 5000
    bound = ardemo.total_variation_bound(p, n, failure=1e-4)
    draws = torch.multinomial(p.expand(200, -1), n, replacement=True, generator=gen)
    freq = torch.nn.functional.one_hot(draws, 64).float().mean(1)
    tv = ardemo.total_variation(freq, p.expand(200, -1))
    assert bool((tv < bound).all())  # 200 exact samplers, none above the level
    assert float(tv.mean()) > bound / 4  # and the level is not vacuous
    q = p.roll(1)  # a sampler of the wrong distribution
    wrong = torch.multinomial(q, n, replacement=True, generator=gen)
    freq_wrong = torch.bincount(wrong, minlength=64).float() / n
    assert float(ardemo.total_variation(freq_wrong, p)) > bound


def test_chi_square_matches_scipy_when_no_cell_is_pooled():
    from scipy import stats

    p = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64)
    counts = torch.tensor([95.0, 210.0, 290.0, 405.0], dtype=torch.float64)
    stat, dof, pv = ardemo.chi_square_test(counts / 1000, p, 1000)
    reference = stats.chisquare(counts.numpy(), (1000 * p).numpy())
    assert dof == 3 and abs(stat - reference.statistic) < 1e-9 and abs(pv - reference.pvalue) < 1e-9


def test_chi_square_pools_small_cells_so_its_false_alarm_rate_holds():
    """A sharp law with many cells of expected count far below 5: unpooled, the test rejects far more
    often than its level; pooled, the rejection rate at level 0.01 stays near 0.01."""
    torch.manual_seed(0)
    p = torch.cat([torch.full((200,), 1e-5), torch.tensor([0.3, 0.3, 0.398])]).double()
    p = p / p.sum()
    n, trials, level = 2000, 2000, 0.01
    counts = torch.distributions.Multinomial(n, probs=p).sample((trials,))
    pooled = sum(ardemo.chi_square_test(c / n, p, n)[2] < level for c in counts) / trials
    naive = sum(ardemo.chi_square_test(c / n, p, n, min_expected=0.0)[2] < level for c in counts) / trials
    assert abs(pooled - level) < 4 * (level * (1 - level) / trials) ** 0.5, pooled
    assert naive > 3 * level, naive


def test_chi_square_detects_a_wrong_law_and_refuses_bad_input():
    p = torch.tensor([0.25, 0.25, 0.25, 0.25], dtype=torch.float64)
    assert ardemo.chi_square_test(torch.tensor([0.3, 0.2, 0.25, 0.25]), p, 10_000)[2] < 1e-10
    with pytest.raises(ValueError, match="freq: expected one frequency per cell"):
        ardemo.chi_square_test(torch.ones(3) / 3, p, 10)
    with pytest.raises(ValueError, match="fewer than two cells"):
        ardemo.chi_square_test(p, p, 2)
