"""The official JSON Schema Test Suite (draft 2020-12 keyword files), as request schemas.

Each test group's schema is wrapped as the one required property ``value`` of a request object,
with its ``$ref`` pointers re-rooted, so a case passes when the generated request class accepts
``{"value": data}`` exactly when the suite says ``data`` is valid, and dumps it back unchanged.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oxgen.vocabulary import SUBSCHEMA_KEYWORDS

PREFIX = "/properties/value"
# Figures measured by the tests, printed in pytest's terminal summary (see tests/conftest.py).
FIGURES: dict[str, str] = {}


def suite_dir() -> Path | None:
    env = os.environ.get("OXGEN_JSONSCHEMA_SUITE")
    candidates = [Path(env)] if env else []
    here = Path(__file__).resolve()
    candidates += [p / "shared" / "jsonschema-test-suite" for p in here.parents]
    return next((c for c in candidates if c.is_dir()), None)


@dataclass(frozen=True)
class Case:
    file: str
    group: int
    index: int
    group_description: str
    description: str
    data: Any
    valid: bool

    @property
    def model_id(self) -> str:
        return model_id(self.file, self.group)

    @property
    def case_id(self) -> str:
        return f"{self.file}:{self.group}:{self.index}"


def model_id(file: str, group: int) -> str:
    return f"suite-{file.removesuffix('.json').lower()}-{group}"


def reroot(schema: Any) -> Any:
    """Rewrite local ``$ref``s so they still point at the same place once wrapped.

    Only schema positions are visited (a ``$ref`` key inside an ``enum`` value is data), and not
    the inside of a schema with its own ``$id``: there ``#`` already means that schema.
    """
    if not isinstance(schema, dict) or "$id" in schema:
        return schema
    out = dict(schema)
    ref = out.get("$ref")
    if isinstance(ref, str) and ref.startswith("#") and (ref == "#" or ref.startswith("#/")):
        out["$ref"] = "#" + PREFIX + ref[1:]
    for key, kind in SUBSCHEMA_KEYWORDS.items():
        if key not in out:
            continue
        value = out[key]
        if kind == "map" and isinstance(value, dict):
            out[key] = {k: reroot(v) for k, v in value.items()}
        elif isinstance(value, list):
            out[key] = [reroot(v) for v in value]
        else:
            out[key] = reroot(value)
    return out


def wrap(schema: Any) -> dict[str, Any]:
    return {"type": "object", "properties": {"value": reroot(schema)}, "required": ["value"]}


def load(folder: Path) -> tuple[dict[str, Any], list[Case]]:
    """A catalog (models-list shape) with one model per group, and every case."""
    models, cases = [], []
    for path in sorted(folder.glob("*.json")):
        for g, group in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            models.append({"id": model_id(path.name, g), "request_schema": wrap(group["schema"])})
            for i, test in enumerate(group["tests"]):
                cases.append(
                    Case(
                        path.name,
                        g,
                        i,
                        group["description"],
                        test["description"],
                        test["data"],
                        test["valid"],
                    )
                )
    return {"object": "list", "data": models}, cases


def same_json(a: Any, b: Any) -> bool:
    """Exactly the same JSON text (so 1 and 1.0, or True and 1, differ)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
