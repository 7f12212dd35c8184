"""Which models this client knows, and where each one's code lives.

The catalog (``_catalog``, generated) holds two tables as one string each: loading it makes no
per-model object, so importing the client and creating ``Oxen()`` cost the same with ten models or
ten thousand. A lookup finds the model's line and makes an :class:`Entry` of it (cached).

Model modules are imported by file name (see ``models/__init__``): the ``models`` folder holds one
file per model, and letting the import system list it would cost more than the import itself.
"""

from __future__ import annotations

import functools
from typing import Literal, NamedTuple

from . import _catalog

__all__ = [
    "Entry",
    "by_method",
    "class_module",
    "class_names",
    "close_matches",
    "get",
    "method_names",
    "model_ids",
]

Kind = Literal["generate", "submit"]


class Entry(NamedTuple):
    """One model of the catalog."""

    model_id: str
    module: str  # its module in the package's ``models`` (and the stem of its method names)
    class_name: str | None  # its request class; None when the model publishes no schema
    route: str | None  # its blocking route; None when it has none (embedding models)
    media: str | None  # "image" | "video" when the queue accepts it, else None

    @property
    def has_schema(self) -> bool:
        return self.class_name is not None

    @property
    def generate_method(self) -> str:
        return _catalog.GENERATE_PREFIX + self.module

    @property
    def submit_method(self) -> str:
        return _catalog.SUBMIT_PREFIX + self.module


def _escape(text: str) -> str:
    """A field as the tables store it: no tab or newline inside (the generator does the same)."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append({"t": "\t", "n": "\n"}.get(nxt, nxt))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _line(table: str, start: int) -> list[str]:
    return table[start : table.index("\n", start)].split("\t")


@functools.cache
def get(model_id: str) -> Entry | None:
    """The catalog's entry for `model_id`, or None if this client does not know it."""
    if not isinstance(model_id, str):
        return None
    key = "\n" + _escape(model_id) + "\t"
    at = _catalog.MODELS.find(key)
    if at < 0:
        return None
    _, module, class_name, route, media = _line(_catalog.MODELS, at + 1)
    return Entry(
        model_id, module, _unescape(class_name) or None, _unescape(route) or None, media or None
    )


@functools.cache
def model_ids() -> list[str]:
    """Every model id, sorted."""
    return sorted(_unescape(line.split("\t", 1)[0]) for line in _catalog.MODELS.split("\n") if line)


def close_matches(model_id: str, n: int = 3) -> list[str]:
    """Known ids that look like `model_id` (for "did you mean" hints)."""
    import difflib  # only for error messages

    return difflib.get_close_matches(model_id, model_ids(), n=n)


def _by_module(module: str) -> Entry | None:
    if not module.isidentifier():
        return None
    at = _catalog.MODULES.find("\n" + module + "\t")
    if at < 0:
        return None
    return get(_unescape(_line(_catalog.MODULES, at + 1)[1]))


@functools.cache
def by_method(name: str) -> tuple[Entry, Kind] | None:
    """The model and kind of a per-model client method (``generate_<module>``, ``submit_<module>``),
    or None when no model has a method of that name."""
    kinds: tuple[tuple[str, Kind], ...] = (
        (_catalog.GENERATE_PREFIX, "generate"),
        (_catalog.SUBMIT_PREFIX, "submit"),
    )
    for prefix, kind in kinds:
        if name.startswith(prefix):
            entry = _by_module(name[len(prefix) :])
            if entry is None:
                continue
            if (kind == "generate" and entry.route) or (kind == "submit" and entry.media):
                return entry, kind
    return None


@functools.cache
def method_names() -> list[str]:
    """Every per-model method name, sorted."""
    names = []
    for model_id in model_ids():
        entry = get(model_id)
        assert entry is not None
        if entry.route:
            names.append(entry.generate_method)
        if entry.media:
            names.append(entry.submit_method)
    return sorted(names)


def class_module(class_name: str) -> str | None:
    """The module of the request class `class_name`, or None if no model has that class."""
    if not class_name.isidentifier():
        return None
    at = _catalog.MODULES.find("\t" + class_name + "\n")
    if at < 0:
        return None
    start = _catalog.MODULES.rindex("\n", 0, at) + 1
    return _catalog.MODULES[start : _catalog.MODULES.index("\t", start)]


@functools.cache
def class_names() -> list[str]:
    """Every request class name, sorted."""
    names = (line.rsplit("\t", 1)[-1] for line in _catalog.MODULES.split("\n") if line)
    return sorted(name for name in names if name)
