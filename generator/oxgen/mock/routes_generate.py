"""The blocking routes: image and video generation, chat completions, speech and transcription.

Each validates the body (control fields taken out, parameters checked against the model's
schema with `jsonschema`), waits the configured latency, then answers. Invalid parameters get 400
with the ``invalid_params`` envelope, naming each offending field.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .. import routes
from . import media
from .body import count_field, model_field, namespace_field, owner, read_json_object
from .catalog import MEDIA_FOR_ROUTE, split_body
from .errors import invalid, model_not_found
from .routes_models import state_of
from .state import MockState

_RESULT_KEY = {"image": "images", "video": "videos", "audio": "audio"}


def base_of(request: Request) -> str:
    """Where result files are served: this server's root, as the client addressed it."""
    return str(request.base_url).rstrip("/")


def _check_model(state: MockState, model_id: str, route: str) -> None:
    if state.catalog.get(model_id) is None:
        raise model_not_found(model_id)
    own = state.catalog.route(model_id)
    if own is None:
        raise invalid(
            f"model {model_id} has no inference route (embedding models cannot be run here)"
        )
    if MEDIA_FOR_ROUTE.get(own) != MEDIA_FOR_ROUTE[route] or (
        route in (routes.CHAT, routes.TRANSCRIPTION) and own != route
    ):
        raise invalid(
            f"model {model_id} is not served on {route}; call POST {own} instead", "Wrong route"
        )


def _validate(state: MockState, model_id: str, params: dict[str, Any]) -> None:
    problems = state.catalog.validate(model_id, params)
    if problems:
        raise invalid(f"Invalid parameters for {model_id}: " + "; ".join(problems))


async def _media(request: Request, route: str) -> JSONResponse:
    state = state_of(request)
    body = await read_json_object(request, state.config.max_body_bytes)
    control, params = split_body(body)
    model_id = model_field(control)
    _check_model(state, model_id, route)
    fmt = control.get("response_format", "url")
    if fmt is None:
        fmt = "url"
    if fmt not in ("url", "b64_json"):
        raise invalid(f'`response_format` must be "url" or "b64_json", got {json.dumps(fmt)}')
    count, namespace = count_field(control), namespace_field(control)
    _validate(state, model_id, params)
    missing = state.check_inputs(params, base_of(request))
    if missing:
        raise invalid(missing, "Input not readable")
    await asyncio.sleep(state.config.latency)
    kind = MEDIA_FOR_ROUTE[route]
    items: list[dict[str, str]] = []
    for _ in range(count):
        job = state.jobs.record_sync(
            owner=owner(request),
            model=model_id,
            media_type=kind,
            params=params,
            namespace=namespace,
            base_url=base_of(request),
        )
        if fmt == "b64_json":
            ext = media.EXTENSION_FOR_MEDIA[kind]
            items.append({"b64_json": base64.b64encode(media.content(ext)).decode("ascii")})
        else:
            items.append({"url": str(job.result_url)})
    state.sync_generations += count
    return JSONResponse({"model": model_id, "created": int(time.time()), _RESULT_KEY[kind]: items})


async def videos_generate(request: Request) -> JSONResponse:
    return await _media(request, routes.VIDEO)


async def images_generate(request: Request) -> JSONResponse:
    return await _media(request, routes.IMAGE_GENERATE)


async def images_edit(request: Request) -> JSONResponse:
    return await _media(request, routes.IMAGE_EDIT)


async def audio_speech(request: Request) -> JSONResponse:
    """``POST /ai/audio/speech``: Oxen's response shape is undocumented; answered like the media routes."""
    return await _media(request, routes.SPEECH)


async def audio_transcriptions(request: Request) -> JSONResponse:
    """``POST /ai/audio/transcriptions`` with a JSON body (audio by URL): ``{"model", "created", "text"}``."""
    state = state_of(request)
    body = await read_json_object(request, state.config.max_body_bytes)
    control, params = split_body(body)
    model_id = model_field(control)
    _check_model(state, model_id, routes.TRANSCRIPTION)
    _validate(state, model_id, params)
    await asyncio.sleep(state.config.latency)
    return JSONResponse(
        {"model": model_id, "created": int(time.time()), "text": "This is a mock transcription."}
    )


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


async def chat_completions(request: Request) -> Response:
    """``POST /ai/chat/completions``, OpenAI-shaped, with ``stream: true`` as SSE chunks."""
    state = state_of(request)
    body = await read_json_object(request, state.config.max_body_bytes)
    model_id = model_field(body)
    _check_model(state, model_id, routes.CHAT)
    messages = _chat_messages(body)
    text = _reply_text(model_id, messages)
    await asyncio.sleep(state.config.latency)
    ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in messages)
    if body.get("stream") is True:
        return StreamingResponse(
            _chat_chunks(ident, created, model_id, text), media_type="text/event-stream"
        )
    return JSONResponse(
        {
            "id": ident,
            "object": "chat.completion",
            "created": created,
            "model": model_id,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": len(text.split()),
                "total_tokens": prompt_tokens + len(text.split()),
            },
        }
    )


async def _chat_chunks(ident: str, created: int, model_id: str, text: str) -> AsyncIterator[str]:
    def chunk(delta: dict[str, str], finish: str | None = None) -> str:
        data = {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model_id,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(data)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for i, word in enumerate(text.split(" ")):
        yield chunk({"content": word if i == 0 else " " + word})
    yield chunk({}, "stop")
    yield "data: [DONE]\n\n"


ROUTES = [
    Route("/api/ai/videos/generate", videos_generate, methods=["POST"]),
    Route("/api/ai/images/generate", images_generate, methods=["POST"]),
    Route("/api/ai/images/edit", images_edit, methods=["POST"]),
    Route("/api/ai/audio/speech", audio_speech, methods=["POST"]),
    Route("/api/ai/audio/transcriptions", audio_transcriptions, methods=["POST"]),
    Route("/api/ai/chat/completions", chat_completions, methods=["POST"]),
]
