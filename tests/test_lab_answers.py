"""Every lab check against a table of typical wrong answers and of right answers written differently.

One Jupyter kernel runs the lab's set-up once; then, for each answer, the class, the functions and
the five graded check cells, exactly as a student's notebook would. A wrong answer must fail its task
with its plain-words message (never a bare torch error) and leave the other tasks passing; a right
one must pass everything. ``tests/test_grading.py`` grades a few of them through nbgrader too.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest
from lab_answers import RIGHT, WRONG, Answer
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from ardemo.book.student_edition import fill_in, solution_regions, strip_solutions

pytestmark = pytest.mark.grading  # a kernel and the lab's checks: make test-grading

BOOK = Path(__file__).resolve().parents[1] / "book"
LAB = (BOOK / "gaussian_rbm.md").read_text()
SET_UP = ("import ardemo", "train = ardemo.data.ring", "def log_z_covering")
PER_ANSWER = ("class RBM(", "lab = RBM(", "def train_rbm(", "def run_chains(")


def _cells(answer: Answer) -> list:
    regions = solution_regions(LAB)
    for index, code in answer.regions.items():
        regions[index] = code
    nb = jupytext.reads(fill_in(strip_solutions(LAB), regions), fmt="md:myst")
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.fixture(scope="module")
def kernel():
    cells = _cells(Answer("solution", {}))
    nb = jupytext.reads(LAB, fmt="md:myst")
    nb.cells = []
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(BOOK)}})
    with client.setup_kernel():
        for cell in cells:
            if any(m in cell.source for m in SET_UP):
                _execute(client, cell)
        yield client


def _execute(client: NotebookClient, cell) -> None:
    """Run ``cell`` in the kernel (nbclient stores each cell it runs in its notebook)."""
    client.nb.cells.append(cell)
    client.execute_cell(cell, len(client.nb.cells) - 1)


def _grade(client, answer: Answer) -> dict[str, str | None]:
    """Each task's outcome for ``answer``: None when its check passes, else the check's message."""
    outcome: dict[str, str | None] = {}
    for cell in _cells(answer):
        task = cell.metadata.get("grade", {}).get("task")
        if task is None and not any(m in cell.source for m in PER_ANSWER):
            continue
        try:
            _execute(client, cell)
        except CellExecutionError as error:
            assert task is not None, f"{answer.name}: a cell that is not a check failed: {error.evalue}"
            assert error.ename == "AssertionError", (
                f"{answer.name}: {task} failed with a bare {error.ename}: {error.evalue}"
            )
            outcome[task] = error.evalue
        else:
            if task is not None:
                outcome[task] = None
    return outcome


@pytest.mark.parametrize("answer", WRONG, ids=[a.name for a in WRONG])
def test_a_wrong_answer_fails_its_task_in_plain_words(kernel, answer):
    outcome = _grade(kernel, answer)
    assert len(outcome) == 5
    for task, message in outcome.items():
        expected = answer.expect.get(task)
        if expected is None:
            assert message is None, f"{answer.name}: {task} should pass, it says {message!r}"
        else:
            assert message is not None, f"{answer.name}: {task} passed, but the answer is wrong"
            assert expected in message, f"{answer.name}: {task} says {message!r}, not {expected!r}"


@pytest.mark.parametrize("answer", RIGHT, ids=[a.name for a in RIGHT])
def test_a_right_answer_written_differently_passes(kernel, answer):
    assert _grade(kernel, answer) == dict.fromkeys(
        ["forward", "p_x_given_z", "p_z_given_x", "model_samples", "gibbs_chains"]
    )


def test_the_table_is_large_enough():
    assert len(WRONG) >= 15 and len(RIGHT) >= 5
    assert {t for a in WRONG for t in a.expect} == {
        "forward",
        "p_x_given_z",
        "p_z_given_x",
        "model_samples",
        "gibbs_chains",
    }
