"""Argument checks shared by the library: each names the argument, what was expected and what came.

Checks of *values* (binary entries, finiteness) read the tensor, which on a GPU waits for it to be
computed. Models run them only while validation is on: :func:`set_validate_args` switches it for the
whole library (like ``torch.distributions.Distribution.set_default_validate_args``), and a model's
``validate_args`` argument overrides that for one model.

>>> check_int("steps", 3, minimum=1)
3
>>> check_int("steps", 0, minimum=1)
Traceback (most recent call last):
...
ValueError: steps: expected an integer >= 1, got 0
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Iterator

import torch

_VALIDATE_ARGS = True


def set_validate_args(value: bool) -> None:
    """Switch argument validation on (the default) or off for every model that was not given its own
    ``validate_args``; off removes the value checks (and their device synchronisation) from hot loops.

    >>> set_validate_args(False); validate_args_default()
    False
    >>> set_validate_args(True)
    """
    global _VALIDATE_ARGS
    if not isinstance(value, bool):
        raise TypeError(f"value: expected True or False, got {type(value).__name__}")
    _VALIDATE_ARGS = value


@contextlib.contextmanager
def no_validation() -> Iterator[None]:
    """Turn the library-wide validation off inside a ``with`` block (a hot loop over inputs that were
    checked once before it), and restore the previous setting after.

    >>> with no_validation():
    ...     validate_args_default()
    False
    >>> validate_args_default()
    True
    """
    global _VALIDATE_ARGS
    previous, _VALIDATE_ARGS = _VALIDATE_ARGS, False
    try:
        yield
    finally:
        _VALIDATE_ARGS = previous


def validate_args_default() -> bool:
    """Whether models validate their arguments unless told otherwise (see :func:`set_validate_args`).

    >>> validate_args_default()
    True
    """
    return _VALIDATE_ARGS


def _kind(value: object) -> str:
    return type(value).__name__


def check_int(name: str, value: object, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an ``int`` if it is an integer within ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an integer, got {_kind(value)} {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name}: expected an integer <= {maximum}, got {value}")
    return value


def check_positive_float(name: str, value: object) -> float:
    """Return ``value`` as a ``float`` if it is a finite real number > 0."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a positive number, got {_kind(value)} {value!r}")
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name}: expected a finite number > 0, got {value}")
    return value


def check_tensor(name: str, value: object) -> torch.Tensor:
    """Return ``value`` if it is a floating-point tensor."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {_kind(value)}")
    if not value.is_floating_point():
        raise TypeError(f"{name}: expected a floating-point tensor, got dtype {value.dtype}")
    return value


def check_last_dim(name: str, value: torch.Tensor, size: int, what: str = "features") -> torch.Tensor:
    """Require shape ``(..., size)``."""
    if value.dim() == 0 or value.shape[-1] != size:
        raise ValueError(f"{name}: expected shape (..., {size}) with {size} {what}, got shape {tuple(value.shape)}")
    return value


def check_binary(name: str, value: torch.Tensor) -> torch.Tensor:
    """Require every entry to be exactly 0 or 1."""
    bad = (value != 0) & (value != 1)
    if bool(bad.any()):
        example = value[bad].flatten()[0].item()
        raise ValueError(f"{name}: expected binary values in {{0, 1}}, found {example!r}")
    return value
