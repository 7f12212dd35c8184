"""The typed shapes of the API's answers (pydantic, built on first use).

Every answer class allows extra keys (kept on the object, reachable as attributes and in
``model_extra``): the API adds fields over time and queue rows carry the request's parameters.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from ._types import TERMINAL_STATUSES

__all__ = [
    "Cancellation",
    "GenerateResponse",
    "GeneratedMedia",
    "Generation",
    "GenerationResult",
    "HistoryItem",
    "HistoryPage",
    "Model",
    "ModelCapabilities",
    "ModelDeveloper",
    "ModelPricing",
    "QueueList",
    "model_list",
]


class _Answer(BaseModel):
    model_config: ClassVar[ConfigDict] = ConfigDict(
        extra="allow", defer_build=True, protected_namespaces=(), populate_by_name=True
    )


class GenerationResult(_Answer):
    """How a queued generation ended, as ``wait()`` learns it: what the completion event carries.

    ``generation_id``, ``status``, ``result_url`` or ``error_message``, ``model_name`` and
    ``media_type``, nothing more (the event has no timestamps nor request parameters). When the
    outcome was learned from a queue row instead, the object is the full :class:`Generation`
    (a subclass); ``job.status()`` always fetches the full row.
    """

    generation_id: str
    status: str = "queued"
    """``queued``, ``processing`` (active); ``succeeded``, ``failed``, ``cancelled`` (ended)."""
    model_name: str | None = None
    media_type: str | None = None
    result_url: str | None = None
    """Temporary URL of the result, once ``succeeded``; see ``Job.download``."""
    error_message: str | None = None

    @property
    def done(self) -> bool:
        """True once the generation has ended (succeeded, failed or cancelled)."""
        return self.status in TERMINAL_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


class Generation(GenerationResult):
    """A queued generation: a row of ``/ai/queue`` (``job.status()``), with its timestamps and,
    as extra keys, the parameters the request carried."""

    prompt: str | None = None
    enqueued_at: float | None = None
    started_at: float | None = None
    completed_at: float | None = None


class GeneratedMedia(_Answer):
    """One result of a blocking route: a temporary `url`, or `b64_json` when asked for."""

    url: str | None = None
    b64_json: str | None = None


class GenerateResponse(_Answer):
    """The answer of a blocking route (``/ai/images/...``, ``/ai/videos/generate``, audio, chat).

    Chat and audio answers keep their own keys as extras (e.g. ``choices``, ``text``).
    """

    model: str | None = None
    created: int | None = None
    images: list[GeneratedMedia] | None = None
    videos: list[GeneratedMedia] | None = None

    @property
    def urls(self) -> list[str]:
        """Every result URL in the answer."""
        return [m.url for m in (self.images or []) + (self.videos or []) if m.url]


class Cancellation(_Answer):
    status: str
    generation_id: str | None = None


class ModelCapabilities(_Answer):
    input: list[str] = Field(default_factory=list)
    output: list[str] = Field(default_factory=list)


class ModelPricing(_Answer):
    """``method`` is token, time, per_image or per_video_output_second; cost fields vary (extras)."""

    method: str | None = None


class ModelDeveloper(_Answer):
    name: str | None = None
    logo: str | None = None


class Model(_Answer):
    """A model of the catalog, with its `request_schema` (JSON Schema of its parameters, or None)."""

    id: str
    object: str = "model"
    created: int | None = None
    owned_by: str | None = None
    display_name: str | None = None
    description: str | None = None
    summary: str | None = None
    model_type: str | None = None
    endpoint: str | None = None
    capabilities: ModelCapabilities | None = None
    pricing: ModelPricing | None = None
    developer: ModelDeveloper | None = None
    image_url: str | None = None
    released_at: Any = None
    request_schema: dict[str, Any] | None = Field(default=None, alias="request_schema")

    def model_post_init(self, context: Any, /) -> None:
        if self.request_schema is None and isinstance(
            (self.model_extra or {}).get("json_request_schema"), dict
        ):
            self.request_schema = (self.model_extra or {})["json_request_schema"]


class QueueList(_Answer):
    count: int = 0
    generations: list[Generation] = Field(default_factory=list)


class HistoryItem(Generation):
    """A generation of the history (``/ai/generations``); costs and other keys are extras."""

    status: str = "succeeded"


class HistoryPage(_Answer):
    generations: list[HistoryItem] = Field(default_factory=list)
    page: int = 1
    page_size: int = 20
    total_count: int | None = None
    total_pages: int | None = None


def model_list(payload: Any) -> list[Model]:
    """The models of a catalog answer (``{"data": [...]}`` or a bare list)."""
    rows = payload.get("data", []) if isinstance(payload, dict) else payload
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise ValueError(f"expected a list of models, got {type(rows).__name__}")
    return [Model.model_validate(row) for row in rows]
