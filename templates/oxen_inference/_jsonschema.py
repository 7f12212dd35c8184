"""Exact JSON Schema (draft 2020-12) checks for the request classes.

The request classes are ordinary pydantic models, but pydantic alone cannot say everything JSON
Schema says (``1.0`` is an integer, ``True`` is not ``1``, ``oneOf`` means exactly one, ``format``
only annotates, patterns are ECMA-262 and searched, not matched). Wherever a schema needs that,
the generated code attaches one of the markers below, carrying the (annotation-free) subschema:

- :class:`Value` replaces pydantic's validation of a position: the value is accepted exactly when
  the schema accepts it and is kept as it is, so a valid body goes back out unchanged.
- :class:`Also` runs the schema check on the raw input and then pydantic's own validation
  (used on arrays and objects whose items or fields are typed natively).
- :func:`before` is the same check for a whole model class.

``unevaluatedProperties``/``unevaluatedItems`` depend on every other keyword of their schema, so the
generator hands such a schema to one marker whole; the checker collects the annotations they need
(see :class:`_Seen`) only below schemas that use them. Patterns are ECMA-262, translated on first
use by :mod:`._ecma`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any
from urllib.parse import unquote

from pydantic import BaseModel, GetCoreSchemaHandler
from pydantic_core import core_schema

__all__ = ["Also", "Invalid", "Value", "before", "is_valid", "json_equal", "validate"]

Schema = Any  # a JSON Schema: a dict or a bool


class Invalid(ValueError):
    """A value that its schema rejects; ``path`` is where inside the value, as a JSON pointer."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{message} (at {path})" if path else message)


def _to_json(value: Any) -> Any:
    """Model instances (passed in by Python callers) seen as the JSON they stand for."""
    if isinstance(value, BaseModel):
        return value.model_dump(by_alias=True, exclude_unset=True)
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    return value


def _is_number(value: Any) -> bool:
    """A JSON number: JSON has no NaN nor infinity, so those floats are not numbers."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool)


_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "number": _is_number,
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def _canon(value: Any) -> Any:
    """A hashable key under which JSON-equal values (and only they) coincide."""
    if isinstance(value, bool) or value is None:
        return ("b", value)
    if isinstance(value, (int, float)):
        return ("n", value)  # 1 == 1.0 and hash(1) == hash(1.0)
    if isinstance(value, str):
        return ("s", value)
    if isinstance(value, list):
        return ("a", tuple(_canon(v) for v in value))
    if isinstance(value, dict):
        return ("o", frozenset((k, _canon(v)) for k, v in value.items()))
    return ("x", repr(value))


def json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON Schema defines it: ``1 == 1.0``, ``True != 1``, deep for arrays and objects."""
    return bool(_canon(a) == _canon(b))


def _fraction(value: int | float) -> Fraction:
    return Fraction(value) if isinstance(value, int) else Fraction(repr(value))


def _regex(pattern: str) -> Callable[[str], bool]:
    """Whether an ECMA-262 pattern matches somewhere in a string: compiled on first use, in
    linear time where the pattern allows (see :mod:`._ecma`)."""
    from ._ecma import compile as compile_pattern

    return compile_pattern(pattern)


def _resolve(ref: str, root: Schema) -> Schema:
    if ref == "#" or ref == "":
        return root
    if ref.startswith("#/"):
        node = root
        for raw in ref[2:].split("/"):
            token = unquote(raw).replace("~1", "/").replace("~0", "~")
            node = node[int(token)] if isinstance(node, list) else node[token]
        return node
    if ref.startswith("#"):
        found = _find_anchor(root, ref[1:])
        if found is not None:
            return found
    raise Invalid("", f"cannot resolve $ref {ref!r}")


def _find_anchor(node: Any, anchor: str) -> Schema | None:
    if isinstance(node, dict):
        if node.get("$anchor") == anchor:
            return node
        children = node.values()
    elif isinstance(node, list):
        children = node  # type: ignore[assignment]
    else:
        return None
    for child in children:
        found = _find_anchor(child, anchor)
        if found is not None:
            return found
    return None


