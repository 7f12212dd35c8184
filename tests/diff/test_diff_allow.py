"""The allow-list: accepted changes are shown but do not fail the run; unused entries warn."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from oxgen.cli import main

from .conftest import MODEL_ID, base_model

Writer = Callable[[str, list[dict[str, Any]]], str]


@pytest.fixture
def pair(write_catalog: Writer) -> tuple[str, str]:
    """`style` removed (breaking) and the default of `steps` changed (warning)."""
    new = base_model()
    del new["request_schema"]["properties"]["style"]
    new["request_schema"]["properties"]["steps"]["default"] = 30
    return write_catalog("old.json", [base_model()]), write_catalog("new.json", [new])


def allow_file(tmp_path: Path, entries: Any) -> str:
    path = tmp_path / "allow.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    return str(path)


def diff(*args: str) -> Result:
    return CliRunner().invoke(main, ["diff", *args])


REMOVAL = {
    "rule": "property-removed",
    "model": MODEL_ID,
    "pointer": "/properties/style",
    "reason": "never worked",
}


def test_accepted_breaking_change_does_not_fail(tmp_path: Path, pair: tuple[str, str]) -> None:
    allow = allow_file(tmp_path, [REMOVAL])
    result = diff(*pair, "--allow", allow, "--format", "json")
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    removed = next(c for c in body["changes"] if c["rule"] == "property-removed")
    assert (
        removed["level"] == "breaking"
    )  # still breaking: accepting it does not make it compatible
    assert removed["message"].endswith("[accepted: never worked]")
    assert body["summary"]["accepted"] == 1 and body["summary"]["unaccepted_breaking"] == 0
    assert body["semver"] == "major"
    # The warning is not accepted, so --fail-on any still fails.
    assert diff(*pair, "--allow", allow, "--fail-on", "any").exit_code == 1


def test_accepted_in_text_markdown_and_github(tmp_path: Path, pair: tuple[str, str]) -> None:
    allow = allow_file(tmp_path, {"allow": [REMOVAL]})
    text = diff(*pair, "--allow", allow).stdout
    assert "ACCEPTED property-removed:" in text
    markdown = diff(*pair, "--allow", allow, "--format", "markdown").stdout
    assert (
        ":red_circle: breaking (accepted)" in markdown and "**Accepted:** never worked" in markdown
    )
    assert "not accepted by the allow-list" not in markdown
    github = diff(*pair, "--allow", allow, "--format", "github").stdout
    assert "::notice title=oxgen diff%3A property-removed (accepted)::" in github
    assert "::error" not in github


def test_entry_without_pointer_matches_any_pointer_and_wildcards(
    tmp_path: Path, pair: tuple[str, str]
) -> None:
    entries = [{"rule": "*", "model": MODEL_ID, "reason": "release 3.0 rewrites this model"}]
    result = diff(
        *pair, "--allow", allow_file(tmp_path, entries), "--fail-on", "any", "--format", "json"
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["summary"]["accepted"] == 2


def test_stale_entry_is_a_warning(tmp_path: Path, pair: tuple[str, str]) -> None:
    stale = {
        "rule": "enum-value-removed",
        "model": MODEL_ID,
        "pointer": "/properties/mode/enum",
        "reason": "old",
    }
    allow = allow_file(tmp_path, [REMOVAL, stale])
    result = diff(*pair, "--allow", allow, "--format", "json")
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    last = body["changes"][-1]
    assert (last["rule"], last["level"], last["model"], last["pointer"]) == (
        "allow-entry-stale",
        "warning",
        MODEL_ID,
        "/properties/mode/enum",
    )
    assert (
        "entry 1 (rule enum-value-removed" in last["message"]
        and "matched no change" in last["message"]
    )
    assert body["summary"]["warning"] == 2
    assert diff(*pair, "--allow", allow, "--fail-on", "any").exit_code == 1
    github = diff(*pair, "--allow", allow, "--format", "github").stdout
    assert "::warning title=oxgen diff%3A allow-entry-stale::" in github


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ("{", "invalid JSON at line 1 column 2"),
        ("[" * 100_000, "nested more than"),
        (b"[\xff]", "not UTF-8 text"),
        ({"rules": []}, "JSON list of entries"),
        (["x"], "entry 0: must be an object"),
        ([{**REMOVAL, "reason": "  "}], "`reason` is required"),
        ([{k: v for k, v in REMOVAL.items() if k != "model"}], "`model` is required"),
        ([{**REMOVAL, "rule": "property-gone"}], "unknown rule 'property-gone'"),
        ([{**REMOVAL, "rule": "allow-entry-stale"}], "unknown rule 'allow-entry-stale'"),
        ([{**REMOVAL, "pointer": "properties/style"}], "must be a JSON pointer"),
        ([{**REMOVAL, "until": "2027"}], "unknown key(s) until"),
    ],
)
def test_bad_allow_lists_exit_2(
    tmp_path: Path, pair: tuple[str, str], entries: Any, expected: str
) -> None:
    path = tmp_path / "allow.json"
    if isinstance(entries, bytes):
        path.write_bytes(entries)
    else:
        path.write_text(entries if isinstance(entries, str) else json.dumps(entries), "utf-8")
    result = diff(*pair, "--allow", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"oxgen: error: {path}: ") and expected in result.stderr
