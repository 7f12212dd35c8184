"""Where the templates tree is, and the runtime modules in it that the generator itself uses.

In an installed wheel the tree ships as package data (``oxgen/_templates``); in a checkout it is
the repository's ``templates/`` (``generator/oxgen/templates.py`` -> ``templates/``).
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from importlib import resources
from pathlib import Path
from types import ModuleType

TEMPLATE_PACKAGE_DIR = "oxen_inference"


@functools.cache
def templates_dir() -> Path:
    shipped = Path(str(resources.files("oxgen") / "_templates"))
    if shipped.is_dir():
        return shipped
    return Path(__file__).resolve().parents[2] / "templates"


@functools.cache
def runtime_module(name: str) -> ModuleType:
    """A self-contained runtime module of the generated package (one that imports nothing of its
    own package, such as ``_ecma``), imported from the templates tree as ``oxgen._runtime.<name>``,
    so the generator runs exactly the code the generated package ships."""
    path = templates_dir() / TEMPLATE_PACKAGE_DIR / f"{name}.py"
    qualified = f"oxgen._runtime.{name}"
    spec = importlib.util.spec_from_file_location(qualified, path)
    if spec is None or spec.loader is None:  # pragma: no cover - the file ships with oxgen
        raise ImportError(f"cannot load the runtime module {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    spec.loader.exec_module(module)
    return module
