"""The intermediate model: every decision (names, types, imports, docs) made before templates run.

Templates only print these objects. Type expressions are Python source: `static` is the plain
typing form (for signatures and stubs), `runtime` the pydantic annotation that validates exactly
what the schema allows (it may carry ``_js.Value``/``_js.Also`` markers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

# The release ledger (read and written by oxgen.releases; CHANGELOG.md and _version.py print it).
INITIAL_VERSION = "0.1.0"
LEVELS = ("breaking", "warning", "info")


@dataclass(frozen=True)
class Entry:
    """One change of a release, as the schema diff reported it."""

    model: str
    rule: str
    message: str


@dataclass(frozen=True)
class Release:
    version: str
    date: str  # ISO date the release was recorded
    semver: str  # the diff's verdict: "major" | "minor" | "patch" | "initial"
    models: int
    changes: Mapping[str, tuple[Entry, ...]]  # level -> entries, levels in LEVELS order

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "date": self.date,
            "semver": self.semver,
            "models": self.models,
            "changes": {level: [vars(e) for e in self.changes.get(level, ())] for level in LEVELS},
        }


def current_version(releases: Sequence[Release]) -> str:
    """The client's version after `releases` (newest first): the newest one's."""
    return releases[0].version if releases else INITIAL_VERSION


@dataclass(frozen=True)
class Problem:
    """Why a model's schema could not be turned into code."""

    model_id: str
    pointer: str
    reason: str


class TypeIR(NamedTuple):
    """The two type expressions of one schema position, with the imported names each refers to
    (``Any``, ``Literal``, ``Annotated``, ``_js``: recorded as the expressions are built)."""

    static: str
    runtime: str
    static_uses: frozenset[str] = frozenset()
    runtime_uses: frozenset[str] = frozenset()
    members: tuple[str, ...] = ()  # the alternatives of `static` when it is a union (None last)
    runtime_members: tuple[str, ...] = ()  # the alternatives of `runtime` when it is a union


@dataclass(frozen=True)
class ParamIR:
    """A field as a keyword parameter of the model's client methods."""

    annotation: str  # 'Literal["5s", "10s"]', 'bool | Omit', ...
    default: str | None  # 'OMIT', 'server_default("5s")', or None when required
    uses: frozenset[str]  # imported names the annotation and default refer to


@dataclass(frozen=True)
class FieldIR:
    name: str  # Python identifier
    alias: str  # the property's name on the wire
    static: str  # typing expression, e.g. 'Literal["5s", "10s"]'
    runtime: str  # pydantic annotation expression
    required: bool
    default: str | None  # Python literal of the schema's default, if it has one
    description: str  # plain text, may be empty
    # Its constraints in words ('range: >= 1, <= 10', 'one of: ...'), those its type and default
    # do not already show (decided once, by the compiler; every template prints these).
    notes: tuple[str, ...] = ()
    param: ParamIR | None = None  # its form as a method parameter (request class fields only)
    uses: frozenset[str] = frozenset()  # imported names `runtime` refers to
    annotation: str = ""  # in the class: `runtime`, or with `| Missing` when it may be unset
    # "image" | "video" | "audio" | "mask" | "file" when the field is a media input (a URL the
    # provider downloads, see oxgen.media): its strings also accept local files in the client.
    media: str | None = None

    @property
    def field_default(self) -> str | None:
        """The default in the class (a Python expression), None when required."""
        if self.required:
            return None
        return self.default if self.default is not None else "MISSING"


@dataclass(frozen=True)
class ClassIR:
    name: str
    description: str
    fields: tuple[FieldIR, ...]
    extra: str  # "forbid" | "allow"
    extra_type: str | None  # runtime annotation of additional property values, if typed
    check: str | None  # Python literal of the remaining schema checked on the whole object
    pointer: str
    extra_uses: frozenset[str] = frozenset()  # imported names `extra_type` refers to


