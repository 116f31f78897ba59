"""Serve MathJax from the book itself, so the math renders offline (classroom laptops).

``make book`` unpacks MathJax 3's ``tex-chtml.js`` and its fonts into
``build/mathjax-static/mathjax/`` (from the npm registry; ``$ARDEMO_MATHJAX_STATIC`` may name
another folder). When that folder exists it is added to the static files and used;
otherwise Sphinx keeps loading MathJax from its CDN.
"""

from __future__ import annotations

import os
from pathlib import Path

STATIC = Path(os.environ.get("ARDEMO_MATHJAX_STATIC", Path(__file__).resolve().parents[2] / "build" / "mathjax-static"))


def _use_local(app, config) -> None:
    if (STATIC / "mathjax" / "tex-chtml.js").is_file():
        config.html_static_path = [*config.html_static_path, str(STATIC)]
        config.mathjax_path = "mathjax/tex-chtml.js"


def setup(app):
    app.connect("config-inited", _use_local)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
