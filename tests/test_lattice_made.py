"""LatticeMADE, the VAN-style lattice model: normalised, flip-symmetric when asked, samples follow q,
trains with the free-energy code, and bad input is named."""

import pytest
import torch

import ardemo
from ardemo import FlatLattice, LatticeMADE, Model, SymmetricGroup, TreeLattice, ising
from ardemo.exact.lattice_enumeration import LatticeEnumeration
from ardemo.lattices.energy import TwoBody
from ardemo.learning import free_energy


def _model(size=3, coupling=0.44):
    return Model(ising(coupling), FlatLattice(size, 2), SymmetricGroup(2))


def _scrambled(q):
    with torch.no_grad():
        for p in q.parameters():
            p.normal_(0, 1)
    return q


@pytest.mark.parametrize("z2", [True, False])
def test_normalised_over_every_configuration_and_flip_symmetric_only_with_z2(z2):
    torch.manual_seed(0)
    q = _scrambled(LatticeMADE(_model(), [18, 18], z2=z2))
    x = LatticeEnumeration(q.model).configs
    log_q = q.log_prob(x).detach().double()
    assert abs(float(log_q.exp().sum()) - 1) < 1e-6
    flipped = q.log_prob(1 - x).detach().double()
    gap = float((log_q - flipped).abs().max())
    assert (gap < 1e-5) if z2 else (gap > 0.1)


def test_samples_follow_q_and_the_raster_order_is_the_mades():
    torch.manual_seed(1)
    q = _scrambled(LatticeMADE(Model(ising(0.44), FlatLattice(2, 2), SymmetricGroup(2)), [6]))
    exact = LatticeEnumeration(q.model)
    states = exact.configs
    probs = q.log_prob(states).detach().double().exp()
    n = 60_000
    x = q.sample(n)
    assert x.shape == (n, 2, 2) and x.dtype == torch.long
    counts = torch.bincount(exact.index(x), minlength=16).double()
    assert ardemo.chi_square_test(counts / n, probs, n)[2] > 1e-4
    # the site-by-site factorisation is the MADE's over the raster-ordered sites
    assert torch.allclose(q.log_prob(states), ardemo.SpinFlipSymmetric(q.made).log_prob(states.flatten(1).float()))


def test_trains_with_the_free_energy_code_and_approaches_the_exact_free_energy():
    ardemo.seed_all(0)
    q = LatticeMADE(_model(3), [27, 27])
    exact = LatticeEnumeration(q.model)
    before = exact.kl(exact.log_probs(q.log_prob))
    free_energy.train(q, 150, batch=500, lr=0.01)
    after = exact.kl(exact.log_probs(q.log_prob))
    assert after < before / 5, (before, after)
    f, err = free_energy.estimate_free_energy(q, 20_000)
    assert f - exact.free_energy > -4 * err  # the variational bound, in standard errors


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="model: expected an ardemo.Model"):
        LatticeMADE(FlatLattice(3, 2), [9])
    with pytest.raises(ValueError, match="model: expected a FlatLattice"):
        LatticeMADE(Model(ising(0.4), TreeLattice(4, 2), SymmetricGroup(2)), [16])
    with pytest.raises(ValueError, match="model: expected a two-state group"):
        LatticeMADE(Model(TwoBody([1, 0], [0.0] * 6), FlatLattice(3, 2), SymmetricGroup(3)), [9])
    with pytest.raises(ValueError, match="hidden: expected an integer >= 8"):
        LatticeMADE(_model(3), [4])
    with pytest.raises(TypeError, match="z2"):
        LatticeMADE(_model(3), [9], z2="yes")
    q = LatticeMADE(_model(3), [9], validate_args=True)
    with pytest.raises(TypeError, match="x: expected an integer tensor"):
        q.log_prob(torch.zeros(2, 3, 3))
    with pytest.raises(ValueError, match=r"x: expected shape \(\.\.\., 3, 3\), got \(2, 4, 4\)"):
        q.log_prob(torch.zeros(2, 4, 4, dtype=torch.long))


def test_the_experiment_rejects_bad_settings():
    from ardemo.experiments.pixelgnn import VANLattice

    with pytest.raises(ValueError, match="depth: expected at least 2"):
        VANLattice(depth=1)
    with pytest.raises(ValueError, match="chunk: expected a multiple of log_every"):
        VANLattice(chunk=30, log_every=20)
    with pytest.raises(ValueError, match="anneal"):
        VANLattice(steps=100, anneal=200)
