"""Lattices and graphs: periodic lattices and their autoregressive orders, causal graphs, symmetric
groups, two-body energies and the :class:`Model` that ties them together, and drawings of them."""

from .drawing import draw_causal_graph, site_depths
from .energy import Energy, Model, TwoBody, ising
from .graph import Graph
from .groups import SymmetricGroup
from .lattice import FlatLattice, Lattice, TreeLattice

__all__ = [
    "Energy",
    "FlatLattice",
    "Graph",
    "Lattice",
    "Model",
    "SymmetricGroup",
    "TreeLattice",
    "TwoBody",
    "draw_causal_graph",
    "ising",
    "site_depths",
]
