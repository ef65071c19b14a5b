"""The package's shape: layers import one way, no import cycle, small modules, annotated signatures.

Imports are read from the source (``ast``), including imports inside
functions, so a cycle hidden by a deferred import is still a cycle.

Layers (lower may never import higher)::

    errors → physics → model → io (and datasets) → synthetic → fitting → {many, analysis, plotting} → {widgets, cli}

``thermal`` is a capability of its own: it may use ``errors`` and ``io``;
``plotting.thermal``, ``widgets.thermal_panel`` and ``cli.thermal`` sit on it.
``arpes_sigma/__init__.py`` and ``accessor.py`` are the top-level glue (lazy
re-exports) and are not ranked.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "arpes_sigma"

RANK = {
    "errors": 0,
    "physics": 1,
    "model": 2,
    "model_spec": 2,
    "io": 3,
    "datasets": 3,
    "thermal": 3,
    "synthetic": 4,
    "fitting": 5,
    "many": 6,
    "analysis": 6,
    "plotting": 6,
    "widgets": 7,
    "cli": 7,
}
UNRANKED = {"arpes_sigma", "arpes_sigma.accessor"}
MAX_LINES = 600
#: Modules outside thermal that may import it: its plot, its widget, its subcommand.
THERMAL_FACES = ("thermal", "thermal_panel")


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_blocks(tree: ast.AST) -> set[int]:
    """ids of the import nodes inside ``if TYPE_CHECKING:`` blocks (annotations only)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING":
            out.update(id(n) for b in node.body for n in ast.walk(b))
    return out


def _imports(name: str, path: Path, known: set[str], *, annotations: bool = True) -> set[str]:
    """Every arpes_sigma module that ``name`` imports (top level or inside functions).

    ``annotations=False`` leaves out imports under ``if TYPE_CHECKING:``: they run
    nothing at import time, so they cannot make an import cycle (they still count
    for the layer rule).
    """
    tree = ast.parse(path.read_text())
    skip = set() if annotations else _type_checking_blocks(tree)
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                root = base[: len(base) - (node.level - 1)]
                mod = ".".join(root + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
        else:
            continue
        for t in targets:
            # the longest known module that prefixes the target
            parts = t.split(".")
            for i in range(len(parts), 0, -1):
                cand = ".".join(parts[:i])
                if cand in known:
                    if cand != name:
                        out.add(cand)
                    break
    # importlib.import_module("arpes_sigma.x") strings in lazy re-exports count too
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in known:
            if node.value != name and name in UNRANKED:
                out.add(node.value)
    return out


def _graph(*, annotations: bool = True) -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    return {name: _imports(name, path, known, annotations=annotations) for name, path in mods.items()}


def _layer(name: str) -> tuple[str, int] | None:
    if name in UNRANKED:
        return None
    parts = name.split(".")
    top = parts[1]
    if top == "plotting" and parts[-1] == "thermal":
        return "plotting", RANK["plotting"]
    return top, RANK[top]


def test_every_module_has_a_layer():
    for name in _modules():
        if name not in UNRANKED:
            assert name.split(".")[1] in RANK, f"{name} is in no layer; add its package to RANK"


def test_layers_import_one_way():
    bad = []
    for name, deps in _graph().items():
        me = _layer(name)
        if me is None:
            continue
        for dep in deps:
            other = _layer(dep)
            if other is None:
                bad.append(f"{name} imports the top-level glue {dep}")
            elif other[1] > me[1]:
                bad.append(f"{name} ({me[0]}) imports {dep} ({other[0]})")
            elif me[0] == "thermal" and other[0] not in ("thermal", "errors", "io"):
                bad.append(f"{name} (thermal) imports {dep}")
            elif other[0] == "thermal" and me[0] != "thermal" and name.split(".")[-1] not in THERMAL_FACES:
                bad.append(f"{name} imports the thermal capability {dep}")
    assert not bad, "\n".join(bad)


def test_no_import_cycle():
    graph = _graph(annotations=False)
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(n: str) -> None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if m.startswith(n + "."):
                continue  # a package's __init__ importing its own submodule is not a cycle
            if state.get(m) == 1:
                cycles.append(" -> ".join(stack[stack.index(m):] + [m]))
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)
    assert not cycles, "\n".join(cycles)


def test_the_checks_see_a_deferred_import():
    # control: an import inside a function body is found (so the cycle test can fail)
    known = set(_modules())
    deps = _imports("arpes_sigma.cli.fit", PACKAGE / "cli" / "fit.py", known)
    assert "arpes_sigma.fitting.pipeline" in deps


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_size(path):
    n = len(path.read_text().splitlines())
    assert n <= MAX_LINES, f"{path.name} has {n} lines; split it (ceiling {MAX_LINES})"


def _public_callables(tree: ast.Module):
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            yield node
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                    not item.name.startswith("_") or item.name == "__init__"
                ):
                    yield item


def _annotated(fn: ast.FunctionDef) -> bool:
    args = fn.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    if params and params[0].arg in ("self", "cls"):
        params = params[1:]
    if args.vararg:
        params.append(args.vararg)
    if args.kwarg:
        params.append(args.kwarg)
    ret_ok = fn.returns is not None or fn.name == "__init__"
    return ret_ok and all(p.annotation is not None for p in params)


def test_public_signatures_are_mostly_annotated():
    total = done = 0
    for path in PACKAGE.rglob("*.py"):
        for fn in _public_callables(ast.parse(path.read_text())):
            total += 1
            done += _annotated(fn)
    assert total > 50  # control: the walk finds the package's functions
    assert done / total >= 0.70, f"{done}/{total} public signatures fully annotated ({done / total:.0%}); need 70 %"
