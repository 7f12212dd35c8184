"""A small instance generator for the soundness tests of `oxgen diff`: boundary values drawn from
the keywords of one or more schemas of the same place (bounds and their neighbours, listed
values, strings at length limits and strings a pattern matches, lists and objects built from the
candidates of their items and properties).

It is deliberately independent of the code under test: it only reads keywords and proposes
values; which of them a schema accepts is decided by the `jsonschema` library (which also picks,
for an object's keys, values the old side accepts, so that whole objects can be valid).
"""

from __future__ import annotations

import json
import random
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from oxgen.diff import regex
from oxgen.normalise import to_standard

_LIMIT = 48
_SCALARS: list[Any] = [None, True, False, 0, 1, -1, 0.5, 2.5, 100, -100.5, 10**6]
_STRINGS = ["", "a", "ab", "abc", "A", "Z9", "0", "42", "a b", "a-b_c", "é", "hello world", "#x"]


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _dedupe(values: list[Any], rng: random.Random, limit: int = _LIMIT) -> list[Any]:
    seen: dict[str, Any] = {}
    for value in values:
        seen.setdefault(_key(value), value)
    out = list(seen.values())
    if len(out) > limit:
        head = out[: limit // 2]
        out = head + rng.sample(out[limit // 2 :], limit - len(head))
    return out


def _diverse(values: list[Any], per_type: int) -> list[Any]:
    """Up to `per_type` values of each JSON type, in order (lists of candidates for items and
    properties should not all be nulls and booleans)."""
    taken: dict[str, int] = {}
    out = []
    for value in values:
        kind = type(value).__name__
        if taken.get(kind, 0) < per_type:
            taken[kind] = taken.get(kind, 0) + 1
            out.append(value)
    return out


def _validator(schema: Any) -> Any:
    key = _key(schema)
    if key not in _VALIDATORS:
        _VALIDATORS[key] = Draft202012Validator(to_standard(schema))
    return _VALIDATORS[key]


_VALIDATORS: dict[str, Any] = {}


def _flatten(schemas: list[Any]) -> list[dict[str, Any]]:
    """The schemas and every member of their compositions and conditionals."""
    out: list[dict[str, Any]] = []
    stack = list(schemas)
    while stack:
        item = stack.pop()
        if not isinstance(item, dict):
            continue
        out.append(item)
        for key in ("anyOf", "oneOf", "allOf"):
            if isinstance(item.get(key), list):
                stack.extend(item[key])
        for key in ("if", "then", "else", "not"):
            if isinstance(item.get(key), dict):
                stack.append(item[key])
    return out


def _numbers(flat: list[dict[str, Any]]) -> list[Any]:
    out: list[Any] = []
    for schema in flat:
        for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            b = schema.get(key)
            if isinstance(b, int | float) and not isinstance(b, bool):
                out += [b, b - 1, b + 1, b - 0.5, b + 0.5]
                if isinstance(b, float) and b.is_integer():
                    out.append(int(b))
        low, high = schema.get("minimum"), schema.get("maximum")
        if isinstance(low, int | float) and isinstance(high, int | float):
            out += [(low + high) / 2, int((low + high) // 2)]
        step = schema.get("multipleOf")
        if isinstance(step, int | float) and not isinstance(step, bool) and step > 0:
            out += [step, 2 * step, 3 * step, step / 2, 7 * step]
    return out


def _strings(flat: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for schema in flat:
        for key in ("minLength", "maxLength"):
            n = schema.get(key)
            if isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 200:
                out += ["a" * n, "a" * max(n - 1, 0), "a" * (n + 1), "7" * n]
        pattern = schema.get("pattern")
        alternatives = regex.parse(pattern) if isinstance(pattern, str) else None
        for alt in alternatives or ():
            out += list(regex._candidates(alt, None))[:12]
    return out


def instances(
    schemas: list[Any], rng: random.Random, depth: int = 0, free_form: bool = True
) -> list[Any]:
    """Candidate values for a place described by `schemas` (old side first, then the new side).

    Object keys are those the old side declares. A free-form old object (no properties, any
    additional key) takes any key, so the new side's keys are tried too, except at a request's
    top level (`free_form` false) where undeclared keys only travel through ``extra_body``."""
    declared = _flatten(schemas[:1])
    flat = declared + [s for s in _flatten(schemas[1:]) if not any(s is d for d in declared)]
    values: list[Any] = []
    for schema in flat:
        if isinstance(schema.get("enum"), list):
            values += schema["enum"]
        for key in ("const", "default"):
            if key in schema:
                values.append(schema[key])
        if isinstance(schema.get("examples"), list):
            values += schema["examples"][:3]
    values += _SCALARS + _numbers(flat) + _STRINGS + _strings(flat)
    if depth < 3:
        values += _arrays(flat, declared, rng, depth)
        values += _objects(flat, declared, rng, depth, free_form or depth > 0)
    return _dedupe(values, rng, _LIMIT if depth else 4 * _LIMIT)


def _arrays(
    flat: list[dict[str, Any]], declared: list[dict[str, Any]], rng: random.Random, depth: int
) -> list[Any]:
    item_schemas = [s["items"] for s in flat if isinstance(s.get("items"), dict | bool)]
    prefixes = [s["prefixItems"] for s in flat if isinstance(s.get("prefixItems"), list)]
    contains = [s["contains"] for s in flat if isinstance(s.get("contains"), dict)]
    items = instances(item_schemas + contains, rng, depth + 1) if item_schemas or contains else []
    old_items = [s["items"] for s in declared if isinstance(s.get("items"), dict | bool)]
    valid = [v for v in items if all(_validator(sub).is_valid(v) for sub in old_items)]
    items = _dedupe(valid[:3] + _diverse(items, 2), rng)
    items = items or ["a", 1]
    out: list[Any] = [[], [items[0]], items[:2], items[:3], [items[0], items[0]]]
    out += [[x] for x in items[1:]]
    for schema in flat:
        for key in ("minItems", "maxItems"):
            n = schema.get(key)
            if isinstance(n, int) and 0 <= n <= 20:
                out += [items[:1] * n, (items * 20)[: n + 1]]
    for prefix in prefixes:
        members = [instances([m], rng, depth + 1)[:4] for m in prefix]
        for _ in range(6):
            out.append([rng.choice(m) for m in members if m])
    return out


def _objects(
    flat: list[dict[str, Any]],
    declared: list[dict[str, Any]],
    rng: random.Random,
    depth: int,
    free_form: bool,
) -> list[Any]:
    """Objects over the keys the first (old) schema declares; values hinted by every schema."""
    names = {name for schema in declared for name in (schema.get("properties") or {})}
    if (
        free_form
        and not names
        and all(s.get("additionalProperties", True) in (True, {}) for s in declared)
    ):
        names = {name for schema in flat for name in (schema.get("properties") or {})}
    props: dict[str, list[Any]] = {}
    required: set[str] = set()
    extras: list[Any] = []
    for schema in flat:
        for name, sub in (schema.get("properties") or {}).items():
            if name in names:
                props.setdefault(name, []).append(sub)
        required |= {r for r in schema.get("required") or [] if isinstance(r, str)}
    for schema in declared:
        if isinstance(schema.get("additionalProperties"), dict):
            extras.append(schema["additionalProperties"])
    if not props and not required and not extras:
        return [{}]
    cands: dict[str, list[Any]] = {}
    for name, subs in props.items():
        options = instances(subs, rng, depth + 1)
        # Values the old side accepts for this key first, so that whole objects get a chance to
        # be valid; then one of each JSON type, valid or not.
        old_subs = [s["properties"][name] for s in declared if name in (s.get("properties") or {})]
        valid = [v for v in options if all(_validator(sub).is_valid(v) for sub in old_subs)]
        cands[name] = _dedupe(valid[:3] + _diverse(options, 1), rng)
    base: dict[str, Any] = {}
    for name in sorted(required):
        options = cands.get(name) or ["a", 1]
        base[name] = options[0]
    out: list[Any] = [{}, base]
    for name in sorted(required):
        out.append({k: v for k, v in base.items() if k != name})
    for name, options in cands.items():
        for value in options:
            out.append({**base, name: value})
    for _ in range(8):  # a few random combinations of every property
        out.append({name: rng.choice(options) for name, options in cands.items() if options})
    undeclared = {n for s in flat for n in (s.get("properties") or {}) if n not in names}
    for schema in extras:  # keys the old schema takes through additionalProperties
        for key in [*sorted(undeclared), "zz_extra"]:
            for value in _diverse(instances([schema], rng, depth + 1), 1):
                out.append({**base, key: value})
    return out
