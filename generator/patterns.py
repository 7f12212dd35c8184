"""Which ``pattern``s the generated package can use, decided by the generated package's own code.

Patterns are ECMA-262; the generated package translates them to Python regexes at run time, in its
``_ecma`` module (``templates/oxen_inference/_ecma.py.jinja``, no template logic in it). That file
is the one implementation: this module loads it as code, so the generator accepts exactly the
patterns the generated package will translate, by the same rules.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from types import ModuleType
from typing import cast

from oxgen import render

TEMPLATE = f"{render.TEMPLATE_PACKAGE_DIR}/_ecma.py.jinja"


@functools.cache
def _module() -> ModuleType:
    source = render.environment().get_template(TEMPLATE).render(header=render.header(".py"))
    module = ModuleType("oxgen._ecma")
    exec(compile(source, str(render.templates_dir() / TEMPLATE), "exec"), module.__dict__)
    return module


def translate(pattern: str) -> str:
    """The Python regex text the generated package uses for the ECMA-262 `pattern`.

    Raises :class:`ValueError` for what it does not support (Unicode script properties, ...)."""
    return cast(Callable[[str], str], _module().translate)(pattern)


def problem(pattern: str) -> str | None:
    """Why the generated package could not use `pattern`, or None when it can."""
    try:
        re.compile(translate(pattern))
    except re.error as exc:
        return f"pattern is not a valid regular expression: {exc}"
    except ValueError as exc:
        return f"pattern cannot be used: {exc}"
    return None
