"""The lab as an nbgrader assignment, graded for real: the instructor's solution, an untouched student
notebook, one with only the first task done, one that kills its kernel and one that never ends; and a
chapter's exercises as another assignment."""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
import pytest
from lab_answers import RIGHT, WRONG

from ardemo.book import grading

pytestmark = pytest.mark.grading  # nbgrader end to end: make test-grading

BOOK = Path(__file__).resolve().parents[1] / "book"
LAB = BOOK / "gaussian_rbm.md"
TASKS = {"forward": 2.0, "p_x_given_z": 1.0, "p_z_given_x": 1.0, "model_samples": 3.0, "gibbs_chains": 3.0}
EXERCISES = {"ex-rbm-sigma": 1.0, "ex-rbm-mixture": 1.0}  # the lab's exercises, whose solutions end in a check
ALL = {**TASKS, **EXERCISES}
CELL_TIMEOUT = 30
_BY_NAME = {a.name: a for a in [*WRONG, *RIGHT]}
CLASS = {  # from tests/lab_answers.py
    "borrower": [_BY_NAME["forward calls the library's free energy"], _BY_NAME["p_z_given_x calls the library's"]],
    "different": [
        _BY_NAME["forward with logaddexp"],
        _BY_NAME["CD that also computes p(z | x_k), as Hinton's guide does"],
        _BY_NAME["run_chains with copy_ and uniforms"],
    ],
    "transposer": [_BY_NAME["the mean of p(x | z) without the transpose"]],
}


def _released(chapter: Path, tmp: Path, **kw) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode, Path]:
    """The chapter released into ``tmp/course``: its source and student notebooks, and an empty folder
    for submissions."""
    released = grading.release(chapter, tmp / "course", **kw)
    source = nbformat.read(tmp / "course" / "source" / chapter.stem / f"{chapter.stem}.ipynb", as_version=4)
    (tmp / "submissions").mkdir()
    return source, nbformat.read(released, as_version=4), tmp / "submissions"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grading")
    source, student, folder = _released(LAB, tmp, timeout=CELL_TIMEOUT)
    answers = dict(enumerate(grading.solution_answers(source)))  # the seven regions, in order
    nbformat.write(grading.fill_regions(student, answers), folder / "solution.ipynb")
    nbformat.write(student, folder / "untouched.ipynb")
    nbformat.write(grading.fill_regions(student, {0: answers[0]}), folder / "first.ipynb")
    crash = grading.fill_regions(student, {0: answers[0], 1: "import os; os._exit(1)\n"})
    nbformat.write(crash, folder / "crash.ipynb")
    for name, picked in CLASS.items():  # three students of the answer table, graded as a class would be
        regions = {i: code for answer in picked for i, code in answer.regions.items()}
        nbformat.write(grading.fill_regions(student, {**answers, **regions}), folder / f"{name}.ipynb")
    loop = grading.fill_regions(student, {**answers, 4: "while True: pass\n"})
    (folder / "loop").mkdir()  # the other layout: a folder per student
    nbformat.write(loop, folder / "loop" / "gaussian_rbm.ipynb")
    scores = grading.grade(folder, LAB, tmp / "course", timeout=CELL_TIMEOUT)
    print(grading.table(scores))
    return {s.student: s for s in scores}


def test_the_release_has_the_five_tasks_and_the_checked_exercises_as_tests():
    source = grading.nbgrader_source(LAB.read_text())
    assert grading.tasks(source) == ALL
    text = "\n".join(cell.source for cell in source.cells)
    prose = "resolve a ring whose thickness"  # from the worked solution of the first exercise
    assert prose in LAB.read_text() and prose not in text and "{solution-start}" not in text
    for markup in ("{cite}`", "(chapter-gaussian-rbm)=", "{exercise}"):  # the book's markup, plain for Jupyter
        assert markup in LAB.read_text() and markup not in text, markup
    kinds = [cell.metadata.nbgrader for cell in source.cells]
    assert sum(k["solution"] for k in kinds) == 5  # the class (three regions), train_rbm, run_chains, 2 exercises
    assert all(k["locked"] for k in kinds if not k["solution"])


def test_an_exercise_is_split_into_its_work_and_its_check():
    assert grading.split_check("y = f(x)\nprint(y)\n# check: y is small\nassert y < 1,\\\n    y\n") == (
        "y = f(x)\nprint(y)",
        "# check: y is small\nassert y < 1,\\\n    y",
    )
    assert grading.split_check("assert True\n") is None  # nothing to write
    assert grading.split_check("x = 1\nfor v in [x]:\n    assert v\n") is None  # a check inside a loop: not split


