"""What a run will cost, from the catalog's ``pricing`` (never guessed).

A model's price is computed only when its pricing says how, for the parameters the input sends:

- ``per_image``: ``cost_per_image_grid`` when present, a table ``{quality: {resolution: cost}}``
  read with the input's ``quality`` and ``resolution`` (each the value sent, else the schema's
  default; a grid with one quality and a model without a ``quality`` parameter reads that one);
  otherwise ``cost_per_image``. Times ``num_images`` when the model takes that parameter.
- ``per_video_output_second``: ``cost_per_second`` (or ``cost_per_video_output_second``) times
  the ``duration`` sent (else the schema's default), when it reads as whole seconds.

Anything else (no pricing, another method such as ``per_provider_credit``, ``time`` or
``token``, a grid without the entry, a missing cost) is *unknown*, with the reason, and left out
of the total rather than guessed.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["CostEstimate", "ModelCost", "estimate", "price", "pricing_of"]

_SECONDS = re.compile(r"\s*(\d+)\s*s?\s*")


@functools.cache
def _table() -> dict[str, Any]:
    """``_catalog.PRICING`` (``id TAB pricing JSON`` per line) as a dict, read once."""
    from . import _catalog
    from ._registry import _unescape

    table: dict[str, Any] = {}
    for line in _catalog.PRICING.split("\n"):
        if line:
            model_id, _, raw = line.partition("\t")
            table[_unescape(model_id)] = json.loads(_unescape(raw))
    return table


def pricing_of(model_id: str) -> dict[str, Any] | None:
    """The catalog's ``pricing`` of `model_id` (None when it has none)."""
    found = _table().get(model_id)
    return found if isinstance(found, dict) else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return None
    return float(value)


def _default(model_id: str, name: str) -> Any:
    """The schema's default of parameter `name` (None when it has none or no such parameter)."""
    from . import _registry

    entry = _registry.get(model_id)
    if entry is None or not entry.has_schema:
        return None
    from ._request import MISSING, request_model

    for field_name, info in request_model(model_id).model_fields.items():
        alias = info.validation_alias
        if (alias if isinstance(alias, str) else field_name) == name:
            return None if info.default is MISSING else info.default
    return None


def _has_param(model_id: str, name: str) -> bool:
    from . import _registry

    entry = _registry.get(model_id)
    if entry is None or not entry.has_schema:
        return False
    from ._params import _checker

    return name in _checker(model_id).attrs


def _value(model_id: str, params: Mapping[str, Any], name: str) -> Any:
    return params[name] if params.get(name) is not None else _default(model_id, name)


def _grid(
    model_id: str, grid: Mapping[str, Any], params: Mapping[str, Any]
) -> tuple[float | None, str | None]:
    quality = _value(model_id, params, "quality")
    if quality is None and len(grid) == 1 and not _has_param(model_id, "quality"):
        quality = next(iter(grid))
    row = grid.get(str(quality)) if quality is not None else None
    if not isinstance(row, Mapping):
        return None, f"its price grid has no quality {quality!r}"
    resolution = _value(model_id, params, "resolution")
    cost = _number(row.get(str(resolution))) if resolution is not None else None
    if cost is None:
        return None, f"its price grid has no resolution {resolution!r} for quality {quality!r}"
    return cost, None


def price(model_id: str, params: Mapping[str, Any]) -> tuple[float | None, str | None]:
    """(cost of one generation, None) or (None, why it cannot be computed)."""
    pricing = pricing_of(model_id)
    if pricing is None:
        return None, "no pricing in the catalog"
    method = pricing.get("method")
    if method == "per_image":
        grid = pricing.get("cost_per_image_grid")
        if isinstance(grid, Mapping):
            cost, why = _grid(model_id, grid, params)
        else:
            cost = _number(pricing.get("cost_per_image"))
            why = None if cost is not None else "its pricing has no cost_per_image"
        if cost is None:
            return None, why
        count = _value(model_id, params, "num_images") if _has_param(model_id, "num_images") else 1
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            return None, f"num_images {count!r} is not a count of images"
        return cost * count, None
    if method == "per_video_output_second":
        rate = _number(pricing.get("cost_per_second", pricing.get("cost_per_video_output_second")))
        if rate is None:
            return None, "its pricing has no cost per second"
        duration = _value(model_id, params, "duration")
        whole = _SECONDS.fullmatch(str(duration)) if isinstance(duration, (int, str)) else None
        if whole is None or isinstance(duration, bool):
            return None, f"its duration {duration!r} does not read as whole seconds"
        return rate * int(whole.group(1)), None
    return None, f"its pricing method {method!r} cannot be computed before the run"


@dataclass(frozen=True, slots=True)
class ModelCost:
    """The inputs of one model: how many, what they cost (None: unknown) and why unknown."""

    model: str
    count: int
    cost: float | None
    reason: str | None = None
    unknown: int = 0  # how many of them have no price


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """The estimated cost of a run, per model. `total` adds up what is known; `complete` says
    whether every input had a price."""

    models: tuple[ModelCost, ...]

    @property
    def total(self) -> float:
        return sum(m.cost or 0.0 for m in self.models)

    @property
    def complete(self) -> bool:
        return all(m.unknown == 0 for m in self.models)

    def lines(self) -> list[str]:
        """A line per model, then the total; models without a price say why."""
        out = []
        for m in self.models:
            if m.unknown == m.count:
                out.append(f"  {m.model}: {m.count} input(s), cost unknown ({m.reason})")
            elif m.unknown:
                out.append(
                    f"  {m.model}: {m.count} input(s), ${m.cost:,.2f} for {m.count - m.unknown}; "
                    f"{m.unknown} unknown ({m.reason})"
                )
            else:
                out.append(f"  {m.model}: {m.count} input(s), ${m.cost:,.2f}")
        known = "" if self.complete else " (inputs without a price left out)"
        out.append(f"  estimated total: ${self.total:,.2f}{known}")
        return out


def estimate(items: Iterable[tuple[str, Mapping[str, Any]]]) -> CostEstimate:
    """The estimate for (model, parameters) pairs, one per generation."""
    counts: dict[str, list[Any]] = {}
    for model_id, params in items:
        entry = counts.setdefault(model_id, [0, None, None, 0])
        entry[0] += 1
        cost, why = price(model_id, params)
        if cost is None:
            entry[3] += 1
            entry[2] = entry[2] or why
        else:
            entry[1] = (entry[1] or 0.0) + cost
    return CostEstimate(
        tuple(
            ModelCost(model, n, cost, why, unknown)
            for model, (n, cost, why, unknown) in sorted(counts.items())
        )
    )
