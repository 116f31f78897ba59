"""Lattice energies built from two-body terms, and the :class:`Model` that ties an energy to a lattice
and a group.

``TwoBody(shift, values)`` is :math:`E(x) = \\sum_r v(x_r^{-1} x_{r + \\text{shift}})` with ``values``
giving :math:`v` on each group element; terms add and scale, so the ferromagnetic Ising model reads
``-J * (TwoBody([1, 0], [1, -1]) + TwoBody([0, 1], [1, -1]))``,
:math:`E(s) = -J\\sum_{\\langle r r'\\rangle} s_r s_{r'}` with :math:`s = \\pm 1`.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import torch

from ..core.validation import check_float_dtype, check_int, check_real, validate_args_default
from .groups import SymmetricGroup
from .lattice import FlatLattice, TreeLattice


class Energy:
    """A linear combination :math:`\\sum_k c_k\\,\\text{term}_k` of :class:`TwoBody` terms.

    >>> from ardemo import SymmetricGroup
    >>> e = -(TwoBody([1], [1.0, -1.0]) + TwoBody([1], [1.0, -1.0]))
    >>> e(torch.zeros(1, 4, dtype=torch.long), SymmetricGroup(2))
    tensor([-8.])
    """

    def __init__(self, terms: Sequence[tuple[float, Energy]]) -> None:
        self.terms = []
        for term in terms:
            if not (isinstance(term, (tuple, list)) and len(term) == 2 and isinstance(term[1], Energy)):
                raise TypeError(f"terms: expected (coefficient, TwoBody) pairs, got {term!r}")
            self.terms.append((check_real("terms: coefficient", term[0]), term[1]))

    def __add__(self, other: "Energy") -> "Energy":
        if not isinstance(other, Energy):
            return NotImplemented
        return Energy(self.terms + other.terms)

    def __mul__(self, c: float) -> "Energy":
        if isinstance(c, bool) or not isinstance(c, numbers.Real):
            return NotImplemented
        return Energy([(float(c) * k, t) for k, t in self.terms])

    __rmul__ = __mul__

    def __neg__(self) -> "Energy":
        return self * -1.0

    def __sub__(self, other: "Energy") -> "Energy":
        return self + (-other)

    def __repr__(self) -> str:
        return " + ".join(f"{c:g}*{t!r}" for c, t in self.terms) or "Energy([])"

    def __call__(self, x: torch.Tensor, group: SymmetricGroup, dtype: torch.dtype | None = None) -> torch.Tensor:
        """Energies of configurations ``x`` of shape ``(batch, size, ..., size)``, shape ``(batch,)``."""
        dims = tuple(range(1, x.dim()))
        total = torch.zeros(x.shape[0], device=x.device, dtype=dtype)
        for c, term in self.terms:
            if len(term.shift) != len(dims):
                raise ValueError(
                    f"x: a term with shift {term.shift} needs {len(term.shift)} lattice axes, got {len(dims)}"
                )
            neighbour = x.roll([-s for s in term.shift], dims)
            relative = group._product(group._inverse(x), neighbour)
            total = total + c * group(relative, term.values.to(total.dtype)).sum(dims)
        return total


class TwoBody(Energy):
    """:math:`\\sum_r v(x_r^{-1} x_{r+\\text{shift}})` on a periodic lattice.

    >>> from ardemo import SymmetricGroup
    >>> TwoBody([1], [1.0, -1.0])(torch.tensor([[0, 1, 1, 1]]), SymmetricGroup(2))  # two unlike pairs
    tensor([0.])
    """

    def __init__(self, shift: Sequence[int], values: Sequence[float]) -> None:
        self.shift = tuple(check_int("shift", s) for s in shift)
        if not self.shift or not any(self.shift):
            raise ValueError(f"shift: expected a non-zero lattice vector, got {tuple(shift)}")
        try:
            self.values = torch.as_tensor(values, dtype=torch.get_default_dtype())
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"values: expected a sequence of numbers, got {values!r}") from None
        if self.values.dim() != 1 or len(self.values) < 2:
            raise ValueError(f"values: expected one number per group element, got shape {tuple(self.values.shape)}")
        if not bool(torch.isfinite(self.values).all()):
            raise ValueError(f"values: expected finite numbers, got {self.values.tolist()}")
        self.terms = [(1.0, self)]

    def __repr__(self) -> str:
        return f"TwoBody({list(self.shift)}, {self.values.tolist()})"


class Model:
    """An energy on a lattice whose sites hold elements of ``group``.

    Configurations are integer tensors of shape ``(batch, size, ..., size)``; the autoregressive node
    variables are ``encode(x)`` (shape ``(batch, n_nodes)``), and ``decode`` inverts it.

    >>> from ardemo import FlatLattice, SymmetricGroup
    >>> m = Model(ising(1.0), FlatLattice(2, 2), SymmetricGroup(2))
    >>> m.energy(torch.zeros(1, 2, 2, dtype=torch.long))  # 8 aligned bonds on the 2x2 torus
    tensor([-8.])
    """

    def __init__(self, energy: Energy, lattice: FlatLattice | TreeLattice, group: SymmetricGroup) -> None:
        if not isinstance(energy, Energy):
            raise TypeError(f"energy: expected an Energy (e.g. TwoBody terms), got {type(energy).__name__}")
        if not isinstance(lattice, (FlatLattice, TreeLattice)):
            raise TypeError(f"lattice: expected a FlatLattice or TreeLattice, got {type(lattice).__name__}")
        if not isinstance(group, SymmetricGroup):
            raise TypeError(f"group: expected a SymmetricGroup, got {type(group).__name__}")
        for _, term in energy.terms:
            if term.values.shape[0] != group.order:
                raise ValueError(
                    f"energy: {term!r} has {term.values.shape[0]} values, {group} has {group.order} elements"
                )
            if len(term.shift) != lattice.dimension:
                raise ValueError(f"energy: {term!r} has a {len(term.shift)}-d shift on a {lattice.dimension}-d lattice")
        self.energy_function, self.lattice, self.group = energy, lattice, group
        absolute = lattice.anchors < 0
        if not bool(absolute[torch.isin(lattice.node_sites, lattice.anchors[~absolute])].all()):
            raise ValueError("lattice: every anchor site must be written by a node without an anchor")
        self._cache: dict = {}

    def _indices(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Node sites, their anchors and the anchored nodes on ``device`` (copied once per device)."""
        if device not in self._cache:
            lat = self.lattice
            anchored = (lat.anchors >= 0).nonzero().flatten()
            self._cache[device] = (lat.node_sites.to(device), lat.anchors[anchored].to(device), anchored.to(device))
        return self._cache[device]

    def __repr__(self) -> str:
        return f"Model({self.energy_function!r}, {self.lattice!r}, {self.group!r})"

    def check(self, name: str, x: object) -> torch.Tensor:
        """Require a ``(batch, size, ..., size)`` tensor of group elements."""
        x = self.group.check(name, x)
        if x.dim() != self.lattice.dimension + 1 or tuple(x.shape[1:]) != self.lattice.shape:
            raise ValueError(
                f"{name}: expected shape (batch, {', '.join(map(str, self.lattice.shape))}), got {tuple(x.shape)}"
            )
        return x

    def energy(self, x: torch.Tensor, dtype: torch.dtype | None = None) -> torch.Tensor:
        """:math:`E(x)` for each configuration, shape ``(batch,)`` (default floating dtype unless given)."""
        if dtype is not None:
            check_float_dtype("dtype", dtype)
        return self.energy_function(self.check("x", x), self.group, dtype)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Node variables :math:`y_k = x_{\\text{anchor}(k)}^{-1} x_{\\text{site}(k)}` (``x_{site}`` if no anchor)."""
        flat = self.check("x", x).flatten(1)
        sites, anchors, anchored = self._indices(x.device)
        y = flat[:, sites]
        y[:, anchored] = self.group._product(self.group._inverse(flat[:, anchors]), y[:, anchored])
        return y

    def decode(self, y: torch.Tensor) -> torch.Tensor:
        """Configurations from node variables: anchors are absolute nodes, so one pass writes them all."""
        y = self.group.check("y", y)
        if y.dim() != 2 or y.shape[1] != self.lattice.n_nodes:
            raise ValueError(f"y: expected shape (batch, {self.lattice.n_nodes}), got {tuple(y.shape)}")
        sites, anchors, anchored = self._indices(y.device)
        flat = torch.empty_like(y)
        flat[:, sites] = y
        flat[:, sites[anchored]] = self.group._product(flat[:, anchors], y[:, anchored])
        return flat.reshape(-1, *self.lattice.shape)

    def transform(self, x: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
        """Apply site permutations ``perm`` (from :meth:`ardemo.Lattice.randperm`), one per configuration or broadcast."""
        flat = self.check("x", x).flatten(1)
        if not isinstance(perm, torch.Tensor) or perm.dtype not in (torch.int32, torch.int64):
            raise TypeError(f"perm: expected an integer tensor of site permutations, got {type(perm).__name__}")
        n = self.lattice.n_sites
        if (
            perm.dim() not in (1, 2)
            or perm.shape[-1] != n
            or (perm.dim() == 2 and perm.shape[0] not in (1, flat.shape[0]))
        ):
            raise ValueError(f"perm: expected shape ({n},) or (batch, {n}), got {tuple(perm.shape)}")
        if validate_args_default() and not torch.equal(
            perm.sort(-1).values, torch.arange(n, device=perm.device).expand_as(perm)
        ):
            raise ValueError("perm: expected permutations of the sites 0..n_sites-1")
        perm = perm.to(x.device)
        return flat.gather(1, perm.expand(flat.shape[0], -1)).reshape(x.shape)


def ising(coupling: float) -> Energy:
    """The nearest-neighbour ferromagnet on a square lattice, :math:`-J(\\text{TwoBody}([1,0]) + \\text{TwoBody}([0,1]))`.

    >>> ising(0.5)
    -0.5*TwoBody([1, 0], [1.0, -1.0]) + -0.5*TwoBody([0, 1], [1.0, -1.0])
    """
    coupling = check_real("coupling", coupling)
    return -coupling * (TwoBody([1, 0], [1.0, -1.0]) + TwoBody([0, 1], [1.0, -1.0]))


__all__ = ["Energy", "TwoBody", "Model", "ising"]
