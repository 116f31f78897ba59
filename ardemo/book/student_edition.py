"""Student editions of MyST notebooks: solutions out, self-checks in.

Two markers are understood:

* sphinx-exercise solutions — a ``{solution}`` directive, or everything from
  ``{solution-start}`` through ``{solution-end}`` (text and code cells) — are removed;
* inside a code cell, the lines from ``# BEGIN SOLUTION`` to ``# END SOLUTION`` are replaced by a
  ``# TODO`` comment and ``raise NotImplementedError``, at the same indentation.

Everything else, check cells included, is kept. ``python -m ardemo.student_edition BOOK DEST``
writes a student edition of a whole Jupyter Book folder (see :func:`make_edition`).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import textwrap
from pathlib import Path

_FENCE = re.compile(r"^(`{3,}|~{3,})\{([\w-]+)\}")
_BEGIN = re.compile(r"^(\s*)# BEGIN SOLUTION\s*$")
_END = re.compile(r"^\s*# END SOLUTION\s*$")
MARKER = ".ardemo-student-edition"
TODO = "TODO: write this part (see the text above), then run the check cell below."


def _close(lines: list[str], i: int, fence: str) -> int:
    """Index of the line closing the directive opened at ``lines[i]`` with ``fence``."""
    for j in range(i + 1, len(lines)):
        if lines[j].strip() == fence:
            return j
    raise ValueError(f"line {i + 1}: directive opened with {fence} is never closed")


_EXERCISE = re.compile(r"^(`{3,})\{exercise\}[ \t]*([^\n]*)\n((?::[^\n]*\n)*)(.*?)^\1[ \t]*$", re.M | re.S)
_ROLE = re.compile(r"\{(\w+)\}`([^`]*)`")


_SOLUTION_START = re.compile(r"^(`{3,})\{solution-start\}[^\n]*\n(?::[^\n]*\n)*\1[ \t]*\n?", re.M)
_SOLUTION_END = re.compile(r"^(`{3,})\{solution-end\}[^\n]*\n(?::[^\n]*\n)*\1[ \t]*\n?", re.M)
_SOLUTION = re.compile(r"^(`{3,})\{solution\}[ \t]*[^\n]*\n((?::[^\n]*\n)*)(.*?)^\1[ \t]*$", re.M | re.S)
_EMPTY_DIRECTIVE = re.compile(r"^(`{3,})\{nb-exec-table\}[^\n]*\n(?::[^\n]*\n)*\1[ \t]*\n?", re.M)


def bibliography(bib: str) -> dict[str, str]:
    r"""Citation keys of a BibTeX text and how a reader sees them: ``Author (year)``, ``A and B (year)`` or
    ``A et al. (year)``, from the entries' ``author`` and ``year`` fields.

    >>> bibliography("@article{k1,\n  author = {Tucker, George and Mnih, Andriy and Maddison, Chris},\n  year = {2017}\n}")
    {'k1': 'Tucker et al. (2017)'}
    """
    out = {}
    for match in re.finditer(r"@\w+\{([^,\s]+),(.*?)\n\}", bib, re.S):
        key, body = match.groups()
        author = re.search(r"author\s*=\s*\{(.*?)\},?\s*\n", body, re.S)
        year = re.search(r"year\s*=\s*\{?(\d{4})", body)
        if not author:
            continue
        names = [n.strip() for n in re.split(r"\s+and\s+", author.group(1).replace("\n", " "))]
        last = [n.split(",")[0].strip(" {}") if "," in n else n.split()[-1].strip(" {}") for n in names]
        who = last[0] if len(last) == 1 else f"{last[0]} and {last[1]}" if len(last) == 2 else f"{last[0]} et al."
        out[key] = f"{who} ({year.group(1)})" if year else who
    return out


def plain_markdown(text: str, citations: dict[str, str] | None = None) -> str:
    r"""MyST's book-only markup in markdown as plain Jupyter markdown: no ``(label)=`` lines, exercises and
    solutions as bold headings (the solution directives' fences and options gone), no empty execution
    tables, ``{cite}`` keys as their authors and year (``citations``, from :func:`bibliography`; the bare
    key in brackets when unknown), ``{ref}``/``{download}`` by their text, other roles as code.

    >>> plain_markdown("(sec)=\n# A\nSee {cite}`smith2020` and {ref}`the lab <lab>`.")
    '# A\nSee [smith2020] and the lab.'
    >>> plain_markdown("{cite}`k1`", {"k1": "Tucker et al. (2017)"})
    'Tucker et al. (2017)'
    >>> plain_markdown("```{solution-start} ex-1\n:class: dropdown\n```\nx = 1\n```{solution-end}\n```\n")
    '**Solution**\n\nx = 1\n'
    """
    citations = citations or {}

    def role(match: re.Match) -> str:
        name, body = match.groups()
        shown = re.sub(r"\s*<[^>]*>$", "", body) if "<" in body else body
        if name == "cite":
            keys = [key.strip() for key in body.split(",")]
            if all(k in citations for k in keys):
                return "; ".join(citations[k] for k in keys)
            return "[" + ", ".join(keys) + "]"
        return shown if name in ("ref", "download", "numref", "doc", "eq") else f"`{shown}`"

    text = re.sub(r"^\([\w-]+\)=[ \t]*\n", "", text, flags=re.M)
    text = _EXERCISE.sub(lambda m: f"**Exercise{': ' + m.group(2) if m.group(2) else ''}**\n\n{m.group(4)}", text)
    text = _SOLUTION.sub(lambda m: f"**Solution**\n\n{m.group(3)}", text)
    text = _SOLUTION_START.sub("**Solution**\n\n", text)
    text = _SOLUTION_END.sub("", text)
    text = _EMPTY_DIRECTIVE.sub("", text)
    return _ROLE.sub(role, text)


def plain_notebook(chapter: Path, citations: dict[str, str] | None = None):
    """A chapter (MyST notebook) as a plain Jupyter notebook to download: no outputs, not paired with the
    ``.md``, its markdown cells through :func:`plain_markdown`."""
    import jupytext

    notebook = jupytext.read(Path(chapter), fmt="md:myst")
    notebook.metadata.pop("jupytext", None)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = plain_markdown(cell.source, citations)
    return notebook


def strip_solutions(text: str, keep_regions: bool = False) -> str:
    """The student edition of one MyST notebook's text; with ``keep_regions`` the ``# BEGIN SOLUTION``
    regions stay (for nbgrader, which replaces them itself) and only the exercises' solutions go."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _FENCE.match(line)
        if m and m.group(2) == "solution":
            i = _close(lines, i, m.group(1)) + 1
            continue
        if m and m.group(2) == "solution-start":
            j = i
            while j < len(lines):
                mj = _FENCE.match(lines[j])
                if mj and mj.group(2) == "solution-end":
                    break
                j += 1
            else:
                raise ValueError(f"line {i + 1}: solution-start without solution-end")
            i = _close(lines, j, _FENCE.match(lines[j]).group(1)) + 1
            continue
        b = _BEGIN.match(line)
        if b and keep_regions:
            j = i + 1
            while j < len(lines) and not _END.match(lines[j]):
                j += 1
            if j == len(lines):
                raise ValueError(f"line {i + 1}: BEGIN SOLUTION without END SOLUTION")
            out.extend(lines[i : j + 1])
            i = j + 1
            continue
        if b:
            j = i + 1
            while j < len(lines) and not _END.match(lines[j]):
                j += 1
            if j == len(lines):
                raise ValueError(f"line {i + 1}: BEGIN SOLUTION without END SOLUTION")
            indent = b.group(1)
            out.append(f"{indent}# {TODO}\n")
            out.append(f'{indent}raise NotImplementedError("{TODO}")\n')
            i = j + 1
            continue
        out.append(line)
        i += 1
    return "".join(out)


def solution_regions(text: str) -> list[str]:
    """The code between each ``# BEGIN SOLUTION`` / ``# END SOLUTION`` pair, in order."""
    regions, current = [], None
    for line in text.splitlines(keepends=True):
        if _BEGIN.match(line):
            current = []
        elif _END.match(line) and current is not None:
            regions.append("".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return regions


def fill_in(student_text: str, answers: list[str | None], marker: str = f"# {TODO}") -> str:
    """Replace each stub of a student edition (a ``marker`` line, then ``raise NotImplementedError``) by the
    corresponding answer (code lines); a ``None`` answer keeps its stub. An answer without indentation is
    indented like its stub."""
    lines = student_text.splitlines(keepends=True)
    out, k, i = [], 0, 0
    while i < len(lines):
        if lines[i].strip() == marker and i + 1 < len(lines) and "NotImplementedError" in lines[i + 1]:
            if k >= len(answers):
                raise ValueError("more TODO stubs than answers")
            answer, indent = answers[k], lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            if answer is None:
                out.extend(lines[i : i + 2])
            else:
                out.append(answer if answer[:1].isspace() else textwrap.indent(answer, indent))
            k, i = k + 1, i + 2
            continue
        out.append(lines[i])
        i += 1
    if k != len(answers):
        raise ValueError(f"{len(answers)} answers for {k} TODO stubs")
    return "".join(out)


def make_edition(src: Path, dest: Path) -> list[Path]:
    """Copy the book in ``src`` to ``dest`` as a student edition; returns the notebooks written.

    Notebooks (``.md`` files with a ``kernelspec``) lose their solutions; ``_config.yml`` is set
    to hide any remaining solutions and not to execute (the TODO cells would fail). ``dest`` is
    replaced only when an earlier call made it (it holds a marker file); an existing folder of anything
    else, the book itself, or a folder around it is refused before anything is touched. The edition is
    built in a temporary folder beside ``dest`` and moved into place only when complete, so a failure
    (a directive that is never closed, a broken link) leaves ``dest`` as it was.

    >>> import tempfile
    >>> make_edition(Path("."), Path(tempfile.mkdtemp()))
    Traceback (most recent call last):
    ...
    ValueError: src: expected a Jupyter Book folder (with _toc.yml), got ...
    """
    src, dest = Path(src).resolve(), Path(dest).resolve()
    if not (src / "_toc.yml").exists():
        raise ValueError(f"src: expected a Jupyter Book folder (with _toc.yml), got {src}")
    if dest == src or dest in src.parents or src in dest.parents:
        raise ValueError(f"dest: {dest} overlaps the book {src}; choose a folder outside it (e.g. build/student/book)")
    if dest.exists() and not (dest / MARKER).exists():
        raise ValueError(
            f"dest: {dest} exists and was not made by make_edition (no {MARKER} in it); "
            "refusing to replace it: remove it yourself or choose a new folder"
        )
    # build beside dest and move it into place only when complete: a failure leaves dest as it was
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.building-", dir=dest.parent))
    try:
        notebooks = _write_edition(src, work / "book")
        (work / "book" / MARKER).write_text("made by ardemo.book.student_edition; make_edition replaces this folder\n")
        if dest.exists():
            old = work / "previous"
            os.replace(dest, old)
        os.replace(work / "book", dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # ours: the half-built edition, or the previous one
    return [dest / path.name for path in notebooks]


def _write_edition(src: Path, out: Path) -> list[Path]:
    """Copy ``src`` to the new folder ``out`` and strip its solutions; a ``ValueError`` naming the file
    for anything that cannot be copied or stripped."""
    import yaml

    try:
        shutil.copytree(src, out, ignore=shutil.ignore_patterns("_build", "*.ipynb", ".ipynb_checkpoints"))
    except (shutil.Error, OSError) as error:
        detail = error.args[0] if isinstance(error, shutil.Error) else error
        if isinstance(detail, list) and detail:
            first = detail[0]
            detail = f"{first[0]}: {first[2]}" if len(first) == 3 else str(first)
        raise ValueError(f"src: cannot copy the book ({detail})") from None
    notebooks = []
    for path in sorted(out.glob("*.md")):
        text = path.read_text()
        if "kernelspec:" in text:
            try:
                path.write_text(strip_solutions(text))
            except ValueError as error:
                raise ValueError(f"{src / path.name}: {error}") from None
            notebooks.append(path)
    config_path = out / "_config.yml"
    if config_path.exists():
        config = yaml.safe_load(config_path.read_text())
        config["title"] = f"{config.get('title', 'Book')} (student edition)"
        config.setdefault("execute", {})["execute_notebooks"] = "off"
        config.setdefault("sphinx", {}).setdefault("config", {})["hide_solutions"] = True
        config_path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    return notebooks


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m ardemo.book.student_edition BOOK_DIR DEST_DIR", file=sys.stderr)
        return 2
    try:
        written = make_edition(Path(args[0]), Path(args[1]))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"student edition: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