@dataclass(frozen=True)
class ImportIR:
    """``from <source> import <names>`` (names in the order isort writes them)."""

    source: str
    names: tuple[str, ...]
    section: int = 0  # 0 standard library, 1 third party, 2 the package itself


@dataclass(frozen=True)
class ControlIR:
    """An argument every per-model method of a kind takes besides the model's own parameters."""

    name: str
    annotation: str
    default: str
    doc: str


class MethodIR(NamedTuple):
    """A per-model client method: ``generate_<module>`` or ``submit_<module>``."""

    kind: str  # "generate" | "submit"
    name: str
    route: str  # the HTTP route it posts to: the model's blocking route, or the queue's
    returns: str  # what it returns on Oxen
    async_returns: str  # what it returns (awaited) on AsyncOxen
    controls: tuple[ControlIR, ...]


class ModelNames(NamedTuple):
    """Every name the generated code gives one model, decided over the whole catalog at once
    (:func:`oxgen.naming.model_names`), so that no two models share one."""

    module: str  # module name inside the package's `models` subpackage
    stem: str  # what every class name of the model's module starts with
    class_name: str  # the request class
    generate_method: str
    submit_method: str
    alias: str  # the name the client stub (`_client.pyi`) imports the model's module under


@dataclass(frozen=True)
class ModelSummary:
    """What the files that list every model (the registry, the stubs, the README's index) know of
    a model: its names, routes and methods, not its classes. Those templates see only this, so
    that a change to one model's schema re-renders them only when the summary changes, and so
    that a run can take the summaries of unchanged models from the cache without compiling them."""

    model_id: str
    module: str
    class_name: str
    generate_method: str
    submit_method: str
    alias: str
    route: str | None  # the blocking route, None when the model has none
    media: str | None  # "image" | "video" when the queue accepts the model
    display_name: str
    description: str
    has_schema: bool
    methods: tuple[MethodIR, ...]  # the client methods it gets (blocking route's first)
    pricing: str = ""  # the catalog's `pricing` as canonical JSON ("" when it has none)


@dataclass(frozen=True)
class ModelIR:
    """One model, compiled: its summary (names, routes, methods) and its request classes."""

    summary: ModelSummary
    classes: tuple[ClassIR, ...] = ()  # request class first, then nested classes
    root_literal: str | None = None  # the schema as a literal, when checks need to resolve $ref
    schema_json: str = ""  # the normalised schema as compact JSON (model_json_schema reads it)
    imports: tuple[ImportIR, ...] = ()  # what the model module imports at run time
    type_imports: tuple[ImportIR, ...] = ()  # imported only for type checkers

    # The summary's fields, read by the per-model templates as `m.model_id`, `m.methods`, ...
    @property
    def model_id(self) -> str:
        return self.summary.model_id

    @property
    def module(self) -> str:
        return self.summary.module

    @property
    def class_name(self) -> str:
        return self.summary.class_name

    @property
    def generate_method(self) -> str:
        return self.summary.generate_method

    @property
    def submit_method(self) -> str:
        return self.summary.submit_method

    @property
    def route(self) -> str | None:
        return self.summary.route

    @property
    def media(self) -> str | None:
        return self.summary.media

    @property
    def display_name(self) -> str:
        return self.summary.display_name

    @property
    def description(self) -> str:
        return self.summary.description

    @property
    def has_schema(self) -> bool:
        return self.summary.has_schema

    @property
    def methods(self) -> tuple[MethodIR, ...]:
        return self.summary.methods

    @property
    def request(self) -> ClassIR:
        return self.classes[0]


@dataclass(frozen=True)
class PackageIR:
    package: str
    models: tuple[ModelIR, ...]  # sorted by model id; models without schema included
    problems: tuple[Problem, ...] = field(default=())
    releases: tuple[Release, ...] = ()  # the ledger, newest first, for CHANGELOG.md

    @property
    def version(self) -> str:
        """The client's own version: the newest release of the ledger."""
        return current_version(self.releases)
