import math

import pytest
import torch

import ardemo
from ardemo import CRITICAL_COUPLING, MAX_TRANSFER_WIDTH, IsingStrip, compare_rows, onsager_free_energy, row_observables


def torus_partition_function(width: int, length: int, beta: float) -> float:
    """Brute force: sum over all 2^(width*length) spin configurations of a periodic width x length torus."""
    x = ardemo.all_configurations(width * length, dtype=torch.float64).view(-1, length, width)
    s = 1 - 2 * x
    energy = -(s * s.roll(1, 2)).sum((1, 2)) - (s * s.roll(1, 1)).sum((1, 2))
    return torch.logsumexp(-beta * energy, 0).exp().item()


@pytest.mark.parametrize("width, beta", [(3, 0.3), (4, 0.7), (6, CRITICAL_COUPLING)])
def test_power_iteration_matches_dense_eigendecomposition(width, beta):
    strip = IsingStrip(width, beta)
    lam, psi = strip.leading_eigenpair()
    T = strip.dense()
    values, vectors = torch.linalg.eig(T)
    k = values.real.argmax()
    assert lam == pytest.approx(values.real[k].item(), rel=1e-10)
    dense_psi = vectors[:, k].real
    torch.testing.assert_close(psi, dense_psi / dense_psi.sum(), atol=1e-10, rtol=1e-8)
    torch.testing.assert_close(T @ psi, lam * psi, atol=1e-9 * lam, rtol=1e-8)
    assert torch.all(psi > 0)


def test_apply_equals_dense_product():
    strip = IsingStrip(5, 0.6)
    v = torch.rand(32, dtype=torch.float64)
    torch.testing.assert_close(strip.apply(v), strip.dense() @ v)


@pytest.mark.parametrize("width, length, beta", [(2, 3, 0.5), (3, 4, 0.4), (3, 5, 1.0), (4, 3, 0.3)])
def test_trace_of_transfer_power_is_the_torus_partition_function(width, length, beta):
    strip = IsingStrip(width, beta)
    trace = torch.linalg.matrix_power(strip.dense(), length).trace().item()
    assert trace == pytest.approx(torus_partition_function(width, length, beta), rel=1e-10)


def test_free_energy_is_the_long_strip_limit_of_enumeration():
    strip = IsingStrip(3, 0.5)
    per_site = [-math.log(torus_partition_function(3, L, 0.5)) / (3 * L) for L in (3, 4, 5)]
    errors = [abs(f - strip.free_energy_per_site()) for f in per_site]
    assert errors[0] > errors[1] > errors[2]  # approaches the strip value as the torus lengthens
    # Tr T^L = lam^L (1 + sum (lam_k/lam)^L): with the dense spectrum this is exact at every L
    values = torch.linalg.eigvals(strip.dense()).real
    lam = strip.leading_eigenpair()[0]
    for L, f in zip((3, 4, 5), per_site):
        assert f == pytest.approx(
            -(L * math.log(lam) + math.log((values / lam).pow(L).sum().item())) / (3 * L), rel=1e-10
        )


def onsager_double_integral(k: float, points: int = 600) -> float:
    """-beta f = ln 2 + 1/(8 pi^2) double integral of ln[cosh^2 2K - sinh 2K (cos a + cos b)] (midpoint rule)."""
    a = (torch.arange(points, dtype=torch.float64) + 0.5) * 2 * math.pi / points
    c = torch.cos(a)
    inner = torch.log(math.cosh(2 * k) ** 2 - math.sinh(2 * k) * (c[:, None] + c[None, :]))
    return -(math.log(2) + 0.5 * inner.mean().item())


@pytest.mark.parametrize("k", [0.2, 0.35, 0.6, 1.0])
def test_onsager_single_integral_matches_double_integral(k):
    assert onsager_free_energy(k) == pytest.approx(onsager_double_integral(k), abs=1e-9)


@pytest.mark.parametrize("beta, width, tol", [(0.3, 12, 1e-5), (1.0, 10, 1e-8)])
def test_wide_strips_approach_onsager(beta, width, tol):
    assert IsingStrip(width, beta).free_energy_per_site() == pytest.approx(onsager_free_energy(beta), abs=tol)


def test_row_weight_is_the_column_sum_and_copying_law():
    strip = IsingStrip(4, 0.8)
    x = strip.configurations(dtype=torch.float64)
    torch.testing.assert_close(strip.dense().sum(0).log(), strip.log_row_weight(x))
    rows = torch.zeros(200_000, 4)
    copied = (strip.sample_next(rows) == 0).float().mean().item()
    assert copied == pytest.approx(strip.copy_probability, abs=3e-3)
    assert strip.copy_probability == pytest.approx(math.exp(0.8) / (2 * math.cosh(0.8)))


