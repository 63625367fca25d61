"""The code's layout rules, read from the source (AST) rather than by importing it.

- Only the store (``publisher/store/``), the models and the migrations import SQLAlchemy: every query is the store's.
- The product code has no import cycle (module-level imports; those inside functions are deferred on purpose).
- ``adapters`` import nothing from ``publisher``: a channel adapter knows nothing of the queue that drives it.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("publisher", "adapters")
#: the files allowed to import SQLAlchemy besides the store package
SQL_ALLOWED = {
    "publisher/models.py",
    "publisher/tracker/models.py",
    "publisher/reports/models.py",
    "publisher/web/models.py",
}


def _sources() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), path


def _module_name(relative: str) -> str:
    parts = relative.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The module names an import statement names (for ``from X import Y``: X, and X.Y in case Y is a module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:  # relative: resolved against this module's package
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, base] if base else package)
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports run when the module is imported: top level, and inside top-level if/try (not TYPE_CHECKING)."""
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            pending.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            pending.extend(node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body])


def _all_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node


def _importers(package: str, checked: Callable[[str], bool]) -> list[str]:
    """``file:line`` of each import of ``package`` (or a module in it) in the sources ``checked`` chooses."""
    found = []
    for relative, path in _sources():
        if not checked(relative):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), relative)
        for node in _all_imports(tree):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(name == package or name.startswith(f"{package}.") for name in names):
                found.append(f"{relative}:{node.lineno}")
    return found


def _outside_the_store(relative: str) -> bool:
    return not relative.startswith(("publisher/store/", "publisher/migrations/")) and relative not in SQL_ALLOWED


def test_only_the_store_models_and_migrations_import_sqlalchemy() -> None:
    found = _importers("sqlalchemy", _outside_the_store)
    assert found == [], "SQL belongs in publisher/store/ (add a function there and call it): " + ", ".join(found)


def _import_graph() -> dict[str, set[str]]:
    sources = {_module_name(relative): (relative, path) for relative, path in _sources()}
    graph: dict[str, set[str]] = {name: set() for name in sources}
    for name, (relative, path) in sources.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), relative)
        for node in _module_level_imports(tree):
            for target in _imported(node, name, relative.endswith("__init__.py")):
                if target in sources and target != name:
                    graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycle_in_the_product_code() -> None:
    cycles = _cycles(_import_graph())
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_adapters_import_nothing_from_publisher() -> None:
    found = _importers("publisher", lambda relative: relative.startswith("adapters/"))
    assert found == [], "adapters must not import publisher: " + ", ".join(found)