def test_the_instructors_solution_scores_full_marks(graded):
    assert graded["solution"].points == ALL and not graded["solution"].note


def test_an_untouched_notebook_scores_zero_and_its_feedback_explains_every_check(graded):
    untouched = graded["untouched"]
    assert untouched.points == dict.fromkeys(ALL, 0.0)
    feedback = html.unescape(re.sub(r"<[^>]+>", "", untouched.feedback.read_text()))  # the text a student reads
    for message in (
        "forward is not written yet",
        "p_x_given_z is not written yet",
        "p_z_given_x is not written yet",
        "train_rbm is not written yet",
        "run_chains is not written yet",
    ):
        assert message in feedback, message


def test_only_the_first_task_done_scores_exactly_its_points(graded):
    assert graded["first"].points == {**dict.fromkeys(ALL, 0.0), "forward": 2.0}
    assert graded["first"].total == 2.0


def test_a_dead_kernel_and_an_endless_cell_do_not_stop_the_grading(graded):
    crash = graded["crash"]
    assert set(crash.points.values()) == {None} and "kernel died" in crash.note
    loop = graded["loop"]  # graded after the crash (alphabetical order), the endless cell interrupted
    assert loop.points == {**ALL, "gibbs_chains": 0.0} and f"over {CELL_TIMEOUT} s" in loop.note
    assert graded["solution"].total == 12.0  # and the notebooks after them graded as usual


def test_the_class_table_is_graded_as_the_answer_table_says(graded):
    """A student who calls the library scores nothing for those tasks and is told why; right answers
    written differently score full marks; a missing transpose costs its task, in plain words."""
    assert graded["borrower"].points == {**ALL, "forward": 0.0, "p_z_given_x": 0.0}
    assert graded["different"].points == ALL
    # the first exercise trains with the student's own class, so a broken p_x_given_z costs it too
    assert graded["transposer"].points == {**ALL, "p_x_given_z": 0.0, "ex-rbm-sigma": 0.0}
    read = {name: html.unescape(re.sub(r"<[^>]+>", "", graded[name].feedback.read_text())) for name in CLASS}
    assert "forward: your code calls the library's GaussianBernoulliRBM.free_energy" in read["borrower"]
    assert "p_z_given_x: your code calls the library's" in read["borrower"]
    assert "torch could not combine the shapes" in read["transposer"]


def test_the_score_table_shows_every_student_and_task(graded):
    table = grading.table(list(graded.values()))
    for name in [*graded, *TASKS]:
        assert name in table
    assert "12/12" in table and "2/12" in table and "kernel died" in table


def test_bad_input_is_refused(tmp_path):
    with pytest.raises(ValueError, match="submissions: expected a folder"):
        grading.grade(tmp_path / "missing", LAB, tmp_path / "course")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="submissions: no notebooks"):
        grading.grade(tmp_path / "empty", LAB, tmp_path / "course")
    with pytest.raises(ValueError, match="no cell has grade metadata"):
        grading.nbgrader_source("# T\n\n```{code-cell} ipython3\nx = 1\n```\n")
    with pytest.raises(ValueError, match="grade: expected"):
        grading.nbgrader_source("# T\n\n```{code-cell} ipython3\n:grade: {points: 1}\n\nx = 1\n```\n")
    assert grading.main(["grade", str(tmp_path / "empty")]) == 2


def test_a_chapters_exercises_are_an_assignment_too(tmp_path):
    """The autoregressive chapter (its three exercises end in checks): the worked solutions score every
    point, the students' release none."""
    chapter = BOOK / "autoregressive.md"
    source, student, folder = _released(chapter, tmp_path)
    nbformat.write(
        grading.fill_regions(student, dict(enumerate(grading.solution_answers(source)))), folder / "solved.ipynb"
    )
    nbformat.write(student, folder / "blank.ipynb")
    scores = {s.student: s for s in grading.grade(folder, chapter, tmp_path / "course", timeout=120)}
    stub = next(c.source for c in student.cells if "p_naive" in c.source and c.metadata.nbgrader["solution"])
    assert "The check below reads: " in stub and "YOUR CODE HERE" in stub  # the names a student must define
    expected = {"ex-ar-leak": 1.0, "ex-ar-three-modes": 1.0, "ex-ar-naive": 1.0}
    assert scores["solved"].points == expected
    assert scores["blank"].points == dict.fromkeys(expected, 0.0)
    assert not grading.gradable(BOOK / "provenance.md")  # no exercise with a check: nothing to hand out
