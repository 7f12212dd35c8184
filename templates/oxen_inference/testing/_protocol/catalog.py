"""The models a server offers: lookup, routes, filters, search, and parameter checks.

How parameters are checked is the caller's choice (a `Check`): ``oxgen mock-server`` uses the
independent `jsonschema` library, the client's test kit uses the generated request classes. What
is the same everywhere lives here: a top-level name the schema does not declare is an unknown
parameter, and the fields that steer a request (``model``, ``num_generations``, ...) are not
model parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

VIDEO = "/ai/videos/generate"
IMAGE_GENERATE = "/ai/images/generate"
IMAGE_EDIT = "/ai/images/edit"
SPEECH = "/ai/audio/speech"
TRANSCRIPTION = "/ai/audio/transcriptions"
CHAT = "/ai/chat/completions"

# Body fields that steer the request instead of being model parameters.
CONTROL_FIELDS = ("model", "response_format", "target_namespace", "num_generations")

MEDIA_FOR_ROUTE = {
    VIDEO: "video",
    IMAGE_GENERATE: "image",
    IMAGE_EDIT: "image",
    SPEECH: "audio",
    TRANSCRIPTION: "text",
    CHAT: "text",
}
QUEUE_MEDIA = ("image", "video")

_INPUT_RANK = ("video", "image", "audio", "text")

Check = Callable[[str, dict[str, Any], dict[str, Any]], list[str]]
"""(model id, model object, parameters) -> problems, each naming its field; empty when valid."""

MediaStrings = Callable[[str, dict[str, Any], dict[str, Any]], list[tuple[str, str]]]
"""(model id, model object, parameters) -> (location, value) of every string given for a media
input (a URL the provider downloads), nested objects and lists included."""


class Catalog:
    """Models by id (a mapping that may make each model object on first use), the blocking route
    of each, and the check of their parameters."""

    def __init__(
        self,
        models: Mapping[str, dict[str, Any]],
        routes: Mapping[str, str | None],
        check: Check | None = None,
        media: MediaStrings | None = None,
    ) -> None:
        self.models = models
        self.routes = routes
        self.check = check
        self.media_inputs = media

    def get(self, model_id: str) -> dict[str, Any] | None:
        return self.models.get(model_id)

    def route(self, model_id: str) -> str | None:
        return self.routes.get(model_id)

    def media(self, model_id: str) -> str | None:
        """What the model makes: "image", "video", "audio", "text", or None (no inference)."""
        route = self.route(model_id)
        return MEDIA_FOR_ROUTE.get(route) if route else None

    def listing(
        self, *, developer_name: str | None = None, action: str | None = None
    ) -> list[dict[str, Any]]:
        return [m for m in self.models.values() if _matches(m, developer_name, action)]

    def search(self, query: str) -> list[dict[str, Any]]:
        """Models whose id, display name, description or summary contain every word of `query`."""
        words = query.lower().split()
        return [m for m in self.models.values() if all(w in _haystack(m) for w in words)]

    def validate(self, model_id: str, params: dict[str, Any]) -> list[str]:
        """Problems with `params` for the model, each naming its field; empty when valid."""
        model = self.models[model_id]
        schema = model.get("request_schema")
        if not isinstance(schema, dict):
            return []  # no schema published: anything goes
        problems = [f"{name}: unknown parameter" for name in unknown_fields(schema, params)]
        if self.check is not None:
            problems += self.check(model_id, model, params)
        return problems

    def media_strings(self, model_id: str, params: dict[str, Any]) -> list[tuple[str, str]]:
        """(location, value) of the strings of `params` given for the model's media inputs (none
        when the catalog was given no way to tell them, or the model is unknown)."""
        model = self.models.get(model_id)
        if self.media_inputs is None or model is None:
            return []
        return self.media_inputs(model_id, model, params)


def split_body(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(control fields, model parameters) of a request body."""
    control = {k: v for k, v in body.items() if k in CONTROL_FIELDS}
    params = {k: v for k, v in body.items() if k not in CONTROL_FIELDS}
    return control, params


def unknown_fields(schema: dict[str, Any], params: Iterable[str]) -> list[str]:
    """Top-level names the schema does not declare, unless it says itself what extra names mean."""
    if any(
        k in schema for k in ("additionalProperties", "patternProperties", "unevaluatedProperties")
    ):
        return []
    known: set[str] = set()
    for sub in [schema, *_top_level_branches(schema)]:
        props = sub.get("properties")
        if isinstance(props, dict):
            known.update(props)
    return sorted(name for name in params if name not in known)


def _top_level_branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key in ("allOf", "anyOf", "oneOf"):
        value = schema.get(key)
        if isinstance(value, list):
            out.extend(v for v in value if isinstance(v, dict))
    for key in ("if", "then", "else"):
        if isinstance(schema.get(key), dict):
            out.append(schema[key])
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def developer_of(model: dict[str, Any]) -> str | None:
    developer = model.get("developer")
    if isinstance(developer, dict) and isinstance(developer.get("name"), str):
        return str(developer["name"])
    return None


def action_of(model: dict[str, Any]) -> str:
    """The model's `action`, or one derived from its capabilities, e.g. "image-to-video"."""
    if isinstance(model.get("action"), str):
        return str(model["action"])
    caps = model.get("capabilities")
    inputs = caps.get("input") if isinstance(caps, dict) else None
    outputs = caps.get("output") if isinstance(caps, dict) else None
    ins = {i for i in inputs if isinstance(i, str)} if isinstance(inputs, list) else set()
    outs = [o for o in outputs if isinstance(o, str)] if isinstance(outputs, list) else []
    source = next((kind for kind in _INPUT_RANK if kind in ins), "text")
    return f"{source}-to-{outs[0] if outs else 'text'}"


def _matches(model: dict[str, Any], developer_name: str | None, action: str | None) -> bool:
    if developer_name:
        wanted = _slug(developer_name)
        names = {
            _slug(n) for n in (developer_of(model), model.get("owned_by")) if isinstance(n, str)
        }
        if wanted not in names and not str(model["id"]).startswith(wanted + "-"):
            return False
    return not action or _slug(action) == _slug(action_of(model))


def _haystack(model: dict[str, Any]) -> str:
    parts = [model.get(k) for k in ("id", "display_name", "description", "summary")]
    return " ".join(p for p in parts if isinstance(p, str)).lower()
