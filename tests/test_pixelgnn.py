import itertools

import pytest
import torch

import ardemo
from ardemo import FlatLattice, Graph, Lattice, Model, PixelGNN, SymmetricGroup, TreeLattice, TwoBody, ising

# The source's printed tables (seed 001), as sets: the source printed Python sets in hash order.
FLAT_R2 = {
    0: [],
    1: [0],
    2: [1],
    3: [2, 0],
    4: [0, 3, 1],
    5: [4, 2, 0, 1],
    6: [2, 5, 3, 1],
    7: [0, 2, 3, 4, 6],
    8: [4, 7, 5],
    9: [4, 5, 8, 6],
    10: [9, 7, 5, 6],
    11: [10, 4, 6, 7, 8],
    12: [9, 0, 1, 11, 3, 8],
    13: [9, 0, 1, 10, 2, 12, 8],
    14: [9, 10, 1, 11, 2, 3, 13],
    15: [0, 10, 11, 2, 3, 12, 14, 8],
}
TREE_R2 = {
    0: [],
    1: [],
    2: [1],
    3: [2, 1],
    4: [3, 2, 1],
    5: [4, 3, 2, 1],
    6: [4, 5, 2, 3, 1],
    7: [6, 4, 5, 2, 3, 1],
    8: [6, 4, 5, 2, 3, 1, 7],
    9: [6, 4, 5, 2, 3, 1, 7, 8],
    10: [6, 4, 5, 2, 3, 1, 7, 8],
    11: [6, 4, 5, 9, 2, 3, 1, 10, 7],
    12: [6, 4, 5, 9, 11, 2, 3, 1, 10, 7, 8],
    13: [6, 4, 5, 9, 11, 2, 12, 3, 1, 10, 7, 8],
    14: [6, 4, 5, 9, 11, 2, 12, 3, 1, 10, 7, 8],
    15: [6, 4, 5, 14, 9, 11, 2, 3, 13, 1, 10, 7, 8],
}
TREE_CENTERS = [
    None,
    [2, 2],
    [1, 2],
    [3, 2],
    [1, 1],
    [3, 1],
    [1, 3],
    [3, 3],
    [0.5, 1],
    [2.5, 1],
    [0.5, 3],
    [2.5, 3],
    [1.5, 1],
    [3.5, 1],
    [1.5, 3],
    [3.5, 3],
]


