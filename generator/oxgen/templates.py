"""Where the templates are: the built-in tree, with a team's own templates (``--templates DIR``)
in front of it, and the runtime modules of that tree the generator itself uses.

In an installed wheel the built-in tree ships as package data (``oxgen/_templates``); in a
checkout it is the repository's ``templates/`` (``generator/oxgen/templates.py`` -> ``templates/``).
A file of the override folder replaces the built-in file of the same relative path (a template, a
partial such as ``_macros.jinja``, or a runtime module); it may also add partials of its own (a
``_name.jinja`` file), which its templates include. Any other file there is refused, so that a
misspelt name cannot be silently ignored.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import ModuleType

from oxgen import inputs

TEMPLATE_PACKAGE_DIR = "oxen_inference"


class TemplateError(Exception):
    """The override folder is unusable; the message is for the user."""


@functools.cache
def templates_dir() -> Path:
    shipped = Path(str(resources.files("oxgen") / "_templates"))
    if shipped.is_dir():
        return shipped
    return Path(__file__).resolve().parents[2] / "templates"


def is_partial(name: str) -> bool:
    """A Jinja file that produces no output of its own (``_macros.jinja``: a leading ``_`` and no
    output extension); other templates include or import it."""
    stem = name.rsplit("/", 1)[-1].removesuffix(".jinja")
    return name.endswith(".jinja") and stem.startswith("_") and "." not in stem


def tree_files(root: Path) -> dict[str, Path]:
    """Relative path -> file for every file of a templates tree, caches and hidden files left out.

    Every other entry must be a file oxgen may read (:func:`oxgen.inputs.check`: a regular file
    within the size cap, a link only to a file inside `root`), else :class:`TemplateError`."""
    found = {}
    for path in sorted(root.rglob("*")):  # does not descend into links to folders
        rel = path.relative_to(root)
        if path.suffix == ".pyc" or any(
            part.startswith(".") or part == "__pycache__" for part in rel.parts
        ):
            continue
        if path.is_dir() and not path.is_symlink():
            continue
        try:
            inputs.check(path, within=root)
        except inputs.InputFileError as exc:
            raise TemplateError(f"templates: {exc}") from None
        found[rel.as_posix()] = path
    return found


@functools.cache
def builtin_files() -> dict[str, Path]:
    return tree_files(templates_dir())


@dataclass(frozen=True)
class Templates:
    """The templates of one run: the built-in tree, overridden file by file from `overrides`.
    `compiled`: a folder where Jinja may keep compiled templates between runs (keyed by each
    template's source, so an edited template is compiled again)."""

    overrides: Path | None = None
    compiled: Path | None = None

    @functools.cached_property
    def files(self) -> dict[str, Path]:
        """Relative path -> the file that provides it (the override when there is one)."""
        files = dict(builtin_files())
        if self.overrides is None:
            return files
        if not self.overrides.is_dir():
            raise TemplateError(f"--templates {self.overrides}: not a folder")
        extra = tree_files(self.overrides)
        folders = sorted(
            rel
            for path in self.overrides.rglob("*")
            if path.is_dir() and (rel := path.relative_to(self.overrides).as_posix()) in files
        )
        if folders:
            raise TemplateError(
                f"--templates {self.overrides}: {', '.join(folders)} is a folder where the "
                "built-in templates have a file"
            )
        unknown = sorted(n for n in extra if n not in files and not is_partial(n))
        if unknown:
            raise TemplateError(
                f"--templates {self.overrides}: {', '.join(unknown)} would replace no built-in "
                "template (the built-in paths are listed in the templates/ folder of oxgen; new "
                "files may only be partials such as _team.jinja)"
            )
        files.update(extra)
        return files

    def read(self, name: str) -> str:
        """The text of template `name`, read through :mod:`oxgen.inputs` (:class:`TemplateError`
        if it cannot be)."""
        try:
            return inputs.read_text(self.files[name])
        except inputs.InputFileError as exc:
            raise TemplateError(f"templates: {exc}") from None

    def jinja_source(self, name: str) -> tuple[str, str, Callable[[], bool]] | None:
        """What a Jinja ``FunctionLoader`` asks for: (source, file name, is-up-to-date), or None
        for a name that is not a file of this tree. Jinja reads nothing else, so every template
        it loads is one :attr:`files` listed and :meth:`read` checked."""
        path = self.files.get(name)
        if path is None:
            return None
        source = self.read(name)
        mtime = os.stat(path).st_mtime_ns

        def uptodate() -> bool:
            try:
                return os.stat(path).st_mtime_ns == mtime
            except OSError:
                return False

        return source, str(path), uptodate


def runtime_module(name: str, templates: Templates | None = None) -> ModuleType:
    """A self-contained runtime module of the generated package (one that imports nothing of its
    own package, such as ``_ecma``), imported from the templates tree of the run (a team's
    override of it included), so that the generator runs exactly the code the generated package
    ships."""
    path = (templates or Templates()).files[f"{TEMPLATE_PACKAGE_DIR}/{name}.py"]
    st = path.stat()
    return _import(name, str(path.resolve()), st.st_size, st.st_mtime_ns)


@functools.cache
def _import(name: str, path: str, size: int, mtime_ns: int) -> ModuleType:
    """The module in `path`, imported once per version of the file (size and mtime)."""
    builtin = Path(path) == (templates_dir() / TEMPLATE_PACKAGE_DIR / f"{name}.py").resolve()
    qualified = f"oxgen._runtime.{name}"
    if not builtin:  # a team's version: its own name, never in place of the built-in module
        qualified += "_" + hashlib.sha256(f"{path}:{size}:{mtime_ns}".encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(qualified, path)
    if spec is None or spec.loader is None:  # pragma: no cover - the file is a .py file
        raise ImportError(f"cannot load the runtime module {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    spec.loader.exec_module(module)
    return module


@functools.cache
def runtime_package(name: str) -> ModuleType:
    """A self-contained runtime subpackage of the generated package (``testing/_protocol``: its
    modules import only each other and the standard library), imported from the templates tree as
    ``oxgen._runtime.<last part>``, so the generator runs exactly the code the generated package
    ships. Its modules import each other relatively, as they do inside the package."""
    folder = templates_dir() / TEMPLATE_PACKAGE_DIR / name
    qualified = f"oxgen._runtime.{name.rsplit('/', 1)[-1].lstrip('_')}"
    spec = importlib.util.spec_from_file_location(
        qualified, folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    if spec is None or spec.loader is None:  # pragma: no cover - the folder ships with oxgen
        raise ImportError(f"cannot load the runtime package {folder}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[qualified]
        raise
    return module
