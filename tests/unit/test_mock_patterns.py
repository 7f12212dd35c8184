"""The mock server validates `pattern`/`patternProperties` as ECMA-262, as the API's schemas mean."""

from __future__ import annotations

from typing import Any

from oxgen.mock.catalog import Catalog


def _catalog(schema: dict[str, Any]) -> Catalog:
    return Catalog(models={"m": {"id": "m", "request_schema": schema}})


def test_pattern_is_ecma_262() -> None:
    catalog = _catalog(
        {
            "type": "object",
            "properties": {
                "code": {"type": "string", "pattern": r"^\d+$"},
                "name": {"type": "string", "pattern": r"^\p{Lu}\p{Ll}*$"},
            },
        }
    )
    assert catalog.validate("m", {"code": "123", "name": "Émile"}) == []
    # ECMA's \d is ASCII only: an Arabic-Indic digit is not one (Python's re would accept it).
    assert any(p.startswith("code:") for p in catalog.validate("m", {"code": "\u0661"}))
    assert any(p.startswith("name:") for p in catalog.validate("m", {"name": "émile"}))


def test_pattern_properties_are_ecma_262() -> None:
    catalog = _catalog(
        {
            "type": "object",
            "patternProperties": {r"^\p{L}+$": {"type": "integer"}},
        }
    )
    assert catalog.validate("m", {"größe": 3}) == []
    assert any("not of type" in p for p in catalog.validate("m", {"größe": "3"}))
    assert catalog.validate("m", {"x1": "not checked"}) == []  # `1` is no letter