def test_flat_relevant_nodes_match_the_source():
    latt = FlatLattice(4, 2)
    for node, expected in FLAT_R2.items():
        assert latt.relevant_nodes(node, 2.0) == sorted(expected)
        assert latt.centers[node].tolist() == [node // 4, node % 4]


@pytest.mark.parametrize(
    "radius, edges, types, depth",
    [(1.01, 32, 1, 6), (1.42, 64, 2, 15), (2.01, 80, 3, 15), (2.24, 112, 4, 15), (2.83, 120, 5, 15)],
)
def test_flat_radius_scan_matches_the_source(radius, edges, types, depth):
    g = FlatLattice(4, 2).causal_graph(radius)
    assert (g.n_edges, g.n_types, g.max_depth) == (edges, types, depth)
    assert repr(g) == f"Graph(16x16, {edges} edges of {types} types)"


def test_flat_default_graph_matches_the_source():
    g = FlatLattice(4, 2).causal_graph()
    assert g.type_dict == {1: (0, 1), 2: (1, 1)}
    assert g.source_depths.tolist() == list(range(16))
    dense = g.adjacency_matrix().to_dense()
    assert dense[4].tolist() == [1, 2, 0, 2] + [0] * 12  # node 4 = (1, 0): (0, 0) above, two diagonals
    assert bool((dense.triu() == 0).all())


def test_tree_listing_matches_the_source():
    latt = TreeLattice(4, 2)
    for node, expected in TREE_R2.items():
        assert latt.relevant_nodes(node, 2.0) == sorted(expected)
        center = latt.centers[node]
        assert (TREE_CENTERS[node] is None and bool(center.isnan().all())) or center.tolist() == TREE_CENTERS[node]


@pytest.mark.parametrize(
    "radius, edges, types, depth", [(1.2, 67, 14, 7), (1.5, 85, 16, 10), (2.0, 101, 16, 12), (3.0, 105, 16, 14)]
)
def test_tree_radius_scan_matches_the_source(radius, edges, types, depth):
    g = TreeLattice(4, 2).causal_graph(radius)
    assert (g.n_edges, g.n_types, g.max_depth) == (edges, types, depth)


def test_tree_default_graph_has_the_source_relations():
    g = TreeLattice(4, 2).causal_graph()
    source_types = {
        (0, 1, 1),
        (0, 3, 3),
        (0, 0, 2),
        (0, 2, 3),
        (2, 1, 1),
        (0, 0, 1),
        (1, 0, 1),
        (0, 1, 3),
        (2, 0, 1),
        (1, 0, 2),
        (0, 0, 3),
    }
    assert set(g.type_dict.values()) == source_types
    # the source reports 51 edges here; our light-cone rule gives 59 (documented in the chapter)
    assert g.n_edges == 59 and g.max_depth == 5


def test_tree_nodes_visit_every_site_once_and_anchor_earlier():
    for size, dim in [(2, 2), (4, 2), (8, 2), (4, 3)]:
        latt = TreeLattice(size, dim)
        assert sorted(latt.node_sites.tolist()) == list(range(latt.n_sites))
        written = {int(latt.node_sites[0])}
        for k in range(1, latt.n_nodes):
            assert int(latt.anchors[k]) in written
            written.add(int(latt.node_sites[k]))


def test_graph_depths_are_longest_chains():
    g = Graph(4, [(1, 0, "a"), (2, 0, "a"), (3, 2, "b"), (3, 1, "a")])
    assert g.source_depths.tolist() == [0, 1, 1, 2]
    assert [d.tolist() for d in g.depth_groups()] == [[0], [1, 2], [3]]
    with pytest.raises(ValueError, match="source < target"):
        Graph(3, [(0, 1, "a")])


def test_symmetric_group_tables():
    for n in (2, 3):
        G = SymmetricGroup(n)
        a, b, c = torch.meshgrid(*[torch.arange(G.order)] * 3, indexing="ij")
        assert torch.equal(G.mul(G.mul(a, b), c), G.mul(a, G.mul(b, c)))
        e = torch.zeros_like(a)
        assert torch.equal(G.mul(a, G.inv(a)), e) and torch.equal(G.mul(e, a), a)
    assert SymmetricGroup(2).mul(torch.tensor([1]), torch.tensor([1])).item() == 0


def _ising_by_hand(x, coupling):
    s = 1.0 - 2.0 * x.double()
    return -coupling * (s * s.roll(-1, 1) + s * s.roll(-1, 2)).sum((1, 2))


@pytest.mark.parametrize("lattice", [FlatLattice(4, 2), TreeLattice(4, 2), TreeLattice(8, 2)])
def test_energy_encode_decode_and_space_group(lattice):
    torch.manual_seed(0)
    model = Model(ising(0.44), lattice, SymmetricGroup(2))
    x = torch.randint(0, 2, (6, *lattice.shape))
    torch.testing.assert_close(model.energy(x).double(), _ising_by_hand(x, 0.44), atol=1e-5, rtol=0)
    assert torch.equal(model.decode(model.encode(x)), x)
    perms = lattice.randperm(50)
    assert torch.equal(perms.sort(1).values, torch.arange(lattice.n_sites).expand(50, -1))
    assert len({tuple(p) for p in perms.tolist()}) > 10
    same = x[:1].expand(50, *lattice.shape)
    torch.testing.assert_close(model.energy(model.transform(same, perms)), model.energy(same))


def test_randperm_is_not_just_translations():
    perms = Lattice(4, 2).randperm(200, generator=torch.Generator().manual_seed(1))
    translations = {
        tuple(Lattice(4, 2).site_index(Lattice(4, 2).coordinates + torch.tensor(a)).tolist())
        for a in itertools.product(range(4), repeat=2)
    }
    # x[perm] for a translation by a: perm[i] = index(c_i - a); compare as sets of maps
    assert any(tuple(p) not in translations for p in perms.tolist())


def test_energy_algebra():
    e = -0.5 * (TwoBody([1, 0], [1, -1]) + TwoBody([0, 1], [1, -1]))
    assert [c for c, _ in e.terms] == [-0.5, -0.5]
    assert [c for c, _ in (e - e).terms] == [-0.5, -0.5, 0.5, 0.5]


def _model(lattice, coupling=0.44):
    return Model(ising(coupling), lattice, SymmetricGroup(2))


def _random_net(lattice, hidden, radius, seed):
    """A PixelGNN with every weight drawn from N(0, 1), so that q is far from uniform."""
    torch.manual_seed(seed)
    net = PixelGNN(_model(lattice), hidden, radius)
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0.0, 1.0)
    return net


