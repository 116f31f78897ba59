"""Write each page's scripts once.

Under Jupyter Book 1.x, sphinx-thebe adds its inline setup script (``const THEBE_JS_URL = ...``) to
every page twice, and the browser logs a ``SyntaxError`` for the second ``const`` on every page. At
``html-page-context`` this drops any script whose file and attributes (an inline script's ``body``
among them) repeat an earlier one, keeping the first.
"""

from __future__ import annotations


def _key(script) -> tuple[str, str]:
    """The file and the attributes; not the priority, nor None against "" for an inline script."""
    attributes = getattr(script, "attributes", {}) or {}
    filename = getattr(script, "filename", script) or ""  # an inline script's is None or ""
    return str(filename), repr(sorted((str(k), str(v)) for k, v in attributes.items()))


def _drop_repeats(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            kept.append(script)
    scripts[:] = kept


def setup(app):
    app.connect("html-page-context", _drop_repeats, priority=100)  # first: the event stops at a handler that returns a template
    return {"parallel_read_safe": True, "parallel_write_safe": True}
