"""Every Python identifier the generator emits is decided here, and only here.

Rules, in one place so that the generator, `oxgen diff` and the tests agree:

- A model id becomes a *module name* (``luma-ray-v3-2-image-to-video`` ->
  ``luma_ray_v3_2_image_to_video``), which also names its client methods (``generate_<module>``,
  ``submit_<module>``), and a *class stem* (``LumaRayV3_2ImageToVideo``; an underscore is kept
  between two digits so ``v3-2`` and ``v32`` stay apart). Ids that collide after conversion: an id
  already in canonical kebab-case keeps the plain name, the others get a suffix made from a hash
  of their own id, so a name never depends on which other models exist. A module name longer
  than :data:`MAX_MODULE_NAME` characters is cut and given a hash of the whole id (file names,
  with their prefixes and the staging folder, must stay within the file system's limits). A
  module name is never a keyword, a builtin or a name the ``models`` package itself binds
  (:data:`MODELS_PACKAGE_SCOPE`: importing a submodule sets it as an attribute of its package, so
  a model ``os`` would replace the package's ``os``); those get a trailing ``_``.
- Request class names are unique over the catalog in the same way: ids whose stems collide
  (``flux-2`` and ``flux2`` both give ``Flux2``) keep the plain stem only for the id whose module
  name is that stem in snake_case (``flux2``); the others get ``_`` and a hash of their own id
  (``Flux2_4b9a42Request``), so the choice depends on neither the catalog's order nor the run.
- The client stub imports each model module under an alias (``_<module>``) that is never a name
  the stub itself imports or defines (:data:`STUB_SCOPE`).
- A property name becomes a field name: non-ASCII is transliterated, anything else not allowed in
  an identifier becomes ``_``; a leading digit or underscore gets a ``field_`` prefix; Python
  keywords, builtins, pydantic's own attributes and the client's reserved argument names get a
  trailing ``_``. Names that still collide get ``_2``, ``_3``... The original is always kept as the
  wire alias.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

from oxgen.controls import CALL_CONTROLS, OTHER_ARGUMENTS
from oxgen.ir import ModelNames
from oxgen.reserved import BUILTINS, KEYWORDS, PYDANTIC_RESERVED

# Names every client call takes besides the model's own parameters (one list: oxgen.controls).
CALL_ARGUMENTS = frozenset({*(c.name for c in CALL_CONTROLS), *OTHER_ARGUMENTS})


_CANONICAL_ID = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


_LIGATURES = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
    }
)


def ascii_fold(text: str) -> str:
    """Non-ASCII letters reduced to ASCII (``größe`` -> ``grosse``, ``é`` -> ``e``)."""
    return (
        unicodedata.normalize("NFKD", text.translate(_LIGATURES))
        .encode("ascii", "ignore")
        .decode("ascii")
    )


def _short_hash(text: str, n: int = 6) -> str:
    # surrogatepass: a model id may hold a lone surrogate (legal as a JSON escape).
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:n]


def snake(text: str) -> str:
    """A lowercase identifier-safe form: ``Flux.1 [dev]`` -> ``flux_1_dev``; may start with a digit."""
    folded = ascii_fold(text)
    folded = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", folded)
    return re.sub(r"[^a-z0-9]+", "_", folded.lower()).strip("_")


def pascal(text: str) -> str:
    """``luma_ray_v3_2`` -> ``LumaRayV3_2``: each part capitalised, ``_`` kept between digits."""
    return _capwords(snake(text))


def _capwords(snaked: str) -> str:
    """:func:`pascal` of a text already in :func:`snake`'s form (a module name is)."""
    out = ""
    for part in snaked.split("_"):
        if not part:
            continue
        if out and out[-1].isdigit() and part[0].isdigit():
            out += "_"
        out += part[0].upper() + part[1:]
    return out


MAX_MODULE_NAME = 64