@pytest.mark.parametrize("lattice, radius", [(FlatLattice(4, 2), 2.01), (TreeLattice(4, 2), 1.5)])
def test_pixelgnn_is_normalised_over_all_configurations(lattice, radius):
    net = _random_net(lattice, [8, 8], radius, seed=0)
    x = ardemo.all_configurations(16, dtype=torch.long).reshape(-1, 4, 4)
    with torch.no_grad():
        total = net.log_prob(x).double().exp().sum().item()
    assert total == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("lattice", [FlatLattice(2, 2), TreeLattice(2, 2)])
def test_sample_frequencies_match_q(lattice):
    net = _random_net(lattice, [6], 1.5, seed=1)
    x = ardemo.all_configurations(4, dtype=torch.long).reshape(-1, 2, 2)
    q = net.log_prob(x).detach().double().exp()
    n = 200_000
    s = net.sample(n).flatten(1)
    index = (s * 2 ** torch.arange(3, -1, -1)).sum(1)
    freq = torch.bincount(index, minlength=16).double() / n
    chi2 = (n * (freq - q) ** 2 / q).sum().item()
    assert chi2 < 45.0  # 15 degrees of freedom: P(chi2 > 45) < 1e-4
    assert net.passes == net.n_passes == net.graph.max_depth + 1


@pytest.mark.parametrize("lattice, radius", [(FlatLattice(4, 2), 2.01), (TreeLattice(4, 2), 1.5)])
def test_causality_by_jacobian(lattice, radius):
    net = _random_net(lattice, [8, 8], radius, seed=0)
    h = torch.rand(1, 16, 2)
    jac = torch.autograd.functional.jacobian(lambda v: net.network(v).sum(-1), h)[0, :, 0].abs().sum(-1)  # (16, 16)
    assert float(jac.triu().abs().max()) == 0.0
    reached = jac.tril(-1) > 0
    assert int(reached.sum()) > 0
    # every graph edge is an influence, except into the tree's uniform node 0 (it has none)
    g = net.graph
    assert bool(reached[g.targets, g.sources].all())
    if isinstance(lattice, TreeLattice):
        assert float(jac[0].abs().max()) == 0.0


def test_sampling_passes_scale_with_depth_not_sites():
    net = PixelGNN(_model(TreeLattice(8, 2)), [4], 1.0)
    net.sample(3)
    assert net.passes == net.graph.max_depth + 1 < 64


def test_bad_inputs_are_clear_errors():
    with pytest.raises(ValueError, match="power of two"):
        TreeLattice(6, 2)
    with pytest.raises(ValueError, match="radius"):
        FlatLattice(4, 2).causal_graph(radius=0.0)
    with pytest.raises(TypeError, match="radius"):
        FlatLattice(4, 2).relevant_nodes(3, "2")
    model = _model(FlatLattice(4, 2))
    with pytest.raises(ValueError, match=r"shape \(batch, 4, 4\)"):
        model.energy(torch.zeros(3, 4, 5, dtype=torch.long))
    with pytest.raises(ValueError, match="elements of SymmetricGroup"):
        model.energy(torch.full((3, 4, 4), 2))
    with pytest.raises(TypeError, match="integer tensor"):
        model.energy(torch.zeros(3, 4, 4))
    with pytest.raises(ValueError, match="values"):
        Model(TwoBody([1, 0], [1, 0, 2]), FlatLattice(4, 2), SymmetricGroup(2))
    with pytest.raises(ValueError, match="shift"):
        TwoBody([0, 0], [1, -1])
    with pytest.raises(TypeError, match="model"):
        PixelGNN(FlatLattice(4, 2))
    net = PixelGNN(model, [4], 1.5)
    with pytest.raises(ValueError, match="shape"):
        net.log_prob(torch.zeros(2, 16, dtype=torch.long))
