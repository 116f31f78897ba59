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
def validation(value: bool) -> Iterator[None]:
    """Set the library-wide validation to ``value`` inside a ``with`` block and restore it after. A model
    with its own ``validate_args`` runs its parts (inner models, group checks) inside this block, so
    that they follow the model's setting unless they were given their own.

    >>> with validation(False):
    ...     validate_args_default()
    False
    """
    global _VALIDATE_ARGS
    check_bool("value", value)
    previous, _VALIDATE_ARGS = _VALIDATE_ARGS, value
    try:
        yield
    finally:
        _VALIDATE_ARGS = previous


def no_validation() -> contextlib.AbstractContextManager[None]:
    """Turn the library-wide validation off inside a ``with`` block (a hot loop over inputs that were
    checked once before it), and restore the previous setting after.

    >>> with no_validation():
    ...     validate_args_default()
    False
    >>> validate_args_default()
    True
    """
    return validation(False)


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


def check_positive(name: str, value: object) -> float | torch.Tensor:
    """A number > 0 as a ``float``, or a floating tensor of entries > 0 kept as it is (with its gradient; a
    temperature that is learned). The tensor's entries are read only while validation is on.

    >>> check_positive("temperature", torch.tensor(0.5, requires_grad=True))
    tensor(0.5000, requires_grad=True)
    """
    if not isinstance(value, torch.Tensor):
        return check_positive_float(name, value)
    check_tensor(name, value)
    if validate_args_default() and not bool(((value > 0) & torch.isfinite(value)).all()):
        raise ValueError(f"{name}: expected finite values > 0, got {value.detach().flatten()[:4].tolist()}")
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


def check_real(
    name: str,
    value: object,
    minimum: float | None = None,
    maximum: float | None = None,
    strict: bool = False,
) -> float:
    """Return ``value`` as a finite ``float`` within ``[minimum, maximum]`` (open ends when ``strict``).

    >>> check_real("eta", 0.5, minimum=0.0)
    0.5
    >>> check_real("eta", float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: eta: expected a finite number, got nan
    """
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.requires_grad:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {_kind(value)} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {value}")
    low = minimum is not None and (value <= minimum if strict else value < minimum)
    high = maximum is not None and (value >= maximum if strict else value > maximum)
    if low or high:
        lo = "-inf" if minimum is None else f"{minimum:g}"
        hi = "inf" if maximum is None else f"{maximum:g}"
        brackets = ("(", ")") if strict else ("[", "]")
        raise ValueError(f"{name}: expected a number in {brackets[0]}{lo}, {hi}{brackets[1]}, got {value:g}")
    return value


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` if it is ``True`` or ``False`` (not 1, not ``"yes"``)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name}: expected True or False, got {_kind(value)} {value!r}")
    return value


def check_callable(name: str, value: object) -> object:
    """Return ``value`` if it can be called."""
    if not callable(value):
        raise TypeError(f"{name}: expected a function, got {_kind(value)}")
    return value


def check_float_dtype(name: str, dtype: object) -> torch.dtype:
    """Return ``dtype`` if it is a floating-point ``torch.dtype`` (an integer dtype would truncate)."""
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"{name}: expected a floating-point torch.dtype such as torch.float64, got {dtype!r}")
    return dtype


def check_finite(name: str, value: torch.Tensor) -> torch.Tensor:
    """Require every entry to be finite (no NaN, no infinity)."""
    if value.is_floating_point() and not bool(torch.isfinite(value).all()):
        raise ValueError(f"{name}: expected finite values, found NaN or infinity")
    return value


def check_open_unit(name: str, value: torch.Tensor) -> torch.Tensor:
    """Require every entry to lie strictly inside (0, 1), where logs of ``u`` and ``1 - u`` are finite."""
    bad = ~((value > 0) & (value < 1))
    if bool(bad.any()):
        raise ValueError(f"{name}: expected values strictly between 0 and 1, found {value[bad].flatten()[0].item()!r}")
    return value


def check_same_shape(name: str, value: torch.Tensor, like_name: str, like: torch.Tensor) -> torch.Tensor:
    """Require ``value`` to have the shape of ``like``."""
    if value.shape != like.shape:
        raise ValueError(f"{name}: expected the shape of {like_name}, {tuple(like.shape)}, got {tuple(value.shape)}")
    return value


def check_shape_arg(name: str, shape: object) -> torch.Size:
    """Return ``shape`` (an int or a sequence of ints >= 0) as a ``torch.Size``."""
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list, torch.Size)) or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in shape
    ):
        raise TypeError(f"{name}: expected an int or a tuple of ints, got {shape!r}")
    if any(s < 0 for s in shape):
        raise ValueError(f"{name}: expected sizes >= 0, got {tuple(shape)}")
    return torch.Size(int(s) for s in shape)
