"""A light animation player for points in the plane: Gibbs chains moving over a 2-D density.

matplotlib's JavaScript player stores every frame as an image, so a 300-frame animation weighs
megabytes. :func:`scatter_player` stores the points instead (integers on a 1000 x 1000 grid of the
plotting box) and draws them on a ``<canvas>`` in the browser: a few kilobytes per hundred frames of
one chain, self-contained, nothing fetched from the internet. It works in the rendered book and in
Jupyter (where the notebook is trusted).

Three ways to show ``frames`` of shape ``(T, N, 2)`` (T steps of N chains):

* ``"points"``: the N chains' current states at step t;
* ``"trace"``: every state visited up to step t stays on the canvas (the persistent trace);
* ``"trail"``: the current states, each with a line through its last ``trail`` steps.
"""

from __future__ import annotations

import json
import math
import uuid
from typing import Sequence

import torch

MODES = ("points", "trace", "trail")
GRID = 1000

_SCRIPT = r"""
<script>
(function () {
  var root = document.getElementById('%(id)s');
  var spec = %(spec)s;
  var canvas = root.querySelector('canvas'), ctx = canvas.getContext('2d');
  var slider = root.querySelector('input'), label = root.querySelector('.ardemo-player-label');
  var buttons = root.querySelectorAll('button');
  var S = canvas.width, G = spec.grid, T = spec.steps, N = spec.chains, t = 0, timer = null;
  var L = spec.margin, B = spec.margin, P = S - L - 6;  // the plotting box: left and bottom margins for the axes
  function px(v) { return L + v / G * P; }
  function py(v) { return S - B - v / G * P; }
  function axes() {
    ctx.strokeStyle = '#999999'; ctx.lineWidth = 1; ctx.strokeRect(L + 0.5, S - B - P + 0.5, P - 1, P - 1);
    ctx.fillStyle = '#444444'; ctx.font = '10px sans-serif';
    ctx.textAlign = 'center'; ctx.textBaseline = 'top';
    spec.xticks.forEach(function (tk) { var x = px(tk[0]); ctx.beginPath(); ctx.moveTo(x, S - B); ctx.lineTo(x, S - B + 4); ctx.stroke(); ctx.fillText(tk[1], x, S - B + 5); });
    ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
    spec.yticks.forEach(function (tk) { var y = py(tk[0]); ctx.beginPath(); ctx.moveTo(L, y); ctx.lineTo(L - 4, y); ctx.stroke(); ctx.fillText(tk[1], L - 6, y); });
    ctx.textAlign = 'center'; ctx.textBaseline = 'bottom'; ctx.fillText(spec.xlabel, L + P / 2, S);
    ctx.save(); ctx.translate(10, S - B - P / 2); ctx.rotate(-Math.PI / 2); ctx.textBaseline = 'middle';
    ctx.fillText(spec.ylabel, 0, 0); ctx.restore();
  }
  function at(step, chain) { var k = 2 * (step * N + chain); return [spec.xy[k], spec.xy[k + 1]]; }
  function dots(points, color, r) {
    ctx.fillStyle = color;
    for (var i = 0; i < points.length; i += 2) {
      if (points[i] < 0) { continue; }  // outside the box: not drawn, counted in the label
      ctx.beginPath(); ctx.arc(px(points[i]), py(points[i + 1]), r, 0, 2 * Math.PI); ctx.fill();
    }
  }
  function draw() {
    ctx.fillStyle = '#ffffff'; ctx.fillRect(0, 0, S, S);
    axes();
    dots(spec.background, '#c8c8c8', spec.radius);
    var from = spec.mode === 'trace' ? 0 : t;
    if (spec.mode === 'trail') {
      ctx.strokeStyle = spec.color; ctx.lineWidth = 1;
      for (var c = 0; c < N; c++) {
        ctx.beginPath();
        var pen = false;
        for (var s = Math.max(0, t - spec.trail); s <= t; s++) {
          var p = at(s, c);
          if (p[0] < 0) { pen = false; continue; }
          if (!pen) { ctx.moveTo(px(p[0]), py(p[1])); pen = true; } else { ctx.lineTo(px(p[0]), py(p[1])); }
        }
        ctx.stroke();
      }
    }
    for (var s2 = from; s2 <= t; s2++) {
      var pts = spec.xy.slice(2 * s2 * N, 2 * (s2 + 1) * N);
      dots(pts, s2 === t ? spec.color : spec.faded, s2 === t ? spec.head : spec.radius);
    }
    var out = spec.outside[t];
    label.textContent = spec.title.replace('{t}', String(t + 1)).replace('{T}', String(T))
      + (out > 0 ? ' (' + out + ' of ' + N + ' outside the box, not drawn)' : '');
    slider.value = t;
  }
  function stop() { if (timer) { clearInterval(timer); timer = null; } buttons[1].textContent = '\u25B6'; }
  function play() {
    if (timer) { stop(); return; }
    if (t >= T - 1) { t = 0; }
    buttons[1].textContent = '\u23F8';
    timer = setInterval(function () { if (t >= T - 1) { stop(); return; } t += 1; draw(); }, spec.interval);
  }
  buttons[0].onclick = function () { stop(); t = Math.max(0, t - 1); draw(); };
  buttons[1].onclick = play;
  buttons[2].onclick = function () { stop(); t = Math.min(T - 1, t + 1); draw(); };
  slider.oninput = function () { stop(); t = parseInt(slider.value, 10); draw(); };
  draw();
  root.setAttribute('data-ready', '1');
})();
</script>
"""


