"""Count the host reads a piece of code makes: every place where Python asks a tensor for a value.

On a GPU, ``t.item()``, ``bool(t)``, ``int(t)``, ``float(t)`` and ``t.tolist()`` wait until the
device has computed ``t`` and copy it to the host; inside a training step each one stalls the queue of
kernels. :func:`count_host_reads` patches these five methods of :class:`torch.Tensor` for the length of
a ``with`` block and records every call made directly by code of the package named (ardemo's own code
by default; reads made inside torch's functions are not ours to remove).

>>> import torch
>>> with count_host_reads() as reads:
...     _ = float(torch.ones(2).sum())       # this doctest is not inside ardemo: not counted
>>> reads.total
0
>>> with count_host_reads(package=None) as reads:
...     _ = float(torch.ones(2).sum())
>>> reads.total
1
"""

from __future__ import annotations

import contextlib
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import torch

_PATCHED = ("item", "tolist", "__bool__", "__int__", "__float__")
_ARDEMO = str(Path(__file__).resolve().parents[1])
_TORCH = str(Path(torch.__file__).resolve().parent)


class HostReads(Counter):
    """A :class:`collections.Counter` of ``"file.py:line (method)"`` → number of host reads."""

    @property
    def total(self) -> int:
        """All host reads counted."""
        return sum(self.values())

    def __str__(self) -> str:
        if not self:
            return "no host reads"
        return "; ".join(f"{where}: {n}" for where, n in self.most_common())


def _caller(root: str | None) -> str | None:
    """Where the read was asked for: the frame that called the patched method (reads that torch makes
    inside its own functions, such as an optimiser's step counter, are not the caller's)."""
    frame = sys._getframe(2)
    path = frame.f_code.co_filename
    if path.startswith(_TORCH) or path == __file__:
        return None
    if root is None:
        return f"{Path(path).name}:{frame.f_lineno}"
    if path.startswith(root):
        return f"{Path(path).resolve().relative_to(Path(root).parent)}:{frame.f_lineno}"
    return None


@contextlib.contextmanager
def count_host_reads(package: str | None = "ardemo") -> Iterator[HostReads]:
    """Count the host reads made inside the block by code of ``package`` (``"ardemo"``, or ``None`` for
    any code outside torch). Yields a :class:`HostReads`, filled as the block runs."""
    if package not in (None, "ardemo"):
        raise ValueError(f"package: expected 'ardemo' or None, got {package!r}")
    root = _ARDEMO if package == "ardemo" else None
    reads = HostReads()
    originals = {name: getattr(torch.Tensor, name) for name in _PATCHED}

    def counting(name):
        original = originals[name]

        def method(self, *args, **kwargs):
            where = _caller(root)
            if where is not None:
                reads[f"{where} ({name})"] += 1
            return original(self, *args, **kwargs)

        return method

    for name in _PATCHED:
        setattr(torch.Tensor, name, counting(name))
    try:
        yield reads
    finally:
        for name, original in originals.items():
            setattr(torch.Tensor, name, original)
