"""The package's layers, read from the source: what each module may import (issue 18)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "planner"
SOLVERS = {
    "planner.schedule",
    "planner.cpsat",
    "planner.routes",
    "planner.routing",
    "planner.clusters",
    "planner.routing.engines",
}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, ast.AST]]:
    """``(module imported, node)`` for every import of a file, names of ``from planner import x``
    resolved to ``planner.x``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, node) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.module, node))
            if node.module == "planner":
                out += [(f"planner.{a.name}", node) for a in node.names]
    return out


MODULES = {_module(p): p for p in PACKAGE.rglob("*.py")}


def _in_app(name: str) -> bool:
    return name == "planner.app" or name.startswith("planner.app.")


def _planner_imports(name: str) -> set[str]:
    return {m for m, _ in _imports(MODULES[name]) if m.startswith("planner")}


def test_the_checker_imports_no_solver():
    assert not _planner_imports("planner.verify") & SOLVERS
    assert not _planner_imports("planner.plan") & SOLVERS


def test_geo_imports_nothing_of_the_planner():
    assert _planner_imports("planner.geo") == set()


def test_the_task_runner_knows_no_station():
    assert _planner_imports("planner.executor") <= {"planner._errors"}


def test_the_stores_do_not_import_the_store_that_chooses_between_them():
    for name in ("planner.store_gpkg", "planner.store_pg", "planner.store_schema"):
        assert "planner.store" not in _planner_imports(name), name
    assert "planner.store_pg" not in _planner_imports("planner.store_gpkg")


@pytest.mark.parametrize(
    "name", sorted(n for n in MODULES if not _in_app(n) and n != "planner.cli")
)
def test_only_the_shell_and_the_app_sit_above_the_domain(name):
    assert not {m for m in _planner_imports(name) if _in_app(m)}, name
    assert "planner.cli" not in _planner_imports(name), name


@pytest.mark.parametrize("name", sorted(filter(_in_app, MODULES)))
def test_the_app_prints_nothing_and_knows_no_shell(name):
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    assert not {m for m, _ in _imports(MODULES[name])} & {"click", "planner.cli"}, name
    calls = [
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    ]
    assert "print" not in calls, name


def test_the_cli_imports_at_the_top_only():
    tree = ast.parse(MODULES["planner.cli"].read_text(encoding="utf-8"))
    inside = [
        f"{fn.name}:{n.lineno}"
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef)
        for n in ast.walk(fn)
        if isinstance(n, ast.Import | ast.ImportFrom)
    ]
    assert inside == []


def test_no_private_name_crosses_modules():
    crossing = [
        f"{name}: from {node.module} import {a.name}"
        for name, path in MODULES.items()
        for module, node in _imports(path)
        if isinstance(node, ast.ImportFrom) and module == node.module
        for a in node.names
        if a.name.startswith("_")
        and module.startswith("planner")
        and module != name
        and f"{module}.{a.name}" not in MODULES  # a private module of the package is its own
    ]
    assert crossing == []
