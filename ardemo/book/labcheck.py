"""Self-checks for lab exercises: compare a student's function with the library's reference on
random inputs, and say in plain words what is wrong (not written yet, wrong shape, wrong values)."""

from __future__ import annotations

from typing import Callable, Sequence

import torch


def _as_tuple(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def call_student(name: str, fn: Callable, *inputs):
    """Call ``fn``; a TODO left in place (``NotImplementedError``) becomes a clear failure."""
    try:
        return fn(*inputs)
    except NotImplementedError:
        raise AssertionError(f"{name} is not written yet: replace the TODO in its cell with your code.") from None


def check_shapes(name: str, got, expected_shapes: Sequence[tuple[int, ...]], meaning: Sequence[str]) -> None:
    """Require the returned tensor(s) to have the expected shapes; ``meaning`` names each dimension."""
    got = _as_tuple(got)
    if len(got) != len(expected_shapes):
        raise AssertionError(f"{name} should return {len(expected_shapes)} tensor(s), it returned {len(got)}.")
    for k, (value, shape, what) in enumerate(zip(got, expected_shapes, meaning)):
        if not isinstance(value, torch.Tensor):
            raise AssertionError(f"{name}: output {k} should be a torch.Tensor, got {type(value).__name__}.")
        if tuple(value.shape) != tuple(shape):
            raise AssertionError(
                f"{name}: output {k} has shape {tuple(value.shape)}, expected {tuple(shape)} = {what}. "
                "Check which dimension is the batch and whether a matrix needs transposing."
            )


def check_values(name: str, got, expected, rtol: float = 1e-5, atol: float = 1e-5, hint: str = "") -> None:
    """Require the values to match the reference within tolerance, reporting the worst entry."""
    for k, (value, ref) in enumerate(zip(_as_tuple(got), _as_tuple(expected))):
        value, ref = value.detach(), ref.detach()
        if value.shape != ref.shape:
            raise AssertionError(f"{name}: output {k} has shape {tuple(value.shape)}, expected {tuple(ref.shape)}.")
        bad = ~torch.isclose(value, ref, rtol=rtol, atol=atol)
        if bool(bad.any()):
            idx = tuple(int(i) for i in bad.nonzero()[0])
            raise AssertionError(
                f"{name}: output {k} has the right shape but wrong values; at index {idx} it gives "
                f"{value[idx].item():.6g} where {ref[idx].item():.6g} is expected "
                f"({int(bad.sum())} of {bad.numel()} entries differ). {hint}".rstrip()
            )


def check_function(
    name: str,
    student: Callable,
    reference: Callable,
    inputs: Sequence,
    shapes: Sequence[tuple[int, ...]],
    meaning: Sequence[str],
    hint: str = "",
    rtol: float = 1e-5,
    atol: float = 1e-5,
) -> None:
    """Shapes first, then values, of ``student(*inputs)`` against ``reference(*inputs)``."""
    got = call_student(name, student, *inputs)
    check_shapes(name, got, shapes, meaning)
    with torch.no_grad():
        expected = reference(*inputs)
    check_values(name, got, expected, rtol=rtol, atol=atol, hint=hint)
