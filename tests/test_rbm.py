import pytest
import torch

import ardemo
from ardemo import GaussianBernoulliRBM, contrastive_divergence_loss


def _machine(n_visible=2, n_hidden=4, sigma=0.3, seed=0):
    ardemo.seed_all(seed)
    m = GaussianBernoulliRBM(n_visible, n_hidden, sigma=sigma).double()
    with torch.no_grad():
        m.W.normal_(0.0, 0.6)
        m.b.normal_(0.0, 0.3)
        m.d.normal_(0.0, 0.5)
    return m


def energy(m, x, z):
    return ((x - m.b) ** 2 / (2 * m.sigma2)).sum(-1) - ((x / m.sigma2) @ m.W * z).sum(-1) - z @ m.d


def test_free_energy_is_minus_log_sum_over_hidden_states():
    m = _machine(n_visible=3, n_hidden=5)
    x = torch.randn(7, 3, dtype=torch.float64)
    z = ardemo.all_configurations(5, dtype=torch.float64)
    brute = -torch.logsumexp(-energy(m, x[:, None, :], z[None]), 1)
    torch.testing.assert_close(m.free_energy(x), brute)


def test_conditionals_are_the_normalised_energy_slices():
    m = _machine(n_hidden=3)
    x = torch.randn(5, 2, dtype=torch.float64)
    z = ardemo.all_configurations(3, dtype=torch.float64)
    log_joint = -energy(m, x[:, None, :], z[None])  # (5 x, 8 z)
    p_z = torch.softmax(log_joint, 1)  # exact p(z | x)
    marginal_1 = (p_z[:, :, None] * z[None]).sum(1)  # p(z_j = 1 | x)
    torch.testing.assert_close(m.p_z_given_x(x), marginal_1)
    mean, var = m.p_x_given_z(z)
    torch.testing.assert_close(mean, m.b + z @ m.W.T)
    torch.testing.assert_close(var, m.sigma2.expand(8, 2))


