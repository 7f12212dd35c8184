"""The generator's shape, checked from its source: no import circle among oxgen's modules
(counting every import that runs, module level and inside functions; ``TYPE_CHECKING`` blocks
aside), and a module map in ``oxgen/__init__.py`` that names every module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

OXGEN = REPO / "generator" / "oxgen"


def module_files(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package at `root`."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


class _Imports(ast.NodeVisitor):
    """Every import statement of a module, wherever it is, except under ``if TYPE_CHECKING:``
    (those never run)."""

    def __init__(self) -> None:
        self.found: list[ast.Import | ast.ImportFrom] = []

    def visit_If(self, node: ast.If) -> None:
        if "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.found.append(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.found.append(node)


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The dotted names an import statement may load (``from a import b`` may load ``a.b``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        source = ".".join([*base, *([node.module] if node.module else [])])
    else:
        source = node.module or ""
    return [source, *(f"{source}.{alias.name}" for alias in node.names)]


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports (directly, when it runs). Importing
    ``a.b.c`` also runs ``a`` and ``a.b``; a module's own enclosing packages are left out (they
    are initialised before it, never by it)."""
    files = module_files(root)
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        visitor = _Imports()
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
        edges: set[str] = set()
        for node in visitor.found:
            for name in _targets(module, path.name == "__init__.py", node):
                parts = name.split(".")
                for i in range(1, len(parts) + 1):
                    prefix = ".".join(parts[:i])
                    if prefix in files and not (module + ".").startswith(prefix + "."):
                        edges.add(prefix)
        graph[module] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_oxgen_has_no_import_circle() -> None:
    graph = import_graph(OXGEN)
    assert "oxgen.diff.compare" in graph["oxgen.releases"]  # function-level imports count
    assert cycles(graph) == []


def test_ir_is_a_leaf() -> None:
    """The intermediate model depends on nothing else of oxgen."""
    assert import_graph(OXGEN)["oxgen.ir"] == set()


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}, "e": {"a"}}, [["a", "b"], ["c", "d"]]),
        ({"a": {"a"}}, []),
    ],
)
def test_cycle_finder(graph: dict[str, set[str]], expected: list[list[str]]) -> None:
    assert sorted(cycles(graph)) == expected


def test_import_graph_sees_function_level_imports_and_skips_type_checking(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import c\n"
        "def f():\n    from . import b\n",
        encoding="utf-8",
    )
    (pkg / "b.py").write_text("import pkg.a\n", encoding="utf-8")
    (pkg / "c.py").write_text("from .a import f\n", encoding="utf-8")
    graph = import_graph(pkg)
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.c"] == {"pkg.a"}
    assert cycles(graph) == [["pkg.a", "pkg.b"]]


def test_module_map_names_every_module() -> None:
    """``oxgen/__init__.py`` maps the package: every module and subpackage is listed there."""
    doc = ast.get_docstring(ast.parse((OXGEN / "__init__.py").read_text(encoding="utf-8"))) or ""
    listed = {line.split("``")[1] for line in doc.splitlines() if line.startswith("- ``")}
    modules = {p.stem for p in OXGEN.glob("*.py") if p.stem not in ("__init__", "__main__")}
    packages = {f"{p.name}/" for p in OXGEN.iterdir() if (p / "__init__.py").is_file()}
    assert listed == modules | packages


# What only the command line may do: print, exit, read the environment, talk to the terminal.
_CLI_ONLY_CALLS = {"print", "exit", "quit", "input"}
_CLI_ONLY_ATTRIBUTES = {
    ("sys", "exit"),
    ("sys", "stdout"),
    ("sys", "stderr"),
    ("sys", "stdin"),
    ("os", "_exit"),
    ("os", "environ"),
    ("os", "getenv"),
    ("os", "environb"),
}


def cli_voice(source: str) -> list[str]:
    """What a module does that only the command line may do: print or exit, read the
    environment, use the terminal's streams or click (line: what)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        what = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            what = node.func.id if node.func.id in _CLI_ONLY_CALLS else None
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            pair = (node.value.id, node.attr)
            what = ".".join(pair) if pair in _CLI_ONLY_ATTRIBUTES else None
        elif isinstance(node, ast.Raise) and node.exc is not None:
            text = ast.unparse(node.exc)
            what = "raise SystemExit" if text.startswith("SystemExit") else None
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            what = (
                "import click" if any((n or "").split(".")[0] == "click" for n in names) else None
            )
        if what is not None:
            found.append(f"{getattr(node, 'lineno', '?')}: {what}")
    return found


def test_only_the_command_line_prints_or_exits() -> None:
    """The core returns results or raises typed errors (and warns through `warnings`); only
    cli.py and __main__.py print, exit, read OXEN_API_KEY and the like."""
    offenders = {
        name: found
        for name, path in module_files(OXGEN).items()
        if name not in ("oxgen.cli", "oxgen.__main__")
        and (found := cli_voice(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
    assert cli_voice((OXGEN / "cli.py").read_text(encoding="utf-8"))  # the finder finds them


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("print('x')", ["1: print"]),
        ("import sys\nsys.stderr.write('x')", ["2: sys.stderr"]),
        ("import os\nkey = os.environ.get('K')", ["2: os.environ"]),
        ("raise SystemExit(2)", ["1: raise SystemExit"]),
        ("from click import echo", ["1: import click"]),
        ("def f(stream):\n    stream.write('x')", []),
        ("import warnings\nwarnings.warn('x')", []),
    ],
)
def test_cli_voice_finder(source: str, expected: list[str]) -> None:
    assert cli_voice(source) == expected


MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 90


def oversized(root: Path) -> list[str]:
    """Modules over MAX_MODULE_LINES lines and functions (methods, nested functions) over
    MAX_FUNCTION_LINES, counted from `def` (decorators included) to their last line."""
    found = []
    for name, path in module_files(root).items():
        source = path.read_text(encoding="utf-8")
        if source.count("\n") > MAX_MODULE_LINES:
            found.append(f"{name}: {source.count(chr(10))} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                length = (node.end_lineno or node.lineno) - start + 1
                if length > MAX_FUNCTION_LINES:
                    found.append(f"{name}.{node.name}: {length} lines")
    return found


def test_modules_and_functions_are_small_enough_to_read_at_once() -> None:
    assert oversized(OXGEN) == []


def test_oversized_finds_long_modules_and_functions(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "long.py").write_text(f"def f():\n{body}\n" + "\n" * 520, encoding="utf-8")
    (pkg / "short.py").write_text(f"def g():\n{body[: -len(body.splitlines()[-1]) - 1]}", "utf-8")
    assert oversized(pkg) == ["pkg.long: 612 lines", f"pkg.long.f: {MAX_FUNCTION_LINES + 1} lines"]
