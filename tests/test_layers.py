"""One-way layering: no module imports a layer above its own, deferred imports included.

The layers, from the bottom: ``ponder.version`` and ``ponder.lazy``; ``ponder.lang`` (the
compiler and the records a library of distributions and functions is made
of); ``ponder.stdlib`` (the built-in library); the plugin host
(``ponder.plugins.hookspecs``, ``registry``, ``manager``); ``ponder.runtime``;
the API (``ponder.model``, ``ponder.progress``); presentation
(``ponder.console``, ``ponder.arguments``, ``ponder.summary``,
``ponder.plots``, ``ponder.report``); ``ponder.session``; ``ponder.repl``;
``ponder.cli``; the built-in plugin modules (they import what they register);
the package root. Every ``import`` statement counts, also those inside
functions. The plugin manager loads plugin modules by name at run time, as it
loads third-party entry points; that is not an import edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "ponder"

LAYERS = (
    ("ponder.version", "ponder.lazy"),
    ("ponder.lang",),
    ("ponder.stdlib",),
    ("ponder.plugins.hookspecs", "ponder.plugins.registry", "ponder.plugins.manager", "ponder.plugins.options",
     "ponder.plugins"),
    ("ponder.runtime",),
    ("ponder.model", "ponder.progress", "ponder.sbc"),
    ("ponder.console", "ponder.arguments", "ponder.summary", "ponder.plots", "ponder.report"),
    ("ponder.session",),
    ("ponder.repl",),
    ("ponder.cli", "ponder.cli_sbc", "ponder.__main__"),
    ("ponder.plugins.builtin",),
    ("ponder.testing",),
    ("ponder",),
)

# inside the runtime: the parts a run loop drives never import the run loop
RUNTIME_BELOW_RUN = ("ponder.runtime.samplers", "ponder.runtime.likelihoods", "ponder.runtime.executors",
                     "ponder.runtime.methods")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in ROOT.rglob("*.py") if "templates" not in p.parts}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The ponder modules ``path`` imports anywhere in its text (``from ponder import x``: x if a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known else node.module
                     for a in node.names]
        else:
            continue
        found.update(n for n in names if n == "ponder" or n.startswith("ponder."))
    return found


def layer_of(name: str) -> int:
    best, rank = -1, None
    for i, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), i
    assert rank is not None, f"module {name} is in no layer: add it to LAYERS"
    return rank


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports_of(path, set(mods)) for name, path in mods.items()}


def test_every_module_has_a_layer():
    for name in modules():
        layer_of(name)


def test_no_import_runs_up_a_layer():
    up = []
    for name, targets in graph().items():
        for target in targets:
            if layer_of(target) > layer_of(name):
                up.append(f"{name} -> {target}")
    assert not up, "imports that run up a layer:\n" + "\n".join(sorted(up))


def test_samplers_likelihoods_and_executors_never_import_the_run_loop():
    bad = [f"{name} -> {t}" for name, targets in graph().items() if name.startswith(RUNTIME_BELOW_RUN)
           for t in targets if t == "ponder.runtime.run"]
    assert not bad, bad


def test_no_import_cycle():
    g = graph()
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(g.get(node, ())):
            if nxt not in g:
                continue
            if state.get(nxt) == 1:
                cycle.extend(path[path.index(nxt):] + [nxt])
                return True
            if state.get(nxt) is None and visit(nxt, path + [nxt]):
                return True
        state[node] = 2
        return False

    for start in sorted(g):
        if state.get(start) is None and visit(start, [start]):
            break
    assert not cycle, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("edge", ["ponder.runtime.target -> ponder.model", "ponder.session -> ponder.cli"])
def test_the_checker_sees_a_back_edge(tmp_path, edge):
    """The check itself fires on a planted back-edge (deferred, inside a function)."""
    source, target = edge.split(" -> ")
    path = tmp_path / "m.py"
    path.write_text(f"def f():\n    from {target} import something\n")
    assert imports_of(path, set(modules())) == {target}
    assert layer_of(target) > layer_of(source)
