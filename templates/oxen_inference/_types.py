"""The omit sentinel, type aliases and statuses (no pydantic here: imported by every client)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, TypeAlias, TypeVar, cast

if TYPE_CHECKING:
    import httpx

__all__ = [
    "ACTIVE_STATUSES",
    "OMIT",
    "TERMINAL_STATUSES",
    "GenerationStatus",
    "Omit",
    "Progress",
    "Timeout",
    "is_given",
    "normalise_event",
    "server_default",
]

GenerationStatus: TypeAlias = Literal["queued", "processing", "succeeded", "failed", "cancelled"]
ACTIVE_STATUSES: Final = ("queued", "processing")
TERMINAL_STATUSES: Final = ("succeeded", "failed", "cancelled")

# A string, so that httpx is not imported with the package (annotations only; see _base_client).
Timeout: TypeAlias = "float | httpx.Timeout | None"

Progress: TypeAlias = Callable[[int, "int | None"], object]
"""``progress(bytes_done, total_bytes_or_None)``, called after every chunk of a download or an
upload."""


class Omit:
    """The type of :data:`OMIT`: "not given", as opposed to ``None`` (which may be a real value).

    Parameters left at ``OMIT`` are not sent, so the server applies its own defaults.
    """

    _instance: Omit | None = None

    def __new__(cls) -> Omit:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "OMIT"

    def __reduce__(self) -> str:
        return "OMIT"


OMIT: Final = Omit()


_T = TypeVar("_T")


class ServerDefault(Generic[_T]):
    """A parameter left at the server's default: shown in signatures, never sent."""

    __slots__ = ("value",)

    def __init__(self, value: _T) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"server_default({self.value!r})"


def server_default(value: _T) -> _T:
    """The default of a per-model method parameter: the value the model's schema documents.

    Signatures read ``resolution: Literal["540p", "720p"] = server_default("540p")``. A parameter
    left at it is not sent at all (the server applies its own default, which is this value when
    the schema is current); pass a value, even the same one, and it is sent.
    """
    return cast(_T, ServerDefault(value))


def is_given(value: object) -> bool:
    """False for :data:`OMIT` and for a parameter left at its :func:`server_default`."""
    return not isinstance(value, (Omit, ServerDefault))


def normalise_event(data: dict[str, Any]) -> dict[str, Any]:
    """A ``media_generation_completed`` event's data under queue-row names."""
    row = dict(data)
    for event_name, row_name in (
        ("url", "result_url"),
        ("error", "error_message"),
        ("model", "model_name"),
    ):
        if event_name in row:
            value = row.pop(event_name)
            row.setdefault(row_name, value)
    return row
