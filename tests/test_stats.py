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
