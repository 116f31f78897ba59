"""Teacher-student learning of the transfer-matrix fixed point :math:`p^* \\propto T p^*`.

One step of the iteration :math:`p \\mapsto Tp/Z` is learned by a student :math:`q_\\theta` from
a teacher :math:`p_t`, minimising the cross-entropy :math:`-\\sum_{x'} p_\\text{dat}(x') \\ln q_\\theta(x')`
with :math:`p_\\text{dat}(x') = \\sum_x T[x', x]\\, p_t(x) / Z`. Sampled, with
:math:`T[x', x] = p(x' \\mid x)\\, T[x]`:

.. math::

    \\mathcal{L} \\approx -\\sum_{b} \\bar T[x_b] \\ln q_\\theta(x'_b), \\quad x_b \\sim p_t,\\;
    x'_b \\sim p(x' \\mid x_b),\\; \\bar T = \\mathrm{softmax}_b(-\\beta E_h[x_b]).
"""

from __future__ import annotations

import numbers
from typing import Callable

import torch
import torch.nn as nn

from ..core.validation import check_int, check_positive_float, check_tensor, no_validation
from ..exact.transfer_matrix import IsingStrip, _check_rows, compare_rows
from .training import History, fit


def _check_strip(strip: object) -> IsingStrip:
    if not isinstance(strip, IsingStrip):
        raise TypeError(f"strip: expected an ardemo.IsingStrip, got {type(strip).__name__}")
    return strip


def _check_rows_model(name: str, model: object, strip: IsingStrip) -> nn.Module:
    """``model``: a distribution over the strip's rows (``sample``, ``log_prob``, event shape ``(width,)``)."""
    if not (callable(getattr(model, "log_prob", None)) and callable(getattr(model, "sample", None))):
        raise TypeError(f"{name}: expected a model with sample and log_prob, got {type(model).__name__}")
    event = getattr(model, "event_shape", None)
    if event is not None and tuple(event) != (strip.width,):
        raise ValueError(f"{name}: expected a model of rows of width {strip.width}, got event_shape {tuple(event)}")
    return model


def random_translations(x: torch.Tensor) -> torch.Tensor:
    """Shift each row of ``x`` cyclically by its own random offset (the strip is periodic)."""
    x = check_tensor("x", x)
    if x.dim() != 2:
        raise ValueError(f"x: expected rows of shape (n, width), got {tuple(x.shape)}")
    n, width = x.shape
    shift = torch.randint(width, (n, 1), device=x.device)
    return torch.gather(x, 1, (torch.arange(width, device=x.device) + shift) % width)


def sampled_loss(
    student: nn.Module, teacher: nn.Module, strip: IsingStrip, batch: int, translate: bool = False
) -> torch.Tensor:
    """The source's estimator: teacher samples :math:`x`, :math:`x' \\sim p(x'|x)`, weights
    :math:`\\mathrm{softmax}(-\\beta E_h[x])` over the batch, weighted NLL of :math:`x'` under the student.

    ``translate`` shifts every :math:`x'` by a random offset, an exact symmetry of :math:`p_\\text{dat}`
    when the teacher is translation invariant.
    """
    batch = check_int("batch", batch, minimum=1)
    strip = _check_strip(strip)
    _check_rows_model("student", student, strip)
    _check_rows_model("teacher", teacher, strip)
    x = teacher.sample(batch)
    x_next = strip.sample_next(x)
    if translate:
        x_next = random_translations(x_next)
    weights = torch.softmax(-strip.beta * strip.horizontal_energy(x), dim=0)
    return -(weights * student.log_prob(x_next)).sum()


def data_distribution(teacher_log_probs: torch.Tensor, strip: IsingStrip) -> torch.Tensor:
    """:math:`p_\\text{dat} = T p_t / \\sum T p_t` over all rows (float64), from :math:`\\ln p_t`."""
    _check_rows("teacher_log_probs", teacher_log_probs, _check_strip(strip).width)
    shift = teacher_log_probs.max()
    p = strip.apply((teacher_log_probs - shift).to(torch.float64).exp())
    return p / p.sum()


def exact_loss(
    student: nn.Module,
    teacher: nn.Module,
    strip: IsingStrip,
    teacher_gradient: bool = False,
    include_entropy: bool = False,
) -> torch.Tensor:
    """The same objective with every sum over rows done exactly (no sampling).

    With ``teacher_gradient`` the loss is :math:`\\mathrm{KL}(p_\\text{dat}\\|q)` differentiated through
    the teacher too (meaningful when teacher and student are one model); ``include_entropy``
    adds :math:`-H(p_\\text{dat})`, turning the cross-entropy into that KL.
    """
    strip = _check_strip(strip)
    _check_rows_model("student", student, strip)
    _check_rows_model("teacher", teacher, strip)
    x = strip.configurations(device=next(student.parameters()).device)
    log_q = student.log_prob(x)
    if teacher is student:  # one network: its log-probabilities serve as the teacher's too
        log_t = log_q if teacher_gradient else log_q.detach()
    else:
        with torch.set_grad_enabled(teacher_gradient and torch.is_grad_enabled()):
            log_t = teacher.log_prob(x)
    with torch.set_grad_enabled(teacher_gradient and torch.is_grad_enabled()):
        p_dat = data_distribution(log_t, strip).to(log_q.dtype)
    loss = -(p_dat * log_q).sum()
    if include_entropy or teacher_gradient:
        loss = loss + (p_dat * torch.log(p_dat)).sum()
    return loss


