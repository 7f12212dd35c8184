"""Which HTTP route runs a model, decided the way Oxen's own docs generator decides it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

VIDEO = "/ai/videos/generate"
IMAGE_GENERATE = "/ai/images/generate"
IMAGE_EDIT = "/ai/images/edit"
SPEECH = "/ai/audio/speech"
TRANSCRIPTION = "/ai/audio/transcriptions"
CHAT = "/ai/chat/completions"

# Routes whose jobs the queue accepts (image and video models only), with the media they make.
QUEUE_MEDIA = {VIDEO: "video", IMAGE_GENERATE: "image", IMAGE_EDIT: "image"}


def _strings(value: Any) -> set[str]:
    return {v.lower() for v in value if isinstance(v, str)} if isinstance(value, list) else set()


def route_for(model: dict[str, Any]) -> str | None:
    """The blocking route for a model object, or None (embedding models have no inference route).

    The model's own `endpoint` (which lacks the `/ai` prefix) wins when it names a known route that
    makes the same kind of media the capabilities say: it is what the model's documentation page
    calls (flux-2-pro takes optional input images yet is documented on `/images/generate`).
    Otherwise, as Oxen's docs generator does, by capabilities: audio in + text out ->
    transcription; audio out -> speech; video out -> video; image out with image in -> image edit;
    image out -> image generation; otherwise chat.
    """
    by_caps = _by_capabilities(model)
    endpoint = model.get("endpoint")
    if isinstance(endpoint, str) and endpoint.startswith("/"):
        path = endpoint if endpoint.startswith("/ai/") else "/ai" + endpoint
        if path in _KIND and (
            by_caps is None or _KIND[path] == _KIND.get(by_caps) or by_caps == CHAT
        ):
            return path
    return by_caps


_KIND = {
    VIDEO: "video",
    IMAGE_GENERATE: "image",
    IMAGE_EDIT: "image",
    SPEECH: "audio",
    TRANSCRIPTION: "text",
    CHAT: "text",
}


def _by_capabilities(model: dict[str, Any]) -> str | None:
    caps = model.get("capabilities")
    inputs = _strings(caps.get("input")) if isinstance(caps, dict) else set()
    outputs = _strings(caps.get("output")) if isinstance(caps, dict) else set()
    if "embedding" in outputs or "embeddings" in outputs:
        return None
    if outputs:
        if "audio" in inputs and outputs == {"text"}:
            return TRANSCRIPTION
        if "audio" in outputs:
            return SPEECH
        if "video" in outputs:
            return VIDEO
        if "image" in outputs:
            return IMAGE_EDIT if "image" in inputs else IMAGE_GENERATE
    return CHAT


_KIND_WORDS = {
    VIDEO: "video",
    IMAGE_GENERATE: "image",
    IMAGE_EDIT: "image",
    SPEECH: "speech",
    TRANSCRIPTION: "transcription",
    CHAT: "chat",
}


class Counts(NamedTuple):
    """How many models a catalog has, with and without a request schema: the two numbers that
    are always said together (the generator's output, the READMEs, the changelog, the mock)."""

    total: int
    typed: int  # with a request schema: a request class and typed methods
    untyped: int  # without one: parameters sent as given (chat, transcription)
    kinds: str  # the untyped models by kind, "63 chat, 2 transcription" ("" when none)

    def split(self) -> str:
        """'96 with request schemas, 65 without: 63 chat, 2 transcription'."""
        if not self.untyped:
            return f"all {self.typed} with request schemas"
        return f"{self.typed} with request schemas, {self.untyped} without: {self.kinds}"


def count_models(models: Iterable[tuple[bool, str | None]]) -> Counts:
    """The counts of (has a request schema, blocking route or None) pairs."""
    typed = untyped = 0
    kinds: dict[str, int] = {}
    for has_schema, route in models:
        if has_schema:
            typed += 1
            continue
        untyped += 1
        word = _KIND_WORDS.get(route, "no inference route") if route else "no inference route"
        kinds[word] = kinds.get(word, 0) + 1
    ranked = sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))
    return Counts(typed + untyped, typed, untyped, ", ".join(f"{n} {w}" for w, n in ranked))
