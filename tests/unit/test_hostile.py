"""Untrusted schemas: nothing injected runs, nothing is written outside --out, the code imports."""

from __future__ import annotations

import importlib
import os
import py_compile
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from oxgen.generate import run
from tests.conftest import generate_package

CANARY = "OXGEN_CANARY_TOUCHED"
PAYLOADS = [
    f'"""; import os; os.system("touch {CANARY}"); """',
    f"'''; __import__('os').system('touch {CANARY}') #",
    "{{ header }} {% raw %} {# comment #} ${x}",
    "back\\slash at the end\\",
    'ends in a quote"',
    "NUL \x00 and CR \r and form feed \x0c and line sep \u2028 and surrogate-free text",
    '""""""',
    f"\n# comment line\nimport os; os.system('touch {CANARY}')\n",
]


SCOPE_NAMES = [
    "Literal",
    "Annotated",
    "Field",
    "MISSING",
    "Missing",
    "RequestModel",
    "MODEL_ID",
    "OMIT",
    "server_default",
    "client",
    "params",
    "HostileTextRequestP0",  # like one of the module's own class names
]


def hostile_models() -> list[dict[str, Any]]:
    props: dict[str, Any] = {}
    for i, text in enumerate(PAYLOADS):
        props[f"p{i}"] = {
            "type": "string",
            "description": text,
            "title": text,
            "default": text,
            "enum": [text, "ok"],
        }
    for name in [
        "class",
        "def",
        "import",
        "model_config",
        "model_fields",
        "schema",
        "json",
        "copy",
        "dict",
        "self",
        "list",
        "print",
        "1st",
        "a-b",
        "a_b",
        "a b",
        "A-B",
        "naïve",
        "日本",
        "",
        "__init__",
        "_",
        "__class__",
        'x"y',
        "x'y",
        "x\ny",
        "extra_body",
        "num_generations",
        # names the generated module itself uses: a field must not shadow them
        *SCOPE_NAMES,
    ]:
        props[name] = {"type": "integer", "description": name}
    return [
        {
            "id": "hostile-text",
            "capabilities": {"input": ["text"], "output": ["image"]},
            "display_name": PAYLOADS[0],
            "description": PAYLOADS[1],
            "request_schema": {
                "type": "object",
                "properties": props,
                "description": PAYLOADS[2],
                "x-evil": PAYLOADS[0],
            },
        },
        {
            "id": "../../escape",
            "request_schema": {"type": "object", "properties": {"a": {"type": "string"}}},
        },
        {
            "id": "/abs/path",
            "request_schema": {"type": "object", "properties": {"a": {"type": "string"}}},
        },
        {"id": "nul\x00id", "request_schema": {"type": "object", "properties": {}}},
        {"id": "class", "request_schema": {"type": "object", "properties": {}}},
        {"id": "Flux.1 [dev]", "request_schema": {"type": "object", "properties": {}}},
        {"id": "flux-1-dev", "request_schema": {"type": "object", "properties": {}}},
        {"id": "flux_1_dev", "request_schema": {"type": "object", "properties": {}}},
        {"id": "über-model", "request_schema": {"type": "object", "properties": {}}},
        {"id": "null-schema", "request_schema": None},
        {"id": "string-schema", "request_schema": "not a schema"},
        {"id": "array-root", "request_schema": {"type": "array", "items": {"type": "string"}}},
        {"id": "list-schema", "request_schema": [1, 2]},
        {
            "id": "dangling-ref",
            "request_schema": {"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}},
        },
        {
            "id": "remote-ref",
            "request_schema": {
                "type": "object",
                "properties": {"a": {"$ref": "http://evil.example/x.json"}},
            },
        },
        {
            "id": "bad-pattern",
            "request_schema": {
                "type": "object",
                "properties": {"a": {"type": "string", "pattern": "(("}},
            },
        },
        {
            "id": "bad-type",
            "request_schema": {"type": "object", "properties": {"a": {"type": "strnig"}}},
        },
        {"id": "deep", "request_schema": _deep(100)},
    ]


def _deep(n: int) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "string"}
    for _ in range(n):
        node = {"type": "object", "properties": {"x": node}}
    return node