def train(
    model: nn.Module,
    loss_fn: Callable[[], torch.Tensor],
    steps: int,
    lr: float,
    strip: IsingStrip,
    target_log_probs: torch.Tensor,
    lr_end: float | None = None,
    record_every: int = 10,
) -> History:
    """:func:`~ardemo.fit` of ``loss_fn()`` with Adam for ``steps`` steps (cosine decay to ``lr_end`` if
    given), recording every ``record_every`` steps and at the end the ``loss`` and the exact comparison
    with ``target_log_probs`` (:func:`ardemo.compare_rows`)."""
    steps = check_int("steps", steps, minimum=1)
    lr = check_positive_float("lr", lr)
    record_every = check_int("record_every", record_every, minimum=1)
    strip = _check_strip(strip)
    _check_rows_model("model", model, strip)
    _check_rows("target_log_probs", target_log_probs, strip.width)
    if not callable(loss_fn):
        raise TypeError(f"loss_fn: expected a function returning the loss, got {type(loss_fn).__name__}")
    if lr_end is not None and (
        isinstance(lr_end, bool) or not isinstance(lr_end, numbers.Real) or not 0 <= lr_end <= lr
    ):
        raise ValueError(f"lr_end: expected a learning rate in [0, lr] = [0, {lr}], got {lr_end!r}")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = None if lr_end is None else torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps, eta_min=lr_end)
    x = strip.configurations(device=next(model.parameters()).device)

    def monitor() -> dict[str, float]:
        with torch.no_grad():
            return compare_rows(model.log_prob(x), target_log_probs, strip.width)

    with no_validation():  # the loss samples from the models themselves: no value checks in the loop
        return fit(
            lambda step: loss_fn(),
            optimizer,
            steps,
            scheduler=schedule,
            every=record_every,
            monitor=monitor,
            record_start=False,
        )


def exact_iteration(
    beta: float,
    width: int = 8,
    depth: int = 3,
    lr: float = 1e-2,
    steps: int = 1500,
    seed: int = 0,
    symmetric: bool = False,
    teacher_gradient: bool = False,
    generation: int | None = None,
    uniform_start: bool = False,
    record_every: int | None = None,
    device: torch.device | str | None = None,
) -> History:
    """The learned exact iteration on a ``width``-site strip at ``beta``: an
    :class:`~ardemo.AutoregressiveModel` of ``depth`` layers (Tanh; ReLU at depth 1), made with
    :func:`~ardemo.seed_all` (``seed``), taught by itself with :func:`exact_loss` and trained by
    :func:`train` for ``steps`` Adam steps, the rate decaying (cosine) from ``lr`` to ``lr / 100``.

    ``symmetric`` wraps the model in :class:`~ardemo.SpinFlipSymmetric`; ``teacher_gradient`` differentiates
    through the teacher; ``generation`` makes the teacher a frozen copy refreshed every ``generation``
    steps; ``uniform_start`` zeroes the output layer, so that :math:`q_0` is uniform (exactly flip-symmetric).
    Records every ``record_every`` steps (default: only at the end).

    >>> run = exact_iteration(0.3, width=4, depth=1, steps=20)
    >>> sorted(run[-1])[:3], run[-1]["step"]
    (['abs_magnetisation_p', 'abs_magnetisation_q', 'kl_pq'], 20)
    """
    import copy

    from ..core.runtime import seed_all
    from ..models.autoregressive import AutoregressiveModel
    from ..models.symmetry import SpinFlipSymmetric

    strip = IsingStrip(width, beta)
    steps = check_int("steps", steps, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    depth = check_int("depth", depth, minimum=1)
    record_every = steps if record_every is None else check_int("record_every", record_every, minimum=1)
    if generation is not None:
        generation = check_int("generation", generation, minimum=1)
    for name, flag in (
        ("symmetric", symmetric),
        ("teacher_gradient", teacher_gradient),
        ("uniform_start", uniform_start),
    ):
        if not isinstance(flag, bool):
            raise TypeError(f"{name}: expected True or False, got {type(flag).__name__} {flag!r}")
    target = strip.fixed_point_log_probs()
    seed_all(seed)
    net = AutoregressiveModel(width, depth=depth, nonlinearity="Tanh" if depth > 1 else "ReLU").to(device)
    if uniform_start:  # every logit 0: q uniform, <S> = 0 exactly
        with torch.no_grad():
            net.layers[-1].weight.zero_()
            net.layers[-1].bias.zero_()
    model = SpinFlipSymmetric(net) if symmetric else net
    teacher = copy.deepcopy(model) if generation is not None else model
    counter = iter(range(10**12))

    def loss() -> torch.Tensor:
        if generation is not None and next(counter) % generation == 0:
            teacher.load_state_dict(model.state_dict())
        return exact_loss(model, teacher, strip, teacher_gradient=teacher_gradient)

    return train(model, loss, steps, lr, strip, target.to(device), lr_end=lr / 100, record_every=record_every)
