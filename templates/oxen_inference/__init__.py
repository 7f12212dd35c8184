"""Typed Python client for Oxen.ai's inference API.

    from oxen_inference import Oxen

    with Oxen() as client:  # key from OXEN_API_KEY
        job = client.submit_luma_ray_v3_2_image_to_video(prompt="...", input_image="https://...")
        job.wait(timeout=600).result_url

Importing this package is cheap: the client, the request classes and everything per model are
loaded on first use, so import time does not grow with the number of models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._lazy import loader
from ._version import __version__

if TYPE_CHECKING:
    from ._async.chat import AsyncChatStream
    from ._async.jobs import AsyncJob
    from ._batch import BatchResult
    from ._batch_inputs import BatchInputError
    from ._chat import (
        ChatCompletion,
        ChatCompletionChunk,
        ChatMessage,
    )
    from ._client import (
        AsyncOxen,
        Oxen,
    )
    from ._exceptions import (
        APIConnectionError,
        APIError,
        APIResponseValidationError,
        APIStatusError,
        APIStreamError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ClientClosedError,
        GenerationFailedError,
        InternalServerError,
        InvalidAPIKeyError,
        MissingAPIKeyError,
        NotFoundError,
        OxenError,
        PermissionDeniedError,
        RateLimitError,
        ResponseTooLargeError,
        UnprocessableEntityError,
        ValidationError,
        WaitTimeoutError,
    )
    from ._journal import BatchJournalError
    from ._media import LocalFile, MediaInput
    from ._models import (
        Cancellation,
        GeneratedMedia,
        GenerateResponse,
        Generation,
        GenerationResult,
        HistoryItem,
        HistoryPage,
        Model,
        QueueList,
    )
    from ._pricing import CostEstimate
    from ._progress import ProgressReport, as_completed, as_completed_async
    from ._request import (
        MISSING,
        Missing,
        NoRequestSchemaError,
        RequestModel,
        UnknownModelError,
        model_ids,
        request_model,
        to_body,
    )
    from ._response import APIResponse
    from ._sync.chat import ChatStream
    from ._sync.jobs import Job
    from ._types import OMIT, Omit


_EXPORTS = {
    "BatchResult": "._batch",
    "BatchInputError": "._batch_inputs",
    "BatchJournalError": "._journal",
    "ProgressReport": "._progress",
    "CostEstimate": "._pricing",
    "APIResponse": "._response",
    "as_completed": "._progress",
    "as_completed_async": "._progress",
    "AsyncOxen": "._client",
    "Oxen": "._client",
    "AsyncJob": "._async.jobs",
    "Job": "._sync.jobs",
    "AsyncChatStream": "._async.chat",
    "ChatCompletion": "._chat",
    "ChatCompletionChunk": "._chat",
    "ChatMessage": "._chat",
    "ChatStream": "._sync.chat",
    "APIConnectionError": "._exceptions",
    "APIError": "._exceptions",
    "APIStatusError": "._exceptions",
    "APIResponseValidationError": "._exceptions",
    "APIStreamError": "._exceptions",
    "APITimeoutError": "._exceptions",
    "AuthenticationError": "._exceptions",
    "BadRequestError": "._exceptions",
    "ClientClosedError": "._exceptions",
    "GenerationFailedError": "._exceptions",
    "InternalServerError": "._exceptions",
    "InvalidAPIKeyError": "._exceptions",
    "MissingAPIKeyError": "._exceptions",
    "NotFoundError": "._exceptions",
    "OxenError": "._exceptions",
    "PermissionDeniedError": "._exceptions",
    "RateLimitError": "._exceptions",
    "ResponseTooLargeError": "._exceptions",
    "UnprocessableEntityError": "._exceptions",
    "ValidationError": "._exceptions",
    "WaitTimeoutError": "._exceptions",
    "OMIT": "._types",
    "LocalFile": "._media",
    "MediaInput": "._media",
    "Cancellation": "._models",
    "GeneratedMedia": "._models",
    "GenerateResponse": "._models",
    "Generation": "._models",
    "GenerationResult": "._models",
    "HistoryItem": "._models",
    "HistoryPage": "._models",
    "Model": "._models",
    "Omit": "._types",
    "QueueList": "._models",
    "MISSING": "._request",
    "Missing": "._request",
    "NoRequestSchemaError": "._request",
    "RequestModel": "._request",
    "UnknownModelError": "._request",
    "model_ids": "._request",
    "request_model": "._request",
    "to_body": "._request",
}

# Literal, so that type checkers see the re-exports (mypy --strict: no implicit re-export).
__all__ = [
    "MISSING",
    "OMIT",
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIResponseValidationError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AsyncChatStream",
    "AsyncJob",
    "AsyncOxen",
    "AuthenticationError",
    "BadRequestError",
    "BatchInputError",
    "BatchJournalError",
    "BatchResult",
    "Cancellation",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatMessage",
    "ChatStream",
    "ClientClosedError",
    "CostEstimate",
    "GenerateResponse",
    "GeneratedMedia",
    "Generation",
    "GenerationFailedError",
    "GenerationResult",
    "HistoryItem",
    "HistoryPage",
    "InternalServerError",
    "InvalidAPIKeyError",
    "Job",
    "LocalFile",
    "MediaInput",
    "Missing",
    "MissingAPIKeyError",
    "Model",
    "NoRequestSchemaError",
    "NotFoundError",
    "Omit",
    "Oxen",
    "OxenError",
    "PermissionDeniedError",
    "ProgressReport",
    "QueueList",
    "RateLimitError",
    "RequestModel",
    "ResponseTooLargeError",
    "UnknownModelError",
    "UnprocessableEntityError",
    "ValidationError",
    "WaitTimeoutError",
    "__version__",
    "as_completed",
    "as_completed_async",
    "model_ids",
    "request_model",
    "to_body",
]


_load = loader(__name__, _EXPORTS, globals())


def __getattr__(name: str) -> Any:
    return _load(name)


def __dir__() -> list[str]:
    return __all__
