"""Schema -> request classes: turn one model's JSON Schema into :class:`~oxgen.ir.ClassIR` objects.

Each schema node becomes a pair of type expressions. Where pydantic's own validation is exact for a
node (objects with properties -> model classes, arrays -> ``list[...]``, unions of alternatives),
it is used, so users get real nested classes and pydantic's error locations. Every keyword
pydantic cannot express exactly (scalars, whose JSON semantics differ from Python's; enums;
ranges; patterns; ``oneOf``/``not``/``if``; array and object limits) is checked by the generated
package's ``_jsonschema`` module on the raw value, via a marker carrying that part of the schema.
A node using ``unevaluated*`` is never split that way: its keyword reads the annotations of all the
others, so the checker gets the whole node (a ``Value`` marker, or the request class's own check).
The compiler never guesses: what it cannot express it hands to the exact checker, and what the
checker cannot do (remote ``$ref``, ``$dynamicRef``, Unicode script properties in patterns) is
reported as a :class:`CompileError` with its JSON pointer, and the model is skipped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import unquote

from oxgen import media, naming, normalise, patterns
from oxgen.ir import ClassIR, FieldIR, ParamIR, TypeIR
from oxgen.literals import plain, py_literal


class CompileError(Exception):
    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(reason)
        self.pointer = pointer
        self.reason = reason


_UNSUPPORTED = {
    "$dynamicRef": "$dynamicRef is not supported",
    "$recursiveRef": "$recursiveRef is not supported",
}
# Keywords that read the annotations of every other keyword at their node (and of the in-place
# subschemas below it): such a node is checked whole by the runtime checker, never split.
_UNEVALUATED = frozenset({"unevaluatedProperties", "unevaluatedItems"})
# Keywords that only structure the document, never constrain the value at this node.
_STRUCTURAL = frozenset({"$defs", "definitions", "$id", "$anchor", "$dynamicAnchor", "$vocabulary"})
_COMBINATORS = frozenset({"allOf", "anyOf", "oneOf", "not", "if", "then", "else"})
_SCALAR_STATIC = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "null": "None",
}
# Types whose strict pydantic validation is exactly JSON Schema's (integers and numbers are not:
# 1.0 is a JSON integer, and pydantic would turn 1 into 1.0 for a float).
_NATIVE = {"string": "str", "boolean": "bool", "null": "None"}
_KNOWN_TYPES = frozenset({*_SCALAR_STATIC, "array", "object"})
_FIELD_KEYWORDS = frozenset({"type", "properties", "required", "additionalProperties"})
_MAX_DEPTH = 60


# Python's parser refuses source nested more than 200 brackets deep, and a schema (or a `const`
# in it) may reach the generated module whole, as one literal: keep well inside that.
_MAX_SOURCE_DEPTH = 100


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
            ((normalise.escape_pointer_token(str(k)), v) for k, v in node.items())
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


def _validating(node: Mapping[str, Any]) -> set[str]:
    """The keywords of `node` that can reject a value (``unevaluated*: true`` never does)."""
    return {
        k
        for k, v in node.items()
        if not normalise.is_annotation(k)
        and k not in _STRUCTURAL
        and not (k in _UNEVALUATED and (v is True or (isinstance(v, dict) and not _validating(v))))
    }


def _pick(node: Mapping[str, Any], keys: set[str]) -> dict[str, Any]:
    """The entries of `node` named in `keys`, in the schema's own order (never a set's order)."""
    return {k: v for k, v in node.items() if k in keys}


class Static(NamedTuple):
    """A typing expression, the imported names it refers to, and its alternatives (if a union)."""

    text: str
    uses: frozenset[str] = frozenset()
    members: tuple[str, ...] = ()


_NO_USES: frozenset[str] = frozenset()
_ANY = TypeIR("Any", "Any", frozenset({"Any"}), frozenset({"Any"}))
_ANY_STATIC = Static("Any", frozenset({"Any"}))
_CHECKED = frozenset({"Annotated", "_js"})  # what a runtime `Annotated[..., _js.X(...)]` refers to


def _literal_static(values: list[Any]) -> Static:
    """The typing form of a set of allowed values (a Literal where Python allows one), with the
    imported names it refers to."""
    literal, others = [], set()
    for v in values:
        if v is None or isinstance(v, (str, bool, int)):
            literal.append(py_literal(v))
        elif isinstance(v, float):
            others.add("float")
        elif isinstance(v, list):
            others.add("list[Any]")
        else:
            others.add("dict[str, Any]")
    parts = ([f"Literal[{', '.join(dict.fromkeys(literal))}]"] if literal else []) + sorted(others)
    if not parts:
        return _ANY_STATIC
    uses = {"Literal"} if literal else set()
    if others & {"list[Any]", "dict[str, Any]"}:
        uses.add("Any")
    return Static(" | ".join(parts), frozenset(uses), tuple(parts))


def _enum_values(node: Mapping[str, Any]) -> list[Any]:
    values = node["enum"] if "enum" in node else [node["const"]]
    return values if isinstance(values, list) else []


def _exact_literal(node: Mapping[str, Any], keys: set[str]) -> TypeIR | None:
    """A strict ``Literal`` alone, where pydantic is exact: an enum or const of strings (and
    null), with at most a `type` that allows every value. Other values (numbers: ``1.0`` is the
    JSON integer 1; booleans) stay with the exact checker."""
    if not (keys <= {"enum", "type"} or keys <= {"const", "type"}) or keys == {"type"}:
        return None
    values = _enum_values(node)
    if not values or not all(v is None or isinstance(v, str) for v in values):
        return None
    if "type" in node:
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        if any(isinstance(v, str) for v in values) and "string" not in types:
            return None
        if any(v is None for v in values) and "null" not in types:
            return None
    static = _literal_static(values)
    return TypeIR(static.text, static.text, static.uses, static.uses, static.members)


def _static(node: Mapping[str, Any]) -> Static:
    """The typing form of whatever `node` may accept, from its `enum`/`const` or `type`."""
    if "enum" in node or "const" in node:
        return _literal_static(_enum_values(node))
    types = node.get("type")
    names = types if isinstance(types, list) else [types] if types is not None else []
    if not names:
        return _ANY_STATIC
    containers = {"array": "list[Any]", "object": "dict[str, Any]"}
    return _union([Static(_SCALAR_STATIC.get(t) or containers[t], _uses_any(t)) for t in names])


def _uses_any(type_name: str) -> frozenset[str]:
    return frozenset({"Any"}) if type_name in ("array", "object") else _NO_USES


def _union(parts: list[Static]) -> Static:
    """Alternatives as one typing expression, each once, None last (as linters want it)."""
    unique = list(dict.fromkeys(m for p in parts for m in (p.members or (p.text,))))
    if not unique or "Any" in unique:
        return _ANY_STATIC
    unique.sort(key=lambda m: m == "None")
    return Static(" | ".join(unique), frozenset().union(*(p.uses for p in parts)), tuple(unique))


def _union_of(members: list[TypeIR]) -> TypeIR:
    """One type for alternatives: each keeps its own runtime check."""
    static = _union([Static(m.static, m.static_uses, m.members) for m in members])
    runtime = tuple(dict.fromkeys(r for m in members for r in (m.runtime_members or (m.runtime,))))
    return TypeIR(
        static.text,
        " | ".join(runtime),
        static.uses,
        frozenset().union(*(m.runtime_uses for m in members)),
        static.members,
        runtime,
    )


class ModelCompiler:
    """Compiles one model's request schema. Use :meth:`compile` once per instance."""

    def __init__(
        self, schema: Any, class_name: str, stem: str, rules: patterns.Patterns | None = None
    ) -> None:
        self.patterns = rules or patterns.builtin()
        self.root = normalise.localise_refs(normalise.to_standard(schema))
        self.check_root = normalise.strip_annotations(self.root)
        self.class_name = class_name
        self.stem = stem
        self.classes: dict[str, ClassIR] = {}
        self.class_names: dict[str, str] = {}  # pointer -> class name
        # class names never shadow what the module imports or defines
        self.taken: set[str] = set(naming.MODULE_SCOPE)
        self.media: str | None = None  # the media kind of the field being compiled, if any
        self.ref_stack: set[str] = set()  # $ref targets being compiled (to stop on recursion)
        self.needs_root = False
        self.depth = 0

    # -- entry point -------------------------------------------------------------------------

    def compile(self) -> list[ClassIR]:
        if not isinstance(self.root, dict):
            kind = "null" if self.root is None else type(self.root).__name__
            raise CompileError("", f"the request schema must be a JSON object, got {kind}")
        declared = self.root.get("type")
        if declared not in (None, "object"):
            raise CompileError(
                "/type", f"the request schema must describe an object, not {declared!r}"
            )
        _check_source_depth(self.root)
        self._scan(self.root, "")
        self.taken.add(self.class_name)
        self._class(self.root, "", self.class_name)
        request = self.classes.pop("")
        return [request, *(self.classes[p] for p in sorted(self.classes))]

    def _scan(self, node: Any, pointer: str) -> None:
        """Reject what the exact checker cannot do, before any code is written."""
        for sub_pointer, sub in normalise.walk(node, pointer):
            if not isinstance(sub, (dict, bool)):
                raise CompileError(
                    sub_pointer,
                    f"a schema must be an object or a boolean, got {type(sub).__name__}",
                )
            if not isinstance(sub, dict):
                continue
            for key, reason in _UNSUPPORTED.items():
                if key in sub and sub[key] is not True:
                    raise CompileError(f"{sub_pointer}/{key}", reason)
            types = sub.get("type")
            for t in types if isinstance(types, list) else [types] if types is not None else []:
                if t not in _KNOWN_TYPES:
                    raise CompileError(f"{sub_pointer}/type", f"unknown type {t!r}")
            if "$ref" in sub:
                ref = sub["$ref"]
                if not isinstance(ref, str) or not ref.startswith("#"):
                    raise CompileError(
                        f"{sub_pointer}/$ref", f"only local $ref is supported, got {ref!r}"
                    )
                self._target(ref, f"{sub_pointer}/$ref")
            self._check_surrogates(sub, sub_pointer)
            for key in ("pattern",):
                if key in sub:
                    self._check_pattern(sub[key], f"{sub_pointer}/{key}")
            for pattern in (
                sub.get("patternProperties", {})
                if isinstance(sub.get("patternProperties"), dict)
                else ()
            ):
                self._check_pattern(pattern, f"{sub_pointer}/patternProperties")
        self._check_ref_cycles(node, pointer)

    def _in_place(self, node: dict[str, Any], pointer: str) -> list[tuple[str, str, Any]]:
        """The subschemas that apply to the same value as `node` (its `$ref` target and its
        in-place applicators): (pointer of the keyword, pointer of the subschema, subschema)."""
        out: list[tuple[str, str, Any]] = []
        if isinstance(node.get("$ref"), str):
            out.append((f"{pointer}/$ref", *self._target(node["$ref"], f"{pointer}/$ref")))
        for key in ("allOf", "anyOf", "oneOf"):
            if isinstance(node.get(key), list):
                out.extend(
                    (f"{pointer}/{key}/{i}", f"{pointer}/{key}/{i}", v)
                    for i, v in enumerate(node[key])
                )
        for key in ("not", "if", "then", "else"):
            if key in node:
                out.append((f"{pointer}/{key}", f"{pointer}/{key}", node[key]))
        if isinstance(node.get("dependentSchemas"), dict):
            for name, sub in node["dependentSchemas"].items():
                at = f"{pointer}/dependentSchemas/{normalise.escape_pointer_token(name)}"
                out.append((at, at, sub))
        return out

    def _check_ref_cycles(self, root: Any, pointer: str) -> None:
        """Reject a `$ref` that leads back to its own schema without entering a property or item
        (``{"$ref": "#"}`` at the root, or two `$defs` naming each other): validating a value
        against it would recurse forever. Iterative, so long `$ref` chains are fine."""
        done: set[int] = set()
        for start_pointer, start in normalise.walk(root, pointer):
            if not isinstance(start, dict) or id(start) in done:
                continue
            on_path = {id(start)}
            stack = [(start, iter(self._in_place(start, start_pointer)))]
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
                stack.append((child, iter(self._in_place(child, child_pointer))))

    def _check_surrogates(self, node: dict[str, Any], pointer: str) -> None:
        """Property names and allowed values become pydantic field aliases and ``Literal``s, which
        pydantic-core (Rust strings) cannot hold when they contain a lone surrogate (legal in JSON
        text as ``"\\ud800"``). Prose (descriptions, titles) is fine: it is shown escaped."""
        for key in ("properties", "patternProperties", "dependentSchemas", "dependentRequired"):
            names = node.get(key)
            for name in names if isinstance(names, dict) else ():
                if _lone_surrogate(name):
                    raise CompileError(
                        f"{pointer}/{key}/{normalise.escape_pointer_token(name)}",
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

    def _check_pattern(self, pattern: Any, pointer: str) -> None:
        if not isinstance(pattern, str):
            raise CompileError(pointer, "pattern must be a string")
        reason = self.patterns.problem(pattern)
        if reason is not None:
            raise CompileError(pointer, reason)

    def _target(self, ref: str, pointer: str) -> tuple[str, Any]:
        """Resolve a local $ref to (pointer, schema); dangling refs are errors."""
        if ref in ("#", ""):
            return "", self.root
        if ref.startswith("#/"):
            node: Any = self.root
            for raw in ref[2:].split("/"):
                token = normalise.unescape_pointer_token(unquote(raw))
                if isinstance(node, dict) and token in node:
                    node = node[token]
                elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                    node = node[int(token)]
                else:
                    raise CompileError(pointer, f"$ref {ref!r} points at nothing")
            return ref[1:], node
        anchor = ref[1:]
        for sub_pointer, sub in normalise.walk(self.root):
            if isinstance(sub, dict) and sub.get("$anchor") == anchor:
                return sub_pointer, sub
        raise CompileError(pointer, f"$ref {ref!r} points at nothing")

    # -- types -------------------------------------------------------------------------------

    def _value(self, node: Any, static: Static) -> TypeIR:
        """A position validated by the exact checker alone."""
        checked = normalise.strip_annotations(node)
        root = ""
        if "$ref" in repr(checked):
            self.needs_root = True
            root = ", _ROOT"
        return TypeIR(
            static.text,
            f"Annotated[{static.text}, _js.Value({py_literal(checked)}{root})]",
            static.uses,
            static.uses | _CHECKED,
            static.members,
        )

    def _also(self, t: TypeIR, residual: dict[str, Any]) -> TypeIR:
        if not residual:
            return t
        checked = normalise.strip_annotations(residual)
        root = ""
        if "$ref" in repr(checked):
            self.needs_root = True
            root = ", _ROOT"
        return t._replace(
            runtime=f"Annotated[{t.runtime}, _js.Also({py_literal(checked)}{root})]",
            runtime_uses=t.runtime_uses | _CHECKED,
            runtime_members=(),
        )

    def type_of(self, node: Any, pointer: str, hint: str) -> TypeIR:
        self.depth += 1
        try:
            if self.depth > _MAX_DEPTH:
                raise CompileError(pointer, f"schema nested deeper than {_MAX_DEPTH} levels")
            return self._type_of(node, pointer, hint)
        finally:
            self.depth -= 1

    def _type_of(self, node: Any, pointer: str, hint: str) -> TypeIR:
        if self.media is not None and media.is_string_of_media(node):
            kind, self.media = self.media, None
            try:
                return _widen_media(self._type_of(node, pointer, hint), kind)
            finally:
                self.media = kind
        if node is True:
            return _ANY
        if node is False:
            return self._value(False, _ANY_STATIC)
        keys = _validating(node)
        if not keys:
            return _ANY
        if keys & _UNEVALUATED:
            return self._value(node, _static(node))
        if "$ref" in node:
            return self._ref(node, pointer, hint, keys)
        if "enum" in node or "const" in node:
            exact = _exact_literal(node, keys)
            if exact is not None:
                return exact
        types = node.get("type")
        if types is None:
            return self._untyped(node, pointer, hint, keys)
        names = list(dict.fromkeys(types if isinstance(types, list) else [types]))
        if "enum" in node or "const" in node:
            return self._value(node, _literal_static(_enum_values(node)))
        if len(names) == 1:
            if keys == {"type"} and names[0] in _NATIVE:
                native = _NATIVE[names[0]]
                return TypeIR(native, native)
            return self._single(names[0], node, pointer, hint, keys)
        if keys == {"type"} and all(n in _NATIVE for n in names):
            # A union of types pydantic checks exactly (``str | None``): pydantic alone.
            natives = _union([Static(_NATIVE[n]) for n in names])
            return TypeIR(
                natives.text, natives.text, members=natives.members, runtime_members=natives.members
            )
        structured = [n for n in names if n in ("array", "object")]
        if not structured:
            return self._value(node, _union([Static(_SCALAR_STATIC[n]) for n in names]))
        # A union by type: each member keeps the keywords for its own type; shared keywords
        # (combinators) are checked once on the whole.
        shared = _pick(node, keys & _COMBINATORS)
        base = {k: v for k, v in node.items() if k not in _COMBINATORS}
        members = [self.type_of({**base, "type": n}, pointer, hint) for n in names]
        return self._also(_union_of(members), shared)

    def _ref(self, node: dict[str, Any], pointer: str, hint: str, keys: set[str]) -> TypeIR:
        target_pointer, target = self._target(node["$ref"], f"{pointer}/$ref")
        rest = _pick(node, keys - {"$ref"})
        if target_pointer in self.class_names:
            name = self.class_names[target_pointer]
            t = TypeIR(name, name)
        elif target_pointer in self.ref_stack:
            # A recursive reference to something that is not a class: the checker follows it.
            t = self._value({"$ref": node["$ref"]}, _ANY_STATIC)
        else:
            self.ref_stack.add(target_pointer)
            try:
                def_hint = self.stem + naming.pascal(target_pointer.rsplit("/", 1)[-1] or "Root")
                t = self.type_of(target, target_pointer, def_hint)
            finally:
                self.ref_stack.discard(target_pointer)
        return self._also(t, rest)

    def _untyped(self, node: dict[str, Any], pointer: str, hint: str, keys: set[str]) -> TypeIR:
        if keys <= {"anyOf"} and isinstance(node.get("anyOf"), list) and node["anyOf"]:
            return _union_of(
                [
                    self.type_of(s, f"{pointer}/anyOf/{i}", f"{hint}{i}")
                    for i, s in enumerate(node["anyOf"])
                ]
            )
        if keys <= {"oneOf"} and isinstance(node.get("oneOf"), list) and node["oneOf"]:
            members = [
                self.type_of(s, f"{pointer}/oneOf/{i}", f"{hint}{i}")
                for i, s in enumerate(node["oneOf"])
            ]
            return self._also(_union_of(members), {"oneOf": node["oneOf"]})
        if keys <= {"allOf"} and isinstance(node.get("allOf"), list) and node["allOf"]:
            first, *rest = node["allOf"]
            t = self.type_of(first, f"{pointer}/allOf/0", hint)
            return self._also(t, {"allOf": rest} if rest else {})
        if "enum" in node or "const" in node:
            return self._value(node, _literal_static(_enum_values(node)))
        return self._value(node, _ANY_STATIC)

    def _single(
        self, name: str, node: dict[str, Any], pointer: str, hint: str, keys: set[str]
    ) -> TypeIR:
        if name in _SCALAR_STATIC:
            return self._value(node, Static(_SCALAR_STATIC[name]))
        if name == "array":
            return self._array(node, pointer, hint, keys)
        if isinstance(node.get("properties"), dict) or pointer in self.class_names:
            class_name = self._class(node, pointer, hint)
            return TypeIR(class_name, class_name)
        return self._mapping(node, pointer, hint, keys)

    def _array(self, node: dict[str, Any], pointer: str, hint: str, keys: set[str]) -> TypeIR:
        items = node.get("items")
        any_list = TypeIR("list[Any]", "list[Any]", frozenset({"Any"}), frozenset({"Any"}))
        if "prefixItems" in node or isinstance(items, list) or items is False:
            return self._also(any_list, _pick(node, keys - {"type"}))
        item = _ANY if items is None else self.type_of(items, f"{pointer}/items", hint + "Item")
        residual = _pick(node, keys - {"type", "items"})
        return self._also(
            TypeIR(
                f"list[{item.static}]", f"list[{item.runtime}]", item.static_uses, item.runtime_uses
            ),
            residual,
        )

    def _mapping(self, node: dict[str, Any], pointer: str, hint: str, keys: set[str]) -> TypeIR:
        extra = node.get("additionalProperties")
        if "patternProperties" in node or extra is False or extra is None or extra is True:
            residual = _pick(node, keys - {"type"})
            any_dict = TypeIR(
                "dict[str, Any]", "dict[str, Any]", frozenset({"Any"}), frozenset({"Any"})
            )
            return self._also(any_dict, residual)
        value = self.type_of(extra, f"{pointer}/additionalProperties", hint + "Value")
        residual = _pick(node, keys - {"type", "additionalProperties"})
        return self._also(
            TypeIR(
                f"dict[str, {value.static}]",
                f"dict[str, {value.runtime}]",
                value.static_uses,
                value.runtime_uses,
            ),
            residual,
        )

    # -- classes -----------------------------------------------------------------------------

    def _class(self, node: dict[str, Any], pointer: str, hint: str) -> str:
        if pointer in self.class_names:
            return self.class_names[pointer]
        name = hint if pointer == "" else naming.unique_name(hint, self.taken)
        self.class_names[pointer] = name
        raw_props = node.get("properties")
        props: dict[str, Any] = raw_props if isinstance(raw_props, dict) else {}
        required = (
            [r for r in node.get("required", []) if isinstance(r, str)]
            if isinstance(node.get("required"), list)
            else []
        )
        names = naming.field_names(props, self.stem)
        prop_items = list(props.items())
        order = sorted(range(len(prop_items)), key=lambda i: (_order_key(prop_items[i][1]), i))
        fields = []
        for i in order:
            prop, schema = prop_items[i]
            field_pointer = f"{pointer}/properties/{normalise.escape_pointer_token(prop)}"
            self.media = media.media_kind(prop, schema)
            try:
                t = self.type_of(schema, field_pointer, name + naming.pascal(prop))
            finally:
                kind, self.media = self.media, None
            field = self._field(prop, names[prop], schema, t, prop in required)
            fields.append(dataclasses.replace(field, media=kind) if kind else field)
        keys = _validating(node)
        handled = set(_FIELD_KEYWORDS)
        extra_mode, extra_type, extra_uses = "allow", None, _NO_USES
        extra = node.get("additionalProperties")
        if "patternProperties" in node:
            handled.discard("additionalProperties")
        elif extra is False:
            extra_mode = "forbid"
        elif isinstance(extra, dict):
            t = self.type_of(extra, f"{pointer}/additionalProperties", name + "Extra")
            if t.runtime != "Any":
                extra_type, extra_uses = t.runtime, t.runtime_uses
        residual = _pick(node, keys - handled)
        missing = [r for r in required if r not in props]
        if keys & _UNEVALUATED:
            # unevaluated* needs the annotations of `properties` and the rest: the whole node.
            residual = _pick(node, keys)
        elif missing:
            residual["required"] = missing
        check = None
        if residual:
            checked = normalise.strip_annotations(residual)
            if "$ref" in repr(checked):
                self.needs_root = True
            check = py_literal(checked)
        self.classes[pointer] = ClassIR(
            name=name,
            description=plain(node.get("description"))
            or plain(node.get("title") if pointer else ""),
            fields=tuple(fields),
            extra=extra_mode,
            extra_type=extra_type,
            check=check,
            pointer=pointer,
            extra_uses=extra_uses,
        )
        return name

    def _field(self, prop: str, name: str, schema: Any, t: TypeIR, required: bool) -> FieldIR:
        info = schema if isinstance(schema, dict) else {}
        default = py_literal(info["default"]) if "default" in info and not required else None
        return FieldIR(
            name=name,
            alias=prop,
            static=t.static,
            runtime=t.runtime,
            required=required,
            default=default,
            description=plain(info.get("description")) or plain(info.get("title")),
            notes=describe(info, values_shown=_values_shown(info, t), default_shown=not required),
            param=_param(t, required, default),
            uses=t.runtime_uses,
            annotation=t.runtime if required or default is not None else _unsettable(t),
        )


def _unsettable(t: TypeIR) -> str:
    """The annotation of a field that may be left unset: its type or ``Missing`` (before a
    trailing ``None``, where linters want it)."""
    members = t.runtime_members or (t.runtime,)
    nullable = "None" in members
    return " | ".join([*(m for m in members if m != "None"), "Missing", *(["None"] * nullable)])


def _values_shown(info: Mapping[str, Any], t: TypeIR) -> bool:
    """True when the type is a Literal of exactly the enum's (or const's) values."""
    if "enum" not in info and "const" not in info:
        return False
    values = _enum_values(normalise.to_standard(info))
    return "Literal" in t.static_uses and all(
        v is None or isinstance(v, (str, bool, int)) for v in values
    )


def _param(t: TypeIR, required: bool, default: str | None) -> ParamIR:
    """A field as a keyword parameter: required, left at the schema's documented default
    (``server_default(...)``: shown, never sent), or omitted (``OMIT``: not sent)."""
    if required:
        return ParamIR(t.static, None, t.static_uses)
    if default is not None:
        return ParamIR(t.static, f"server_default({default})", t.static_uses | {"server_default"})
    members = t.members or (t.static,)
    nullable = "None" in members
    annotation = " | ".join([*(m for m in members if m != "None"), "Omit", *(["None"] * nullable)])
    return ParamIR(annotation, "OMIT", t.static_uses | {"Omit", "OMIT"})


def _widen_media(t: TypeIR, kind: str) -> TypeIR:
    """A string position of a media input: it also accepts a local file (``MediaInput``), which
    the generated ``_media.Input`` marker checks; strings still get their own checks (`runtime`)."""
    members = tuple("MediaInput" if m == "str" else m for m in (t.members or (t.static,)))
    wide = " | ".join(members)
    inner = "" if t.runtime == "str" else f", {t.runtime}"
    uses = t.static_uses | {"MediaInput"}
    return TypeIR(
        wide,
        f"Annotated[{wide}, _media.Input({py_literal(kind)}{inner})]",
        uses,
        uses | t.runtime_uses | {"Annotated", "_media"},
        members,
    )


def _order_key(schema: Any) -> float:
    order = schema.get("x-order") if isinstance(schema, dict) else None
    return (
        float(order)
        if isinstance(order, (int, float)) and not isinstance(order, bool)
        else float("inf")
    )


def _fmt(value: Any) -> str:
    return (
        repr(value)
        if isinstance(value, str)
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
    )


def describe(
    schema: Mapping[str, Any], values_shown: bool = False, default_shown: bool = False
) -> tuple[str, ...]:
    """Constraint facts for documentation ('one of: ...', 'range: 1 to 10', ...).

    `values_shown`: the type already lists the allowed values (a Literal), so they are left out;
    `default_shown`: the default is written beside the type, so it is left out.
    """
    facts = []
    schema = normalise.to_standard(schema) if isinstance(schema, dict) else {}
    if isinstance(schema.get("enum"), list) and not values_shown:
        facts.append("one of: " + ", ".join(_fmt(v) for v in schema["enum"]))
    if "const" in schema and not values_shown:
        facts.append("must be: " + _fmt(schema["const"]))
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if low is not None or high is not None:
        left = "" if low is None else ("> " if "exclusiveMinimum" in schema else ">= ") + str(low)
        right = (
            "" if high is None else ("< " if "exclusiveMaximum" in schema else "<= ") + str(high)
        )
        facts.append("range: " + ", ".join(p for p in (left, right) if p))
    for key, label in (
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minItems", "min items"),
        ("maxItems", "max items"),
        ("multipleOf", "multiple of"),
        ("pattern", "pattern"),
        ("format", "format"),
    ):
        if key in schema:
            facts.append(f"{label}: {_fmt(schema[key])}")
    if "default" in schema and not default_shown:
        facts.append("default: " + _fmt(schema["default"]))
    return tuple(facts)
