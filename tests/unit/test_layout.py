"""The tests' own layout: test modules share code only through tests/support, and only browser tests load Playwright.

A test module importing another drags that module's fixtures and tests along and ties the
folders together; Playwright at import time would make every suite need a browser stack.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.paths import PROJECT_ROOT, TESTS_DIR

BROWSER_PACKAGES = ("playwright", "axe_playwright_python")


def imported_modules(source: str, module: str) -> set[str]:
    """Every module `source` imports (absolute names; `from a import b` counts both a and a.b)."""
    package = module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing module's package
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)


def python_files() -> dict[Path, set[str]]:
    return {
        path: imported_modules(path.read_text(encoding="utf-8"), module_name(path))
        for path in sorted(TESTS_DIR.rglob("*.py"))
    }


def is_test_module(name: str) -> bool:
    """A test module or a conftest: fixtures come from conftests by name, never by import."""
    last = name.rpartition(".")[2]
    return name.startswith("tests.") and (last.startswith("test_") or last == "conftest")


def imports_browser_packages(imports: set[str]) -> bool:
    return any(name.split(".")[0] in BROWSER_PACKAGES for name in imports)


@pytest.mark.parametrize(
    ("source", "offends"),
    [
        ("from tests.test_journey import post", True),
        ("from tests.web.test_journey import TOKEN", True),
        ("import tests.worker.test_report_delivery", True),
        ("from tests.web import test_journey", True),
        ("from .test_journey import post", True),
        ("from tests.support.journey import post", False),
        ("from tests.conftest import copy_seeded", True),
        ("from tests.support import admin", False),
    ],
)
def test_the_check_recognises_an_import_of_a_test_module(source: str, offends: bool) -> None:
    imports = imported_modules(source, "tests.worker.test_faults")
    assert any(is_test_module(name) for name in imports) is offends


def test_no_test_module_imports_another_or_a_conftest() -> None:
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)} imports {name}"
        for path, imports in python_files().items()
        for name in sorted(imports)
        if is_test_module(name)
    ]
    assert not offenders, "share code through tests/support instead:\n" + "\n".join(offenders)


def test_playwright_is_imported_only_by_browser_tests_and_support_they_alone_use() -> None:
    files = python_files()
    browser_dir = TESTS_DIR / "browser"
    # Support modules that load Playwright, directly or through another support module.
    loaders = {module_name(path) for path, imports in files.items() if imports_browser_packages(imports)}
    changed = True
    while changed:
        more = {
            module_name(path) for path, imports in files.items() if imports & loaders and path.parent.name == "support"
        }
        changed, loaders = not more <= loaders, loaders | more
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)} imports {name}"
        for path, imports in files.items()
        if not path.is_relative_to(browser_dir) and not (path.parent.name == "support" and module_name(path) in loaders)
        for name in sorted(imports)
        if name.split(".")[0] in BROWSER_PACKAGES or name in loaders
    ]
    assert not offenders, "only tests/browser/ may load Playwright:\n" + "\n".join(offenders)
