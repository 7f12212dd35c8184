"""Cost estimates from the catalog's pricing: computed only when the pricing says how, never
guessed; a table of the committed catalog's prices and one of hostile pricing objects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from oxen_inference import _pricing
from oxen_inference._pricing import estimate, price

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def test_the_client_carries_every_price_of_the_snapshot() -> None:
    expected = {}
    for path in SCHEMAS.glob("*.json"):
        model = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(model, dict) and model.get("pricing"):
            expected[model["id"]] = model["pricing"]
    assert len(expected) >= 17
    assert {m: _pricing.pricing_of(m) for m in expected} == expected
    assert _pricing.pricing_of("luma-ray-v3-2-text-to-video") is None


# (model, parameters, cost) from schemas/: defaults are the schema's own
CATALOG: list[tuple[str, dict[str, Any], float]] = [
    ("flux-2-pro", {}, 0.1),
    ("z-image-turbo", {"seed": 3}, 0.01),
    ("gpt-image-2", {}, 0.29),  # no cost_per_image: the grid at quality "high", resolution "2K"
    ("gpt-image-2", {"quality": "low", "resolution": "4K"}, 0.035),
    ("gpt-image-2-5-flare", {"quality": "max", "resolution": "1K"}, 0.1477),  # the grid wins
    ("flux-3-image", {}, 0.0624),  # one quality in the grid, no quality parameter
    ("flux-3-image", {"resolution": "768sq"}, 0.0533),
    ("nano-banana-2", {"resolution": "512"}, 0.0585),
    ("ideogram-v4", {}, 0.06),
    ("ideogram-v4", {"num_images": 3}, 0.18),
]


@pytest.mark.parametrize(("model", "params", "cost"), CATALOG)
def test_prices_of_the_catalog(model: str, params: dict[str, Any], cost: float) -> None:
    got, why = price(model, params)
    assert why is None and got == pytest.approx(cost)


@pytest.mark.parametrize(
    ("model", "params", "words"),
    [
        ("luma-ray-v3-2-text-to-video", {}, "no pricing in the catalog"),
        (
            "topazlabs-bloom-2-image",
            {},
            "its pricing method 'per_provider_credit' cannot be computed",
        ),
        ("no-such-model", {}, "no pricing in the catalog"),
    ],
)
def test_unknown_prices_say_why(model: str, params: dict[str, Any], words: str) -> None:
    got, why = price(model, params)
    assert got is None and why is not None and words in why


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The pricing table, replaced by one the test fills (model ids of the real catalog, so that
    schema defaults are real)."""
    fake: dict[str, Any] = {}
    monkeypatch.setattr(_pricing, "_table", lambda: fake)
    yield fake


HOSTILE: list[tuple[str, Any, dict[str, Any], float | None, str]] = [
    ("gpt-image-2", {}, {}, None, "method None"),
    ("gpt-image-2", {"method": "per_token"}, {}, None, "method 'per_token'"),
    ("gpt-image-2", {"method": "time", "cost_per_second": 0.1}, {}, None, "method 'time'"),
    ("flux-2-pro", {"method": "per_image"}, {}, None, "no cost_per_image"),
    ("flux-2-pro", {"method": "per_image", "cost_per_image": None}, {}, None, "no cost_per_image"),
    ("flux-2-pro", {"method": "per_image", "cost_per_image": "0.1"}, {}, None, "no cost_per_image"),
    ("flux-2-pro", {"method": "per_image", "cost_per_image": True}, {}, None, "no cost_per_image"),
    ("flux-2-pro", {"method": "per_image", "cost_per_image": -1}, {}, None, "no cost_per_image"),
    (
        "gpt-image-2",
        {"method": "per_image", "cost_per_image_grid": {"low": {"2K": 1}}},
        {},
        None,
        "no quality 'high'",
    ),
    (
        "gpt-image-2",
        {"method": "per_image", "cost_per_image_grid": {"high": {"1K": 1}}},
        {},
        None,
        "no resolution '2K'",
    ),
    (
        "gpt-image-2",
        {"method": "per_image", "cost_per_image_grid": {"high": "x"}},
        {},
        None,
        "no quality 'high'",
    ),
    (
        "gpt-image-2",
        {"method": "per_image", "cost_per_image_grid": {"high": {"2K": None}}},
        {},
        None,
        "no resolution",
    ),
    (
        "flux-2-pro",
        {"method": "per_image", "cost_per_image_grid": {"a": {}, "b": {}}},
        {},
        None,
        "no quality None",
    ),
    (
        "ideogram-v4",
        {"method": "per_image", "cost_per_image": 0.5},
        {"num_images": 0},
        None,
        "num_images 0",
    ),
    (
        "luma-ray-v3-2-text-to-video",
        {"method": "per_video_output_second", "cost_per_second": 0.2},
        {},
        1.0,
        "",
    ),
    (
        "luma-ray-v3-2-text-to-video",
        {"method": "per_video_output_second", "cost_per_second": 0.2},
        {"duration": "10s"},
        2.0,
        "",
    ),
    (
        "luma-ray-v3-2-text-to-video",
        {"method": "per_video_output_second", "cost_per_video_output_second": 0.5},
        {},
        2.5,
        "",
    ),
    (
        "luma-ray-v3-2-text-to-video",
        {"method": "per_video_output_second"},
        {},
        None,
        "no cost per second",
    ),
    (
        "luma-ray-v3-2-text-to-video",
        {"method": "per_video_output_second", "cost_per_second": 0.2},
        {"duration": "long"},
        None,
        "does not read as whole seconds",
    ),
    (
        "flux-2-pro",
        {"method": "per_video_output_second", "cost_per_second": 0.2},
        {},
        None,
        "duration None",
    ),
]


@pytest.mark.parametrize(("model", "pricing", "params", "cost", "words"), HOSTILE)
def test_hostile_pricing_is_never_guessed(
    table: dict[str, Any],
    model: str,
    pricing: Any,
    params: dict[str, Any],
    cost: float | None,
    words: str,
) -> None:
    table[model] = pricing
    got, why = price(model, params)
    if cost is None:
        assert got is None and why is not None and words in why, why
    else:
        assert why is None and got == pytest.approx(cost)


def test_an_estimate_adds_what_is_known_and_says_what_is_not(table: dict[str, Any]) -> None:
    table["flux-2-pro"] = {"method": "per_image", "cost_per_image": 0.1}
    table["gpt-image-2"] = {"method": "per_image", "cost_per_image_grid": {"high": {"2K": 0.3}}}
    found = estimate(
        [
            ("flux-2-pro", {}),
            ("flux-2-pro", {}),
            ("gpt-image-2", {}),
            ("gpt-image-2", {"quality": "low"}),  # not in this grid
            ("luma-ray-v3-2-text-to-video", {}),
        ]
    )
    assert not found.complete and found.total == pytest.approx(0.5)
    assert [(m.model, m.count, m.unknown) for m in found.models] == [
        ("flux-2-pro", 2, 0),
        ("gpt-image-2", 2, 1),
        ("luma-ray-v3-2-text-to-video", 1, 1),
    ]
    assert found.lines() == [
        "  flux-2-pro: 2 input(s), $0.20",
        "  gpt-image-2: 2 input(s), $0.30 for 1; 1 unknown (its price grid has no quality 'low')",
        "  luma-ray-v3-2-text-to-video: 1 input(s), cost unknown (no pricing in the catalog)",
        "  estimated total: $0.50 (inputs without a price left out)",
    ]
    assert estimate([("flux-2-pro", {})]).complete
    assert estimate([]).lines() == ["  estimated total: $0.00"]
