"""Figures the chapters share: grids of images."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import torch
from torchvision.utils import make_grid

from ..core.validation import check_int, check_tensor


def show_images(
    images: torch.Tensor,
    side: int,
    nrow: int = 16,
    title: str | None = None,
    ax: plt.Axes | None = None,
    cmap: str = "gray_r",
) -> plt.Axes:
    """A grid of square images in :math:`[0, 1]` (the rows of ``images``, each ``side`` × ``side``), ``nrow``
    per row, on ``ax`` (a new figure of a matching size when ``None``).

    >>> import matplotlib
    >>> ax = show_images(torch.eye(4).repeat(3, 1), side=2, nrow=3, title="three of each")
    >>> ax.get_title()
    'three of each'
    >>> plt.close("all")
    """
    images = check_tensor("images", images)
    side = check_int("side", side, minimum=1)
    nrow = check_int("nrow", nrow, minimum=1)
    if images.dim() != 2 or images.shape[1] != side * side:
        raise ValueError(
            f"images: expected rows of side * side = {side * side} pixels, got shape {tuple(images.shape)}"
        )
    grid = make_grid(images.detach().float().cpu().reshape(-1, 1, side, side), nrow=nrow, padding=1, pad_value=0.5)
    if ax is None:
        ax = plt.figure(figsize=(nrow * 0.45, 0.45 * math.ceil(len(images) / nrow))).gca()
    ax.imshow(grid[0].numpy(), cmap=cmap, vmin=0, vmax=1)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9)
    return ax
