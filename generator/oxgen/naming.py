"""Every Python identifier the generator emits is decided here, and only here.

Rules, in one place so that the generator, `oxgen diff` and the tests agree:

- A model id becomes a *module name* (``luma-ray-v3-2-image-to-video`` ->
  ``luma_ray_v3_2_image_to_video``), which also names its client methods (``generate_<module>``,
  ``submit_<module>``), and a *class stem* (``LumaRayV3_2ImageToVideo``; an underscore is kept
  between two digits so ``v3-2`` and ``v32`` stay apart). Ids that collide after conversion: an id
  already in canonical kebab-case keeps the plain name, the others get a suffix made from a hash
  of their own id, so a name never depends on which other models exist. A module name longer
  than :data:`MAX_MODULE_NAME` characters is cut and given a hash of the whole id (file names,
  with their prefixes and the staging folder, must stay within the file system's limits).
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

from oxgen.controls import CALL_CONTROLS, OTHER_ARGUMENTS

# Names every client call takes besides the model's own parameters (one list: oxgen.controls).
CALL_ARGUMENTS = frozenset({*(c.name for c in CALL_CONTROLS), *OTHER_ARGUMENTS})


# The public attributes of pydantic's BaseModel (model_dump, json, dict, copy, schema, construct,
# ...), written out rather than read from the installed pydantic, so that the output does not
# depend on which pydantic generates it (tests/unit/test_naming.py checks it covers the installed
# one).
PYDANTIC_RESERVED = frozenset(
    {
        "construct",
        "copy",
        "dict",
        "fields",
        "from_orm",
        "json",
        "model_computed_fields",
        "model_config",
        "model_construct",
        "model_copy",
        "model_dump",
        "model_dump_json",
        "model_extra",
        "model_fields",
        "model_fields_set",
        "model_json_schema",
        "model_parametrized_name",
        "model_post_init",
        "model_rebuild",
        "model_validate",
        "model_validate_json",
        "model_validate_strings",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "schema",
        "schema_json",
        "update_forward_refs",
        "validate",
    }
)
# Builtins and keywords of every supported Python (3.11 to 3.13: soft keywords included), fixed
# for the same reason: the names must not change with the interpreter that runs the generator.
BUILTINS = frozenset(
    {
        "ArithmeticError",
        "AssertionError",
        "AttributeError",
        "BaseException",
        "BaseExceptionGroup",
        "BlockingIOError",
        "BrokenPipeError",
        "BufferError",
        "BytesWarning",
        "ChildProcessError",
        "ConnectionAbortedError",
        "ConnectionError",
        "ConnectionRefusedError",
        "ConnectionResetError",
        "DeprecationWarning",
        "EOFError",
        "Ellipsis",
        "EncodingWarning",
        "EnvironmentError",
        "Exception",
        "ExceptionGroup",
        "False",
        "FileExistsError",
        "FileNotFoundError",
        "FloatingPointError",
        "FutureWarning",
        "GeneratorExit",
        "IOError",
        "ImportError",
        "ImportWarning",
        "IndentationError",
        "IndexError",
        "InterruptedError",
        "IsADirectoryError",
        "KeyError",
        "KeyboardInterrupt",
        "LookupError",
        "MemoryError",
        "ModuleNotFoundError",
        "NameError",
        "None",
        "NotADirectoryError",
        "NotImplemented",
        "NotImplementedError",
        "OSError",
        "OverflowError",
        "PendingDeprecationWarning",
        "PermissionError",
        "ProcessLookupError",
        "PythonFinalizationError",
        "RecursionError",
        "ReferenceError",
        "ResourceWarning",
        "RuntimeError",
        "RuntimeWarning",
        "StopAsyncIteration",
        "StopIteration",
        "SyntaxError",
        "SyntaxWarning",
        "SystemError",
        "SystemExit",
        "TabError",
        "TimeoutError",
        "True",
        "TypeError",
        "UnboundLocalError",
        "UnicodeDecodeError",
        "UnicodeEncodeError",
        "UnicodeError",
        "UnicodeTranslateError",
        "UnicodeWarning",
        "UserWarning",
        "ValueError",
        "Warning",
        "ZeroDivisionError",
        "abs",
        "aiter",
        "all",
        "anext",
        "any",
        "ascii",
        "bin",
        "bool",
        "breakpoint",
        "bytearray",
        "bytes",
        "callable",
        "chr",
        "classmethod",
        "compile",
        "complex",
        "copyright",
        "credits",
        "delattr",
        "dict",
        "dir",
        "divmod",
        "enumerate",
        "eval",
        "exec",
        "exit",
        "filter",
        "float",
        "format",
        "frozenset",
        "getattr",
        "globals",
        "hasattr",
        "hash",
        "help",
        "hex",
        "id",
        "input",
        "int",
        "isinstance",
        "issubclass",
        "iter",
        "len",
        "license",
        "list",
        "locals",
        "map",
        "max",
        "memoryview",
        "min",
        "next",
        "object",
        "oct",
        "open",
        "ord",
        "pow",
        "print",
        "property",
        "quit",
        "range",
        "repr",
        "reversed",
        "round",
        "set",
        "setattr",
        "slice",
        "sorted",
        "staticmethod",
        "str",
        "sum",
        "super",
        "tuple",
        "type",
        "vars",
        "zip",
    }
)
KEYWORDS = frozenset(
    {
        "False",
        "None",
        "True",
        "_",
        "and",
        "as",
        "assert",
        "async",
        "await",
        "break",
        "case",
        "class",
        "continue",
        "def",
        "del",
        "elif",
        "else",
        "except",
        "finally",
        "for",
        "from",
        "global",
        "if",
        "import",
        "in",
        "is",
        "lambda",
        "match",
        "nonlocal",
        "not",
        "or",
        "pass",
        "raise",
        "return",
        "try",
        "type",
        "while",
        "with",
        "yield",
    }
)
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
    out = ""
    for part in snake(text).split("_"):
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
    if name in KEYWORDS or name in BUILTINS:
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
            canonical = _CANONICAL_ID.fullmatch(model_id) and model_id.replace("-", "_") == name
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
    """The CapWords stem for a model's classes (``luma_ray_v3_2`` -> ``LumaRayV3_2``)."""
    stem = pascal(module_name) or "Model"
    if stem[0].isdigit():
        stem = "M" + stem
    return stem