@pytest.mark.parametrize("n_hidden", [1, 4, 9])
def test_quadrature_and_mixture_log_partition_agree(n_hidden):
    m = _machine(n_hidden=n_hidden, sigma=0.25)
    assert m.log_partition_quadrature(-5, 5, 801).item() == pytest.approx(m.log_partition_exact().item(), abs=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_covering_box_holds_the_density_for_large_weights(seed):
    torch.manual_seed(seed)
    m = GaussianBernoulliRBM(2, 10, sigma=0.2).double()
    with torch.no_grad():
        m.W.normal_(0.0, 0.6)
    lo, hi = m.covering_box()
    means = m.b + ardemo.all_configurations(10, dtype=torch.float64) @ m.W.T
    assert lo < means.min().item() - 1.9 and hi > means.max().item() + 1.9
    quadrature = m.log_partition_quadrature(None, None, 1001).item()
    assert quadrature == pytest.approx(m.log_partition_exact().item(), abs=1e-8)
    # a fixed box that misses part of the density would not agree
    assert m.log_partition_quadrature(-0.5, 0.5, 201).item() < m.log_partition_exact().item() - 1e-3


def test_log_prob_integrates_to_one():
    m = _machine(n_hidden=6)
    grid, area = m.quadrature_grid(-5, 5, 801)
    assert (m.log_prob(grid).exp().sum() * area).item() == pytest.approx(1.0, abs=1e-9)


def exact_samples(m, n):
    """Draw x from the model by ancestral sampling of the mixture: z from its marginal, then x | z."""
    z_all = ardemo.all_configurations(m.n_hidden, dtype=torch.float64)
    mean = m.b + z_all @ m.W.T
    log_w = z_all @ m.d + ((mean**2 - m.b**2) / (2 * m.sigma2)).sum(-1)
    idx = torch.multinomial(torch.softmax(log_w, 0), n, replacement=True)
    return mean[idx] + m.sigma2.sqrt() * torch.randn(n, m.n_visible, dtype=torch.float64)


def test_gibbs_kernel_leaves_the_model_distribution_invariant():
    m = _machine(n_hidden=3, sigma=0.4)
    n = 400_000
    x = exact_samples(m, n)
    with torch.no_grad():
        moved = m.gibbs_step(x)
    edges = torch.linspace(-3, 3, 13, dtype=torch.float64)

    def histogram(points):
        ix = torch.bucketize(points[:, 0].clamp(-2.999, 2.999), edges) - 1
        iy = torch.bucketize(points[:, 1].clamp(-2.999, 2.999), edges) - 1
        return torch.bincount(ix * 12 + iy, minlength=144).double() / len(points)

    # two samples of one law: TV ~ sqrt(bins / n) ~ 0.01 at most; a wrong kernel gives far more
    assert ardemo.total_variation(histogram(x), histogram(moved)).item() < 0.01
    # the histogram also matches the exact density integrated over each bin (quadrature)
    grid, area = m.quadrature_grid(-3, 3, 601)
    ix = torch.bucketize(grid[:, 0].clamp(-2.999, 2.999), edges) - 1
    iy = torch.bucketize(grid[:, 1].clamp(-2.999, 2.999), edges) - 1
    exact = torch.zeros(144, dtype=torch.float64).index_add_(0, ix * 12 + iy, m.log_prob(grid).exp().detach() * area)
    assert ardemo.total_variation(histogram(moved), exact / exact.sum()).item() < 0.015


def test_sample_chains_shape_and_gibbs_returns_samples():
    m = GaussianBernoulliRBM(2, 5)
    path = m.sample_chains(7, 11)
    assert path.shape == (11, 7, 2)
    x = torch.zeros(1000, 2)
    assert m.gibbs_step(x).std(0).min() > 0.05  # samples, not means


def test_chains_start_from_the_visible_law_given_a_uniform_hidden_layer():
    """x = b + Wz + sigma*eps with z uniform: mean b + W 1/2, variance sigma^2 + W^2 1/4 (per unit); the
    fresh chains of GibbsLikelihood and of sample_chains both start there."""
    m, n = _machine(n_visible=3, n_hidden=4), 20_000
    x = m.chain_start(n)
    mean, var = m.b + 0.5 * m.W.sum(1), m.sigma2 + 0.25 * (m.W**2).sum(1)
    assert x.shape == (n, 3) and x.dtype == torch.float64
    assert ((x.mean(0) - mean).abs() < 5 * (var / n).sqrt()).all(), (x.mean(0), mean)
    # the variance's standard error, from the sample's fourth moment
    se_var = (((x - x.mean(0)) ** 4).mean(0) - x.var(0) ** 2).clamp_min(0).div(n).sqrt()
    assert ((x.var(0) - var).abs() < 5 * se_var).all(), (x.var(0), var)
    torch.manual_seed(3)
    start = ardemo.GibbsLikelihood("fresh", chains=5).start(m, torch.zeros(2, 3, dtype=torch.float64))
    torch.manual_seed(3)
    assert torch.equal(start, m.chain_start(5))
    torch.manual_seed(3)
    first = m.sample_chains(5, 1)[0]
    torch.manual_seed(3)
    assert torch.equal(first, m.gibbs_step(m.chain_start(5)))
    with pytest.raises(ValueError, match="n_chains"):
        m.chain_start(0)


def test_cd_surrogate_gradient_is_positive_minus_negative_phase():
    m = _machine()
    data = torch.randn(10, 2, dtype=torch.float64)
    negatives = torch.randn(10, 2, dtype=torch.float64)
    loss = contrastive_divergence_loss(m, data, negatives)
    loss.backward()
    expected = torch.autograd.grad(m.free_energy(data).mean() - m.free_energy(negatives).mean(), m.W)[0]
    torch.testing.assert_close(m.W.grad, expected)


def test_bad_inputs():
    with pytest.raises(ValueError, match="n_hidden"):
        GaussianBernoulliRBM(2, 0)
    with pytest.raises(TypeError, match="n_visible"):
        GaussianBernoulliRBM(2.0, 3)
    m = GaussianBernoulliRBM(2, 3)
    with pytest.raises(ValueError, match="visible units"):
        m.free_energy(torch.zeros(4, 3))
    with pytest.raises(ValueError, match="NaN"):
        m.free_energy(torch.tensor([[0.0, float("nan")]]))
    with pytest.raises(ValueError, match="hidden units"):
        m.p_x_given_z(torch.zeros(4, 2))
    with pytest.raises(ValueError, match="too large"):
        GaussianBernoulliRBM(2, 25).log_partition_exact()
    with pytest.raises(ValueError, match="2 visible"):
        GaussianBernoulliRBM(3, 2).log_partition_quadrature()
    with pytest.raises(ValueError, match="hi > lo"):
        GaussianBernoulliRBM(2, 2).log_partition_quadrature(1.0, -1.0)
    with pytest.raises(ValueError, match="margin"):
        GaussianBernoulliRBM(2, 2).covering_box(0.0)


def test_chains_keep_the_models_dtype():
    """The chain sampler used to allocate its path in the default dtype: a float64 RBM crashed."""
    model = GaussianBernoulliRBM(2, 3).double()
    path = model.sample_chains(4, 5)
    assert path.dtype == torch.float64 and path.shape == (5, 4, 2)
    path = model.sample_chains(4, 5, x0=torch.zeros(4, 2))  # float32 start, float64 model
    assert path.dtype == torch.float64


def test_one_enumeration_limit_for_exact_and_quadrature():
    """log_prob sums over the hidden states exactly up to the library's one limit (it used to switch to
    quadrature above 16 units while the exact sum allowed 20)."""
    model = GaussianBernoulliRBM(2, ardemo.MAX_ENUMERATION_SITES).double()
    x = torch.randn(3, 2, dtype=torch.float64)
    assert torch.allclose(model.log_prob(x), -model.free_energy(x) - model.log_partition_exact())
    with pytest.raises(ValueError, match=r"n_hidden: an exact sum over 2\*\*21 states"):
        GaussianBernoulliRBM(2, 21).log_partition_exact()
