"""Build the benchmark inputs: an N-model catalog and the same catalog as an OpenAPI 3.1 document.

The catalog repeats the real models that publish a request schema (from the committed snapshot)
under new ids, ``f"{orig_id}-copy-{n}"``, cycling through them until there are N models. The
OpenAPI document has one POST operation per model whose requestBody is a ``$ref`` to
``components/schemas/<Model>Request`` (that model's request schema, verbatim) and whose 200
response is a simple object.

    python bench/make_catalog.py --count 1000 --out bench/.work/inputs
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def source_models(schemas: str | Path = REPO / "schemas") -> list[dict[str, Any]]:
    """The snapshot's models that publish a request schema, sorted by id."""
    from oxgen.snapshot import load

    return [m for m in load(str(schemas)).models if m.get("request_schema") is not None]


def build_catalog(count: int, schemas: str | Path = REPO / "schemas") -> dict[str, Any]:
    """``{"object": "list", "data": [...]}`` with `count` models cycled from the real ones."""
    models = source_models(schemas)
    if not models:
        raise SystemExit(f"no model with a request_schema in {schemas}")
    data = []
    for i in range(count):
        model = dict(models[i % len(models)])
        model["id"] = f"{model['id']}-copy-{i // len(models)}"
        data.append(model)
    return {"object": "list", "data": data}


def _pascal(model_id: str) -> str:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", model_id) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words)
    return name if name[:1].isalpha() else "M" + name


_SUBSCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMA_ONE = ("items", "additionalProperties", "not", "if", "then", "else", "contains")


def untitled(schema: Any) -> Any:
    """`schema` without its `title` annotations (schema keywords only, never a property named so).

    openapi-python-client names generated classes after `title`; the real schemas all say
    ``"title": "Input"`` at the top and reuse property titles such as "Aspect Ratio", so 1,000 of
    them collide ("Attempted to generate duplicate models") and whole endpoints are dropped.
    Titles are annotations with no effect on validation, so removing them keeps the schemas'
    meaning and lets the peer name classes after the component and property instead.
    """
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title":
            continue
        if key in _SUBSCHEMA_MAPS and isinstance(value, dict):
            out[key] = {k: untitled(v) for k, v in value.items()}
        elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
            out[key] = [untitled(v) for v in value]
        elif key in _SUBSCHEMA_ONE:
            out[key] = untitled(value)
        else:
            out[key] = value
    return out


def build_openapi(catalog: dict[str, Any]) -> dict[str, Any]:
    """The catalog as an OpenAPI 3.1 document: one POST per model, body schema by `$ref`.

    Each component holds the model's request schema with its `title` annotations removed (see
    :func:`untitled`); everything else is verbatim.
    """
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for model in catalog["data"]:
        model_id = model["id"]
        name = _pascal(model_id) + "Request"
        if name in schemas:
            raise SystemExit(f"component name clash: {name}")
        schemas[name] = untitled(model["request_schema"])
        paths[f"/models/{model_id}/generate"] = {
            "post": {
                "operationId": "generate_" + re.sub(r"[^A-Za-z0-9]+", "_", model_id),
                "summary": model.get("display_name") or model_id,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}
                    },
                },
                "responses": {
                    "200": {
                        "description": "The generation result",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "id": {"type": "string"},
                                        "status": {"type": "string"},
                                    },
                                }
                            }
                        },
                    }
                },
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Oxen Inference Bench", "version": "0.1.0"},
        "servers": [{"url": "https://hub.oxen.ai/api"}],
        "paths": paths,
        "components": {"schemas": schemas},
    }


def write_inputs(out: Path, count: int) -> tuple[Path, Path]:
    """Write ``catalog.json`` and ``openapi.json`` into `out`; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    catalog = build_catalog(count)
    catalog_path = out / "catalog.json"
    spec_path = out / "openapi.json"
    catalog_path.write_text(json.dumps(catalog, indent=1), encoding="utf-8")
    spec_path.write_text(json.dumps(build_openapi(catalog), indent=1), encoding="utf-8")
    return catalog_path, spec_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / ".work" / "inputs")
    args = parser.parse_args()
    catalog, spec = write_inputs(args.out, args.count)
    print(f"wrote {catalog} and {spec} ({args.count} models)")


if __name__ == "__main__":
    main()
