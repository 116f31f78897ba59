from pathlib import Path

import jupytext
import nbformat
import pytest
import torch
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from ardemo import labcheck
from ardemo.book.student_edition import TODO, fill_in, make_edition, solution_regions, strip_solutions

BOOK = Path(__file__).resolve().parents[1] / "book"

SAMPLE = '''# Title

```{code-cell} ipython3
def f(x):
    """Doc."""
    # BEGIN SOLUTION
    return 2 * x
    # END SOLUTION
```

```{code-cell} ipython3
assert f(2) == 4  # a check that stays
```

````{exercise} One
:label: ex-one
Do it.
````

````{solution} ex-one
:class: dropdown
Secret.
````

```{solution-start} ex-one
:class: dropdown
```

Secret text.

```{code-cell} ipython3
secret = 1
```

```{solution-end}
```

After.
'''


def test_strip_solutions_removes_solutions_and_keeps_checks():
    student = strip_solutions(SAMPLE)
    assert (
        "Secret" not in student
        and "secret = 1" not in student
        and "solution" not in student.lower().replace(TODO.lower(), "")
    )
    assert "assert f(2) == 4" in student and "Do it." in student and "After." in student
    assert f"    # {TODO}\n" in student and "    raise NotImplementedError" in student
    assert "return 2 * x" not in student


def test_fill_in_restores_the_reference():
    answers = solution_regions(SAMPLE)
    assert answers == ["    return 2 * x\n"]
    filled = fill_in(strip_solutions(SAMPLE), answers)
    assert "return 2 * x" in filled and "NotImplementedError" not in filled


def test_unclosed_markers_are_errors():
    with pytest.raises(ValueError, match="END SOLUTION"):
        strip_solutions("```{code-cell} ipython3\n# BEGIN SOLUTION\nx = 1\n```\n")
    with pytest.raises(ValueError, match="solution-end"):
        strip_solutions("```{solution-start} ex\n```\ntext\n")


def test_lab_checks_explain_mistakes_in_plain_words():
    def todo(x):
        raise NotImplementedError

    with pytest.raises(AssertionError, match="not written yet"):
        labcheck.check_function("f", todo, lambda x: x, (torch.zeros(3),), [(3,)], ["(batch,)"])
    with pytest.raises(AssertionError, match=r"shape \(3, 1\), expected \(3,\)"):
        labcheck.check_function("f", lambda x: x[:, None], lambda x: x, (torch.zeros(3),), [(3,)], ["(batch,)"])
    with pytest.raises(AssertionError, match="wrong values.*hint here"):
        labcheck.check_function(
            "f", lambda x: x + 1, lambda x: x, (torch.zeros(3),), [(3,)], ["(batch,)"], hint="hint here"
        )
    labcheck.check_function("f", lambda x: x * 1, lambda x: x, (torch.ones(3),), [(3,)], ["(batch,)"])


def _lab_notebook(text: str, upto: str) -> nbformat.NotebookNode:
    """The notebook from MyST text, cut after the first cell containing ``upto``."""
    nb = jupytext.reads(text, fmt="md:myst")
    last = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and upto in c.source)
    nb.cells = nb.cells[: last + 1]
    return nb


def _run(nb: nbformat.NotebookNode) -> None:
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(BOOK)}}).execute()


@pytest.mark.parametrize("chapter", ["gaussian_rbm.md"])
def test_student_lab_fails_with_a_helpful_message_and_the_reference_passes(chapter):
    reference = (BOOK / chapter).read_text()
    student = strip_solutions(reference)
    upto = "model samples: the law of k sweeps"

    with pytest.raises(CellExecutionError, match="forward is not written yet"):
        _run(_lab_notebook(student, upto))

    filled = fill_in(student, solution_regions(reference))
    _run(_lab_notebook(filled, upto))  # raises if any lab check fails


def test_make_edition_writes_a_buildable_student_book(tmp_path):
    written = make_edition(BOOK, tmp_path / "book")
    names = {p.name for p in written}
    assert {"autoregressive.md", "gaussian_rbm.md", "ising_teacher_student.md"} <= names
    config = (tmp_path / "book" / "_config.yml").read_text()
    assert "hide_solutions: true" in config and "execute_notebooks: 'off'" in config
    for path in written:
        text = path.read_text()
        assert "{solution" not in text and "# BEGIN SOLUTION" not in text


def test_make_edition_never_deletes_what_it_did_not_make(tmp_path):
    """The builder used to remove its destination first: given the book, or any folder, it deleted it."""
    import shutil

    book = tmp_path / "book"
    shutil.copytree(BOOK, book, ignore=shutil.ignore_patterns("_build"))
    before = sorted(p.relative_to(book) for p in book.rglob("*"))
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep")
    for dest, fragment in [
        (book, "overlaps the book"),
        (tmp_path, "overlaps the book"),
        (book / "student", "overlaps the book"),
        (other, "was not made by make_edition"),
    ]:
        with pytest.raises(ValueError, match=fragment):
            make_edition(book, dest)
    assert sorted(p.relative_to(book) for p in book.rglob("*")) == before
    assert (other / "mine.txt").read_text() == "keep"
    dest = tmp_path / "student"
    make_edition(book, dest)
    (dest / "stale.md").write_text("from an earlier build")
    make_edition(book, dest)  # its own folder is replaced
    assert not (dest / "stale.md").exists()


@pytest.mark.parametrize("fault", ["unclosed directive", "broken link"])
def test_a_failed_edition_leaves_the_previous_one_and_no_solutions(tmp_path, fault):
    """The builder used to mark its destination first and stop half-way: an "edition" with the
    solutions still in it. Now it builds beside the destination and moves the result in only when done."""
    import shutil

    book = tmp_path / "book"
    shutil.copytree(BOOK, book, ignore=shutil.ignore_patterns("_build"))
    dest = tmp_path / "student"
    make_edition(book, dest)
    before = {p.relative_to(dest): p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    if fault == "unclosed directive":
        chapter = book / "rebar.md"
        text = chapter.read_text()
        end = text.rindex("```{solution-end}")  # the last one: that solution is never closed
        chapter.write_text(text[:end] + text[end + len("```{solution-end}\n```") :])
        expected = "rebar.md.*solution-start without solution-end"
    else:
        (book / "figure.png").symlink_to(tmp_path / "nowhere.png")
        expected = "cannot copy the book"
    with pytest.raises(ValueError, match=expected):
        make_edition(book, dest)
    after = {p.relative_to(dest): p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    assert after == before  # the previous edition, untouched
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".student")] == []  # nothing half-built left
    fresh = tmp_path / "fresh"
    with pytest.raises(ValueError):
        make_edition(book, fresh)
    assert not fresh.exists()
