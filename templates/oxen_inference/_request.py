"""The base of every request class, and lookup of a model's class by id."""

from __future__ import annotations

import copy
import functools
import importlib
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal, TypedDict, Unpack

from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import DEFAULT_REF_TEMPLATE, GenerateJsonSchema, JsonSchemaMode
from pydantic_core import PydanticSerializationError

from . import _registry
from ._exceptions import OxenError, ValidationError
from ._resolve import locate, resolve

if TYPE_CHECKING:
    import enum

    from pydantic.main import IncEx

    from ._media import FileStore

    class DumpOptions(TypedDict, total=False):
        """The other arguments of BaseModel's ``model_dump`` and ``model_dump_json``."""

        include: IncEx | None
        exclude: IncEx | None
        context: Any | None
        by_alias: bool | None
        exclude_defaults: bool
        exclude_none: bool
        exclude_computed_fields: bool
        round_trip: bool
        warnings: bool | Literal["none", "warn", "error"]
        fallback: Callable[[Any], Any] | None
        serialize_as_any: bool
        polymorphic_serialization: bool | None

    class Missing(enum.Enum):
        """The type of :data:`MISSING`: the value of an optional field that was not set."""

        MISSING = "MISSING"

    MISSING: Final = Missing.MISSING
else:
    # pydantic's own sentinel: a field holding it is left out of every dump. Type checkers see it
    # as a one-member enum, so `value is MISSING` narrows in mypy and pyright alike.
    from pydantic import MISSING

    Missing = MISSING

__all__ = [
    "MISSING",
    "Missing",
    "NoRequestSchemaError",
    "RequestModel",
    "UnknownModelError",
    "model_ids",
    "request_model",
    "to_body",
    "wire_names",
]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


@functools.cache
def wire_names(cls: type[BaseModel]) -> dict[str, str]:
    """Every key a request class accepts (each field's Python name and wire name) -> the wire
    name: the one mapping of names, for the constructor and for the client's calls alike."""
    names: dict[str, str] = {}
    for name, info in cls.model_fields.items():
        alias = info.validation_alias
        wire = alias if isinstance(alias, str) else name
        names.setdefault(name, wire)
        names[wire] = wire  # a wire name always means itself
    return names


@functools.cache
def _renames(cls: type[RequestModel]) -> dict[str, str]:
    """The Python names that differ from their wire names (the constructor maps only those)."""
    return {key: wire for key, wire in wire_names(cls).items() if key != wire}


@functools.cache
def _document(module: str) -> dict[str, Any]:
    """The JSON Schema of the model whose classes live in `module` (parsed once)."""
    loaded: dict[str, Any] = json.loads(sys.modules[module]._SCHEMA)
    return loaded


