"""The generated client's own version and changelog: the bump policy, the ledger that records each
snapshot change, and a breaking schema change regenerating with a new version and changelog."""

from __future__ import annotations

import copy
import datetime
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from oxgen import releases
from oxgen.cli import main
from oxgen.snapshot import SnapshotError, from_catalog

DAY = datetime.date(2026, 11, 30)


@pytest.mark.parametrize(
    ("version", "verdict", "expected"),
    [
        ("0.1.0", "major", "0.2.0"),  # before 1.0 a break bumps the minor version
        ("0.3.4", "major", "0.4.0"),
        ("0.3.4", "minor", "0.3.5"),  # ... and anything else the patch version
        ("0.3.4", "patch", "0.3.5"),
        ("0.3.4", "none", "0.3.4"),
        ("1.2.3", "major", "2.0.0"),  # from 1.0 on: semantic versioning as the diff says
        ("1.2.3", "minor", "1.3.0"),
        ("1.2.3", "patch", "1.2.4"),
        ("0.9.99", "minor", "0.9.100"),
    ],
)
def test_bump_policy(version: str, verdict: str, expected: str) -> None:
    assert releases.bump(version, verdict) == expected


@pytest.mark.parametrize("version", ["1.2", "v1.2.3", "01.2.3", "1.2.3rc1", "", "1.2.3.4"])
def test_bump_refuses_what_is_not_a_version(version: str) -> None:
    with pytest.raises(ValueError, match=r"MAJOR\.MINOR\.PATCH"):
        releases.bump(version, "patch")


def model(**props: Any) -> dict[str, Any]:
    schema = {
        "type": "object",
        "required": ["prompt"],
        "properties": {"prompt": {"type": "string"}, **props},
    }
    return {"id": "m-video", "request_schema": schema}


def snapshot(*models: dict[str, Any]) -> Any:
    return from_catalog({"data": list(models)}, "test")


def test_record_starts_bumps_and_skips() -> None:
    size = {"type": "string", "enum": ["s", "m", "l"]}
    first = releases.record(None, snapshot(model(size=size)), (), today=DAY)
    assert [(r.version, r.semver) for r in first] == [("0.1.0", "initial")]

    # Only a description changes: a patch release with the change listed as info.
    described = model(size={**size, "description": "how big"})
    second = releases.record(snapshot(model(size=size)), snapshot(described), first, today=DAY)
    assert [r.version for r in second] == ["0.1.1", "0.1.0"]
    assert second[0].changes["info"] and not second[0].changes["breaking"]

    # An enum value removed: breaking, so the minor version goes up; the entry names the model.
    narrowed = model(size={"type": "string", "enum": ["s", "m"], "description": "how big"})
    third = releases.record(snapshot(described), snapshot(narrowed), second, today=DAY)
    assert [r.version for r in third] == ["0.2.0", "0.1.1", "0.1.0"]
    assert third[0].semver == "major"
    assert [e.model for e in third[0].changes["breaking"]] == ["m-video"]
    assert "size" in third[0].changes["breaking"][0].message

    # Nothing changed: no release.
    assert releases.record(snapshot(narrowed), snapshot(narrowed), third, today=DAY) == third


def test_record_without_a_readable_old_snapshot_is_taken_as_breaking() -> None:
    first = releases.record(None, snapshot(model()), (), today=DAY)
    after = releases.record(None, snapshot(model()), first, today=DAY)
    assert [r.version for r in after] == ["0.2.0", "0.1.0"]
    assert after[0].changes["breaking"][0].rule == "previous-snapshot-unreadable"


def test_ledger_round_trips() -> None:
    ledger = releases.record(None, snapshot(model()), (), today=DAY)
    ledger = releases.record(snapshot(model()), snapshot(model(n={"type": "integer"})), ledger)
    assert releases.parse(releases.dumps(ledger), "x") == ledger


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "not a release ledger"),
        ("{", "invalid JSON"),
        ('{"releases": [1]}', "must be an object"),
        ('{"releases": [{"version": "1.0", "date": "d", "semver": "major"}]}', "MAJOR.MINOR.PATCH"),
        (
            '{"releases": [{"version": "1.0.0", "date": "d", "semver": "x", "models": -1}]}',
            "must be a count",
        ),
        (
            '{"releases": [{"version": "1.0.0", "date": "d", "semver": "x", '
            '"changes": {"breaking": [{"model": 1}]}}]}',
            "model/rule/message",
        ),
    ],
)
def test_broken_ledgers_are_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(SnapshotError, match=message):
        releases.parse(text, "releases.json")


