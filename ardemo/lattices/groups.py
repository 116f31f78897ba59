"""Finite groups for lattice configurations: each site holds a group element (an integer index).

The Ising model is the case :math:`\\mathbb{Z}_2 = S_2`: element 0 is the identity (spin up),
element 1 the flip. A two-body energy depends on the *relative* element :math:`g_r^{-1} g_{r'}`.
"""

from __future__ import annotations

import itertools

import torch

from ..core.validation import check_int, validate_args_default


class SymmetricGroup:
    """The symmetric group :math:`S_n` of the ``n!`` permutations of ``n`` objects.

    Elements are numbered ``0 .. n!-1`` in lexicographic order of the permutations, so 0 is the
    identity. ``mul(a, b)`` is the composition :math:`a \\circ b` (apply ``b`` first), elementwise over
    integer tensors; ``inv(a)`` the inverse.

    >>> g = SymmetricGroup(3)
    >>> g.order, g.mul(torch.tensor(4), g.inv(torch.tensor(4)))
    (6, tensor(0))
    """

    def __init__(self, n: int) -> None:
        self.n = check_int("n", n, minimum=2, maximum=5)
        perms = list(itertools.permutations(range(self.n)))
        index = {p: i for i, p in enumerate(perms)}
        self.elements = torch.tensor(perms)
        self.order = len(perms)
        self._cache: dict = {}
        self._mul = torch.tensor([[index[tuple(a[b[k]] for k in range(self.n))] for b in perms] for a in perms])
        self._inv = torch.tensor([index[tuple(sorted(range(self.n), key=lambda k: a[k]))] for a in perms])

    def __repr__(self) -> str:
        return f"SymmetricGroup({self.n})"

    def check(self, name: str, x: object) -> torch.Tensor:
        """Require an integer tensor with entries in ``0 .. order-1`` (the entries only while validation is
        on, see :func:`ardemo.set_validate_args`)."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name}: expected a torch.Tensor of group elements, got {type(x).__name__}")
        if x.is_floating_point() or x.is_complex() or x.dtype == torch.bool:
            raise TypeError(f"{name}: expected an integer tensor of group elements, got dtype {x.dtype}")
        if validate_args_default() and x.numel() and (int(x.min()) < 0 or int(x.max()) >= self.order):
            bad = x[(x < 0) | (x >= self.order)].flatten()[0].item()
            raise ValueError(f"{name}: expected elements of {self} in 0..{self.order - 1}, found {bad}")
        return x

    def _table(self, table: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        key = (id(table), like.device)
        if key not in self._cache:
            self._cache[key] = table.to(like.device)
        return self._cache[key]

    def mul(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Elementwise product :math:`a \\circ b`."""
        a, b = self.check("a", a), self.check("b", b)
        return self._product(a, b)

    def _product(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """:meth:`mul` without checks (callers that checked their configurations already)."""
        return self._table(self._mul, a)[a.long(), b.long()]

    def inv(self, a: torch.Tensor) -> torch.Tensor:
        """Elementwise inverse :math:`a^{-1}`."""
        a = self.check("a", a)
        return self._inverse(a)

    def _inverse(self, a: torch.Tensor) -> torch.Tensor:
        """:meth:`inv` without checks."""
        return self._table(self._inv, a)[a.long()]

    def __call__(self, g: torch.Tensor, values: torch.Tensor | list[float]) -> torch.Tensor:
        """Evaluate the function ``values`` (one number per element) at the elements ``g``."""
        values = torch.as_tensor(values, device=g.device)
        if not values.is_floating_point():
            values = values.to(torch.get_default_dtype())
        if values.shape != (self.order,):
            raise ValueError(
                f"values: expected {self.order} numbers, one per element of {self}, got shape {tuple(values.shape)}"
            )
        return values[g.long()]
