"""Self-checks for lab exercises: compare a student's function with the library's reference on
random inputs, and say in plain words what is wrong (not written yet, wrong shape, wrong values)."""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import torch

from ..models.rbm import GaussianBernoulliRBM


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


def _close(got, expected, rtol: float, atol: float) -> bool:
    got, expected = _as_tuple(got), _as_tuple(expected)
    return len(got) == len(expected) and all(
        isinstance(g, torch.Tensor) and g.shape == e.shape and bool(torch.allclose(g.detach(), e, rtol=rtol, atol=atol))
        for g, e in zip(got, expected)
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
    mistakes: Mapping[str, Callable] | None = None,
) -> None:
    """Shapes first, then values, of ``student(*inputs)`` against ``reference(*inputs)``.

    ``mistakes`` maps an explanation to a function that makes a known mistake (a wrong sign, a missing
    sigmoid): when the student's values match one, the failure gives that explanation.
    """
    got = call_student(name, student, *inputs)
    check_shapes(name, got, shapes, meaning)
    with torch.no_grad():
        expected = reference(*inputs)
        if not _close(got, expected, rtol, atol):
            for explanation, mistake in (mistakes or {}).items():
                if _close(got, mistake(*inputs), rtol, atol):
                    raise AssertionError(f"{name}: {explanation}")
    check_values(name, got, expected, rtol=rtol, atol=atol, hint=hint)


def check_gibbs_sweeps(name: str, before: torch.Tensor, after: torch.Tensor, rbm, sigmas: float = 6.0) -> None:
    r"""Require ``after[i]`` to be one Gibbs sweep of ``rbm`` (a Gaussian-Bernoulli RBM) from ``before[i]``.

    One sweep :math:`x \to z \sim p(z\mid x) \to x' \sim p(x'\mid z)` has the exact moments
    :math:`\mathbb{E}[x'\mid x] = b + Wp` and :math:`\mathrm{Var}[x'_i\mid x] = \sigma_i^2 + \sum_j W_{ij}^2 p_j(1-p_j)`,
    :math:`p = p(z = 1\mid x)`. The residuals standardised by them must have mean 0 and mean square 1,
    each within ``sigmas`` standard errors computed from the residuals themselves; the failure says
    which way they are off (no movement, means instead of samples, the variance used as a standard
    deviation).
    """
    if not isinstance(after, torch.Tensor) or after.shape != before.shape:
        shape = tuple(after.shape) if isinstance(after, torch.Tensor) else type(after).__name__
        raise AssertionError(f"{name}: expected states of shape {tuple(before.shape)} = (chains, V), got {shape}.")
    after = after.detach().to(before.dtype)
    if not bool(torch.isfinite(after).all()):
        raise AssertionError(f"{name}: some states are NaN or infinite (not filled in, or a division by zero).")
    if bool((after == before).all()):
        raise AssertionError(f"{name}: the chains did not move: the new states equal the old ones.")
    with torch.no_grad():
        p = torch.sigmoid(GaussianBernoulliRBM.hidden_logits(rbm, before))
        mean = rbm.b + p @ rbm.W.T
        var = rbm.sigma2 + (p * (1 - p)) @ (rbm.W**2).T
        r = ((after - mean) / var.sqrt()).flatten().double()
    n = r.numel()
    shift, shift_se = r.mean().item(), r.std().item() / n**0.5
    square, square_se = (r**2).mean().item(), (r**2).std().item() / n**0.5
    if abs(shift) > sigmas * shift_se:
        raise AssertionError(
            f"{name}: the new states are off-centre ({shift:+.3f} standard deviations on average). Draw z from "
            "p(z | x) of the current states, then x from p(x | z), and keep the result as the new state."
        )
    if square < 1 - sigmas * square_se:
        raise AssertionError(
            f"{name}: the new states spread too little (variance {square:.2f} of the expected). Return samples, "
            "not means or probabilities: draw z with torch.bernoulli, and x with the standard deviation "
            "sigma2.sqrt() (not the variance)."
        )
    if square > 1 + sigmas * square_se:
        raise AssertionError(
            f"{name}: the new states spread too much (variance {square:.2f} of the expected). Is the noise "
            "scaled by the standard deviation sigma2.sqrt(), and is each state one sweep, not several?"
        )