def _catalog(path: Path, *models: dict[str, Any]) -> str:
    path.write_text(json.dumps({"object": "list", "data": list(models)}), encoding="utf-8")
    return str(path)


def test_a_breaking_schema_change_regenerates_with_a_new_version_and_changelog(
    tmp_path: Path,
) -> None:
    """The SDK team's loop, through the CLI: a new snapshot replaces the old one (as `oxgen fetch`
    does), then `oxgen generate`: the client's version, distribution metadata, User-Agent and
    CHANGELOG.md follow the diff's verdict."""
    runner = CliRunner()
    schemas, out = tmp_path / "schemas", tmp_path / "generated"
    before = model(size={"type": "string", "enum": ["s", "m", "l"]})
    after = copy.deepcopy(before)
    after["request_schema"]["properties"]["size"]["enum"] = ["s", "m"]
    after["request_schema"]["properties"]["seed"] = {"type": "integer"}

    for step, catalog in enumerate((before, after)):
        src = _catalog(tmp_path / f"catalog{step}.json", catalog)
        done = runner.invoke(main, ["snapshot", src, "--out", str(schemas)])
        assert done.exit_code == 0, done.output
        done = runner.invoke(main, ["generate", "--schemas", str(schemas), "--out", str(out)])
        assert done.exit_code == 0, done.output

    ledger = releases.read(schemas)
    assert [r.version for r in ledger] == ["0.2.0", "0.1.0"]
    package = out / "oxen_inference"
    version_file = (package / "_version.py").read_text(encoding="utf-8")
    assert '__version__ = "0.2.0"' in version_file
    assert 'version = "0.2.0"' in (out / "pyproject.toml").read_text(encoding="utf-8")
    changelog = (out / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.index("## 0.2.0") < changelog.index("### Breaking changes")
    assert changelog.index("### Breaking changes") < changelog.index("## 0.1.0")
    breaking = changelog[changelog.index("### Breaking changes") : changelog.index("## 0.1.0")]
    assert "size" in breaking and '"l"' in breaking
    assert "seed" in changelog[changelog.index("### Additions") :]

    # The regenerated package itself reports the new version, in __version__ and the User-Agent.
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import oxen_inference as ox; "
        "from oxen_inference._version import USER_AGENT; print(ox.__version__, USER_AGENT)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe, str(out)], capture_output=True, text=True, check=True
    )
    assert shown.stdout.split() == ["0.2.0", "oxen-inference/0.2.0"]

    # --check agrees that the output is up to date (the ledger is part of the input).
    done = runner.invoke(
        main, ["generate", "--schemas", str(schemas), "--out", str(out), "--check"]
    )
    assert done.exit_code == 0, done.output


def test_a_broken_ledger_stops_generate_with_a_message(tmp_path: Path) -> None:
    runner = CliRunner()
    src = _catalog(tmp_path / "catalog.json", model())
    schemas = tmp_path / "schemas"
    assert runner.invoke(main, ["snapshot", src, "--out", str(schemas)]).exit_code == 0
    (schemas / releases.LEDGER).write_text('{"releases": [{"version": "one"}]}', encoding="utf-8")
    done = runner.invoke(
        main, ["generate", "--schemas", str(schemas), "--out", str(tmp_path / "o")]
    )
    assert done.exit_code == 2
    assert "releases.json" in done.output and "MAJOR.MINOR.PATCH" in done.output
    assert "Traceback" not in done.output


def test_committed_snapshot_and_client_agree_on_the_version() -> None:
    from tests.conftest import REPO

    version = releases.current_version(releases.read(REPO / "schemas"))
    text = (REPO / "generated" / "oxen_inference" / "_version.py").read_text(encoding="utf-8")
    assert f'__version__ = "{version}"' in text


def test_rehash_keeps_the_release_history(tmp_path: Path) -> None:
    runner = CliRunner()
    schemas = tmp_path / "schemas"
    src = _catalog(tmp_path / "catalog.json", model())
    assert runner.invoke(main, ["snapshot", src, "--out", str(schemas)]).exit_code == 0
    ledger = (schemas / releases.LEDGER).read_text(encoding="utf-8")
    edited = json.loads((schemas / "m-video.json").read_text(encoding="utf-8"))
    edited["request_schema"]["properties"]["prompt"]["description"] = "what to make"
    (schemas / "m-video.json").write_text(json.dumps(edited), encoding="utf-8")
    done = runner.invoke(main, ["snapshot", "--rehash", str(schemas)])
    assert done.exit_code == 0, done.output
    assert (schemas / releases.LEDGER).read_text(encoding="utf-8") == ledger
