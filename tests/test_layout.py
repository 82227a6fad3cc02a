"""The library's layering, read from its imports with ``ast`` (nothing is imported or run).

- no import cycles between modules of ``sim2model``;
- a shared module (anything outside ``sim2model.studies`` and ``sim2model.registry``) never
  imports a study package or the registry;
- a study package never imports another study package;
- a study's ``names`` module imports nothing of the workflow (it is the study's leaf).

Rerun by hand: ``python -m pytest tests/test_layout.py``. Imports inside functions count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LIBRARY = Path(__file__).parents[1] / "workflow_scripts"
PACKAGE = "sim2model"
STUDIES = f"{PACKAGE}.studies"
REGISTRY = f"{PACKAGE}.registry"


def module_name(path: Path, root: Path = LIBRARY) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def library_modules(root: Path = LIBRARY) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted((root / PACKAGE).rglob("*.py"))}


def imported_modules(path: Path, name: str, known: set[str]) -> set[str]:
    """The ``sim2model`` modules ``path`` imports: ``from a import b`` names ``a.b`` when that
    is a module, else ``a``; relative imports are resolved against ``name``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            if target in known:
                found.add(target)
                if isinstance(node, ast.ImportFrom):
                    break
    found.discard(name)
    return found


def import_graph(root: Path = LIBRARY) -> dict[str, set[str]]:
    modules = library_modules(root)
    known = set(modules)
    return {name: imported_modules(path, name, known) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def study_of(module: str) -> str | None:
    """The study package ``module`` belongs to, or None for shared modules."""
    parts = module.split(".")
    return parts[2] if module.startswith(STUDIES + ".") and len(parts) > 2 else None


def layering_violations(graph: dict[str, set[str]]) -> list[str]:
    problems = []
    for module, imports in sorted(graph.items()):
        own = study_of(module)
        for target in sorted(imports):
            other = study_of(target)
            if own is None and module != REGISTRY and (other is not None or target == REGISTRY):
                problems.append(f"shared module {module} imports {target}")
            elif own is not None and other is not None and other != own:
                problems.append(f"study module {module} imports another study's {target}")
            elif own is not None and module.endswith(".names"):
                problems.append(f"{module} is the study's leaf but imports {target}")
    return problems


GRAPH = import_graph()


def test_the_walk_sees_the_library():
    assert len(GRAPH) > 80
    assert "sim2model.study" in GRAPH["sim2model.studies.galsim.study"]
    assert "sim2model.errors" in GRAPH["sim2model.study"]
    study_packages = {study_of(m) for m in GRAPH} - {None}
    assert study_packages >= {"galsim", "eor21cm", "turbulence", "crsphere", "galaxy10"}


def test_no_import_cycles():
    assert cycles(GRAPH) == []


def test_shared_layers_never_import_a_study():
    assert layering_violations(GRAPH) == []


def test_every_study_package_has_its_names_and_study_modules():
    for study in {study_of(m) for m in GRAPH} - {None}:
        assert f"{STUDIES}.{study}.names" in GRAPH, study
        assert f"{STUDIES}.{study}.study" in GRAPH, study


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # a cycle through a lazy (function-level) import
        (
            {
                "sim2model/a.py": "from sim2model.b import thing\n",
                "sim2model/b.py": "def f():\n    from sim2model import a\n",
            },
            {"cycles": [["sim2model.a", "sim2model.b"]], "violations": []},
        ),
        # a shared layer reaching up into a study for a constant
        (
            {
                "sim2model/io/reader.py": "from sim2model.studies.x.names import CLASSES\n",
                "sim2model/studies/x/names.py": "CLASSES = ()\n",
            },
            {
                "cycles": [],
                "violations": [
                    "shared module sim2model.io.reader imports sim2model.studies.x.names"
                ],
            },
        ),
        # one study borrowing another's module, and a names module that is not a leaf
        (
            {
                "sim2model/studies/x/names.py": "from sim2model.errors import ConfigError\n",
                "sim2model/studies/y/sim.py": "from sim2model.studies.x import names\n",
                "sim2model/errors.py": "",
            },
            {
                "cycles": [],
                "violations": [
                    "sim2model.studies.x.names is the study's leaf but imports sim2model.errors",
                    "study module sim2model.studies.y.sim imports another study's "
                    "sim2model.studies.x.names",
                ],
            },
        ),
    ],
)
def test_the_checks_catch_what_they_guard(tmp_path, files, expected):
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for folder in {p for p in tmp_path.rglob("*") if p.is_dir()}:
        (folder / "__init__.py").touch()
    graph = import_graph(tmp_path)
    assert cycles(graph) == expected["cycles"]
    assert layering_violations(graph) == expected["violations"]
