"""Both numbers, wherever the number of models is said: with a request schema (typed classes and
methods) and without one (chat, transcription: parameters sent as given). `oxgen generate`, the
generated README and CHANGELOG, and the mock server's banner all say them from one count."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from oxgen import routes
from oxgen.cli import main
from oxgen.mock.catalog import Catalog
from oxgen.mock.catalog import counts as counts_of
from oxgen.snapshot import load
from tests.conftest import REPO

SCHEMA = {"type": "object", "properties": {"prompt": {"type": "string"}}}


@pytest.mark.parametrize(
    ("models", "split"),
    [
        ([], "all 0 with request schemas"),
        ([(True, routes.VIDEO), (True, routes.IMAGE_EDIT)], "all 2 with request schemas"),
        (
            [(True, routes.VIDEO), (False, routes.CHAT), (False, routes.CHAT), (False, None)],
            "1 with request schemas, 3 without: 2 chat, 1 no inference route",
        ),
        (
            [(False, routes.TRANSCRIPTION), (False, routes.CHAT)],
            "0 with request schemas, 2 without: 1 chat, 1 transcription",
        ),
    ],
)
def test_counts_say_both_numbers(models: list[tuple[bool, str | None]], split: str) -> None:
    counts = routes.count_models(models)
    assert counts.total == len(models) and counts.typed + counts.untyped == counts.total
    assert counts.split() == split


def test_generate_says_both_numbers_also_when_nothing_changed(tmp_path: Path) -> None:
    models = [
        {"id": "img", "capabilities": {"output": ["image"]}, "request_schema": SCHEMA},
        {"id": "talk", "capabilities": {"input": ["text"], "output": ["text"]}},
        {"id": "listen", "capabilities": {"input": ["audio"], "output": ["text"]}},
    ]
    src = tmp_path / "catalog.json"
    src.write_text(json.dumps({"object": "list", "data": models}))
    runner = CliRunner()
    argv = ["generate", "--schemas", str(src), "--out", str(tmp_path / "out")]
    for run in (runner.invoke(main, argv), runner.invoke(main, argv)):  # cold, then cached
        assert run.exit_code == 0, run.output
        assert run.output.startswith(
            "generated 3 models (1 with request schemas, 2 without: 1 chat, 1 transcription)"
        ), run.output
    readme = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert "3 models, 1 with a request schema and 2 without (1 chat, 1 transcription:" in " ".join(
        readme.split()
    )


def test_the_committed_readme_changelog_and_mock_agree_with_the_snapshot() -> None:
    snapshot = load(str(REPO / "schemas"))
    counts = counts_of(Catalog.from_snapshot(snapshot))
    typed = sum(isinstance(m.get("request_schema"), dict) for m in snapshot.models)
    assert (counts.total, counts.typed) == (len(snapshot.models), typed)
    assert counts.untyped > 0  # the sentences below would read otherwise
    readme = " ".join((REPO / "generated" / "README.md").read_text(encoding="utf-8").split())
    assert (
        f"JSON Schema: {counts.total} models, {counts.typed} with a request schema and "
        f"{counts.untyped} without ({counts.kinds}: parameters sent as given)"
    ) in readme
    changelog = (REPO / "generated" / "CHANGELOG.md").read_text(encoding="utf-8")
    assert (
        f"First release: {counts.typed} models with request schemas, and {counts.untyped} without "
        f"one ({counts.kinds}; {counts.total} models in all)."
    ) in changelog
