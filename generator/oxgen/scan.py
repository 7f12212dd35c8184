"""What the compiler checks before any code is written: a request schema (normalised) that the
generated package's exact checker cannot handle is refused here with its JSON pointer, and the
model is skipped (remote ``$ref``, ``$dynamicRef``, unknown types, a ``$ref`` that recurses
without entering a property, lone surrogates in names, patterns the package's ``_ecma`` refuses,
nesting deeper than Python source allows). Pure."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from oxgen.patterns import Patterns
from oxgen.vocabulary import escape_pointer_token, unescape_pointer_token, walk


class CompileError(Exception):
    """Why a schema cannot be turned into code, and where (a JSON pointer)."""

    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(reason)
        self.pointer = pointer
        self.reason = reason


_UNSUPPORTED = {
    "$dynamicRef": "$dynamicRef is not supported",
    "$recursiveRef": "$recursiveRef is not supported",
}
KNOWN_TYPES = frozenset({"string", "integer", "number", "boolean", "null", "array", "object"})

# Python's parser refuses source nested more than 200 brackets deep, and a schema (or a `const`
# in it) may reach the generated module whole, as one literal: keep well inside that.
_MAX_SOURCE_DEPTH = 100


def check(root: Any, patterns: Patterns) -> None:
    """Refuse a request schema the generated package cannot check exactly (CompileError)."""
    if not isinstance(root, dict):
        kind = "null" if root is None else type(root).__name__
        raise CompileError("", f"the request schema must be a JSON object, got {kind}")
    declared = root.get("type")
    if declared not in (None, "object"):
        raise CompileError("/type", f"the request schema must describe an object, not {declared!r}")
    _check_source_depth(root)
    for pointer, sub in walk(root):
        _check_node(root, sub, pointer, patterns)
    _check_ref_cycles(root)


def _check_source_depth(root: Any) -> None:
    """Reject a schema whose JSON nests more than :data:`_MAX_SOURCE_DEPTH` levels (iteratively)."""
    stack: list[tuple[Any, str, int]] = [(root, "", 1)]
    while stack:
        node, pointer, depth = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        if depth > _MAX_SOURCE_DEPTH:
            raise CompileError(
                pointer,
                f"schema nested deeper than {_MAX_SOURCE_DEPTH} levels of objects and arrays",
            )
        items = (
            ((escape_pointer_token(str(k)), v) for k, v in node.items())
            if isinstance(node, dict)
            else ((str(i), v) for i, v in enumerate(node))
        )
        stack.extend((v, f"{pointer}/{k}", depth + 1) for k, v in items)


def _lone_surrogate(value: Any) -> bool:
    """Whether any string in the JSON value `value` holds a lone surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _check_node(root: Any, sub: Any, sub_pointer: str, patterns: Patterns) -> None:
    if not isinstance(sub, (dict, bool)):
        raise CompileError(
            sub_pointer, f"a schema must be an object or a boolean, got {type(sub).__name__}"
        )
    if not isinstance(sub, dict):
        return
    for key, reason in _UNSUPPORTED.items():
        if key in sub and sub[key] is not True:
            raise CompileError(f"{sub_pointer}/{key}", reason)
    types = sub.get("type")
    for t in types if isinstance(types, list) else [types] if types is not None else []:
        if t not in KNOWN_TYPES:
            raise CompileError(f"{sub_pointer}/type", f"unknown type {t!r}")
    if "$ref" in sub:
        ref = sub["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise CompileError(f"{sub_pointer}/$ref", f"only local $ref is supported, got {ref!r}")
        resolve(root, ref, f"{sub_pointer}/$ref")
    _check_surrogates(sub, sub_pointer)
    if "pattern" in sub:
        _check_pattern(sub["pattern"], f"{sub_pointer}/pattern", patterns)
    names = sub.get("patternProperties")
    for pattern in names if isinstance(names, dict) else ():
        _check_pattern(pattern, f"{sub_pointer}/patternProperties", patterns)


def _in_place(root: Any, node: dict[str, Any], pointer: str) -> list[tuple[str, str, Any]]:
    """The subschemas that apply to the same value as `node` (its `$ref` target and its
    in-place applicators): (pointer of the keyword, pointer of the subschema, subschema)."""
    out: list[tuple[str, str, Any]] = []
    if isinstance(node.get("$ref"), str):
        out.append((f"{pointer}/$ref", *resolve(root, node["$ref"], f"{pointer}/$ref")))
    for key in ("allOf", "anyOf", "oneOf"):
        if isinstance(node.get(key), list):
            out.extend(
                (f"{pointer}/{key}/{i}", f"{pointer}/{key}/{i}", v) for i, v in enumerate(node[key])
            )
    for key in ("not", "if", "then", "else"):
        if key in node:
            out.append((f"{pointer}/{key}", f"{pointer}/{key}", node[key]))
    if isinstance(node.get("dependentSchemas"), dict):
        for name, sub in node["dependentSchemas"].items():
            at = f"{pointer}/dependentSchemas/{escape_pointer_token(name)}"
            out.append((at, at, sub))
    return out


def _check_ref_cycles(root: Any) -> None:
    """Reject a `$ref` that leads back to its own schema without entering a property or item
    (``{"$ref": "#"}`` at the root, or two `$defs` naming each other): validating a value
    against it would recurse forever. Iterative, so long `$ref` chains are fine."""
    done: set[int] = set()
    for start_pointer, start in walk(root):
        if not isinstance(start, dict) or id(start) in done:
            continue
        on_path = {id(start)}
        stack = [(start, iter(_in_place(root, start, start_pointer)))]
        while stack:
            node, children = stack[-1]
            step = next(children, None)
            if step is None:
                stack.pop()
                on_path.discard(id(node))
                done.add(id(node))
                continue
            keyword_pointer, child_pointer, child = step
            if not isinstance(child, dict) or id(child) in done:
                continue
            if id(child) in on_path:
                raise CompileError(
                    keyword_pointer,
                    "this $ref leads back to a schema it is part of without entering a"
                    " property or item, so validating would recurse forever",
                )
            on_path.add(id(child))
            stack.append((child, iter(_in_place(root, child, child_pointer))))


def _check_surrogates(node: dict[str, Any], pointer: str) -> None:
    """Property names and allowed values become pydantic field aliases and ``Literal``s, which
    pydantic-core (Rust strings) cannot hold when they contain a lone surrogate (legal in JSON
    text as ``"\\ud800"``). Prose (descriptions, titles) is fine: it is shown escaped."""
    for key in ("properties", "patternProperties", "dependentSchemas", "dependentRequired"):
        names = node.get(key)
        for name in names if isinstance(names, dict) else ():
            if _lone_surrogate(name):
                raise CompileError(
                    f"{pointer}/{key}/{escape_pointer_token(name)}",
                    f"the property name {name!r} holds a lone surrogate, which is not Unicode"
                    " text and cannot name a field",
                )
    for key in ("enum", "const", "required"):
        if key in node and _lone_surrogate(node[key]):
            raise CompileError(
                f"{pointer}/{key}",
                f"`{key}` holds a string with a lone surrogate, which is not Unicode text"
                " and cannot be a Python Literal or field name",
            )


def _check_pattern(pattern: Any, pointer: str, patterns: Patterns) -> None:
    if not isinstance(pattern, str):
        raise CompileError(pointer, "pattern must be a string")
    reason = patterns.problem(pattern)
    if reason is not None:
        raise CompileError(pointer, reason)


def resolve(root: Any, ref: str, pointer: str) -> tuple[str, Any]:
    """A local `$ref` of `root` resolved: (its pointer, the schema there); CompileError when it
    points at nothing (`pointer`: where the `$ref` is)."""
    if ref in ("#", ""):
        return "", root
    if ref.startswith("#/"):
        node: Any = root
        for raw in ref[2:].split("/"):
            token = unescape_pointer_token(unquote(raw))
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise CompileError(pointer, f"$ref {ref!r} points at nothing")
        return ref[1:], node
    anchor = ref[1:]
    for sub_pointer, sub in walk(root):
        if isinstance(sub, dict) and sub.get("$anchor") == anchor:
            return sub_pointer, sub
    raise CompileError(pointer, f"$ref {ref!r} points at nothing")
