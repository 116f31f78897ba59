"""Figures the chapters share: grids of images, and animations for pages read offline."""

from __future__ import annotations

import math
import re

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


_PLAYER_SYMBOLS = {
    "fa fa-minus": "&minus;",
    "fa fa-fast-backward": "&#x23EE;",
    "fa fa-step-backward": "&#x23F4;&#x2223;",
    "fa fa-play fa-flip-horizontal": "&#x25C0;",
    "fa fa-pause": "&#x23F8;",
    "fa fa-play": "&#x25B6;",
    "fa fa-step-forward": "&#x2223;&#x23F5;",
    "fa fa-fast-forward": "&#x23ED;",
    "fa fa-plus": "+",
}


def animation_html(animation: object, default_mode: str = "once", frame_format: str = "jpeg") -> str:
    """``animation`` (a :class:`matplotlib.animation.Animation`) as matplotlib's JavaScript player, made
    for a page read offline: without the Font Awesome stylesheet the player fetches from a CDN (its
    buttons show plain symbols instead) and with its frames embedded as ``frame_format`` (JPEG: a few
    times lighter than PNG for plots).

    >>> import matplotlib.pyplot as plt
    >>> from matplotlib.animation import FuncAnimation
    >>> fig, ax = plt.subplots(figsize=(1, 1), dpi=20)
    >>> html = animation_html(FuncAnimation(fig, lambda t: [], frames=2))
    >>> "http" in html, "image/jpeg" in html
    (False, True)
    """
    to_jshtml = getattr(animation, "to_jshtml", None)
    if not callable(to_jshtml):
        raise TypeError(f"animation: expected a matplotlib Animation, got {type(animation).__name__}")
    with plt.rc_context({"animation.frame_format": frame_format}):
        html = to_jshtml(default_mode=default_mode)
    html = re.sub(r'<link rel="stylesheet"\s+href="https?://[^"]*">', "", html)
    for icon, symbol in _PLAYER_SYMBOLS.items():
        html = html.replace(f'<i class="{icon}"></i>', symbol)
    return html
