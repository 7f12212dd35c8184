"""docs/schema-diff.md stays in step with the rule book."""

from __future__ import annotations

import re
from pathlib import Path

from oxgen.diff import RULES

DOC = Path(__file__).resolve().parents[2] / "docs" / "schema-diff.md"


def test_every_rule_is_documented_with_its_level() -> None:
    rows = re.findall(
        r"^\| `([a-z-]+)` \| (breaking|warning|info) \|", DOC.read_text(encoding="utf-8"), re.M
    )
    assert rows == [(rule.id, rule.level) for rule in RULES.values()]
