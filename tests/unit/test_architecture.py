"""The house plan (docs/architecture.md) holds: a pure core, no import circles, small modules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "clinicfinder"
FRAMEWORKS = ("flask", "sqlalchemy", "huey", "weasyprint", "werkzeug", "flask_sqlalchemy")
CORE_MODULES = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for path in (PACKAGE / "core").rglob("*.py")
)


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported_modules(path: Path, name: str | None = None) -> set[str]:
    """Every clinicfinder module `path` (module `name`) imports, at the top or inside a function."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = name or module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                # `from pkg import module` imports that module; `from module import name` the module.
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {name for name in found if name in MODULES}


@pytest.mark.parametrize("module", CORE_MODULES)
def test_importing_a_core_module_loads_no_framework(module: str) -> None:
    probe = (
        f"import sys, {module}\nprint(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {FRAMEWORKS!r})))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "", f"{module} loads {loaded.stdout.strip()}"


def test_no_module_of_the_package_is_part_of_an_import_circle() -> None:
    graph = {name: imported_modules(path) for name, path in MODULES.items()}
    circles = [component for component in strongly_connected(graph) if len(component) > 1]
    assert circles == [], f"import circles: {circles}"


def test_no_python_file_of_the_package_is_over_500_lines() -> None:
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text().splitlines())) > 500}
    assert long == {}


def test_the_circle_finder_sees_a_circle_and_an_import_inside_a_function(tmp_path: Path) -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert [sorted(c) for c in strongly_connected(graph) if len(c) > 1] == [["a", "b", "c"]]
    late = tmp_path / "late.py"
    late.write_text("def f() -> None:\n    from clinicfinder import app\n    from ..db import models\n")
    assert imported_modules(late, "clinicfinder.core.late") == {"clinicfinder.app", "clinicfinder.db.models"}


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative: the groups of modules that reach each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    components.append(component)
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return components


# Folders a merge can touch; a conflict marker left in any of them would ship as text (a template
# shows it to patients) or break a parse far from the merge.
SOURCE_FOLDERS = ("clinicfinder", "templates", "content", "translations", "tests", "scripts", "tools", "benchmarks",
                  "migrations", "docs", "data", "deploy")  # fmt: skip
TEXT_SUFFIXES = {".py", ".html", ".txt", ".yaml", ".yml", ".po", ".md", ".css", ".js", ".csv", ".toml", ".sh", ".cfg"}


def test_no_file_holds_a_merge_conflict_marker() -> None:
    root = PACKAGE.parent
    offenders = []
    for folder in SOURCE_FOLDERS:
        for path in (root / folder).rglob("*"):
            if path.suffix not in TEXT_SUFFIXES or not path.is_file():
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
                if line.startswith(("<<<<<<< ", ">>>>>>> ")):
                    offenders.append(f"{path.relative_to(root)}:{number}")
    assert not offenders, "unresolved merge conflicts:\n" + "\n".join(offenders)
