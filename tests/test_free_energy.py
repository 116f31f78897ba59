import math
from pathlib import Path

import pytest
import torch

import ardemo
from ardemo import (
    CRITICAL_COUPLING,
    FlatLattice,
    LatticeEnumeration,
    Model,
    PixelGNN,
    SymmetricGroup,
    TreeLattice,
    bond_correlations,
    ising,
    kaufman_log_partition,
    onsager_free_energy,
)
from ardemo import free_energy as fe

ROOT = Path(__file__).resolve().parents[1]


def _enumerated_log_z(size, coupling):
    model = Model(ising(coupling), FlatLattice(size, 2), SymmetricGroup(2))
    return LatticeEnumeration(model).log_z.item()


@pytest.mark.parametrize("size", [2, 3, 4])
@pytest.mark.parametrize("coupling", [0.1, CRITICAL_COUPLING, 0.8])
def test_kaufman_matches_enumeration(size, coupling):
    assert kaufman_log_partition(size, coupling) == pytest.approx(_enumerated_log_z(size, coupling), abs=1e-9)


@pytest.mark.parametrize("coupling", [0.3, CRITICAL_COUPLING, 0.6])
def test_kaufman_approaches_onsager(coupling):
    per_site = [-kaufman_log_partition(L, coupling) / L**2 for L in (32, 128, 512)]
    errors = [abs(f - onsager_free_energy(coupling)) for f in per_site]
    assert errors[-1] < 5e-6 and errors[0] > errors[-1]


def test_kaufman_rectangular_and_bad_input():
    # a 2 x 3 torus by brute force
    x = torch.tensor([[int(b) for b in f"{k:06b}"] for k in range(64)]).reshape(-1, 2, 3)
    s = 1.0 - 2.0 * x.double()
    k = 0.37
    log_z = torch.logsumexp(k * (s * s.roll(1, 1) + s * s.roll(1, 2)).sum((1, 2)), 0).item()
    assert kaufman_log_partition(2, k, columns=3) == pytest.approx(log_z, abs=1e-10)
    with pytest.raises(ValueError, match="coupling"):
        kaufman_log_partition(4, -0.1)
    with pytest.raises(ValueError, match="size"):
        kaufman_log_partition(1, 0.3)


def _trained_like(lattice, seed=0, scale=0.5):
    torch.manual_seed(seed)
    net = PixelGNN(Model(ising(0.44), lattice, SymmetricGroup(2)), [6], radius=1.5)
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0.0, scale)
    return net


def test_exact_free_energy_matches_the_sampled_estimate():
    net = _trained_like(TreeLattice(4, 2))
    exact = LatticeEnumeration(net.model)
    log_q = exact.log_probs(net.log_prob)
    assert log_q.exp().sum().item() == pytest.approx(1.0, abs=1e-6)
    torch.manual_seed(1)
    estimate, error = fe.estimate_free_energy(net, 40_000)
    assert abs(estimate - exact.variational_free_energy(log_q)) < 4 * error
    assert exact.kl(log_q) > 0
    assert exact.kl(exact.log_p) == pytest.approx(0.0, abs=1e-12)


def test_symmetrised_mixture_is_normalised_invariant_and_closer():
    net = _trained_like(FlatLattice(4, 2))
    exact = LatticeEnumeration(net.model)
    log_q = exact.log_probs(net.log_prob)
    group = net.model.lattice.space_group()
    assert len(group) == 128
    log_sym = exact.symmetrize(log_q, group)
    assert log_sym.exp().sum().item() == pytest.approx(log_q.exp().sum().item(), abs=1e-12)
    moved = net.model.transform(exact.configs, group[17])
    torch.testing.assert_close(log_sym[exact.index(moved)], log_sym)
    assert exact.kl(log_sym) <= exact.kl(log_q)