def _join(path: str, token: str | int) -> str:
    return f"{path}/{str(token).replace('~', '~0').replace('/', '~1')}"


def _fmt(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validate(value: Any, schema: Schema, root: Schema = None, path: str = "") -> None:
    """Raise :class:`Invalid` unless `schema` accepts `value` (a JSON value)."""
    _check(_to_json(value), schema, schema if root is None else root, path)


def is_valid(value: Any, schema: Schema, root: Schema = None) -> bool:
    try:
        validate(value, schema, root)
    except Invalid:
        return False
    return True


class _Seen:
    """Annotations at one instance location: the property names and item indices evaluated by
    the schema being checked and by its in-place subschemas that succeeded (what
    ``unevaluatedProperties``/``unevaluatedItems`` look at). Only collected below a schema that
    uses one of them; everywhere else ``_check`` runs without it."""

    __slots__ = ("items", "props")

    def __init__(self) -> None:
        self.props: set[str] = set()
        self.items: set[int] = set()

    def merge(self, other: _Seen) -> None:
        self.props |= other.props
        self.items |= other.items


def _valid(value: Any, schema: Schema, root: Schema, seen: _Seen | None = None) -> bool:
    """Whether `schema` accepts `value`; if so and `seen` is given, its annotations join `seen`."""
    sub = None if seen is None else _Seen()
    try:
        _check(value, schema, root, "", sub)
    except Invalid:
        return False
    if seen is not None and sub is not None:
        seen.merge(sub)
    return True


def _apply(value: Any, schema: Schema, root: Schema, path: str, seen: _Seen | None) -> None:
    """Check an in-place subschema (same instance location); its annotations join `seen`."""
    if seen is None:
        _check(value, schema, root, path)
        return
    sub = _Seen()
    _check(value, schema, root, path, sub)
    seen.merge(sub)


def _check(value: Any, schema: Schema, root: Schema, path: str, seen: _Seen | None = None) -> None:
    """Raise :class:`Invalid` unless `schema` accepts `value`.

    `seen` collects annotations for an enclosing ``unevaluated*`` (each in-place subschema gets a
    fresh one, merged into its parent's only if it succeeds, so a subschema never sees its
    siblings' annotations). A schema using ``unevaluated*`` starts collecting by itself.
    """
    if schema is True:
        return
    if schema is False:
        raise Invalid(path, "no value is allowed here")
    if not isinstance(schema, Mapping):
        raise Invalid(path, "invalid schema")
    if seen is None and ("unevaluatedProperties" in schema or "unevaluatedItems" in schema):
        seen = _Seen()
    if "$ref" in schema:
        _apply(value, _resolve(schema["$ref"], root), root, path, seen)
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        if not any(_TYPE_CHECKS[t](value) for t in names if t in _TYPE_CHECKS):
            raise Invalid(path, f"expected {' or '.join(names)}, got {_fmt(value)}")
    if "enum" in schema and not any(json_equal(value, e) for e in schema["enum"]):
        raise Invalid(
            path,
            "must be one of "
            + ", ".join(_fmt(e) for e in schema["enum"])
            + f" (got {_fmt(value)})",
        )
    if "const" in schema and not json_equal(value, schema["const"]):
        raise Invalid(path, f"must be {_fmt(schema['const'])} (got {_fmt(value)})")
    if _is_number(value):
        _check_number(value, schema, path)
    elif isinstance(value, str):
        _check_string(value, schema, path)
    elif isinstance(value, list):
        _check_array(value, schema, root, path, seen)
    elif isinstance(value, dict):
        _check_object(value, schema, root, path, seen)
    for sub in schema.get("allOf", ()):
        _apply(value, sub, root, path, seen)
    if "anyOf" in schema:
        # Collecting annotations means trying every alternative, not stopping at the first.
        if seen is None:
            matched_any = any(_valid(value, s, root) for s in schema["anyOf"])
        else:
            matched_any = any([_valid(value, s, root, seen) for s in schema["anyOf"]])
        if not matched_any:
            raise Invalid(path, "matches none of the allowed alternatives (anyOf)")
    if "oneOf" in schema:
        matched = sum(1 for s in schema["oneOf"] if _valid(value, s, root, seen))
        if matched != 1:
            raise Invalid(path, f"must match exactly one alternative (oneOf), matches {matched}")
    if "not" in schema and _valid(value, schema["not"], root):  # `not` never annotates
        raise Invalid(path, "matches a schema it must not match (not)")
    if "if" in schema:
        branch = "then" if _valid(value, schema["if"], root, seen) else "else"
        if branch in schema:
            _apply(value, schema[branch], root, path, seen)
    if seen is not None:
        _check_unevaluated(value, schema, root, path, seen)


def _check_unevaluated(
    value: Any, schema: Mapping[str, Any], root: Schema, path: str, seen: _Seen
) -> None:
    """``unevaluatedProperties``/``unevaluatedItems``: after every other keyword of `schema`, the
    members no successful (sub)schema evaluated must match; then every member counts as evaluated."""
    if isinstance(value, dict) and "unevaluatedProperties" in schema:
        rest = schema["unevaluatedProperties"]
        for key, item in value.items():
            if key not in seen.props:
                if rest is False:
                    raise Invalid(_join(path, key), "unknown property (unevaluatedProperties)")
                _check(item, rest, root, _join(path, key))
        seen.props.update(value)
    if isinstance(value, list) and "unevaluatedItems" in schema:
        rest = schema["unevaluatedItems"]
        for i, item in enumerate(value):
            if i not in seen.items:
                if rest is False:
                    raise Invalid(_join(path, i), "unexpected item (unevaluatedItems)")
                _check(item, rest, root, _join(path, i))
        seen.items.update(range(len(value)))


def _check_number(value: int | float, schema: Mapping[str, Any], path: str) -> None:
    if "minimum" in schema and value < schema["minimum"]:
        raise Invalid(path, f"must be >= {schema['minimum']} (got {value})")
    if "maximum" in schema and value > schema["maximum"]:
        raise Invalid(path, f"must be <= {schema['maximum']} (got {value})")
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        raise Invalid(path, f"must be > {schema['exclusiveMinimum']} (got {value})")
    if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
        raise Invalid(path, f"must be < {schema['exclusiveMaximum']} (got {value})")
    if "multipleOf" in schema:
        quotient = _fraction(value) / _fraction(schema["multipleOf"])
        if quotient.denominator != 1:
            raise Invalid(path, f"must be a multiple of {schema['multipleOf']} (got {value})")


def _check_string(value: str, schema: Mapping[str, Any], path: str) -> None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        raise Invalid(path, f"must be at least {schema['minLength']} characters long")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        raise Invalid(path, f"must be at most {schema['maxLength']} characters long")
    if "pattern" in schema and not _regex(schema["pattern"])(value):
        raise Invalid(path, f"must match the pattern {schema['pattern']!r}")


def _check_array(
    value: list[Any], schema: Mapping[str, Any], root: Schema, path: str, seen: _Seen | None
) -> None:
    if "minItems" in schema and len(value) < schema["minItems"]:
        raise Invalid(path, f"must have at least {schema['minItems']} items")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        raise Invalid(path, f"must have at most {schema['maxItems']} items")
    if schema.get("uniqueItems") is True and len({_canon(v) for v in value}) != len(value):
        raise Invalid(path, "items must be unique")
    prefix = schema.get("prefixItems")
    items = schema.get("items")
    if isinstance(items, list):  # draft-07 tuple form
        prefix, items = items, schema.get("additionalItems")
    start = 0
    if isinstance(prefix, list):
        for i, (item, sub) in enumerate(zip(value, prefix, strict=False)):
            _check(item, sub, root, _join(path, i))
        start = len(prefix)
        if seen is not None:
            seen.items.update(range(min(start, len(value))))
    if items is not None:
        for i in range(start, len(value)):
            _check(value[i], items, root, _join(path, i))
        if seen is not None:
            seen.items.update(range(start, len(value)))
    if "contains" in schema:
        matching = [i for i, item in enumerate(value) if _valid(item, schema["contains"], root)]
        if seen is not None:
            seen.items.update(matching)
        count = len(matching)
        low, high = schema.get("minContains", 1), schema.get("maxContains")
        if count < low:
            raise Invalid(path, f"must contain at least {low} matching item(s) (contains)")
        if high is not None and count > high:
            raise Invalid(path, f"must contain at most {high} matching item(s) (contains)")


def _check_object(
    value: dict[str, Any], schema: Mapping[str, Any], root: Schema, path: str, seen: _Seen | None
) -> None:
    if "minProperties" in schema and len(value) < schema["minProperties"]:
        raise Invalid(path, f"must have at least {schema['minProperties']} properties")
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        raise Invalid(path, f"must have at most {schema['maxProperties']} properties")
    for name in schema.get("required", ()):
        if name not in value:
            raise Invalid(path, f"{name!r} is required")
    properties = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    extra = schema.get("additionalProperties")
    names = schema.get("propertyNames")
    for key, item in value.items():
        known = key in properties
        if known:
            _check(item, properties[key], root, _join(path, key))
        for pattern, sub in patterns.items():
            if _regex(pattern)(key):
                known = True
                _check(item, sub, root, _join(path, key))
        if not known and extra is not None:
            if extra is False:
                raise Invalid(_join(path, key), "unknown property")
            _check(item, extra, root, _join(path, key))
            known = True
        if known and seen is not None:
            seen.props.add(key)
        if names is not None and not _valid(key, names, root):
            raise Invalid(_join(path, key), "property name not allowed (propertyNames)")
    dependent = dict(schema.get("dependentRequired", {}))
    dependent_schemas = dict(schema.get("dependentSchemas", {}))
    for key, dep in schema.get("dependencies", {}).items():  # draft-07 form
        (dependent if isinstance(dep, list) else dependent_schemas)[key] = dep
    for key, needed in dependent.items():
        if key in value:
            for name in needed:
                if name not in value:
                    raise Invalid(path, f"{name!r} is required when {key!r} is present")
    for key, sub in dependent_schemas.items():
        if key in value:
            _apply(value, sub, root, path, seen)


class Value:
    """Validate a position with `schema` alone, keeping the value exactly as given."""

    __slots__ = ("root", "schema")

    def __init__(self, schema: Schema, root: Schema = None) -> None:
        self.schema = schema
        self.root = schema if root is None else root

    def _validate(self, value: Any) -> Any:
        _check(_to_json(value), self.schema, self.root, "")
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            self._validate, core_schema.any_schema()
        )


class Also:
    """Check `schema` on the raw input, then let pydantic validate the annotated type as usual."""

    __slots__ = ("root", "schema")

    def __init__(self, schema: Schema, root: Schema = None) -> None:
        self.schema = schema
        self.root = schema if root is None else root

    def _validate(self, value: Any, handler: core_schema.ValidatorFunctionWrapHandler) -> Any:
        _check(_to_json(value), self.schema, self.root, "")
        return handler(value)

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_wrap_validator_function(self._validate, handler(source))


def before(schema: Schema, root: Schema = None) -> Callable[[Any, Any], Any]:
    """A model ``before`` validator checking the whole object against `schema`.

    The object arrives under its wire names (the constructor turns field names into wire names
    before validating), so what is checked is the JSON it stands for.
    """
    resolved_root = schema if root is None else root

    def check(cls: Any, data: Any) -> Any:
        if isinstance(data, dict):
            _check(_to_json(data), schema, resolved_root, "")
        return data

    return check