class RequestModel(BaseModel):
    """Base of the generated request classes.

    Validation follows the model's JSON Schema exactly: no coercion (``"5"`` is not ``5``), null
    only where the schema allows it, additional properties only where it allows them. Data
    (``model_validate``, ``model_validate_json``) is read by wire names only, as the API reads it;
    the constructor also takes the Python names (``class_=`` for the property ``class``). An
    optional field that was not set holds :data:`MISSING` and is never sent. ``model_dump()``,
    ``model_dump_json()`` and :func:`to_body` give exactly the body that was set, under the wire
    names, with no defaults added; ``model_json_schema()`` is the schema the API publishes.
    """

    model_config: ClassVar[ConfigDict] = ConfigDict(
        strict=True,
        extra="allow",
        validate_by_name=False,
        validate_by_alias=True,
        serialize_by_alias=True,
        defer_build=True,
        protected_namespaces=(),
        hide_input_in_errors=False,
        allow_inf_nan=False,  # JSON has no NaN nor infinity: a number field refuses them
    )

    #: Where this class's schema sits in the model's schema (a JSON pointer; "" for the request).
    __schema_pointer__: ClassVar[str] = ""

    def __init__(self, /, **data: Any) -> None:
        renames = _renames(type(self))
        if renames:
            wire: dict[str, Any] = {}
            for key, value in data.items():
                name = renames.get(key, key)
                if name in wire:
                    raise TypeError(f"{type(self).__name__}() got {name!r} twice (as {key!r})")
                wire[name] = value
            data = wire
        super().__init__(**data)

    # Only the constructor maps names: marked as pydantic marks its own __init__ (RootModel does
    # the same), validation of data (model_validate, nested dicts) never calls it.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    def model_dump(
        self,
        *,
        mode: Literal["json", "python"] | str = "python",
        exclude_unset: bool = True,
        **options: Unpack[DumpOptions],
    ) -> dict[str, Any]:
        """The request body as a dict: only what was set, under the wire names.

        The arguments are BaseModel's; only the default of `exclude_unset` differs (True), so
        that a dump validates back to the same object. ``exclude_unset=False`` adds the schema's
        defaults of fields that were not set.
        """
        return super().model_dump(mode=mode, exclude_unset=exclude_unset, **options)

    def model_dump_json(
        self,
        *,
        indent: int | None = None,
        ensure_ascii: bool = False,
        exclude_unset: bool = True,
        **options: Unpack[DumpOptions],
    ) -> str:
        """The request body as JSON text: only what was set, under the wire names (see
        :meth:`model_dump`). A request holding a local file raises ``ValidationError`` naming it:
        JSON cannot carry a file (``to_body(request, files="data-uri")`` or
        ``client.files.resolve(request)`` turn files into URLs)."""
        try:
            return super().model_dump_json(
                indent=indent, ensure_ascii=ensure_ascii, exclude_unset=exclude_unset, **options
            )
        except PydanticSerializationError:
            local = [where for where, _ in locate(self.model_dump(by_alias=True))]
            if not local:
                raise
            module = sys.modules.get(type(self).__module__)
            message = (
                "a local file cannot go into JSON: make it a URL first "
                '(to_body(request, files="data-uri"), or client.files.resolve(request))'
            )
            raise ValidationError(
                str(getattr(module, "MODEL_ID", type(self).__name__)),
                [(where, message) for where in local],
            ) from None

    @classmethod
    def model_json_schema(
        cls,
        by_alias: bool | None = None,
        ref_template: str = DEFAULT_REF_TEMPLATE,
        schema_generator: type[GenerateJsonSchema] = GenerateJsonSchema,
        mode: JsonSchemaMode = "validation",
        *,
        union_format: Literal["any_of", "primitive_type_array"] = "any_of",
    ) -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) the API publishes for this class, enums, defaults and
        descriptions included: any validator given it agrees with the API and with this class.

        The arguments are BaseModel's and change nothing: the schema is the API's, under the wire
        names, the same for validation and serialization. A fresh copy on each call.
        """
        document = _document(cls.__module__)
        pointer = cls.__schema_pointer__
        if not pointer:
            return {"$schema": JSON_SCHEMA_DIALECT, **copy.deepcopy(document)}
        node: Any = document
        for token in pointer.lstrip("/").split("/"):
            key = token.replace("~1", "/").replace("~0", "~")
            node = node[int(key)] if isinstance(node, list) else node[key]
        if '"$ref"' not in json.dumps(node):
            return {"$schema": JSON_SCHEMA_DIALECT, **copy.deepcopy(node)}
        # References inside are relative to the whole document: embed it as a resource of its
        # own and point at this class's place in it.
        base = f"urn:oxen-inference:{sys.modules[cls.__module__].MODEL_ID}"
        return {
            "$schema": JSON_SCHEMA_DIALECT,
            "$ref": f"{base}#{pointer}",
            "$defs": {"document": {**copy.deepcopy(document), "$id": base}},
        }


class UnknownModelError(OxenError, LookupError):
    """No model with this id is in the snapshot the client was generated from."""


class NoRequestSchemaError(OxenError, LookupError):
    """The model publishes no request schema (chat models take an OpenAI-style body)."""


def model_ids() -> list[str]:
    """Every model id the client knows, sorted."""
    return list(_registry.model_ids())


def request_model(model_id: str) -> type[RequestModel]:
    """The request class of `model_id` (imported on first use)."""
    entry = _registry.get(model_id)
    if entry is None:
        close = _registry.close_matches(model_id)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise UnknownModelError(f"unknown model {model_id!r}{hint}") from None
    if entry.class_name is None:
        raise NoRequestSchemaError(f"model {model_id!r} publishes no request schema")
    cls: type[RequestModel] = getattr(
        importlib.import_module(f"{__package__}.models.{entry.module}"), entry.class_name
    )
    return cls


def dump(request: RequestModel) -> dict[str, Any]:
    """The fields that were set, under their wire names; local files stay ``LocalFile`` objects."""
    return request.model_dump(by_alias=True, exclude_unset=True)


def to_body(
    request: RequestModel, *, files: Literal["data-uri"] | FileStore | None = None
) -> dict[str, Any]:
    """The JSON body for a request: the fields that were set, under their wire names.

    A media input given a local file (a path, bytes, a file object) holds a ``LocalFile``, which
    JSON cannot carry; `files` says how each becomes a URL: ``"data-uri"`` (inline, up to 10 MiB),
    or a callable ``(LocalFile) -> str``: your own storage, or ``client.files.url`` (the client's
    own strategy, uploads included). Without `files`, a request holding local files raises
    ``ValidationError`` (nothing is read or sent).
    """
    module = sys.modules.get(type(request).__module__)
    model_id = str(getattr(module, "MODEL_ID", type(request).__name__))
    return resolve(dump(request), files, model_id)