def test_log_mean_exp_bias_correction_on_a_known_answer():
    torch.manual_seed(0)
    sigma, n = 0.5, 4
    z = torch.randn(200_000, n, dtype=torch.float64)
    truth = sigma**2 / 2  # ln E[exp(sigma z)]
    plain = fe.log_mean_exp(sigma * z, correct=False).mean().item() - truth
    corrected = fe.log_mean_exp(sigma * z, correct=True).mean().item() - truth
    assert plain == pytest.approx(-(math.exp(sigma**2) - 1) / (2 * n), rel=0.2)
    assert abs(corrected) < 0.25 * abs(plain)


@pytest.mark.parametrize("scale", [0.15, 0.5])
def test_log_mixed_prob_estimates_the_symmetrised_probability(scale):
    net = _trained_like(TreeLattice(4, 2), scale=scale)
    exact = LatticeEnumeration(net.model)
    log_sym = exact.symmetrize(exact.log_probs(net.log_prob), net.model.lattice.space_group())
    x = exact.configs[torch.randint(0, 2**16, (50,), generator=torch.Generator().manual_seed(3))]
    truth = log_sym[exact.index(x)]
    repeats, n = 200, 4
    torch.manual_seed(4)
    with torch.no_grad():
        images = fe.randmix(net, x.repeat(repeats, 1, 1), n)
        log_w = net.log_prob(images.flatten(0, 1)).double().reshape(repeats, 50, n)
    # the mean of n random q(g x) is an unbiased estimate of q_sym(x) ...
    w = log_w.exp().permute(1, 0, 2).reshape(50, -1)
    z = (w.mean(1) - truth.exp()) / (w.std(1) / w.shape[1] ** 0.5)
    assert z.abs().max().item() < 5.0
    # ... its logarithm is biased low; for a nearly symmetric q, where the expansion in
    # var(w) / (n mean^2) holds, the bin-statistics term removes most of that bias
    plain = (fe.log_mean_exp(log_w, correct=False).mean(0) - truth).mean().item()
    corrected = (fe.log_mean_exp(log_w, correct=True).mean(0) - truth).mean().item()
    assert plain < corrected < 0 or abs(corrected) < abs(plain)
    if scale < 0.2:
        assert abs(corrected) < 0.3 * abs(plain)
    assert torch.equal(fe.log_mixed_prob(net, x, 1), net.log_prob(x))


def test_training_lowers_the_exact_kl_and_records_history():
    torch.manual_seed(0)
    net = PixelGNN(Model(ising(0.44), TreeLattice(2, 2), SymmetricGroup(2)), [6], radius=1.5)
    exact = LatticeEnumeration(net.model)
    before = exact.kl(exact.log_probs(net.log_prob))
    history = fe.train(net, 150, batch=256, lr=0.02, anneal=20)
    after = exact.kl(exact.log_probs(net.log_prob))
    assert len(history.free_energy) == 150 and history.seconds > 0
    assert after < 0.2 * before


def test_bond_correlations_of_the_ground_state_and_checkerboard():
    model = Model(ising(0.44), FlatLattice(4, 2), SymmetricGroup(2))
    up = torch.zeros(1, 4, 4, dtype=torch.long)
    checker = ((torch.arange(4)[:, None] + torch.arange(4)) % 2).unsqueeze(0)
    assert bool((bond_correlations(up, model) == 1).all())
    assert bool((bond_correlations(checker, model) == -1).all())


def test_bad_inputs_are_clear_errors():
    net = _trained_like(FlatLattice(4, 2))
    x = net.sample(3)
    with pytest.raises(ValueError, match="mixtures"):
        fe.log_mixed_prob(net, x, 0)
    with pytest.raises(TypeError, match="net"):
        fe.log_mixed_prob(torch.nn.Linear(2, 2), x, 2)
    with pytest.raises(ValueError, match=r"model: an exact sum over 2\*\*25 states of 25 sites"):
        LatticeEnumeration(Model(ising(0.44), FlatLattice(5, 2), SymmetricGroup(2)))
    with pytest.raises(ValueError, match="binary group"):
        LatticeEnumeration(Model(-1.0 * ardemo.TwoBody([1], [1, 0, 0, 0, 0, 0]), FlatLattice(3, 1), SymmetricGroup(3)))
    with pytest.raises(ValueError, match="batch"):
        fe.free_energy_loss(net, 1)
    with pytest.raises(ValueError, match="beta"):
        fe.free_energy_loss(net, 10, beta=0.0)