def model_module_name(model_id: str) -> str:
    """The natural module name of a model id, before collisions are settled."""
    name = snake(model_id) or "model"
    if name[0].isdigit():
        name = "m_" + name
    if len(name) > MAX_MODULE_NAME:
        # Cut at a word boundary where one is near, then the id's own hash: stable, and two long
        # ids that share their first 55 characters still get different names.
        head = name[: MAX_MODULE_NAME - 9]
        cut = head.rfind("_")
        head = (head[:cut] if cut >= MAX_MODULE_NAME // 2 else head).rstrip("_")
        name = f"{head}_{_short_hash(model_id, 8)}"
    if name in KEYWORDS or name in BUILTINS or name in MODELS_PACKAGE_SCOPE:
        name += "_"
    return name


def model_module_names(model_ids: Iterable[str]) -> dict[str, str]:
    """Distinct module names for all model ids, stable whatever other ids exist (see module doc)."""
    ids = sorted(set(model_ids))
    claims: dict[str, list[str]] = {}
    for model_id in ids:
        claims.setdefault(model_module_name(model_id), []).append(model_id)
    result: dict[str, str] = {}
    for name, claimants in claims.items():
        if len(claimants) == 1:
            result[claimants[0]] = name
            continue
        for model_id in claimants:
            canonical = _CANONICAL_ID.fullmatch(model_id) and (
                model_id.replace("-", "_") == name.removesuffix("_")
            )
            result[model_id] = name if canonical else f"{name}_{_short_hash(model_id)}"
    # A hashed name could (astronomically rarely) equal another model's plain name: lengthen it.
    taken: set[str] = set()
    for model_id in ids:
        name = result[model_id]
        n = 6
        while name in taken:
            n += 2
            name = f"{model_module_name(model_id)}_{_short_hash(model_id, n)}"
        result[model_id] = name
        taken.add(name)
    return result


def class_stem(module_name: str) -> str:
    """The natural CapWords stem for a model's classes (``luma_ray_v3_2`` -> ``LumaRayV3_2``),
    before collisions are settled (:func:`model_names`)."""
    stem = _capwords(module_name) or "Model"  # a module name is already snake_case
    if stem[0].isdigit():
        stem = "M" + stem
    return stem


REQUEST_SUFFIX = "Request"


def request_class_name(stem: str) -> str:
    """The request class of a model whose classes start with `stem`."""
    return stem + REQUEST_SUFFIX


def _class_stems(modules: dict[str, str]) -> dict[str, str]:
    """Distinct class stems for model id -> module name (see the module doc)."""
    claims: dict[str, list[str]] = {}
    for model_id in sorted(modules):
        claims.setdefault(class_stem(modules[model_id]), []).append(model_id)
    result: dict[str, str] = {}
    contested: list[str] = []
    for stem, claimants in claims.items():
        owners = [i for i in claimants if len(claimants) == 1 or snake(stem) == modules[i]]
        for model_id in claimants:
            if model_id in owners:
                result[model_id] = stem
            else:
                contested.append(model_id)
    taken = set(result.values())
    for model_id in sorted(contested):
        stem, n = class_stem(modules[model_id]), 6
        name = f"{stem}_{_short_hash(model_id, n)}"
        while name in taken:  # (astronomically rare) lengthen the hash
            n += 2
            name = f"{stem}_{_short_hash(model_id, n)}"
        result[model_id] = name
        taken.add(name)
    return result


def model_names(model_ids: Iterable[str]) -> dict[str, ModelNames]:
    """Every name of every model (module, classes, methods, the stub's alias), decided over the
    whole set of ids so that no two models share one."""
    modules = model_module_names(model_ids)
    stems = _class_stems(modules)
    taken = set(STUB_SCOPE)
    names: dict[str, ModelNames] = {}
    for model_id in sorted(modules, key=lambda i: modules[i]):
        module = modules[model_id]
        alias = "_" + module
        while alias in taken:
            alias += "_"
        taken.add(alias)
        names[model_id] = ModelNames(
            module=module,
            stem=stems[model_id],
            class_name=request_class_name(stems[model_id]),
            generate_method=generate_method_name(module),
            submit_method=submit_method_name(module),
            alias=alias,
        )
    return names


GENERATE_PREFIX = "generate_"  # the client resolves method names by these prefixes (``_registry``)
SUBMIT_PREFIX = "submit_"


def generate_method_name(module_name: str) -> str:
    return GENERATE_PREFIX + module_name


def submit_method_name(module_name: str) -> str:
    return SUBMIT_PREFIX + module_name


class Binding(NamedTuple):
    """A name a generated module binds by importing it: ``from <source> import <name> [as
    <alias>]``, or ``import <name> as <alias>`` when `source` is empty."""

    name: str
    source: str = ""
    alias: str = ""

    @property
    def bound(self) -> str:
        """The name the module's code uses."""
        return self.alias or self.name


# What a generated model module may import at run time. The compiler records which bound names
# each module uses and imports exactly those (oxgen.compile); only these may be recorded.
MODULE_BINDINGS: tuple[Binding, ...] = (
    Binding("typing", alias="_typing"),  # the methods' casts and TYPE_CHECKING
    Binding("Mapping", "collections.abc"),  # plain names in the controls' annotations (help())
    Binding("Annotated", "typing"),
    Binding("Any", "typing"),
    Binding("Literal", "typing"),
    Binding("ConfigDict", "pydantic"),
    Binding("Field", "pydantic"),
    Binding("model_validator", "pydantic"),
    Binding("_jsonschema", "..", "_js"),
    Binding("_media", ".."),
    Binding("MediaInput", ".._media"),
    Binding("MISSING", ".._request"),
    Binding("Missing", ".._request"),
    Binding("RequestModel", ".._request"),
    Binding("OMIT", ".._types"),
    Binding("Omit", ".._types"),
    Binding("server_default", ".._types"),
)
# What it imports for type checkers only (the methods' annotations).
MODULE_TYPE_BINDINGS: tuple[Binding, ...] = (
    Binding("SyncOxenBase", ".._sync.api"),
    Binding("Job", ".._sync.jobs"),
    Binding("GenerateResponse", ".._models"),
    Binding("Timeout", ".._types"),
)
# What the client stub (`_client.pyi`) binds besides the model modules it imports: its imports
# and its own definitions (tests/unit/test_naming.py reads the rendered stub to check this list).
STUB_SCOPE = frozenset(
    [
        "Callable",
        "Coroutine",
        "Mapping",
        "Any",
        "Concatenate",
        "Literal",
        "ParamSpec",
        "TypeVar",
        "overload",
        "AsyncOxenBase",
        "SyncOxenBase",
        "AsyncJob",
        "Job",
        "AsyncBatches",
        "Batches",
        "GenerateResponse",
        "OMIT",
        "Omit",
        "Timeout",
        "_P",
        "_R",
        "_asynchronous",
        "Oxen",
        "AsyncOxen",
        "__all__",
        # client.with_raw_response
        "Path",
        "AsyncChatStream",
        "ChatStream",
        "ChatCompletion",
        "APIResponse",
        "AsyncGenerations",
        "AsyncModels",
        "AsyncQueue",
        "Generations",
        "Models",
        "Queue",
        "_raw",
        "_async_raw",
        "_asynchronous_raw",
        "_RawModels",
        "_RawQueue",
        "_RawGenerations",
        "_OxenWithRawResponse",
        "_AsyncRawModels",
        "_AsyncRawQueue",
        "_AsyncRawGenerations",
        "_AsyncOxenWithRawResponse",
    ]
)
# What the `models` package's own `__init__.py` binds at its top level (a model module of the
# same name would replace it on import); tests/unit/test_naming.py checks the shipped file.
MODELS_PACKAGE_SCOPE = frozenset(
    [
        "annotations",
        "importlib",
        "os",
        "sys",
        "Sequence",
        "ModuleSpec",
        "SourceFileLoader",
        "ModuleType",
        "Any",
    ]
)
# Names a model module defines at module level besides its classes and methods (names starting
# with `_`, such as `_js`, `_media`, `_typing`, `_SCHEMA`, are never field names).
MODULE_DEFINES = ("MODEL_ID",)

# Every name of a model module's top level. A class body that declared a field under one of them
# would shadow it for the annotations that pydantic resolves in that class (a field `Literal`
# breaks `Literal["a"]`), and a method parameter named MODEL_ID would shadow the module's constant
# inside the method.
MODULE_SCOPE = frozenset(
    {*(b.bound for b in MODULE_BINDINGS + MODULE_TYPE_BINDINGS), *MODULE_DEFINES}
)


def _field_base(prop: str, class_prefix: str = "") -> str:
    name = re.sub(r"\W", "_", ascii_fold(prop), flags=re.ASCII)
    if not name:
        return "field"
    if name[0].isdigit():
        name = "field_" + name
    elif name[0] == "_":
        name = "field" + name
    if (
        name in KEYWORDS
        or name in BUILTINS
        or name in PYDANTIC_RESERVED
        or name in CALL_ARGUMENTS
        or name in MODULE_SCOPE
        or (class_prefix and name.startswith(class_prefix))
    ):
        name += "_"
    return name


def is_plain_field_name(prop: str, class_prefix: str = "") -> bool:
    """True when a property name can be used as a field name as it is."""
    return _field_base(prop, class_prefix) == prop


def field_names(props: Iterable[str], class_prefix: str = "") -> dict[str, str]:
    """Distinct, safe field names for one object's property names (original -> Python name).

    A property whose name is already safe keeps it. The others are converted in sorted order of
    their original names and numbered past any collision, with another field's name or with
    another property's original name (so that by-name and by-alias input can never be confused).
    `class_prefix` is the stem every class name of the module starts with: a property named like
    one of those classes is renamed too, so it cannot shadow the class in annotations.
    """
    props = list(dict.fromkeys(props))
    result: dict[str, str] = {}
    taken: set[str] = set(props)
    for prop in props:
        if is_plain_field_name(prop, class_prefix):
            result[prop] = prop
    for prop in sorted(p for p in props if p not in result):
        base = _field_base(prop, class_prefix)
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}_{n}" if not base.endswith("_") else f"{base}{n}"
        result[prop] = name
        taken.add(name)
    return {p: result[p] for p in props}


def unique_name(base: str, taken: set[str]) -> str:
    """`base`, or `base2`, `base3`... whichever is free; records the choice in `taken`."""
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    taken.add(name)
    return name


def natural_key(name: str, *, fold: bool = True) -> tuple[str | int, ...]:
    """The order ruff's isort gives module and member names: digit runs compared as numbers
    (``ltx_2_3`` before ``ltx_2_19b``), case-insensitive unless `fold` is false, the exact name
    breaking ties."""
    parts = re.split(r"(\d+)", name)
    return (*(int(p) if i % 2 else p.lower() if fold else p for i, p in enumerate(parts)), name)


def all_key(name: str) -> tuple[int, tuple[str | int, ...]]:
    """The order ruff wants in ``__all__`` (RUF022, isort-style): SCREAMING_CASE names first,
    then CamelCase, then the rest, each group in case-sensitive natural order."""
    group = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return group, natural_key(name, fold=False)
