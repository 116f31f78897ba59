"""Exact answers for small lattices by enumerating all :math:`|G|^N` configurations (:math:`2^{16}` for the
4×4 Ising model): :math:`\\ln Z`, the Boltzmann distribution, and the exact variational free energy
:math:`F_q = \\sum_x q(x)(E(x) + \\ln q(x))` and :math:`\\mathrm{KL}(q\\|p) = F_q + \\ln Z` of any model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ..core.enumeration import all_configurations, check_enumerable, configuration_index
from ..core.validation import check_callable, check_int, check_tensor, no_validation
from ..lattices.energy import Model


class LatticeEnumeration:
    """All configurations of ``model``'s lattice (binary groups only), with their energies.

    Row ``k`` of ``configs`` is :math:`k` in binary, site 0 the most significant bit.

    >>> from ardemo import FlatLattice, Model, SymmetricGroup, ising
    >>> exact = LatticeEnumeration(Model(ising(0.44), FlatLattice(2, 2), SymmetricGroup(2)))
    >>> exact.configs.shape, round(exact.free_energy, 4)
    (torch.Size([16, 2, 2]), -4.3774)
    """

    def __init__(self, model: Model, device: torch.device | str | None = None, chunk: int = 2**14) -> None:
        if not isinstance(model, Model):
            raise TypeError(f"model: expected an ardemo.Model, got {type(model).__name__}")
        n = model.lattice.n_sites
        if model.group.order != 2:
            raise ValueError(f"model: enumeration is implemented for a binary group, got {model.group}")
        check_enumerable("model", n, "sites")
        self.model, self.n_sites, self.chunk = model, n, check_int("chunk", chunk, minimum=1)
        self.configs = all_configurations(n, device=device, dtype=torch.long).reshape(-1, *model.lattice.shape)
        self.energies = model.energy(self.configs, dtype=torch.float64)
        self.log_z = torch.logsumexp(-self.energies, 0)
        self.log_p = -self.energies - self.log_z

    @property
    def free_energy(self) -> float:
        """:math:`F = -\\ln Z`."""
        return -self.log_z.item()

    def index(self, x: torch.Tensor) -> torch.Tensor:
        """Row of each configuration in ``configs``."""
        return configuration_index(self.model.check("x", x).flatten(1))

    @torch.no_grad()
    def log_probs(self, log_prob: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
        """:math:`\\ln q` of every configuration (in chunks), float64."""
        check_callable("log_prob", log_prob)
        return torch.cat([log_prob(c).double() for c in self.configs.split(self.chunk)])

    def symmetrize(self, log_q: torch.Tensor, perms: torch.Tensor) -> torch.Tensor:
        """:math:`\\ln \\frac1{|S|}\\sum_{g\\in S} q(g\\cdot x)` for the site permutations ``perms`` (all of them)."""
        log_q = self._check_log_q(log_q)
        if not isinstance(perms, torch.Tensor) or perms.dtype not in (torch.int32, torch.int64):
            raise TypeError(f"perms: expected an integer tensor of site permutations, got {type(perms).__name__}")
        flat = self.configs.flatten(1)
        if perms.dim() != 2 or perms.shape[1] != self.n_sites or perms.shape[0] == 0:
            raise ValueError(
                f"perms: expected shape (k, {self.n_sites}), one permutation of the sites per row, got {tuple(perms.shape)}"
            )
        if not torch.equal(perms.sort(1).values, torch.arange(self.n_sites, device=perms.device).expand_as(perms)):
            raise ValueError("perms: expected every row to be a permutation of the sites 0..n-1")
        total = torch.full_like(log_q, -torch.inf)
        with no_validation():  # permuted rows of all configurations are configurations
            for perm in perms.to(flat.device):
                total = torch.logaddexp(total, log_q[configuration_index(flat[:, perm])])
        return total - torch.log(torch.tensor(float(len(perms)), dtype=log_q.dtype))

    def _check_log_q(self, log_q: object) -> torch.Tensor:
        """``log_q``: :math:`\\ln q` of every configuration, in the order of ``configs``, normalised."""
        log_q = check_tensor("log_q", log_q)
        if log_q.shape != (len(self.configs),):
            raise ValueError(
                f"log_q: expected one log-probability per configuration, shape ({len(self.configs)},), got {tuple(log_q.shape)}"
            )
        if bool(torch.isnan(log_q).any()):
            raise ValueError("log_q: expected log-probabilities, found NaN")
        mass = float(log_q.double().exp().sum())
        if abs(mass - 1) > 1e-3:
            raise ValueError(f"log_q: expected a normalised distribution, total mass {mass:.6g}")
        return log_q

    def variational_free_energy(self, log_q: torch.Tensor) -> float:
        """Exact :math:`F_q = \\sum_x q(x)(E(x) + \\ln q(x))`."""
        log_q = self._check_log_q(log_q)
        q = log_q.exp()
        return (q * (self.energies + log_q)).sum().item()

    def kl(self, log_q: torch.Tensor) -> float:
        """Exact :math:`\\mathrm{KL}(q\\|p) = F_q - F \\ge 0`."""
        return self.variational_free_energy(log_q) + self.log_z.item()

    def expectation(self, values: torch.Tensor, log_q: torch.Tensor | None = None) -> torch.Tensor:
        """:math:`\\sum_x w(x)\\,v(x)` over the first axis, with :math:`w = q` or the Boltzmann :math:`p`."""
        w = (self.log_p if log_q is None else self._check_log_q(log_q)).exp()
        values = check_tensor("values", values)
        if values.dim() == 0 or values.shape[0] != len(self.configs):
            raise ValueError(
                f"values: expected one value per configuration, shape ({len(self.configs)}, ...), got {tuple(values.shape)}"
            )
        return torch.tensordot(w.to(values.dtype), values, dims=1)


def bond_correlations(x: torch.Tensor, model: Model, shifts: Sequence[Sequence[int]] | None = None) -> torch.Tensor:
    """Per-site bond values :math:`v(x_r^{-1} x_{r+e})` with :math:`v = (+1, -1)` (the spin product
    :math:`s_r s_{r+e}` for the Ising model), shape ``(len(shifts), batch, size, ..., size)``;
    default shifts: the unit vectors.

    >>> from ardemo import FlatLattice, Model, SymmetricGroup, ising
    >>> model = Model(ising(1.0), FlatLattice(2, 2), SymmetricGroup(2))
    >>> bond_correlations(torch.tensor([[[0, 1], [0, 1]]]), model)[:, 0]
    tensor([[[ 1.,  1.],
             [ 1.,  1.]],
    <BLANKLINE>
            [[-1., -1.],
             [-1., -1.]]], dtype=torch.float64)
    """
    x = model.check("x", x)
    d = model.lattice.dimension
    if shifts is None:
        shifts = [tuple(int(i == a) for i in range(d)) for a in range(d)]
    for shift in shifts:
        if not isinstance(shift, Sequence) or len(shift) != d:
            raise ValueError(f"shifts: expected lattice vectors of {d} integers, got {shift!r}")
        for s in shift:
            check_int("shifts", s)
    dims = tuple(range(1, d + 1))
    out = []
    for shift in shifts:
        relative = model.group._product(model.group._inverse(x), x.roll([-s for s in shift], dims))
        out.append(1.0 - 2.0 * relative.double())
    return torch.stack(out)