def request_class_name(module_name: str) -> str:
    return class_stem(module_name) + "Request"


GENERATE_PREFIX = "generate_"  # the client resolves method names by these prefixes (``_registry``)
SUBMIT_PREFIX = "submit_"


def generate_method_name(module_name: str) -> str:
    return GENERATE_PREFIX + module_name


def submit_method_name(module_name: str) -> str:
    return SUBMIT_PREFIX + module_name


# What a generated model module may import at run time, by source, each list in the order isort
# writes it (constants, classes, then functions). The compiler records which of these names each
# module uses and imports exactly those (oxgen.compile); only these may be recorded.
MODULE_IMPORTS: dict[str, tuple[str, ...]] = {
    "typing": ("Annotated", "Any", "Literal"),
    "pydantic": ("ConfigDict", "Field", "model_validator"),
    ".._media": ("MediaInput",),
    ".._request": ("MISSING", "Missing", "RequestModel"),
    ".._types": ("OMIT", "Omit", "server_default"),
}
# What it imports for type checkers only (the methods' annotations).
MODULE_TYPE_IMPORTS: dict[str, tuple[str, ...]] = {
    ".._api": ("SyncOxenBase",),
    ".._jobs": ("Job",),
    ".._models": ("GenerateResponse",),
    ".._types": ("Timeout",),
}
# Names a model module defines at module level besides its classes and methods (names starting
# with `_`, such as `_js`, `_media`, `_typing`, `_SCHEMA`, are never field names).
MODULE_DEFINES = ("MODEL_ID",)

# Every name of a model module's top level. A class body that declared a field under one of them
# would shadow it for the annotations that pydantic resolves in that class (a field `Literal`
# breaks `Literal["a"]`), and a method parameter named MODEL_ID would shadow the module's constant
# inside the method.
MODULE_SCOPE = frozenset(
    {
        *(n for names in MODULE_IMPORTS.values() for n in names),
        *(n for names in MODULE_TYPE_IMPORTS.values() for n in names),
        *MODULE_DEFINES,
    }
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