def _listing(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    base = tmp_path_factory.mktemp("hostile")
    sandbox = base / "sandbox"
    sandbox.mkdir()
    before = _listing(base)
    cwd = os.getcwd()
    os.chdir(sandbox)  # a relative `touch` would land here
    try:
        result = generate_package(hostile_models(), sandbox / "out", "hostile_client")
    finally:
        os.chdir(cwd)
    after = _listing(base)
    created = after - before
    assert all(p.startswith("sandbox/out/") or p == "sandbox/out" for p in created), sorted(created)
    return sandbox, result


def test_bad_schemas_are_reported_and_skipped(generated: tuple[Path, Any]) -> None:
    _, result = generated
    problems = {p.model_id: p for p in result.problems}
    assert set(problems) == {
        "string-schema",
        "array-root",
        "list-schema",
        "dangling-ref",
        "remote-ref",
        "bad-pattern",
        "bad-type",
        "deep",
    }
    assert problems["dangling-ref"].pointer == "/properties/a/$ref"
    assert problems["bad-type"].pointer == "/properties/a/type"
    assert "nested" in problems["deep"].reason


def test_everything_compiles_and_imports_without_running_payloads(
    generated: tuple[Path, Any],
) -> None:
    sandbox, _ = generated
    gen = sandbox / "out" / "gen"
    files = sorted(gen.rglob("*.py"))
    assert len(files) > 10
    for path in files:
        py_compile.compile(str(path), doraise=True)
    import sys

    sys.path.insert(0, str(gen))
    cwd = os.getcwd()
    os.chdir(sandbox)
    try:
        pkg = importlib.import_module("hostile_client")
        for model_id in pkg.model_ids():
            try:
                cls = pkg.request_model(model_id)
            except pkg.NoRequestSchemaError:
                continue
            cls.model_rebuild()
            assert cls.__doc__ is not None
    finally:
        os.chdir(cwd)
        sys.path.remove(str(gen))
    assert not list(sandbox.rglob(CANARY)) and not Path(CANARY).exists()


def test_text_arrives_verbatim_as_data(generated: tuple[Path, Any]) -> None:
    sandbox, _ = generated
    import sys

    sys.path.insert(0, str(sandbox / "out" / "gen"))
    try:
        pkg = importlib.import_module("hostile_client")
        cls = pkg.request_model("hostile-text")
        for i, text in enumerate(PAYLOADS):
            field = cls.model_fields[f"p{i}"]
            assert field.default == text  # the default survives byte for byte
            assert pkg.to_body(cls.model_validate({f"p{i}": text})) == {f"p{i}": text}
            with pytest.raises(ValidationError):
                cls.model_validate({f"p{i}": text + "!"})
        aliases = {
            f.validation_alias if isinstance(f.validation_alias, str) else name
            for name, f in cls.model_fields.items()
        }
        assert {
            "class",
            "model_config",
            "a-b",
            "a_b",
            "a b",
            "A-B",
            "",
            "__init__",
            "x\ny",
            "extra_body",
        } <= aliases
        names = set(cls.model_fields)
        assert all(n.isidentifier() and n.isascii() and not n.startswith("_") for n in names)
        body = {"class": 1, "a-b": 2, "a_b": 3, "": 4, "x\ny": 5, "model_config": 6}
        assert pkg.to_body(cls.model_validate(body, by_name=False)) == body
    finally:
        sys.path.remove(str(sandbox / "out" / "gen"))


def test_model_ids_never_become_paths(generated: tuple[Path, Any]) -> None:
    sandbox, _ = generated
    modules = sorted(
        p.name for p in (sandbox / "out" / "gen" / "hostile_client" / "models").glob("*.py")
    )
    assert all(name.isascii() and "/" not in name and ".." not in name for name in modules)
    assert len(set(modules)) == len(modules)


def test_out_path_traversal_via_package_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "c.json"
    src.write_text('{"object": "list", "data": []}')
    from oxgen.generate import GenerateError

    with pytest.raises(GenerateError, match="package"):
        run(src, tmp_path / "out", package="../evil")


def test_names_of_the_module_scope_are_not_shadowed(generated: tuple[Path, Any]) -> None:
    """Fields named like the module's imports, constants or classes get safe names, so the
    annotations still resolve and the methods still send the right model id and wire names."""
    import json
    import sys

    import httpx

    sandbox, _ = generated
    sys.path.insert(0, str(sandbox / "out" / "gen"))
    try:
        pkg = importlib.import_module("hostile_client")
        cls = pkg.request_model("hostile-text")
        cls.model_rebuild(force=True)  # every annotation resolves
        by_alias = {
            f.validation_alias if isinstance(f.validation_alias, str) else n: n
            for n, f in cls.model_fields.items()
        }
        for name in SCOPE_NAMES:
            assert by_alias[name] != name, name
        seen: list[dict[str, Any]] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(json.loads(request.content))
            return httpx.Response(200, json={"model": "hostile-text", "images": []})

        client = pkg.Oxen(
            api_key="k",
            base_url="http://api.test/api",
            http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        )
        kwargs = {by_alias[name]: i for i, name in enumerate(SCOPE_NAMES)}
        client.generate_hostile_text(**kwargs)
        assert seen == [{"model": "hostile-text", **{n: i for i, n in enumerate(SCOPE_NAMES)}}]
    finally:
        sys.path.remove(str(sandbox / "out" / "gen"))
