"""The request classes, one module per model, each imported on first use.

``from oxen_inference.models import LumaRayV3_2ImageToVideoRequest`` works as usual and loads that
one module. Module imports under this package go through :class:`_ModelFinder`, which opens
``<module>.py`` by name: the folder holds a file per model, and the import system would otherwise
list it (a cost that grows with the catalog) before importing anything from it.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec, SourceFileLoader
from types import ModuleType
from typing import Any

from .. import _registry


class _ModelFinder:
    """A meta path finder for ``<package>.models.<module>``: one ``stat``, no folder listing."""

    def __init__(self, prefix: str, folder: str) -> None:
        self.prefix = prefix
        self.folder = folder

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if not fullname.startswith(self.prefix):
            return None
        name = fullname[len(self.prefix) :]
        if not name.isidentifier():
            return None
        file = os.path.join(self.folder, name + ".py")
        if not os.path.isfile(file):
            return None
        spec = ModuleSpec(fullname, SourceFileLoader(fullname, file), origin=file)
        spec.has_location = True  # sets __file__ and the byte-code cache path
        return spec


def _install() -> None:
    prefix = __name__ + "."
    if not any(getattr(f, "prefix", None) == prefix for f in sys.meta_path):
        sys.meta_path.insert(0, _ModelFinder(prefix, os.path.dirname(__file__)))


_install()


def __getattr__(name: str) -> Any:
    if name == "__all__":
        value: Any = _registry.class_names()
    else:
        module = _registry.class_module(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(_registry.class_names())
