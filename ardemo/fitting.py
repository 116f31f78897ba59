"""A plain training loop for objectives of the form ``objective(model, batch) -> scalar``."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn as nn

from ._validation import check_int, check_positive_float, check_tensor


def fit(
    model: nn.Module,
    objective: Callable[[nn.Module, torch.Tensor], torch.Tensor],
    data: torch.Tensor,
    steps: int,
    batch_size: int = 100,
    lr: float = 0.01,
    every: int = 0,
    monitor: Callable[[nn.Module], float] | None = None,
) -> list[tuple[int, float]]:
    """Minimise ``objective`` with Adam on random minibatches of the rows of ``data``.

    The parameters of ``objective`` (if it is a module, e.g. NCE's :math:`c`) are trained too.
    Every ``every`` steps (and at the end) ``monitor(model)`` is recorded; returns ``[(step, value)]``.
    """
    data = check_tensor("data", data)
    steps = check_int("steps", steps, minimum=0)
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=data.shape[0])
    lr = check_positive_float("lr", lr)
    every = check_int("every", every, minimum=0)
    params = list(model.parameters())
    if isinstance(objective, nn.Module):
        params += list(objective.parameters())
    optimiser = torch.optim.Adam(params, lr=lr)
    history = []
    for step in range(steps):
        if monitor is not None and every and step % every == 0:
            history.append((step, float(monitor(model))))
        batch = data[torch.randint(data.shape[0], (batch_size,), device=data.device)]
        optimiser.zero_grad()
        objective(model, batch).backward()
        optimiser.step()
    if monitor is not None:
        history.append((steps, float(monitor(model))))
    return history
