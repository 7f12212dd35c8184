"""The shape of the client runtime: no import circle counting every import that runs, function-
local imports only where they keep a module out of `import` and client creation, small modules
and functions (docs/runtime.md says why each lazy import is where it is)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

TEMPLATES = REPO / "templates" / "oxen_inference"
GENERATED = REPO / "generated" / "oxen_inference"
PACKAGE = "oxen_inference"


def _modules(root: Path, package: str) -> dict[str, Path]:
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join([package, *parts])] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Imports(ast.NodeVisitor):
    """Every import a module runs: (imported module, inside a function?); the bodies of
    ``if TYPE_CHECKING:`` are left out (they never run)."""

    def __init__(self, name: str, is_package: bool, known: set[str]) -> None:
        self.base = name.split(".") if is_package else name.split(".")[:-1]
        self.known = known
        self.found: list[tuple[str, bool]] = []
        self.depth = 0

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.found.append((alias.name, self.depth > 0))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.base[: len(self.base) - (node.level - 1)]
            source = ".".join([*base, *([node.module] if node.module else [])])
        else:
            source = node.module or ""
        for alias in node.names:  # `from . import _registry` imports a module
            sub = f"{source}.{alias.name}"
            self.found.append((sub if sub in self.known else source, self.depth > 0))


def import_graph(root: Path, package: str) -> dict[str, list[tuple[str, bool]]]:
    """Module -> the package's modules it imports when it runs: (module, from a function?)."""
    modules = _modules(root, package)
    graph = {}
    for name, path in modules.items():
        visitor = _Imports(name, path.name == "__init__.py", set(modules))
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
        graph[name] = [(m, local) for m, local in visitor.found if m in modules and m != name]
    return graph


def cycles(graph: dict[str, list[tuple[str, bool]]]) -> list[list[str]]:
    """The import circles: strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target, _ in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_runtime_has_no_import_circle() -> None:
    graph = import_graph(GENERATED, PACKAGE)
    assert len(graph) > 100  # the runtime, its blocking twins, the model modules
    found = cycles(graph)
    detail = [
        f"{a} -> {b}{' (in a function)' if local else ''}"
        for group in found
        for a in group
        for b, local in graph[a]
        if b in group
    ]
    assert found == [], detail


def test_the_circle_finder_sees_imports_inside_functions(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from typing import TYPE_CHECKING\nfrom . import b\n")
    (pkg / "b.py").write_text("def f():\n    from .c import x\n")
    (pkg / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import f\n"
        "def g():\n    from .a import y\n"
    )
    (pkg / "d.py").write_text("if TYPE_CHECKING:\n    from .a import y\n")
    assert cycles(import_graph(pkg, "pkg")) == [["pkg.a", "pkg.b", "pkg.c"]]
    (pkg / "c.py").write_text("if TYPE_CHECKING:\n    from .a import y\n")
    assert cycles(import_graph(pkg, "pkg")) == []  # a TYPE_CHECKING import never runs


# Function-local imports of the client runtime: only of what creating a client never loads (each
# is kept out of `import oxen_inference` and `Oxen()`/`AsyncOxen()`; the test below checks that
# none of them is loaded by then anyway). docs/runtime.md says why each one is lazy.
LAZY_MODULES = {
    "httpx": "the first request",
    "asyncio": "the first async request (AsyncOxen() alone does not need it)",
    "queue": "the blocking client's limiter, made by its first request",
    "logging": "the first log line (OXEN_LOG) or a debug message",
    "difflib": "an error message's did-you-mean",
    "mimetypes": "a local file whose bytes show no known format",
    "tempfile": "a pipe copied to a temporary file (for an upload or your own storage)",
    "unicodedata": "a pattern with a Unicode property class",
    "pydantic_core": "the pattern modules, shared with the generator",
}
LAZY_BINDINGS = {  # package modules bound on first use, by the module that binds them
    "_async/api.py": {".events", ".uploads", ".resources", ".chat", ".jobs", ".._models"},
    "_async/api_client.py": {".._deadline"},
    "_client.py": {"._batch"},
    "_jsonschema.py": {"._ecma"},
}
# The command line, the test kit and the batch engine keep their own lazy imports (the command
# line's start-up time), not checked here; every module is in the import-circle check above.
OWN_RULES = ("_cli", "testing", "_batch", "_journal", "_pricing", "_progress")


def _local_imports() -> Iterator[tuple[str, str, str]]:
    for path in sorted(TEMPLATES.rglob("*.py")):
        rel = path.relative_to(TEMPLATES).as_posix()
        if rel.split("/")[0].removesuffix(".py").startswith(OWN_RULES):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import):
                    for alias in inner.names:
                        yield rel, node.name, alias.name
                elif isinstance(inner, ast.ImportFrom):
                    yield rel, node.name, "." * inner.level + (inner.module or "")


def test_function_local_imports_are_only_the_lazy_ones() -> None:
    stray = [
        f"{rel}: {function}() imports {name}"
        for rel, function, name in _local_imports()
        if name.split(".")[0] not in LAZY_MODULES and name not in LAZY_BINDINGS.get(rel, ())
    ]
    assert stray == []


LOADED = """
import json, sys
import oxen_inference
from oxen_inference import AsyncOxen, Oxen, request_model
Oxen(api_key="x"); AsyncOxen(api_key="x")
request_model("luma-ray-v3-2-image-to-video")
print(json.dumps(sorted(sys.modules)))
"""


def test_each_lazy_import_keeps_its_module_out_of_client_creation() -> None:
    """Were one of them loaded by then anyway, importing it in a function would buy nothing."""
    done = subprocess.run(
        [sys.executable, "-c", LOADED], capture_output=True, text=True, timeout=120, check=True
    )
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    lazy = {name for name in LAZY_MODULES if name != "pydantic_core"}  # pydantic's own
    bound = {
        _absolute(rel.replace("_async/", half), target)
        for rel, targets in LAZY_BINDINGS.items()
        for target in targets
        for half in ("_async/", "_sync/")  # the blocking twin binds the same way
    }
    assert len(bound) == 14
    assert sorted(lazy & loaded) == []
    assert sorted(bound & loaded) == []


def _absolute(rel: str, target: str) -> str:
    """The module a relative import in the runtime module at `rel` names."""
    level = len(target) - len(target.lstrip("."))
    package = [PACKAGE, *Path(rel).parent.parts]
    return ".".join([*package[: len(package) - (level - 1)], target.lstrip(".")])


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.py")), ids=lambda p: p.name)
def test_hand_kept_runtime_modules_and_functions_are_small(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") <= 600
    long = [
        f"{node.name}: {node.end_lineno - node.lineno + 1} lines"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > 90
    ]
    assert long == []
