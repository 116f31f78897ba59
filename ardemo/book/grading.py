"""The lab and the chapters' exercises as nbgrader assignments: ``python -m ardemo.book.grading
{release,grade}`` (``make exercises``, ``make grade``).

The instructor's notebook is the book's MyST source. :func:`nbgrader_source` turns a chapter into
nbgrader's *source* version of an assignment named after it:

* a code cell with ``# BEGIN SOLUTION`` / ``# END SOLUTION`` (the lab's tasks) becomes a solution cell
  (nbgrader puts a stub in its place in the students' release);
* a cell with ``grade`` metadata (``:grade: {task: NAME, points: P}`` in MyST) becomes an autograded
  test cell worth ``P`` points, its ``grade_id`` the task's name: the lab's self-checks are the tests;
* an exercise whose worked solution ends in a check (``assert`` lines) becomes a solution cell (the
  work, headed by the names the check reads, :func:`names_checked`) and a one-point test cell (the
  check, :func:`split_check`); the solution's prose is left out, and so are exercises without such a check;
* every other cell is read-only, its markdown freed of the book's own markup (:func:`plain_markdown`).

:func:`grade` runs nbgrader on a folder of submissions, one student at a time (a notebook that crashes
its kernel or runs forever costs its own student, not the others), and returns each student's points
per task. nbgrader itself is an optional extra (``pip install -e ".[grade]"``); ``make exercises``,
``make grade`` and ``make test`` install it.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import jupytext
import nbformat

from .student_edition import _BEGIN, fill_in, plain_markdown, solution_regions, strip_solutions

SCHEMA = 3
CONFIG = """c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "ardemo"
c.Execute.timeout = {timeout}
c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "END SOLUTION"
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
"""


_SOLUTION_BLOCK = re.compile(
    r"^```\{solution-start\} (\S+)[^\n]*\n(?::[^\n]*\n)*```\n(.*?)^```\{solution-end\}\s*\n```\n", re.M | re.S
)
_CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n((?::[^\n]*\n)*)\n?(.*?)\n```$", re.M | re.S)


def split_check(code: str) -> tuple[str, str] | None:
    r"""``code`` split into its work and its check: the check is the trailing run of top-level ``assert``
    statements, comments and ``print`` calls (with their continuation lines) from its first comment or
    ``assert``. ``None`` when the run has no ``assert``, or there is nothing before it.

    >>> split_check("x = 2\n# check\nassert x == 2\n")
    ('x = 2', '# check\nassert x == 2')
    """
    lines = code.rstrip("\n").split("\n")
    start = None
    for i, line in enumerate(lines):
        if line and not line[0].isspace() and not line.startswith(")"):
            start = i if line.startswith(("assert", "#")) and start is None else start
            if not line.startswith(("assert", "#", "print(")):
                start = None
    while start is not None and start < len(lines) and lines[start].startswith("#"):  # comments before it stay
        if any(line.startswith("assert") for line in lines[start:]):
            break
        start += 1
    if start is None or start == 0 or not any(line.startswith("assert") for line in lines[start:]):
        return None
    while start > 0 and lines[start - 1].startswith("#"):  # the comment that introduces the check goes with it
        start -= 1
    if start == 0:
        return None
    return "\n".join(lines[:start]).rstrip(), "\n".join(lines[start:])


def names_checked(work: str, check: str) -> list[str]:
    r"""The names ``work`` defines that ``check`` reads: what a student's answer must define.

    >>> names_checked("import math\ntotal = 1\ndef f(x):\n    return x", "assert f(total) == 1 and math.pi")
    ['f', 'math', 'total']
    """
    defined: set[str] = set()
    for node in ast.walk(ast.parse(work)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    names = [node for node in ast.walk(ast.parse(check)) if isinstance(node, ast.Name)]
    own = {node.id for node in names if isinstance(node.ctx, ast.Store)}  # e.g. a comprehension's variables
    return sorted(defined & ({node.id for node in names} - own))


def _gradable_exercises(text: str) -> str:
    """Each exercise solution with a check becomes a solution cell (its work) and a graded test cell
    (its check, one point, named after the exercise); the solution's prose and the exercises without a
    check are left out."""

    def convert(match: re.Match) -> str:
        label, body = match.group(1), match.group(2)
        cells = _CODE_CELL.findall(body)
        split = split_check(cells[-1][1]) if cells else None
        if split is None:
            return ""
        out = [f"```{{code-cell}} ipython3\n{options}\n{code}\n```\n" for options, code in cells[:-1]]
        work, check = split
        names = ", ".join(names_checked(work, check))
        note = f"# Your answer. The check below reads: {names}\n" if names else "# Your answer.\n"
        out.append(f"```{{code-cell}} ipython3\n{note}# BEGIN SOLUTION\n{work}\n# END SOLUTION\n```\n")
        out.append(f"```{{code-cell}} ipython3\n:grade: {{task: {label}, points: 1}}\n\n{check}\n```\n")
        return "\n".join(out)

    return _SOLUTION_BLOCK.sub(convert, text)


def nbgrader_source(text: str) -> nbformat.NotebookNode:
    """The nbgrader source notebook of a MyST chapter (see the module docstring).

    >>> nb = nbgrader_source("# T\\n\\n```{code-cell} ipython3\\n:grade: {task: f, points: 2}\\n\\nassert True\\n```\\n")
    >>> nb.cells[1].metadata.nbgrader["grade_id"], nb.cells[1].metadata.nbgrader["points"]
    ('f', 2)
    """
    nb = jupytext.reads(strip_solutions(_gradable_exercises(text), keep_regions=True), fmt="md:myst")
    nb.metadata.pop("jupytext", None)
    seen: set[str] = set()
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            cell.source = plain_markdown(cell.source)
        grade = cell.metadata.pop("grade", None)
        if grade is not None:
            if not isinstance(grade, dict) or not isinstance(grade.get("task"), str) or "points" not in grade:
                raise ValueError(f"cell {i}: grade: expected {{task: NAME, points: P}}, got {grade!r}")
            if grade["task"] in seen:
                raise ValueError(f"cell {i}: grade: task {grade['task']!r} appears twice")
            seen.add(grade["task"])
            meta = dict(grade=True, solution=False, locked=True, points=grade["points"], grade_id=grade["task"])
        elif cell.cell_type == "code" and any(_BEGIN.match(line) for line in cell.source.splitlines()):
            meta = dict(grade=False, solution=True, locked=False, grade_id=f"solution-{i}")
        else:
            meta = dict(grade=False, solution=False, locked=True, grade_id=f"cell-{i}")
        cell.metadata["nbgrader"] = dict(meta, schema_version=SCHEMA)
    if not seen:
        raise ValueError("text: no cell has grade metadata (:grade: {task: NAME, points: P}); nothing to grade")
    return nb


def tasks(nb: nbformat.NotebookNode) -> dict[str, float]:
    """The graded tasks of an nbgrader notebook and their points, in order."""
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            out[meta["grade_id"]] = float(meta["points"])
    return out


STUB = "# YOUR CODE HERE"
"""The first line of the stub nbgrader puts in place of a solution region (``CONFIG``'s ``code_stub``)."""


def _is_solution(cell: nbformat.NotebookNode) -> bool:
    return bool(cell.metadata.get("nbgrader", {}).get("solution"))


def solution_answers(source: nbformat.NotebookNode) -> list[str]:
    """The code of every solution region of an nbgrader source notebook, in notebook order."""
    return solution_regions("".join(cell.source + "\n" for cell in source.cells if _is_solution(cell)))


def fill_regions(release: nbformat.NotebookNode, answers: Mapping[int, str]) -> nbformat.NotebookNode:
    """A copy of the students' ``release`` with stub number ``k`` (0, 1, ... in notebook order) replaced by
    ``answers[k]``, the others kept: what a student who did those tasks hands in (see :func:`solution_answers`)."""
    out, k = nbformat.from_dict(release), 0
    for cell in filter(_is_solution, out.cells):
        n = sum(line.strip() == STUB for line in cell.source.split("\n"))
        chosen = [answers.get(k + j) for j in range(n)]
        cell.source = fill_in(cell.source + "\n", chosen, marker=STUB).removesuffix("\n")
        k += n
    if answers and max(answers) >= k:
        raise ValueError(f"answers: stub {max(answers)} asked for, the release has {k}")
    return out


def _env() -> dict[str, str]:
    """The environment with this Python's scripts first on the PATH (nbgrader runs ``alembic`` from it)."""
    scripts = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    return dict(os.environ, PATH=path if path.split(os.pathsep)[0] == scripts else scripts + os.pathsep + path)


def _nbgrader(course: Path, *args: str, timeout: float) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("nbgrader")
    command = [str(exe) if exe.exists() else "nbgrader", *args]
    try:
        return subprocess.run(command, cwd=course, capture_output=True, text=True, timeout=timeout, env=_env())
    except subprocess.TimeoutExpired as error:
        return subprocess.CompletedProcess(command, 124, "", f"timed out after {error.timeout:.0f} s")


COURSE_MARK = ".ardemo-course"
"""The file that marks a course folder as made by this module: one without it that holds anything (an
nbgrader course of the teacher's own, say) is refused, so nothing in it is overwritten or deleted."""


def claim_course(course: Path) -> Path:
    """``course`` as a folder this module may write into: new, empty, or marked by an earlier call; a
    ``ValueError`` for anything else, before anything is written.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "notes.txt").write_text("mine")
    4
    >>> claim_course(folder)
    Traceback (most recent call last):
    ...
    ValueError: course: ... holds files this grader did not make (notes.txt); choose a new or empty folder
    """
    course = Path(course).resolve()
    if course.exists() and not course.is_dir():
        raise ValueError(f"course: {course} is a file, expected a folder")
    if course.is_dir() and not (course / COURSE_MARK).exists():
        entries = sorted(p.name for p in course.iterdir())
        if entries:
            shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
            raise ValueError(
                f"course: {course} holds files this grader did not make ({shown}); choose a new or empty folder"
            )
    course.mkdir(parents=True, exist_ok=True)
    (course / COURSE_MARK).write_text("made by ardemo.book.grading, which writes only into folders it made\n")
    return course


def release(chapter: Path, course: Path, timeout: int = 120) -> Path:
    """Write ``chapter`` into the nbgrader course folder ``course`` as the assignment named after it: its
    source version in ``source/NAME/``, the students' version in ``release/NAME/`` and its tests in the
    gradebook; returns the students' notebook. ``course`` must be new, empty or made by an earlier call
    (:func:`claim_course`)."""
    chapter = Path(chapter)
    if not chapter.is_file():
        raise ValueError(f"chapter: expected a MyST notebook file, got {chapter}")
    course = claim_course(course)
    nb, name = nbgrader_source(chapter.read_text()), chapter.stem
    (course / "source" / name).mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(CONFIG.format(root=str(course), timeout=int(timeout)))
    nbformat.write(nb, course / "source" / name / f"{name}.ipynb")
    done = _nbgrader(course, "generate_assignment", name, "--force", timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment failed:\n{done.stdout}\n{done.stderr}")
    return course / "release" / name / f"{name}.ipynb"


def gradable(chapter: Path) -> bool:
    """Whether ``chapter`` has anything to grade: a lab task or an exercise whose solution ends in a check."""
    try:
        nbgrader_source(Path(chapter).read_text())
    except ValueError:
        return False
    return True


@dataclass
class Score:
    """One student's result: points per task (``None`` where it was not graded), and what went wrong."""

    student: str
    points: dict[str, float | None]
    max_points: dict[str, float]
    note: str = ""
    feedback: Path | None = None
    log: str = field(default="", repr=False)

    @property
    def total(self) -> float:
        return sum(v or 0.0 for v in self.points.values())


def _submissions(folder: Path, name: str) -> dict[str, Path]:
    """``folder/STUDENT.ipynb`` or ``folder/STUDENT/NAME.ipynb`` (also ``folder/STUDENT/NAME/NAME.ipynb``)."""
    found = {}
    for path in sorted(folder.iterdir()):
        if path.suffix == ".ipynb" and path.is_file():
            found[path.stem] = path
        elif path.is_dir():
            for candidate in (path / f"{name}.ipynb", path / name / f"{name}.ipynb"):
                if candidate.is_file():
                    found[path.name] = candidate
                    break
    return found


def grade(
    submissions: Path, chapter: Path, course: Path, timeout: int = 120, student_timeout: float = 1800
) -> list[Score]:
    """Grade every notebook in ``submissions`` against ``chapter``'s tests, in the nbgrader course ``course``
    (the chapter is released into it first, so its tests are the book's current ones).

    ``timeout`` limits each cell (nbgrader interrupts it and goes on), ``student_timeout`` a whole notebook.
    Each student's autograded notebook and HTML feedback stay in ``course``, which must be new, empty or
    made by an earlier call (:func:`claim_course`); only the graded students' folders for this chapter are
    replaced.
    """
    submissions, chapter, course = Path(submissions), Path(chapter), Path(course).resolve()
    claim_course(course)
    if not submissions.is_dir():
        raise ValueError(f"submissions: expected a folder of notebooks, got {submissions}")
    found = _submissions(submissions, chapter.stem)
    if not found:
        raise ValueError(
            f"submissions: no notebooks in {submissions} (expected STUDENT.ipynb or STUDENT/{chapter.stem}.ipynb)"
        )
    release(chapter, course, timeout)
    name = chapter.stem
    max_points = tasks(nbformat.read(course / "source" / name / f"{name}.ipynb", as_version=4))
    scores = []
    for student, path in found.items():
        for folder in ("submitted", "autograded", "feedback"):  # this student's earlier grading of this chapter
            shutil.rmtree(course / folder / student / name, ignore_errors=True)
        target = course / "submitted" / student / name / f"{name}.ipynb"
        target.parent.mkdir(parents=True)
        shutil.copyfile(path, target)
        done = _nbgrader(course, "autograde", name, f"--student={student}", "--force", timeout=student_timeout)
        score = Score(student, {task: None for task in max_points}, max_points, log=done.stdout + done.stderr)
        graded = course / "autograded" / student / name / f"{name}.ipynb"
        if done.returncode != 0 or not graded.exists():
            if "DeadKernelError" in score.log or "Kernel died" in score.log:
                score.note = (
                    "not graded: the kernel died (the notebook exits Python or runs out of memory); look at it by hand"
                )
            elif done.returncode == 124:
                score.note = f"not graded: the whole notebook ran over {student_timeout:.0f} s"
            else:
                score.note = "not graded: " + (_last_error(score.log) or f"nbgrader exited with {done.returncode}")
            scores.append(score)
            continue
        notebook = nbformat.read(graded, as_version=4)
        score.points.update(_gradebook_points(course, name, student, max_points))
        if "Timeout waiting for execute reply" in score.log or "CellTimeoutError" in _outputs_text(notebook):
            score.note = f"a cell ran over {timeout} s and was interrupted"
        feedback = _nbgrader(course, "generate_feedback", name, f"--student={student}", "--force", timeout=600)
        html = course / "feedback" / student / name / f"{name}.html"
        score.feedback = html if feedback.returncode == 0 and html.exists() else None
        scores.append(score)
    return scores


def _gradebook_points(course: Path, notebook: str, student: str, max_points: dict[str, float]) -> dict[str, float]:
    """The points nbgrader's gradebook holds for one student's autograded notebook."""
    from nbgrader.api import Gradebook  # the optional extra, needed only here

    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = _env()["PATH"]
    try:
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "ardemo") as gradebook:
            return {task: float(gradebook.find_grade(task, notebook, notebook, student).score) for task in max_points}
    finally:
        os.environ["PATH"] = saved


def _outputs_text(nb: nbformat.NotebookNode) -> str:
    return "\n".join(
        str(out.get("ename", "")) + str(out.get("evalue", "")) for cell in nb.cells for out in cell.get("outputs", [])
    )


def _last_error(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if "Error" in line or "error" in line]
    return lines[-1][:200] if lines else ""


def table(scores: list[Score]) -> str:
    """The scores as a plain-text table: one row per student, one column per task, and the total."""
    if not scores:
        return "no submissions"
    names = list(scores[0].max_points)
    width = max(len("student"), *(len(s.student) for s in scores))
    head = f"{'student':<{width}}  " + "  ".join(f"{n:>{max(len(n), 5)}}" for n in names) + "  total"
    rows = [head, "-" * len(head)]
    for s in scores:
        cells = "  ".join(f"{'-' if s.points[n] is None else f'{s.points[n]:g}':>{max(len(n), 5)}}" for n in names)
        rows.append(
            f"{s.student:<{width}}  {cells}  {s.total:g}/{sum(s.max_points.values()):g}"
            + (f"  ({s.note})" if s.note else "")
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ardemo.book.grading", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rel = sub.add_parser("release", help="write chapters into an nbgrader course folder (source, release, gradebook)")
    rel.add_argument("course", type=Path)
    rel.add_argument("chapters", type=Path, nargs="+", help="MyST chapters; those with nothing to grade are skipped")
    gr = sub.add_parser("grade", help="grade a folder of student notebooks and print the scores")
    gr.add_argument("submissions", type=Path)
    gr.add_argument("--chapter", type=Path, default=Path("book/gaussian_rbm.md"))
    gr.add_argument("--course", type=Path, default=Path("build/grading"))
    gr.add_argument("--timeout", type=int, default=120, help="seconds per cell before nbgrader interrupts it")
    args = parser.parse_args(argv)
    try:
        if args.command == "release":
            for chapter in args.chapters:
                if gradable(chapter):
                    path = release(chapter, args.course)
                    print(
                        f"{chapter}: hand out {path} ({sum(tasks(nbgrader_source(chapter.read_text())).values()):g} points)"
                    )
                else:
                    print(f"{chapter}: nothing to grade (no lab task, no exercise ending in a check)")
            return 0
        scores = grade(args.submissions, args.chapter, args.course, args.timeout)
    except (ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(table(scores))
    for s in scores:
        if s.feedback:
            print(f"feedback for {s.student}: {s.feedback}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
