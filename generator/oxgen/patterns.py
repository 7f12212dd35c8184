"""Which ``pattern``s the generated package can use, decided by the generated package's own code.

Patterns are ECMA-262; the generated package translates them to Python regexes at run time, in its
``_ecma`` module (``templates/oxen_inference/_ecma.py``, plain Python). That file is the one
implementation: this module imports it (a team's ``--templates`` version of it when the run has
one), so the generator accepts exactly the patterns the generated package will translate, by the
same rules.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from types import ModuleType
from typing import cast

from oxgen.templates import Templates, runtime_module


class Patterns:
    """The pattern rules of one templates tree: its ``_ecma`` module."""

    def __init__(self, templates: Templates | None = None) -> None:
        self._templates = templates

    @functools.cached_property
    def _ecma(self) -> ModuleType:
        return runtime_module("_ecma", self._templates)  # on first use: most schemas have none

    def translate(self, pattern: str) -> str:
        """The Python regex text the generated package uses for the ECMA-262 `pattern`.

        Raises :class:`ValueError` for what it does not support (Unicode script properties, ...)."""
        return cast(Callable[[str], str], self._ecma.translate)(pattern)

    def compile(self, pattern: str) -> Callable[[str], bool]:
        """Whether `pattern` matches somewhere in a string, exactly as the generated package
        decides (linear time where the pattern allows). Raises :class:`ValueError` when it
        cannot be used."""
        return cast(Callable[[str], Callable[[str], bool]], self._ecma.compile)(pattern)

    def problem(self, pattern: str) -> str | None:
        """Why the generated package could not use `pattern`, or None when it can."""
        try:
            re.compile(self.translate(pattern))
        except re.error as exc:
            return f"pattern is not a valid regular expression: {exc}"
        except ValueError as exc:
            return f"pattern cannot be used: {exc}"
        try:
            self.compile(pattern)
        except ValueError as exc:
            return f"pattern cannot be used safely: {exc}"
        return None


@functools.cache
def builtin() -> Patterns:
    """The rules of the built-in templates (what the diff and the mock server go by)."""
    return Patterns()


def translate(pattern: str) -> str:
    """:meth:`Patterns.translate` by the built-in ``_ecma``."""
    return builtin().translate(pattern)


def compile_pattern(pattern: str) -> Callable[[str], bool]:
    """:meth:`Patterns.compile` by the built-in ``_ecma``."""
    return builtin().compile(pattern)


def problem(pattern: str) -> str | None:
    """:meth:`Patterns.problem` by the built-in ``_ecma``."""
    return builtin().problem(pattern)