@pytest.mark.parametrize("coupling", [50.0, 400.0, 1e4])
def test_exact_formulas_stay_finite_at_strong_coupling(coupling):
    """Kaufman's and Onsager's formulas overflowed (cosh 2K) where ln Z is finite: in the ordered limit the
    torus has two ground states, ln Z = 2 N K + ln 2, and the infinite lattice beta f = -2K."""
    for size in (4, 8):
        expected = 2 * size * size * coupling + math.log(2)
        assert abs(kaufman_log_partition(size, coupling) - expected) < 1e-9 * expected
    assert abs(onsager_free_energy(coupling) + 2 * coupling) < 1e-9 * coupling


def _image_table(exact: LatticeEnumeration, group: torch.Tensor) -> torch.Tensor:
    """Row ``i``: the indices of every group image of configuration ``i``."""
    flat = exact.configs.flatten(1)
    return torch.cat(
        [
            exact.index(flat[c][:, group].reshape(-1, 4, 4)).reshape(-1, len(group))
            for c in torch.arange(len(flat)).split(8192)
        ]
    )


def _anchored_bound(net: PixelGNN, exact: LatticeEnumeration, table: torch.Tensor) -> torch.Tensor:
    """U_2 = sum_x q(x) mean_h [E(x) + ln((q(x) + q(h x)) / 2)], exactly (differentiable)."""
    log_q = torch.cat([net.log_prob(c).double() for c in exact.configs.split(8192)])  # with its gradient
    pair = torch.logaddexp(log_q.unsqueeze(1), log_q[table]) - math.log(2)
    return (log_q.exp() * (exact.energies + pair.mean(1))).sum()


@pytest.fixture(scope="module")
def asymmetric_tree():
    net = _trained_like(TreeLattice(4, 2), scale=0.5)
    exact = LatticeEnumeration(net.model)
    group = net.model.lattice.space_group()
    return net, exact, group, _image_table(exact, group)


def test_the_anchored_mixture_estimate_is_an_upper_bound_between_f_sym_and_f_q(asymmetric_tree):
    net, exact, group, table = asymmetric_tree
    with torch.no_grad():
        log_q = exact.log_probs(net.log_prob)
        f_q = exact.variational_free_energy(log_q)
        f_sym = exact.variational_free_energy(exact.symmetrize(log_q, group))
        u_2 = _anchored_bound(net, exact, table).item()
    assert f_q - 1e-3 > u_2 > f_sym + 1e-3, (f_q, u_2, f_sym)
    torch.manual_seed(5)
    for n, low, high in [(2, u_2, u_2), (8, f_sym, u_2)]:
        est, err = fe.estimate_free_energy(net, 20_000, mixtures=n, anchored=True)
        assert low - 5 * err < est < high + 5 * err, (n, est, err, low, high)
    # the source's all-random estimate falls below F_sym here (its expectation is a lower bound)
    est, err = fe.estimate_free_energy(net, 20_000, mixtures=2, correct=False)
    assert est < f_sym - 5 * err


def test_the_anchored_surrogate_follows_the_gradient_of_the_bound(asymmetric_tree):
    net, exact, _, table = asymmetric_tree
    params = list(net.parameters())
    gen = torch.Generator().manual_seed(6)
    direction = [torch.randn(p.shape, generator=gen) for p in params]

    def along(grads):
        return sum((g * d).sum() for g, d in zip(grads, direction)).item()

    exact_grad = along(torch.autograd.grad(_anchored_bound(net, exact, table), params))
    torch.manual_seed(7)
    batch, repeats = 1000, 60
    full = []
    for _ in range(repeats):
        loss, _ = fe.free_energy_loss(net, batch, mixtures=2, anchored=True)
        full.append(along(torch.autograd.grad(loss, params)))
    est = torch.tensor(full)
    se = est.std().item() / repeats**0.5
    assert abs(est.mean().item() - exact_grad) < 5 * se + 2e-3 * abs(exact_grad), (est.mean(), exact_grad, se)
