"""The book's Sphinx extensions (book/_ext), called as Sphinx would call them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import notebook_download  # noqa: E402

CHAPTER = """---
jupytext:
  formats: md:myst
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A chapter

Some text.

```{code-cell} ipython3
print(1 + 1)
```
"""


def test_every_chapter_becomes_a_notebook_without_outputs_and_its_page_links_it(tmp_path):
    (tmp_path / "chapter.md").write_text(CHAPTER)
    (tmp_path / "plain.md").write_text("# Not a notebook\n")
    app = SimpleNamespace(srcdir=str(tmp_path))
    notebook_download._convert(app)
    made = sorted(p.name for p in (tmp_path / "_notebooks").iterdir())
    assert made == ["chapter.ipynb"]
    nb = json.loads((tmp_path / "_notebooks" / "chapter.ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert ["".join(c["source"]) for c in code] == ["print(1 + 1)"] and code[0]["outputs"] == []
    assert nb["metadata"]["kernelspec"]["name"] == "python3" and "jupytext" not in nb["metadata"]

    source = [CHAPTER]
    notebook_download._add_note(app, "chapter", source)
    lines = source[0].split("\n")
    title = lines.index("# A chapter")
    assert "{download}`chapter.ipynb <_notebooks/chapter.ipynb>`" in source[0]
    assert source[0].index("{download}") > source[0].index("# A chapter")  # under the title, not in front matter
    assert lines[: title + 1] == CHAPTER.split("\n")[: title + 1]
    assert "make lab" in source[0]

    other = ["# Not a notebook\n"]
    notebook_download._add_note(app, "plain", other)
    assert other == ["# Not a notebook\n"]


def test_a_script_written_twice_is_written_once():
    import single_scripts
    from sphinx.builders.html._assets import _JavaScript

    thebe = "const THEBE_JS_URL = 1;"
    scripts = [
        _JavaScript("_static/a.js"),
        _JavaScript(None, body=thebe),
        _JavaScript("_static/b.js"),
        _JavaScript(None, body=thebe, priority=800),  # the same script at another priority
        _JavaScript("", body=thebe),  # and with "" for no file
        _JavaScript(None, body=thebe),
        _JavaScript(None, body="other = 2;"),
        _JavaScript("_static/a.js"),
    ]
    context = {"script_files": scripts}
    single_scripts._drop_repeats(None, "page", "page.html", context, None)
    assert context["script_files"] is scripts  # the theme's own list, changed in place
    assert [(s.filename, s.attributes.get("body")) for s in scripts] == [
        ("_static/a.js", None),
        (None, thebe),
        ("_static/b.js", None),
        (None, "other = 2;"),
    ]
