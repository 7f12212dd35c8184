"""The mock server's tunable settings (mutable at run time through ``POST /_mock/config``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

# JSON bodies carry data URIs of inputs: the client inlines files up to 10 MiB (~13.4 MiB encoded).
MAX_BODY_BYTES = 16 * 1024 * 1024
MAX_UPLOAD_BYTES = 256 * 1024 * 1024


# The accepted range of each setting: wide enough for any test, narrow enough that a value cannot
# hang the server (a latency of 1e308 s) or exhaust it.
LIMITS: dict[str, tuple[float, float]] = {
    "latency": (0.0, 3600.0),
    "fault_rate": (0.0, 1.0),
    "stall_rate": (0.0, 1.0),
    "seed": (-(2**63), 2**63 - 1),
    "keepalive": (0.01, 3600.0),
    "retry_after_max": (0, 3600),
    "max_body_bytes": (1, 1024**3),
    "max_upload_bytes": (1, 16 * 1024**3),
}


@dataclass
class MockConfig:
    """Settings read on every request, so tests may change them while the server runs.

    latency:        seconds a generation takes (sync routes block that long; queued jobs spend a
                    quarter of it queued and the rest processing).
    fault_rate:     probability in [0, 1] that a request is answered 429 or 503 before it is
                    processed, and that an event stream is dropped early.
    stall_rate:     probability in [0, 1] that an event stream goes silent (no events, no
                    keep-alives, connection left open) at a random moment within twice the latency.
    seed:           seed of the fault generator; None draws a fresh one.
    keepalive:      seconds between ``: keep-alive`` comments on ``/events`` (Oxen sends them every 15 s).
    retry_after_max: a faulted 429 carries ``Retry-After`` of 0..this many whole seconds.
    max_body_bytes: larger JSON request bodies get 413.
    max_upload_bytes: larger repository uploads (multipart) get 413.
    """

    latency: float = 0.5
    fault_rate: float = 0.0
    stall_rate: float = 0.0
    seed: int | None = None
    keepalive: float = 15.0
    retry_after_max: int = 1
    max_body_bytes: int = MAX_BODY_BYTES
    max_upload_bytes: int = MAX_UPLOAD_BYTES

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Raise ValueError when a setting is out of range (NaN and infinities never are in)."""
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if value is None and name == "seed":
                continue
            # `not low <= value <= high` is also true for NaN, which compares false with anything.
            if not low <= value <= high:
                raise ValueError(f"{name} must be within [{low:g}, {high:g}], got {value!r:.40}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def copy(self) -> MockConfig:
        return MockConfig(**asdict(self))

    def update(self, changes: dict[str, Any]) -> None:
        """Apply `changes` (names of fields) atomically: on a bad name or value nothing changes."""
        known = {f.name: f for f in fields(self)}
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValueError(
                f"unknown setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        trial = self.copy()
        for name, value in changes.items():
            setattr(trial, name, _coerce(name, value))
        trial.check()
        for name in changes:
            setattr(self, name, getattr(trial, name))


def _coerce(name: str, value: Any) -> Any:
    if name == "seed":
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise ValueError("seed must be an integer or null")
    if name in ("retry_after_max", "max_body_bytes", "max_upload_bytes"):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ValueError(f"{name} must be an integer")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f"{name} must be a number")
