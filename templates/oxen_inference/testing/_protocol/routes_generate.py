"""The blocking routes: image and video generation, chat completions, speech and transcription.

Each checks the body (control fields taken out, parameters checked against the model's schema),
then answers after the configured latency. Invalid parameters get 400 with the ``invalid_params``
envelope, naming each offending field; a generation that a failure rule matches gets 400 with the
rule's message once the latency has passed.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

from . import media
from .answers import SSE, Answer, Delayed, json_answer
from .body import count_field, model_field, namespace_field
from .catalog import CHAT, IMAGE_EDIT, IMAGE_GENERATE, MEDIA_FOR_ROUTE, SPEECH, TRANSCRIPTION, VIDEO
from .catalog import split_body as split
from .errors import invalid, model_not_found
from .jobs import Job
from .router import Context, Route
from .state import State

_RESULT_KEY = {"image": "images", "video": "videos", "audio": "audio"}


def _check_model(state: State, model_id: str, route: str) -> None:
    if state.catalog.get(model_id) is None:
        raise model_not_found(model_id)
    own = state.catalog.route(model_id)
    if own is None:
        raise invalid(
            f"model {model_id} has no inference route (embedding models cannot be run here)"
        )
    if MEDIA_FOR_ROUTE.get(own) != MEDIA_FOR_ROUTE[route] or (
        route in (CHAT, TRANSCRIPTION) and own != route
    ):
        raise invalid(
            f"model {model_id} is not served on {route}; call POST {own} instead", "Wrong route"
        )


def _validate(state: State, model_id: str, params: dict[str, Any]) -> None:
    problems = state.catalog.validate(model_id, params)
    if problems:
        raise invalid(f"Invalid parameters for {model_id}: " + "; ".join(problems))


def _generated(ctx: Context, route: str) -> Delayed:
    state, body = ctx.state, ctx.json
    control, params = split(body)
    model_id = model_field(control)
    _check_model(state, model_id, route)
    fmt = control.get("response_format", "url")
    if fmt is None:
        fmt = "url"
    if fmt not in ("url", "b64_json"):
        raise invalid(f'`response_format` must be "url" or "b64_json", got {json.dumps(fmt)}')
    count, namespace = count_field(control), namespace_field(control)
    _validate(state, model_id, params)
    missing = state.check_inputs(model_id, params, ctx.base_url)
    if missing:
        raise invalid(missing, "Input not readable")
    kind = MEDIA_FOR_ROUTE[route]

    def then() -> Answer:
        failure = state.failure_for(body)
        if failure is not None:
            raise invalid(failure, "Generation failed")
        items: list[dict[str, str]] = []
        for _ in range(count):
            job = state.jobs.record_sync(
                Job.new(ctx.owner, model_id, kind, params, ctx.base_url, namespace)
            )
            if fmt == "b64_json":
                ext = media.EXTENSION_FOR_MEDIA[kind]
                items.append({"b64_json": base64.b64encode(media.content(ext)).decode("ascii")})
            else:
                items.append({"url": str(job.result_url)})
        state.sync_generations += count
        return json_answer(
            {"model": model_id, "created": int(time.time()), _RESULT_KEY[kind]: items}
        )

    return Delayed(state.config.latency, then)


def videos_generate(ctx: Context) -> Delayed:
    return _generated(ctx, VIDEO)


def images_generate(ctx: Context) -> Delayed:
    return _generated(ctx, IMAGE_GENERATE)


def images_edit(ctx: Context) -> Delayed:
    return _generated(ctx, IMAGE_EDIT)


def audio_speech(ctx: Context) -> Delayed:
    """``POST /ai/audio/speech``: Oxen's response shape is undocumented; answered like the media routes."""
    return _generated(ctx, SPEECH)


def audio_transcriptions(ctx: Context) -> Delayed:
    """``POST /ai/audio/transcriptions`` with a JSON body (audio by URL): ``{"model", "created", "text"}``."""
    control, params = split(ctx.json)
    model_id = model_field(control)
    _check_model(ctx.state, model_id, TRANSCRIPTION)
    _validate(ctx.state, model_id, params)
    answer = {
        "model": model_id,
        "created": int(time.time()),
        "text": "This is a mock transcription.",
    }
    return Delayed(ctx.state.config.latency, lambda: json_answer(answer))


def _chat_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise invalid('`messages` must be a non-empty list of {"role", "content"} objects')
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise invalid(f"messages[{i}] must be an object with a string `role`")
    return messages


def _reply_text(model_id: str, messages: list[dict[str, Any]]) -> str:
    last = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), None)
    if isinstance(last, list):  # content parts
        last = " ".join(p.get("text", "") for p in last if isinstance(p, dict))
    said = str(last or "")[:200]
    return f"Mock reply from {model_id}: you said {said!r}."


def chat_completions(ctx: Context) -> Delayed:
    """``POST /ai/chat/completions``, OpenAI-shaped, with ``stream: true`` as SSE chunks."""
    model_id = model_field(ctx.json)
    _check_model(ctx.state, model_id, CHAT)
    messages = _chat_messages(ctx.json)
    text = _reply_text(model_id, messages)
    ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if ctx.json.get("stream") is True:
        chunks = _chat_chunks(ident, created, model_id, text)
        answer = Answer(200, headers={"Content-Type": SSE}, chunks=chunks)
        return Delayed(ctx.state.config.latency, lambda: answer)
    prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in messages)
    completion = {
        "id": ident,
        "object": "chat.completion",
        "created": created,
        "model": model_id,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(text.split()),
            "total_tokens": prompt_tokens + len(text.split()),
        },
    }
    return Delayed(ctx.state.config.latency, lambda: json_answer(completion))


def _chat_chunks(ident: str, created: int, model_id: str, text: str) -> list[bytes]:
    def chunk(delta: dict[str, str], finish: str | None = None) -> bytes:
        data = {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model_id,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(data)}\n\n".encode()

    out = [chunk({"role": "assistant", "content": ""})]
    out += [
        chunk({"content": word if i == 0 else " " + word}) for i, word in enumerate(text.split(" "))
    ]
    return [*out, chunk({}, "stop"), b"data: [DONE]\n\n"]


ROUTES = [
    Route("POST", "/api/ai/videos/generate", videos_generate, "json"),
    Route("POST", "/api/ai/images/generate", images_generate, "json"),
    Route("POST", "/api/ai/images/edit", images_edit, "json"),
    Route("POST", "/api/ai/audio/speech", audio_speech, "json"),
    Route("POST", "/api/ai/audio/transcriptions", audio_transcriptions, "json"),
    Route("POST", "/api/ai/chat/completions", chat_completions, "json"),
]
