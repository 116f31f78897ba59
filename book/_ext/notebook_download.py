"""Offer every chapter as a Jupyter notebook (``.ipynb``) to download, from the chapter's MyST source.

At ``builder-inited`` each chapter (a ``.md`` file with a ``kernelspec``) is converted with jupytext
into ``_notebooks/`` beside the book's sources, without outputs (the reader's own run makes them) and
with the book's own markup (labels, roles, exercise directives) made plain for Jupyter.
At ``source-read`` a short note is put under the chapter's title: the download link (Sphinx's
``{download}`` role copies the file into the built site) and how to run it locally.
"""

from __future__ import annotations

from pathlib import Path

FOLDER = "_notebooks"

NOTE = """
```{{admonition}} Run this chapter yourself
:class: tip
Download it as a notebook without outputs, {{download}}`{name}.ipynb <{path}>`, and open it in
Jupyter after the README's two-line install; or, in a clone of the repository, `make lab` opens
every chapter as a notebook.
```
"""


def _chapters(srcdir: Path) -> list[Path]:
    return sorted(p for p in srcdir.glob("*.md") if "\nkernelspec:" in p.read_text()[:2000])


def _convert(app) -> None:
    import jupytext

    from ardemo.book.student_edition import bibliography, plain_notebook

    srcdir = Path(app.srcdir)
    out = srcdir / FOLDER
    out.mkdir(exist_ok=True)
    bib = srcdir / "references.bib"
    citations = bibliography(bib.read_text()) if bib.exists() else {}
    for md in _chapters(srcdir):
        # a plain notebook, not paired with the .md, without the book's own markup (Jupyter would show it raw)
        notebook = plain_notebook(md, citations)
        target = out / f"{md.stem}.ipynb"
        text = jupytext.writes(notebook, fmt="ipynb")
        if not target.exists() or target.read_text() != text:  # unchanged files keep Sphinx's cache
            target.write_text(text)


def _add_note(app, docname: str, source: list[str]) -> None:
    path = Path(app.srcdir) / FOLDER / f"{docname}.ipynb"
    if "/" in docname or not path.exists():
        return
    lines = source[0].split("\n")
    in_front_matter = lines[:1] == ["---"]
    for i, line in enumerate(lines):
        if in_front_matter:
            if i > 0 and line == "---":
                in_front_matter = False
            continue
        if line.startswith("# "):
            lines.insert(i + 1, NOTE.format(name=docname, path=f"{FOLDER}/{docname}.ipynb"))
            source[0] = "\n".join(lines)
            return


def setup(app):
    app.connect("builder-inited", _convert)
    app.connect("source-read", _add_note)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
