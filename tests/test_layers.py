"""The package is layered by the stages of the data flow, and nothing reaches back up.

Every module under src/budgetopt is parsed with ``ast``; each import (at module level or inside
a function; ``if TYPE_CHECKING:`` blocks are left out, they are annotations only) must point to
a layer no higher than its own, the imports between modules must have no cycle, and no module
but the package's lazy loader (``budgetopt/__init__.py``) imports by name at run time
(``importlib.import_module``, ``__import__``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

LAYERS = ["base", "data", "families", "policy", "model", "solve", "results", "api", "analyses",
          "reports", "store", "batch", "cli"]
"""Lowest first. cli and ui are both the top layer, and do not import each other."""

BASE = {"budgetopt", "budgetopt.errors", "budgetopt.safe"}
TOP = {"budgetopt.__main__": "cli", "budgetopt.ui": "ui"}
ALLOWED_IMPORTLIB = {"importlib.resources", "importlib.metadata"}  # reading files, versions


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted((SRC / "budgetopt").rglob("*.py"))}


def layer(module: str) -> str:
    """The layer of a budgetopt module: its first package under budgetopt."""
    if module in BASE:
        return "base"
    for prefix, name in TOP.items():
        if module == prefix or module.startswith(prefix + "."):
            return name
    part = module.split(".")[1]
    if part not in LAYERS:
        raise AssertionError(f"{module}: not in any layer; add its folder to LAYERS")
    return part


def rank(name: str) -> int:
    return LAYERS.index("cli") if name == "ui" else LAYERS.index(name)


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(node: ast.AST):
    """Every node below `node`, leaving out the bodies of ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _type_checking(child):
            for other in child.orelse:
                yield other
                yield from _walk(other)
            continue
        yield child
        yield from _walk(child)


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if MODULES[module].name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(module: str) -> list[tuple[str, int]]:
    """(imported module, line) of each run-time import in `module`: ``from a import b`` is
    the module ``a.b`` when there is one, else ``a``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    out = []
    for node in _walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.append((sub if sub in MODULES else target, node.lineno))
    return out


def _ours(name: str) -> str | None:
    """The budgetopt module `name` refers to (its nearest existing parent), or None."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name if name.startswith("budgetopt") else None


GRAPH = {m: sorted({t for name, _ in imports(m) if (t := _ours(name)) and t != m})
         for m in MODULES}


def test_every_module_is_in_a_layer():
    assert {layer(m) for m in MODULES} <= {*LAYERS, "ui"}


def test_no_module_imports_from_a_layer_above_its_own():
    wrong = []
    for m, path in MODULES.items():
        for name, line in imports(m):
            target = _ours(name)
            if target is None:
                continue
            here, there = layer(m), layer(target)
            if rank(there) > rank(here) or {here, there} == {"cli", "ui"}:
                wrong.append(f"{path.relative_to(SRC)}:{line} ({here}) imports {target} "
                             f"({there})")
    assert not wrong, "imports from a higher layer:\n" + "\n".join(wrong)


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles_between_modules():
    assert not _cycles(GRAPH), "import cycles: " + "; ".join(
        " <-> ".join(c) for c in _cycles(GRAPH))


def test_no_dynamic_imports_outside_the_lazy_loader():
    wrong = []
    for m, path in MODULES.items():
        if m == "budgetopt":
            continue
        for node in _walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("importlib"):
                names = [node.module if node.module != "importlib" else f"importlib.{a.name}"
                         for a in node.names]
            elif isinstance(node, ast.Name) and node.id == "__import__":
                names = ["__import__"]
            wrong += [f"{path.relative_to(SRC)}:{node.lineno} uses {n}" for n in names
                      if (n == "__import__" or n.split(".")[0] == "importlib")
                      and n not in ALLOWED_IMPORTLIB]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("source, expected", [
    ("from budgetopt.api import build\n", ["budgetopt.api"]),
    ("from budgetopt.families import money\n", ["budgetopt.families.money"]),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from budgetopt.api import x\n",
     []),
    ("def f():\n    from budgetopt.reports.excel import write_bcf_workbook\n",
     ["budgetopt.reports.excel"]),
])
def test_the_checker_sees_module_and_function_imports_but_not_annotations(source, expected,
                                                                            tmp_path,
                                                                            monkeypatch):
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    monkeypatch.setitem(MODULES, "budgetopt.probe", path)
    found = [t for name, _ in imports("budgetopt.probe") if (t := _ours(name))]
    assert found == expected


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]