def test_spin_flip_ratio_grows_with_order():
    ratios = [IsingStrip(8, b).spin_flip_ratio() for b in (0.2, CRITICAL_COUPLING, 1.0)]
    assert 0 < ratios[0] < ratios[1] < ratios[2] < 1
    assert 1 - ratios[2] < 1e-5


def test_bulk_row_is_a_row_of_a_long_torus():
    strip = IsingStrip(3, 0.6)
    T = strip.dense()
    # enumeration of a 3 x 6 torus: the marginal of one row is diag(T^6) / Tr T^6
    x = ardemo.all_configurations(3 * 6, dtype=torch.float64).view(-1, 6, 3)
    s = 1 - 2 * x
    log_w = 0.6 * ((s * s.roll(1, 2)).sum((1, 2)) + (s * s.roll(1, 1)).sum((1, 2)))
    row_index = ardemo.configuration_index(x[:, 0])
    marginal = torch.zeros(8, dtype=torch.float64).index_add_(0, row_index, (log_w - log_w.max()).exp())
    torus6 = torch.linalg.matrix_power(T, 6).diagonal()
    torch.testing.assert_close(marginal / marginal.sum(), torus6 / torus6.sum(), atol=1e-12, rtol=1e-10)
    # a long torus: every row is a bulk row
    torus = torch.linalg.matrix_power(T / strip.leading_eigenpair()[0], 200).diagonal()
    torch.testing.assert_close((torus / torus.sum()).log(), strip.bulk_log_probs(), atol=1e-7, rtol=0)


def test_compare_rows_on_known_distributions():
    uniform = torch.full((16,), -math.log(16), dtype=torch.float64)
    out = compare_rows(uniform, uniform, 4)
    assert out["kl_pq"] == 0 and out["kl_qp"] == 0
    assert out["magnetisation_q"] == pytest.approx(0) and out["nn_correlation_q"] == pytest.approx(0)
    up = torch.full((16,), -1e3, dtype=torch.float64)
    up[0] = 0.0  # all sites x = 0, spin +1
    obs = row_observables(up, 4)
    assert obs["magnetisation"] == pytest.approx(1) and obs["nn_correlation"] == pytest.approx(1)
    assert compare_rows(uniform, up, 4)["kl_pq"] == pytest.approx(math.log(16))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(width=MAX_TRANSFER_WIDTH + 1, beta=1.0), ValueError, "too large"),
        (dict(width=1, beta=1.0), ValueError, "width"),
        (dict(width=4, beta=0.0), ValueError, "beta"),
        (dict(width=4.0, beta=1.0), TypeError, "width"),
    ],
)
def test_bad_strip_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        IsingStrip(**kwargs)


def test_bad_rows_and_vectors():
    strip = IsingStrip(4, 0.5)
    with pytest.raises(ValueError, match="sites"):
        strip.horizontal_energy(torch.zeros(2, 5))
    with pytest.raises(ValueError, match="binary"):
        strip.sample_next(torch.full((2, 4), 0.5))
    with pytest.raises(ValueError, match="psi"):
        strip.apply(torch.ones(15, dtype=torch.float64))
    with pytest.raises(ValueError, match="dense"):
        IsingStrip(13, 0.5).dense()


@pytest.mark.parametrize("width, beta", [(4, 20.0), (6, 30.0)])
def test_strong_coupling_matches_the_dense_matrix_in_logs(width, beta):
    # e^{2 N beta} is near float64's limit here: the scaled iteration must neither overflow nor stall
    strip = IsingStrip(width, beta)
    log_lam = math.log(float(torch.linalg.eigvals(strip.dense()).real.max()))
    assert strip.free_energy_per_site() == pytest.approx(-log_lam / width, rel=1e-12)


def test_very_strong_coupling_gives_the_ground_state_free_energy():
    # beta = 200: lambda_max = e^{2 N beta}(1 + e^{-2 N beta}) overflows float64; its log does not
    strip = IsingStrip(8, 200.0)
    assert strip.free_energy_per_site() == pytest.approx(-2 * 200.0, rel=1e-14)
    assert strip.leading_eigenpair()[0] == math.inf
    log_p = strip.fixed_point_log_probs()
    assert torch.logsumexp(log_p, 0).item() == pytest.approx(0.0, abs=1e-12)
    assert log_p[0].item() == pytest.approx(math.log(0.5), abs=1e-12)  # all up and all down, half each
