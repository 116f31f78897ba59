"""The package's shape: subpackages by kind, imports that run one way, a deliberate public API,
declared dependencies, docstrings with examples, and no dependence on the repository's layout."""

from __future__ import annotations

import ast
import inspect
import pathlib
import re
import subprocess
import sys

import pytest
import tomllib

import ardemo

PACKAGE = pathlib.Path(ardemo.__file__).parent
ROOT = PACKAGE.parent

# Each subpackage may import only from subpackages of a lower or equal rank (equal: within itself).
RANKS = {
    "core": 0,
    "distributions": 1,
    "data": 1,
    "lattices": 2,
    "exact": 3,
    "models": 4,
    "sampling": 5,
    "learning": 6,
    "experiments": 7,
    "book": 7,
}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if len(rel.parts) > 1:
            yield rel.parts[0], path


def _imported_subpackages(path: pathlib.Path, subpackage: str) -> set[str]:
    """The ardemo subpackages a module imports (relative or absolute imports)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                target = subpackage
            elif node.level == 2:
                target = (node.module or "").split(".")[0]
            elif node.level == 0 and (node.module or "").startswith("ardemo"):
                parts = node.module.split(".")
                target = parts[1] if len(parts) > 1 else "ardemo"
            else:
                continue
            out.add(target)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("ardemo"):
                    parts = alias.name.split(".")
                    out.add(parts[1] if len(parts) > 1 else "ardemo")
    return out


def test_every_subpackage_has_a_rank():
    found = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert found == set(RANKS), f"subpackages without a rank (or ranks without a folder): {found ^ set(RANKS)}"
    assert not [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"], "modules belong in subpackages"


@pytest.mark.parametrize("subpackage,path", list(_modules()), ids=lambda v: str(v))
def test_imports_run_one_way(subpackage, path):
    for target in _imported_subpackages(path, subpackage):
        assert target != "ardemo", f"{path.name} imports the top-level package (a circle)"
        assert RANKS[target] < RANKS[subpackage] or target == subpackage, (
            f"{subpackage}/{path.name} imports {target}: a {subpackage} module may only use lower layers "
            f"({[k for k, v in RANKS.items() if v < RANKS[subpackage]]})"
        )


def test_the_checker_catches_a_backward_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from ..learning.training import fit\n")
    assert "learning" in _imported_subpackages(bad, "models")


def test_public_api_is_exported_and_documented():
    """Every name in ardemo.__all__ exists, and the API page documents every public class and function."""
    api = (ROOT / "book" / "api.md").read_text()
    missing = []
    for name in ardemo.__all__:
        obj = getattr(ardemo, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            qual = f"{obj.__module__}.{obj.__qualname__}"
            if qual not in api and f"ardemo.{name}" not in api:
                missing.append(qual)
    assert not missing, f"not on the API page: {missing}"


def _public_callables():
    seen = set()
    for name in ardemo.__all__:
        obj = getattr(ardemo, name)
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and obj.__module__.startswith("ardemo"):
            if id(obj) not in seen:
                seen.add(id(obj))
                yield name, obj


@pytest.mark.parametrize("name,obj", list(_public_callables()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_public_class_and_function_has_an_example(name, obj):
    """Its docstring (or, for a class, that of its module's class docstring) holds a doctest example."""
    doc = inspect.getdoc(obj) or ""
    assert doc, f"{name} has no docstring"
    assert ">>>" in doc, f"{name}: the docstring has no example (>>>) for pytest --doctest-modules to run"


def test_runtime_dependencies_are_declared():
    """Every third-party package imported anywhere in ardemo is a declared dependency (or the optional
    one that a function imports lazily and says so)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"]
    names = {re.split(r"[<>=!\[ ]", d)[0].lower().replace("-", "_") for d in declared}
    import_names = {"scikit_learn": "sklearn", "pyyaml": "yaml", "pillow": "PIL"}
    provided = {import_names.get(n, n) for n in names}
    stdlib = set(sys.stdlib_module_names)
    used = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                used |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                used.add(node.module.split(".")[0])
    third_party = {u for u in used if u not in stdlib and u not in ("ardemo", "__future__")}
    optional = {"IPython"}  # only inside the lab's helpers, in a notebook, where Jupyter is installed
    # the grade extra (pyproject's optional dependencies): only ardemo.book.grading uses them, and the
    # planted faults (ardemo.book.mutants, run by make mutants and make test) use the test extra's
    # jupytext, nbformat and nbclient, imported inside its functions
    grade_extra = {"jupytext", "nbformat", "nbgrader"}
    # the book extra's websocket-client: only make check-pages' print pass (ardemo.book.pages) drives
    # Chromium's DevTools protocol with it, imported inside that function
    assert any(d.startswith("websocket-client") for d in project["optional-dependencies"]["book"])
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        if path.name in ("mutants.py", "student_edition.py"):  # only inside functions (book and test extras)
            assert "import nbgrader" not in text and not re.search(
                r"^(import|from) (jupytext|nbformat|nbclient)", text, re.M
            )
        elif path.name != "grading.py" and any(f"import {m}" in text for m in grade_extra):
            raise AssertionError(f"{path.name} imports the grade extra, which only ardemo/book/grading.py may")
        websocket = r"^import websocket\b" if path.name == "pages.py" else r"^\s*import websocket\b"
        assert not re.search(websocket, text, re.M), (
            f"{path.name} imports websocket (only the print pass in pages.py may, inside it)"
        )
    optional |= grade_extra | {"nbclient", "websocket"}
    assert third_party - optional <= provided, f"imported but not declared: {sorted(third_party - optional - provided)}"


def test_every_module_imports_from_an_installed_copy(tmp_path):
    """A copy of the package outside the repository imports every module and finds results files through
    ARDEMO_RESULTS_DIR, not through the repository's layout."""
    import shutil

    shutil.copytree(PACKAGE, tmp_path / "site" / "ardemo", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "r.json").write_text("{}")
    code = (
        "import importlib, pkgutil, ardemo; "
        "[importlib.import_module(m.name) for m in pkgutil.walk_packages(ardemo.__path__, 'ardemo.') "
        "if not m.name.endswith('__main__')]; "
        "assert ardemo.__file__.startswith(%r), ardemo.__file__; "
        "print(ardemo.results_file('r.json').read_text())" % str(tmp_path / "site")
    )
    env = {
        "PYTHONPATH": str(tmp_path / "site"),
        "ARDEMO_RESULTS_DIR": str(tmp_path / "results"),
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "{}"
    env.pop("ARDEMO_RESULTS_DIR")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "ARDEMO_RESULTS_DIR" in out.stderr


def _module_imports(path: pathlib.Path) -> set[str]:
    """The ardemo modules (dotted names, packages included) that ``path`` imports, at any level."""
    rel = path.relative_to(ROOT).with_suffix("")
    package = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)] + (node.module.split(".") if node.module else [])
            target = ".".join(base)
            names = [f"{target}.{a.name}" for a in node.names]
            found = [n for n in names if (ROOT / n.replace(".", "/")).with_suffix(".py").exists()]
            out.update(found or [target])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ardemo"):
            out.add(node.module)
    return out


