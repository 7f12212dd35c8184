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

from collections.abc import Mapping
from typing import Any

from oxgen import media, naming, notes, patterns, scan
from oxgen.ir import ClassIR, FieldIR, TypeIR
from oxgen.literals import plain, py_literal
from oxgen.normalise import Normalised
from oxgen.scan import CompileError
from oxgen.typeexpr import (
    ANY,
    ANY_STATIC,
    CHECKED,
    NATIVE,
    NO_USES,
    SCALAR_STATIC,
    Static,
    enum_values,
    exact_literal,
    literal_static,
    param_of,
    static_of,
    union,
    union_of,
    unsettable,
    widen_media,
)
from oxgen.vocabulary import escape_pointer_token, is_annotation, strip_annotations

__all__ = ["CompileError", "ModelCompiler"]

# Keywords that read the annotations of every other keyword at their node (and of the in-place
# subschemas below it): such a node is checked whole by the runtime checker, never split.
_UNEVALUATED = frozenset({"unevaluatedProperties", "unevaluatedItems"})
# Keywords that only structure the document, never constrain the value at this node.
_STRUCTURAL = frozenset({"$defs", "definitions", "$id", "$anchor", "$dynamicAnchor", "$vocabulary"})
_COMBINATORS = frozenset({"allOf", "anyOf", "oneOf", "not", "if", "then", "else"})
_FIELD_KEYWORDS = frozenset({"type", "properties", "required", "additionalProperties"})
_MAX_DEPTH = 60


def _validating(node: Mapping[str, Any]) -> set[str]:
    """The keywords of `node` that can reject a value (``unevaluated*: true`` never does)."""
    return {
        k
        for k, v in node.items()
        if not is_annotation(k)
        and k not in _STRUCTURAL
        and not (k in _UNEVALUATED and (v is True or (isinstance(v, dict) and not _validating(v))))
    }


def _pick(node: Mapping[str, Any], keys: set[str]) -> dict[str, Any]:
    """The entries of `node` named in `keys`, in the schema's own order (never a set's order)."""
    return {k: v for k, v in node.items() if k in keys}


