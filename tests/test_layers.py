"""The import structure: layers run one way (corpus → index → qa → ui → cli) and no module
imports another in a cycle. Lazy imports inside functions count as imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LAYERS = ("corpus", "index", "qa", "ui", "cli")
RANK = {name: i for i, name in enumerate(LAYERS)}


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for layer in LAYERS:
        for path in sorted((REPO / layer).rglob("*.py")):
            if "data" in path.relative_to(REPO).parts:
                continue
            name = ".".join(path.relative_to(REPO).with_suffix("").parts)
            out[name.removesuffix(".__init__")] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules ``name`` imports, at its top or inside functions."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    # A package importing its own submodules (re-exports) is not a cycle.
    return {m: {t for t in _imports(m, p, known) if not t.startswith(m + ".")} for m, p in modules.items()}


def test_every_layer_has_modules(graph: dict[str, set[str]]) -> None:
    assert {m.split(".")[0] for m in graph} == set(LAYERS)


def test_no_upward_imports(graph: dict[str, set[str]]) -> None:
    upward = sorted(
        f"{m} -> {t}" for m, targets in graph.items() for t in targets if RANK[t.split(".")[0]] > RANK[m.split(".")[0]]
    )
    assert upward == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for vertex in graph:
        if vertex not in index:
            visit(vertex)
    return found


def test_no_import_cycles(graph: dict[str, set[str]]) -> None:
    assert _cycles(graph) == []


def test_the_checks_can_fail() -> None:
    """The detectors find a planted upward import and a planted cycle."""
    planted = {"corpus.a": {"qa.b"}, "qa.b": {"corpus.a"}}
    assert _cycles(planted) == [["corpus.a", "qa.b"]]
    assert any(RANK[t.split(".")[0]] > RANK[m.split(".")[0]] for m, ts in planted.items() for t in ts)
