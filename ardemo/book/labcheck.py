"""Self-checks for lab exercises: compare a student's function with the library's reference on
random inputs, and say in plain words what is wrong (not written yet, wrong shape, wrong values)."""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Callable, Iterator, Mapping, Sequence

import torch
import torch.nn.functional as F

from ..models.rbm import GaussianBernoulliRBM


def _as_tuple(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


_INHERITED = object()  # a method that cls inherits: the patch on cls is removed afterwards


class _LibraryCalled(Exception):
    """Raised by a library method that a task forbids while the student's code runs."""


@contextmanager
def forbid_library(name: str, methods: Sequence[str], cls: type = GaussianBernoulliRBM) -> Iterator[None]:
    """While the block runs, the library's ``cls.<method>`` for each of ``methods`` fails the task
    named ``name`` with a message saying the student must write it: a student's class that calls
    ``super().p_z_given_x(x)`` or ``-self.free_energy(x)``, or a loop that calls ``sample_chains``,
    inherits the library's answer instead of writing one. The call is recorded even if the student's
    code catches the exception.
    """
    called: list[str] = []
    missing = sorted(m for m in methods if not callable(getattr(cls, m, None)))
    if missing:
        raise ValueError(f"methods: {cls.__name__} has no {missing}")
    saved = {m: cls.__dict__.get(m, _INHERITED) for m in methods}  # patched on cls, inherited ones too

    def stub(method: str) -> Callable:
        def forbidden(*args, **kwargs):
            called.append(method)
            raise _LibraryCalled(method)

        return forbidden

    for method in saved:
        setattr(cls, method, stub(method))
    try:
        yield
    except _LibraryCalled:
        pass  # reported below
    finally:
        for method, original in saved.items():
            if original is _INHERITED:
                delattr(cls, method)
            else:
                setattr(cls, method, original)
    if called:
        raise AssertionError(
            f"{name}: your code calls the library's {cls.__name__}.{called[0]}, which computes this task's answer "
            "for you; write it yourself from the formulas above. This task scores no points until it does."
        )


_SHAPE_ERRORS = ("cannot be multiplied", "must match the size", "size of tensor", "shape", "dimension")


def call_student(name: str, fn: Callable, *inputs):
    """Call ``fn``; a TODO left in place (``NotImplementedError``) becomes a clear failure, and an
    error raised inside torch (a missing transpose, a wrong argument) is explained in plain words."""
    try:
        return fn(*inputs)
    except NotImplementedError:
        raise AssertionError(f"{name} is not written yet: replace the TODO in its cell with your code.") from None
    except (RuntimeError, TypeError, IndexError, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if isinstance(error, ValueError) and "binary" in first:
            raise AssertionError(
                f"{name}: the library's machine was given probabilities where it takes binary samples ({first}). "
                "Draw the hidden states with torch.bernoulli(p) before using them."
            ) from None
        if isinstance(error, RuntimeError) and any(s in first for s in _SHAPE_ERRORS):
            raise AssertionError(
                f"{name}: torch could not combine the shapes of two tensors ({first}). Write down each "
                "tensor's shape: x is (batch, V), z is (batch, H), W is (V, H); a product over i is "
                "x @ W, a product over j is z @ W.T. Is a transpose (.T) missing, or one too many?"
            ) from None
        raise AssertionError(
            f"{name}: your code stopped with an error before returning ({type(error).__name__}: {first}). "
            "Check each call's arguments against the formulas above."
        ) from None


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
    forbidden: Sequence[str] = (),
) -> None:
    """Shapes first, then values, of ``student(*inputs)`` against ``reference(*inputs)``.

    ``mistakes`` maps an explanation to a function that makes a known mistake (a wrong sign, a missing
    sigmoid): when the student's values match one, the failure gives that explanation. ``forbidden``
    names library methods the student's code must not call (``forbid_library`` in this module).
    """
    with torch.no_grad():
        expected = reference(*inputs)
    with forbid_library(name, forbidden):
        got = call_student(name, student, *inputs)
    check_shapes(name, got, shapes, meaning)
    with torch.no_grad():
        if not _close(got, expected, rtol, atol):
            for explanation, mistake in (mistakes or {}).items():
                if _close(got, mistake(*inputs), rtol, atol):
                    raise AssertionError(f"{name}: {explanation}")
    check_values(name, got, expected, rtol=rtol, atol=atol, hint=hint)


def sweep_moments(
    rbm, before: torch.Tensor, sweeps: int = 1, spacing: float | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The exact mean and variance of each coordinate of the state ``sweeps`` Gibbs sweeps after
    ``before`` (shape ``(N, V)``) under ``rbm``, a Gaussian-Bernoulli RBM: each ``(N, V)``.

    One sweep :math:`x \to z \sim p(z\mid x) \to x' \sim p(x'\mid z)` has
    :math:`\mathbb{E}[x'\mid x] = b + Wp` and :math:`\mathrm{Var}[x'_i\mid x] = \sigma_i^2 + \sum_j W_{ij}^2 p_j(1-p_j)`,
    :math:`p = p(z = 1\mid x)`. For more sweeps the hidden states form a Markov chain with
    :math:`T(z, z') = \int \mathcal{N}(x; b + Wz, \sigma^2)\, p(z'\mid x)\,dx`, computed over all :math:`2^H`
    states by quadrature on a grid of the covering box at ``spacing`` (default: a sixth of the smallest
    :math:`\sigma`; two visible units, :math:`H \le 12`); the law of
    the hidden state of the last sweep is :math:`p(z\mid x_0)\,T^{k-1}`, and :math:`x_k` is its Gaussian
    mixture, whose moments follow.
    """
    with torch.no_grad():
        rbm_w, rbm_b, sigma2 = rbm.W.detach().double(), rbm.b.detach().double(), rbm.sigma2.detach().double()
        x0 = before.detach().double()
        logits = GaussianBernoulliRBM.hidden_logits(rbm, before).double()
        if sweeps == 1:
            p = torch.sigmoid(logits)
            return rbm_b + p @ rbm_w.T, sigma2 + (p * (1 - p)) @ (rbm_w**2).T
        n_visible, n_hidden = rbm_w.shape
        if n_visible != 2 or n_hidden > 12:
            raise ValueError(
                f"rbm: exact moments of several sweeps need 2 visible and at most 12 hidden units, got {tuple(rbm_w.shape)}"
            )
        states = (
            (torch.arange(2**n_hidden, device=x0.device)[:, None] >> torch.arange(n_hidden, device=x0.device)) & 1
        ).double()
        lo, hi = GaussianBernoulliRBM.covering_box(rbm)
        spacing = float(sigma2.min().sqrt()) / 6 if spacing is None else spacing
        axis = torch.arange(lo, hi + spacing, spacing, dtype=torch.float64, device=x0.device)
        grid = torch.stack(torch.meshgrid(axis, axis, indexing="xy"), -1).reshape(-1, 2)
        means = rbm_b + states @ rbm_w.T  # (2^H, V)
        log_density = (
            -((grid[None] - means[:, None]) ** 2) / (2 * sigma2) - 0.5 * torch.log(2 * math.pi * sigma2)
        ).sum(-1)
        weights = log_density.exp() * spacing**2  # (2^H, grid): N(x_g; b + Wz, sigma^2) dx
        grid_logits = GaussianBernoulliRBM.hidden_logits(rbm, grid.to(rbm.W.dtype)).double()
        log_pz = states @ F.logsigmoid(grid_logits).T + (1 - states) @ F.logsigmoid(-grid_logits).T  # (2^H, grid)
        transition = weights @ log_pz.exp().T  # (2^H, 2^H)
        transition = transition / transition.sum(1, keepdim=True)  # the grid's rounding, below 1e-6 here
        law = (states @ F.logsigmoid(logits).T + (1 - states) @ F.logsigmoid(-logits).T).exp().T  # (N, 2^H)
        for _ in range(sweeps - 1):
            law = law @ transition
        shift = states @ rbm_w.T  # (2^H, V): W z
        mean = law @ shift
        return rbm_b + mean, sigma2 + law @ shift**2 - mean**2


def check_gibbs_sweeps(
    name: str, before: torch.Tensor, after: torch.Tensor, rbm, sigmas: float = 6.0, sweeps: int = 1
) -> None:
    r"""Require ``after[i]`` to be ``sweeps`` Gibbs sweeps of ``rbm`` (a Gaussian-Bernoulli RBM) from ``before[i]``.

    The residuals standardised by the exact moments of :func:`sweep_moments` must have mean 0 and mean
    square 1, each within ``sigmas`` standard errors computed from the residuals themselves. This judges
    the samples' law, not how they were computed: a correct sampler passes whatever helpers it calls.
    The failure says which way they are off (no movement, means instead of samples, the variance used
    as a standard deviation, too few or too many sweeps).
    """
    if not isinstance(after, torch.Tensor) or after.shape != before.shape:
        shape = tuple(after.shape) if isinstance(after, torch.Tensor) else type(after).__name__
        raise AssertionError(f"{name}: expected states of shape {tuple(before.shape)} = (chains, V), got {shape}.")
    after = after.detach().to(before.dtype)
    if not bool(torch.isfinite(after).all()):
        raise AssertionError(f"{name}: some states are NaN or infinite (not filled in, or a division by zero).")
    if bool((after == before).all()):
        raise AssertionError(f"{name}: the chains did not move: the new states equal the old ones.")
    mean, var = sweep_moments(rbm, before, sweeps)
    r = ((after.double() - mean) / var.sqrt()).flatten()
    n = r.numel()
    shift, shift_se = r.mean().item(), r.std().item() / n**0.5
    square, square_se = (r**2).mean().item(), (r**2).std().item() / n**0.5
    many = f" Take exactly {sweeps} sweeps per update." if sweeps > 1 else ""
    if abs(shift) > sigmas * shift_se:
        raise AssertionError(
            f"{name}: the new states are off-centre ({shift:+.3f} standard deviations on average). Draw z from "
            "p(z | x) of the current states, then x from p(x | z), and keep the result as the new state." + many
        )
    if square < 1 - sigmas * square_se:
        raise AssertionError(
            f"{name}: the new states spread too little (variance {square:.2f} of the expected). Return samples, "
            "not means or probabilities: draw z with torch.bernoulli, and x with the standard deviation "
            "sigma2.sqrt() (not the variance)." + many
        )
    if square > 1 + sigmas * square_se:
        raise AssertionError(
            f"{name}: the new states spread too much (variance {square:.2f} of the expected). Is the noise "
            "scaled by the standard deviation sigma2.sqrt(), and is each state the right number of sweeps?" + many
        )
