"""A chapter downloaded as .ipynb runs where it lands: results files are found beside the package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

from ardemo.experiments import results as R

ROOT = Path(__file__).resolve().parents[1]


def test_results_are_found_beside_the_package_from_any_folder(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != R.ENV_RESULTS_DIR}
    code = "from ardemo.experiments import results_dir; print(results_dir())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == R.PACKAGED_RESULTS == ROOT / "book" / "data"


def test_a_downloaded_chapter_that_reads_results_files_runs_in_a_foreign_folder(tmp_path, monkeypatch):
    """The provenance chapter reads every results file; as an .ipynb in a Downloads folder outside the
    repository, with no variable pointing at the results, it executes without an error."""
    monkeypatch.delenv(R.ENV_RESULTS_DIR, raising=False)
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    notebook = jupytext.read(ROOT / "book" / "provenance.md")
    path = downloads / "provenance.ipynb"
    nbformat.write(notebook, path)
    assert not (downloads / "data").exists() and ROOT not in downloads.parents
    executed = nbformat.read(path, as_version=4)
    NotebookClient(
        executed, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(downloads)}}
    ).execute()
    outputs = [o for cell in executed.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    table = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "results files" in table and "rebar-sbn-linear-nvil.json" in table


def test_downloaded_notebooks_carry_no_myst_markup():
    """The .ipynb downloads used to show MyST's solution fences, ':class: dropdown', a raw {solution}
    block, an empty {nb-exec-table} and citations as bare keys: Jupyter shows all of them raw."""
    import re

    from ardemo.book.student_edition import bibliography, plain_notebook

    book = Path(__file__).resolve().parents[1] / "book"
    citations = bibliography((book / "references.bib").read_text())
    chapters = [p for p in sorted(book.glob("*.md")) if "\nkernelspec:" in p.read_text()[:2000]]
    assert len(chapters) >= 8
    for chapter in chapters:
        notebook = plain_notebook(chapter, citations)
        markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
        for leftover in ("{solution", "{nb-exec-table}", ":class: dropdown", "{cite}", "{exercise}", "{eq}"):
            assert leftover not in markdown, (chapter.name, leftover)
        assert not re.search(r"^`{3,}\{", markdown, re.M), (chapter.name, re.findall(r"^`{3,}\{[^\n]*", markdown, re.M))
        assert not re.search(r"\[[a-z]+\d{4}[a-z]*\]", markdown), (chapter.name, "a citation left as a bare key")
