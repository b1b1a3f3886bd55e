"""The package's layers: a module imports only modules of its own layer or below,
and nothing imports in a cycle, counting imports inside functions.

The layers, lowest first, are written down in docs/architecture.md; a new module
gets a place here (the test fails for a module no layer names).
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "automl_estimators"

# Top-level modules and subpackages of automl_estimators, lowest layer first.
LAYERS = [
    ("values", {"trial", "scoring", "budget", "host_speed", "reading", "data", "progress",
                "interrupts", "version", "cores", "scratch", "user_warnings", "errors"}),
    ("declarations", {"spaces"}),
    ("components", {"pipelines", "nas", "source_code"}),
    ("selection", {"ensemble", "history", "metalearning", "selection"}),
    ("strategies", {"search"}),
    ("policy", {"plan"}),
    ("trials", {"runners", "evaluation"}),
    ("fit", {"search_loop", "finish"}),
    ("inspection", {"summary", "plotting"}),
    ("estimators", {"export", "estimators"}),
    ("interfaces", {"cli", "cli_data", "__main__", ""}),  # "": the package's __init__
]
LAYER = {name: i for i, (_, names) in enumerate(LAYERS) for name in names}


def _modules():
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _imports(name, path, modules):
    """Modules of the package that ``name`` imports, anywhere in its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            target = (".".join(base[:len(base) - node.level + 1] + [node.module or ""]).strip(".")
                      if node.level else node.module or "")
            targets = [f"{target}.{a.name}" for a in node.names] + [target]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            # importing one's own package (its __init__) is how Python loads a submodule
            if target and target != name and not name.startswith(target + "."):
                found.add(target)
    return found


def _graph():
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _top(module):
    return module.split(".")[1] if "." in module else ""


def test_every_module_has_a_layer():
    unplaced = sorted({_top(m) for m in _graph()} - set(LAYER))
    assert not unplaced, f"give these a layer in LAYERS and docs/architecture.md: {unplaced}"


def test_no_module_imports_a_higher_layer():
    upward = sorted(f"{m} ({LAYERS[LAYER[_top(m)]][0]}) imports {t} ({LAYERS[LAYER[_top(t)]][0]})"
                    for m, targets in _graph().items() for t in targets
                    if LAYER.get(_top(t), -1) > LAYER.get(_top(m), len(LAYERS)))
    assert not upward, "\n".join(upward)


def _cycles(graph):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
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

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles_between_modules_or_subpackages():
    graph = _graph()
    packages = {}
    for m, targets in graph.items():
        packages.setdefault(_top(m), set()).update(
            _top(t) for t in targets if _top(t) not in ("", _top(m)))
    assert not _cycles(graph), _cycles(graph)
    assert not _cycles(packages), _cycles(packages)
