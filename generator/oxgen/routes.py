"""Which HTTP route runs a model, decided the way Oxen's own docs generator decides it."""

from __future__ import annotations

from typing import Any

VIDEO = "/ai/videos/generate"
IMAGE_GENERATE = "/ai/images/generate"
IMAGE_EDIT = "/ai/images/edit"
SPEECH = "/ai/audio/speech"
TRANSCRIPTION = "/ai/audio/transcriptions"
CHAT = "/ai/chat/completions"
QUEUE = "/ai/queue"  # where jobs are enqueued (image and video models)

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
