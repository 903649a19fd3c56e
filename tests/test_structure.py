"""The package's shape: no import cycles, imports at module level (so a cycle cannot
hide in a function), a core that knows nothing of the replication, and a command line
that answers before torch loads."""

import ast
import pathlib
import subprocess
import sys

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "neuronstats"
# function-level imports allowed: optional or heavy dependencies loaded only where used
LAZY = ("matplotlib", "dask", "distributed", "importlib", "neuronstats.commands", "multiprocessing", "resource")
# the analysis core: the model protocol, the microscope, the stages, the statistics and the findings
CORE = ("neuronstats.errors", "neuronstats.examples", "neuronstats.vocab", "neuronstats.wrap", "neuronstats.planted",
        "neuronstats.model.cells", "neuronstats.model.seq2seq", "neuronstats.model.decode", "neuronstats.microscope",
        "neuronstats.stages", "neuronstats.stats", "neuronstats.findings")


def _modules() -> dict:
    out = {}
    for p in PACKAGE.rglob("*.py"):
        parts = p.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = ast.parse(p.read_text(encoding="utf-8"))
    return out


def _imports(tree, modules) -> set:
    """The package modules ``tree`` imports anywhere (module or function level)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("neuronstats"):
            for a in node.names:
                full = f"{node.module}.{a.name}"
                out.add(full if full in modules else node.module)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("neuronstats")}
    return out


def _within(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_no_import_cycles():
    modules = _modules()
    graph = {m: _imports(t, modules) - {m} for m, t in modules.items()}
    state, stack = {}, []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == "open":
                cycle = stack[stack.index(n):] + [n]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_imports_are_at_module_level():
    bad = []
    for name, tree in _modules().items():
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(fn):
                    if isinstance(node, (ast.Import, ast.ImportFrom)):
                        mod = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                        if not _within(mod or "", LAZY):
                            bad.append(f"{name}.{fn.name}: {mod}")
    assert not bad, bad


def test_the_core_imports_nothing_of_the_replication():
    modules = _modules()
    reach = [f"{m} -> {n}" for m, t in modules.items() if _within(m, CORE)
             for n in _imports(t, modules) if not _within(n, CORE)]
    assert not reach, reach


def test_the_command_line_parser_loads_without_torch():
    code = ("import sys, neuronstats.cli, neuronstats; "
            "print([m for m in ('torch', 'pandas', 'sklearn', 'distributed') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    help_text = subprocess.run([sys.executable, "-m", "neuronstats", "--help"], capture_output=True, text=True,
                               check=True).stdout
    assert "replicate" in help_text and "sweep" in help_text


def test_no_pickle_loading_of_model_files():
    hits = [str(p) for p in PACKAGE.rglob("*.py") if "weights_only=False" in p.read_text(encoding="utf-8")]
    assert not hits, hits