class ModelCompiler:
    """Compiles one model's request schema. Use :meth:`compile` once per instance."""

    def __init__(
        self,
        schema: Normalised,
        class_name: str,
        stem: str,
        rules: patterns.Patterns | None = None,
    ) -> None:
        self.patterns = rules or patterns.builtin()
        self.root = schema.root
        self.check_root = schema.checked
        self.class_name = class_name
        self.stem = stem
        self.classes: dict[str, ClassIR] = {}
        self.class_names: dict[str, str] = {}  # pointer -> class name
        # class names never shadow what the module imports or defines
        self.taken: set[str] = set(naming.MODULE_SCOPE)
        self.ref_stack: set[str] = set()  # $ref targets being compiled (to stop on recursion)
        self.needs_root = False
        self.depth = 0

    # -- entry point -------------------------------------------------------------------------

    def compile(self) -> list[ClassIR]:
        scan.check(self.root, self.patterns)
        self.taken.add(self.class_name)
        self._class(self.root, "", self.class_name)
        request = self.classes.pop("")
        return [request, *(self.classes[p] for p in sorted(self.classes))]

    # -- types -------------------------------------------------------------------------------

    def _value(self, node: Any, static: Static) -> TypeIR:
        """A position validated by the exact checker alone."""
        checked = strip_annotations(node)
        root = ""
        if "$ref" in repr(checked):
            self.needs_root = True
            root = ", _ROOT"
        return TypeIR(
            static.text,
            f"Annotated[{static.text}, _js.Value({py_literal(checked)}{root})]",
            static.uses,
            static.uses | CHECKED,
            static.members,
        )

    def _also(self, t: TypeIR, residual: dict[str, Any]) -> TypeIR:
        if not residual:
            return t
        checked = strip_annotations(residual)
        root = ""
        if "$ref" in repr(checked):
            self.needs_root = True
            root = ", _ROOT"
        return t._replace(
            runtime=f"Annotated[{t.runtime}, _js.Also({py_literal(checked)}{root})]",
            runtime_uses=t.runtime_uses | CHECKED,
            runtime_members=(),
        )

    def type_of(self, node: Any, pointer: str, hint: str, kind: str | None = None) -> TypeIR:
        """The type of `node`. `kind`: the media kind of the field it is part of, when that
        field is a media input (its string positions also accept local files)."""
        self.depth += 1
        try:
            if self.depth > _MAX_DEPTH:
                raise CompileError(pointer, f"schema nested deeper than {_MAX_DEPTH} levels")
            if kind is not None and media.is_string_of_media(node):
                return widen_media(self._type_of(node, pointer, hint, None), kind)
            return self._type_of(node, pointer, hint, kind)
        finally:
            self.depth -= 1

    def _type_of(self, node: Any, pointer: str, hint: str, kind: str | None) -> TypeIR:
        if node is True:
            return ANY
        if node is False:
            return self._value(False, ANY_STATIC)
        keys = _validating(node)
        if not keys:
            return ANY
        if keys & _UNEVALUATED:
            return self._value(node, static_of(node))
        if "$ref" in node:
            return self._ref(node, pointer, hint, keys, kind)
        if "enum" in node or "const" in node:
            exact = exact_literal(node, keys)
            if exact is not None:
                return exact
        types = node.get("type")
        if types is None:
            return self._untyped(node, pointer, hint, keys, kind)
        names = list(dict.fromkeys(types if isinstance(types, list) else [types]))
        if "enum" in node or "const" in node:
            return self._value(node, literal_static(enum_values(node)))
        if len(names) == 1:
            if keys == {"type"} and names[0] in NATIVE:
                native = NATIVE[names[0]]
                return TypeIR(native, native)
            return self._single(names[0], node, pointer, hint, keys, kind)
        if keys == {"type"} and all(n in NATIVE for n in names):
            # A union of types pydantic checks exactly (``str | None``): pydantic alone.
            natives = union([Static(NATIVE[n]) for n in names])
            return TypeIR(
                natives.text, natives.text, members=natives.members, runtime_members=natives.members
            )
        structured = [n for n in names if n in ("array", "object")]
        if not structured:
            return self._value(node, union([Static(SCALAR_STATIC[n]) for n in names]))
        # A union by type: each member keeps the keywords for its own type; shared keywords
        # (combinators) are checked once on the whole.
        shared = _pick(node, keys & _COMBINATORS)
        base = {k: v for k, v in node.items() if k not in _COMBINATORS}
        members = [self.type_of({**base, "type": n}, pointer, hint, kind) for n in names]
        return self._also(union_of(members), shared)

    def _ref(
        self, node: dict[str, Any], pointer: str, hint: str, keys: set[str], kind: str | None
    ) -> TypeIR:
        target_pointer, target = scan.resolve(self.root, node["$ref"], f"{pointer}/$ref")
        rest = _pick(node, keys - {"$ref"})
        if target_pointer in self.class_names:
            name = self.class_names[target_pointer]
            t = TypeIR(name, name)
        elif target_pointer in self.ref_stack:
            # A recursive reference to something that is not a class: the checker follows it.
            t = self._value({"$ref": node["$ref"]}, ANY_STATIC)
        else:
            self.ref_stack.add(target_pointer)
            try:
                def_hint = self.stem + naming.pascal(target_pointer.rsplit("/", 1)[-1] or "Root")
                t = self.type_of(target, target_pointer, def_hint, kind)
            finally:
                self.ref_stack.discard(target_pointer)
        return self._also(t, rest)

    def _untyped(
        self, node: dict[str, Any], pointer: str, hint: str, keys: set[str], kind: str | None
    ) -> TypeIR:
        if keys <= {"anyOf"} and isinstance(node.get("anyOf"), list) and node["anyOf"]:
            return union_of(
                [
                    self.type_of(s, f"{pointer}/anyOf/{i}", f"{hint}{i}", kind)
                    for i, s in enumerate(node["anyOf"])
                ]
            )
        if keys <= {"oneOf"} and isinstance(node.get("oneOf"), list) and node["oneOf"]:
            members = [
                self.type_of(s, f"{pointer}/oneOf/{i}", f"{hint}{i}", kind)
                for i, s in enumerate(node["oneOf"])
            ]
            return self._also(union_of(members), {"oneOf": node["oneOf"]})
        if keys <= {"allOf"} and isinstance(node.get("allOf"), list) and node["allOf"]:
            first, *rest = node["allOf"]
            t = self.type_of(first, f"{pointer}/allOf/0", hint, kind)
            return self._also(t, {"allOf": rest} if rest else {})
        if "enum" in node or "const" in node:
            return self._value(node, literal_static(enum_values(node)))
        return self._value(node, ANY_STATIC)

    def _single(
        self,
        name: str,
        node: dict[str, Any],
        pointer: str,
        hint: str,
        keys: set[str],
        kind: str | None,
    ) -> TypeIR:
        if name in SCALAR_STATIC:
            return self._value(node, Static(SCALAR_STATIC[name]))
        if name == "array":
            return self._array(node, pointer, hint, keys, kind)
        if isinstance(node.get("properties"), dict) or pointer in self.class_names:
            class_name = self._class(node, pointer, hint)
            return TypeIR(class_name, class_name)
        return self._mapping(node, pointer, hint, keys, kind)

    def _array(
        self, node: dict[str, Any], pointer: str, hint: str, keys: set[str], kind: str | None
    ) -> TypeIR:
        items = node.get("items")
        any_list = TypeIR("list[Any]", "list[Any]", frozenset({"Any"}), frozenset({"Any"}))
        if "prefixItems" in node or isinstance(items, list) or items is False:
            return self._also(any_list, _pick(node, keys - {"type"}))
        item = (
            ANY if items is None else self.type_of(items, f"{pointer}/items", hint + "Item", kind)
        )
        residual = _pick(node, keys - {"type", "items"})
        return self._also(
            TypeIR(
                f"list[{item.static}]", f"list[{item.runtime}]", item.static_uses, item.runtime_uses
            ),
            residual,
        )

    def _mapping(
        self, node: dict[str, Any], pointer: str, hint: str, keys: set[str], kind: str | None
    ) -> TypeIR:
        extra = node.get("additionalProperties")
        if "patternProperties" in node or extra is False or extra is None or extra is True:
            residual = _pick(node, keys - {"type"})
            any_dict = TypeIR(
                "dict[str, Any]", "dict[str, Any]", frozenset({"Any"}), frozenset({"Any"})
            )
            return self._also(any_dict, residual)
        value = self.type_of(extra, f"{pointer}/additionalProperties", hint + "Value", kind)
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
            field_pointer = f"{pointer}/properties/{escape_pointer_token(prop)}"
            kind = media.media_kind(prop, schema)
            t = self.type_of(schema, field_pointer, name + naming.pascal(prop), kind)
            fields.append(_field(prop, names[prop], schema, t, prop in required, kind))
        keys = _validating(node)
        handled = set(_FIELD_KEYWORDS)
        extra_mode, extra_type, extra_uses = "allow", None, NO_USES
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
            checked = strip_annotations(residual)
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


def _field(
    prop: str, name: str, schema: Any, t: TypeIR, required: bool, kind: str | None
) -> FieldIR:
    """A property as a field of its class (`kind`: its media kind, when it is a media input)."""
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
        notes=notes.notes(info, t, required),
        param=param_of(t, required, default),
        uses=t.runtime_uses,
        annotation=t.runtime if required or default is not None else unsettable(t),
        media=kind,
    )


def _order_key(schema: Any) -> float:
    order = schema.get("x-order") if isinstance(schema, dict) else None
    return (
        float(order)
        if isinstance(order, (int, float)) and not isinstance(order, bool)
        else float("inf")
    )