def _to_grid(points: torch.Tensor, extent: Sequence[float]) -> list[int]:
    """Points as integers on the :data:`GRID` of the box; a point outside the box becomes ``-1, -1``
    (the player skips it and counts it) rather than being moved silently to the edge."""
    x0, x1, y0, y1 = (float(v) for v in extent)
    scaled = torch.stack([(points[..., 0] - x0) / (x1 - x0), (points[..., 1] - y0) / (y1 - y0)], -1)
    inside = ((scaled >= 0) & (scaled <= 1)).all(-1, keepdim=True)
    grid = torch.where(inside, (scaled * GRID).round(), torch.full_like(scaled, -1.0))
    return grid.to(torch.int64).flatten().tolist()


def _outside(points: torch.Tensor, extent: Sequence[float]) -> list[int]:
    """Per step, how many of the chains lie outside the box ``extent``."""
    x0, x1, y0, y1 = (float(v) for v in extent)
    x, y = points[..., 0], points[..., 1]
    return (~((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))).sum(-1).tolist()


def _ticks(lo: float, hi: float) -> list[list]:
    """About five round tick values in ``[lo, hi]``, as ``[grid position, label]`` pairs."""
    raw = (hi - lo) / 5
    step = min((m * 10 ** math.floor(math.log10(raw)) for m in (1, 2, 5, 10)), key=lambda v: abs(v - raw))
    first = math.ceil(lo / step - 1e-9)
    values = [k * step for k in range(first, math.floor(hi / step + 1e-9) + 1)]
    return [[round((v - lo) / (hi - lo) * GRID), f"{v:g}"] for v in values]


def scatter_player(
    frames: torch.Tensor,
    *,
    background: torch.Tensor | None = None,
    extent: Sequence[float] = (-1.6, 1.6, -1.6, 1.6),
    mode: str = "points",
    trail: int = 10,
    title: str = "step {t} of {T}",
    size: int = 320,
    interval_ms: int = 80,
    color: str = "#d62728",
    labels: tuple[str, str] = ("x₁", "x₂"),
) -> str:
    """HTML (a ``<canvas>`` and a short script) that animates ``frames`` of shape ``(T, N, 2)``.

    ``background`` (shape ``(M, 2)``, e.g. the data) is drawn in grey under every frame; ``extent``
    is the box ``(x_min, x_max, y_min, y_max)`` shown; ``mode`` is one of :data:`MODES`; ``title`` may
    use ``{t}`` and ``{T}``; ``labels`` name the two axes, drawn with round ticks. Points outside the
    box are not drawn, and the title says how many there are at each step. Display it with
    ``IPython.display.HTML``.

    >>> html = scatter_player(torch.zeros(3, 2, 2), mode="trace")
    >>> "<canvas" in html and "http" not in html
    True
    >>> scatter_player(torch.zeros(3, 2), mode="points")
    Traceback (most recent call last):
    ...
    ValueError: frames: expected a tensor of shape (steps, chains, 2), got shape (3, 2)
    """
    if not isinstance(frames, torch.Tensor):
        raise TypeError(f"frames: expected a torch.Tensor of shape (steps, chains, 2), got {type(frames).__name__}")
    if frames.dim() != 3 or frames.shape[-1] != 2 or frames.shape[0] < 1 or frames.shape[1] < 1:
        raise ValueError(f"frames: expected a tensor of shape (steps, chains, 2), got shape {tuple(frames.shape)}")
    if mode not in MODES:
        raise ValueError(f"mode: expected one of {MODES}, got {mode!r}")
    if len(extent) != 4 or not (extent[0] < extent[1] and extent[2] < extent[3]):
        raise ValueError(f"extent: expected (x_min, x_max, y_min, y_max) with min < max, got {tuple(extent)}")
    if background is not None and (background.dim() != 2 or background.shape[-1] != 2):
        raise ValueError(f"background: expected a tensor of shape (points, 2), got shape {tuple(background.shape)}")
    frames = frames.detach().to("cpu", torch.float64)
    spec = {
        "grid": GRID,
        "steps": frames.shape[0],
        "chains": frames.shape[1],
        "xy": _to_grid(frames, extent),
        "outside": _outside(frames, extent),
        "xticks": _ticks(extent[0], extent[1]),
        "yticks": _ticks(extent[2], extent[3]),
        "xlabel": labels[0],
        "ylabel": labels[1],
        "margin": 30,
        "background": [] if background is None else _to_grid(background.detach().to("cpu", torch.float64), extent),
        "mode": mode,
        "trail": int(trail),
        "title": title,
        "interval": int(interval_ms),
        "color": color,
        "faded": "#e89a9b" if mode == "trace" else color,
        "radius": 1.6,
        "head": 4.0 if frames.shape[1] == 1 else 2.0,
    }
    ident = f"ardemo-player-{uuid.uuid4().hex[:12]}"
    controls = (
        '<div class="ardemo-player-controls" style="display:flex;gap:6px;align-items:center;font-size:13px">'
        '<button type="button" title="step back">&#9664;&#9664;</button>'
        '<button type="button" title="play / pause">&#9654;</button>'
        '<button type="button" title="step forward">&#9654;&#9654;</button>'
        f'<input type="range" min="0" max="{frames.shape[0] - 1}" value="0" style="width:{size - 150}px">'
        "</div>"
    )
    body = (
        f'<div class="ardemo-player" id="{ident}" style="width:{size}px">'
        f'<div class="ardemo-player-label" style="font-size:13px;text-align:center"></div>'
        f'<canvas width="{size}" height="{size}" style="width:{size}px;height:{size}px"></canvas>'
        f"{controls}</div>"
    )
    return body + _SCRIPT % {"id": ident, "spec": json.dumps(spec, separators=(",", ":"))}