def _import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Cycles among modules (packages' ``__init__`` files excluded: they re-export)."""
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(u: str) -> None:
        state[u] = 1
        stack.append(u)
        for v in sorted(graph.get(u, ())):
            if v not in graph:
                continue
            if state.get(v) == 1:
                cycles.append(stack[stack.index(v) :] + [v])
            elif v not in state:
                visit(v)
        stack.pop()
        state[u] = 2

    for u in sorted(graph):
        if u not in state:
            visit(u)
    return cycles


def _module_graph() -> dict[str, set[str]]:
    return {
        ".".join(p.relative_to(ROOT).with_suffix("").parts): _module_imports(p)
        for p in PACKAGE.rglob("*.py")
        if p.name != "__init__.py"
    }


def test_no_module_imports_itself_back():
    """No import cycle between modules (imports inside functions count: they hide a circle, not end it)."""
    assert _import_cycles(_module_graph()) == []


def test_the_cycle_finder_finds_a_planted_cycle():
    graph = _module_graph()
    graph["ardemo.experiments.replay"] = graph["ardemo.experiments.replay"] | {"ardemo.experiments.cli"}
    assert ["ardemo.experiments.cli", "ardemo.experiments.replay", "ardemo.experiments.cli"] in _import_cycles(graph)


def test_the_readme_layout_lists_every_module():
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout") :]
    missing = [
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if p.name not in ("__init__.py", "__main__.py") and not re.search(rf"\b{re.escape(p.name)}\b", layout)
    ]
    assert missing == [], f"modules the README's layout does not list: {missing}"
