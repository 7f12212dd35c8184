"""Where a comparison is, in Python terms (:class:`Context`), and how a check reports (`Emit`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Context:
    """Where the comparison is, in Python terms: the model, its request class and a field path
    such as ``""`` (the request), ``steps``, ``config.seed``, ``images[]`` or ``tags{}``.

    `is_property` says the level is a property's schema (a keyword argument or a field);
    `required` that this property is required on both sides, so every call passes it."""

    model: str
    owner: str
    path: str = ""
    is_property: bool = False
    required: bool = False

    def child(self, suffix: str, *, required: bool = False) -> Context:
        """The place of a property (a name) or of items/values (``[]``, ``{}``, ``[0]``)."""
        if suffix.startswith(("[", "{")):
            return Context(self.model, self.owner, self.path + suffix)
        path = f"{self.path}.{suffix}" if self.path else suffix
        return Context(self.model, self.owner, path, is_property=True, required=required)

    def member(self) -> Context:
        """The same place, seen through a composition member (`anyOf`/`oneOf`/`allOf`)."""
        return replace(self, required=False)

    def subject(self) -> str:
        """How messages name this place: "keyword argument `steps`", "`config.seed`", ..."""
        if not self.path:
            return f"the request ({self.owner})"
        if self.is_top_level():
            return f"keyword argument `{self.path}`"
        return f"`{self.path}`"

    def is_top_level(self) -> bool:
        """Whether this is a keyword argument of the generated methods (a top-level property)."""
        return bool(self.path) and not any(c in self.path for c in ".[{")


Emit = Callable[[str, str, str], None]
