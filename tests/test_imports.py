"""The modules of skfair import each other without circles."""

import ast
from pathlib import Path

import skfair

_ROOT = Path(skfair.__file__).parent


def _module_files():
    files = {}
    for path in _ROOT.rglob("*.py"):
        parts = ["skfair", *path.relative_to(_ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        files[".".join(parts)] = path
    return files


def _imported(node, package):
    """The dotted names an import statement may refer to."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: climb level - 1 packages up from ``package``
        parts = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join(parts + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def _import_graph():
    """Module -> skfair modules it imports anywhere (function bodies included)."""
    files = _module_files()
    graph = {}
    for module, path in files.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                targets.update(_imported(node, package))
        graph[module] = {t for t in targets if t in files and t != module}
    return graph


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_the_known_imports():
    graph = _import_graph()
    assert "skfair._console" in graph["skfair._demo"]
    assert "skfair.metrics._counts" in graph["skfair.metrics._dask"]
    assert {"skfair.metrics._counts", "skfair.metrics._dask"} <= graph[
        "skfair.metrics._dispatch"
    ]


def test_cycle_finder_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_import_circles():
    assert _cycles(_import_graph()) == []
