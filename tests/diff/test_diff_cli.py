"""`oxgen diff` end to end through the CLI: JSON shape, semver, --fail-on exit codes, formats,
and bad input (exit 2, one clear line, no traceback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from oxgen.cli import main
from oxgen.diff import report

from .conftest import MODEL_ID, base_model

REPO = Path(__file__).resolve().parents[2]
Writer = Callable[[str, list[dict[str, Any]]], str]


def oxgen(*args: str) -> Result:
    return CliRunner().invoke(main, ["diff", *args], catch_exceptions=False)


def as_json(*args: str) -> tuple[dict[str, Any], int]:
    result = oxgen(*args, "--format", "json")
    return json.loads(result.stdout), result.exit_code


def _changed(**props: Any) -> dict[str, Any]:
    model = base_model()
    model["request_schema"]["properties"].update(props)
    return model


@pytest.fixture
def breaking_pair(write_catalog: Writer) -> tuple[str, str]:
    old = base_model()
    new = base_model()
    del new["request_schema"]["properties"]["style"]
    new["request_schema"]["properties"]["steps"]["default"] = 30
    new["request_schema"]["properties"]["prompt"]["description"] = "Changed."
    return write_catalog("old.json", [old, base_model("zeta-model")]), write_catalog(
        "new.json", [new, base_model("alpha-model")]
    )


def test_identical_inputs_give_no_changes(write_catalog: Writer) -> None:
    path = write_catalog("same.json", [base_model()])
    body, code = as_json(path, path)
    assert code == 0
    assert body["changes"] == [] and body["semver"] == "none"
    assert body["summary"]["breaking"] == body["summary"]["info"] == 0


def test_committed_snapshot_against_itself() -> None:
    schemas = str(REPO / "schemas")
    body, code = as_json(schemas, schemas)
    assert (body["changes"], body["semver"], code) == ([], "none", 0)


def test_folder_against_catalog_of_the_same_models(
    write_folder: Writer, write_catalog: Writer
) -> None:
    models = [base_model(), base_model("other-model")]
    body, code = as_json(write_folder("snap", models), write_catalog("cat.json", models))
    assert (body["changes"], code) == ([], 0)


def test_additions_only_exit_0_and_minor(write_catalog: Writer) -> None:
    old = write_catalog("old.json", [base_model()])
    new = write_catalog(
        "new.json", [_changed(negative={"type": "string"}), base_model("acme-image")]
    )
    body, code = as_json(old, new)
    assert code == 0
    assert body["semver"] == "minor"
    assert [(c["rule"], c["level"]) for c in body["changes"]] == [
        ("model-added", "info"),
        ("property-added-optional", "info"),
    ]
    assert body["summary"]["models_added"] == 1 and body["summary"]["models_changed"] == 1


def test_docs_only_is_a_patch(write_catalog: Writer) -> None:
    new = base_model()
    new["request_schema"]["properties"]["prompt"]["description"] = "Say what you want."
    body, _ = as_json(write_catalog("a.json", [base_model()]), write_catalog("b.json", [new]))
    assert body["semver"] == "patch"


def test_json_shape_and_order(breaking_pair: tuple[str, str]) -> None:
    body, code = as_json(*breaking_pair)
    assert code == 1
    assert set(body) == {"changes", "summary", "semver"}
    assert body["semver"] == "major"
    for item in body["changes"]:
        assert list(item) == ["model", "pointer", "rule", "level", "message"]
    assert [(c["model"], c["rule"], c["pointer"]) for c in body["changes"]] == [
        (MODEL_ID, "property-removed", "/properties/style"),
        (MODEL_ID, "default-changed", "/properties/steps/default"),
        (MODEL_ID, "description-changed", "/properties/prompt/description"),
        ("alpha-model", "model-added", ""),
        ("zeta-model", "model-removed", ""),
    ]
    assert body["summary"] == {
        "breaking": 2,
        "warning": 1,
        "info": 2,
        "accepted": 0,
        "unaccepted_breaking": 2,
        "models_added": 1,
        "models_removed": 1,
        "models_changed": 1,
    }
    again, _ = as_json(*breaking_pair)
    assert again == body


@pytest.mark.parametrize(
    ("fail_on", "breaking", "warning", "info"),
    [("breaking", 1, 0, 0), ("any", 1, 1, 1), ("never", 0, 0, 0)],
)
def test_exit_codes_for_each_fail_on(
    write_catalog: Writer, fail_on: str, breaking: int, warning: int, info: int
) -> None:
    base = write_catalog("base.json", [base_model()])
    steps = base_model()["request_schema"]["properties"]["steps"]
    variants = {
        "breaking": _changed(steps={**steps, "maximum": 10}),
        "warning": _changed(steps={**steps, "default": 5}),
        "info": _changed(steps={**steps, "maximum": 100}),
    }
    codes = {
        level: oxgen(base, write_catalog(f"{level}.json", [model]), "--fail-on", fail_on).exit_code
        for level, model in variants.items()
    }
    assert codes == {"breaking": breaking, "warning": warning, "info": info}
    assert oxgen(base, base, "--fail-on", fail_on).exit_code == 0


def test_default_fail_on_is_breaking(breaking_pair: tuple[str, str], write_catalog: Writer) -> None:
    assert oxgen(*breaking_pair).exit_code == 1
    additions = write_catalog("add.json", [base_model(), base_model("more")])
    assert oxgen(write_catalog("one.json", [base_model()]), additions).exit_code == 0


def test_text_format(breaking_pair: tuple[str, str]) -> None:
    out = oxgen(*breaking_pair).stdout
    lines = out.splitlines()
    assert lines[0].startswith("oxgen diff ")
    assert lines[1].startswith("BREAKING property-removed: acme-video at /properties/style:")
    assert lines[-1] == (
        "2 breaking, 1 warning, 2 info (0 accepted); models: 1 added, 1 removed, 1 changed; semver: major"
    )


def test_markdown_format(breaking_pair: tuple[str, str]) -> None:
    out = oxgen(*breaking_pair, "--format", "markdown").stdout
    assert out.startswith("## Schema changes")
    assert "suggested release **major**" in out
    assert "| :red_circle: Breaking | 2 |" in out and "| Models removed | 1 |" in out
    # Models with breaking changes come first; info-only models fold into <details>.
    assert out.index(f"#### `{MODEL_ID}`") < out.index("<code>alpha-model</code>")
    assert "<details><summary><code>alpha-model</code>: 1 info</summary>" in out
    section = out[out.index(f"#### `{MODEL_ID}`") :]
    assert (
        section.index("property-removed")
        < section.index("default-changed")
        < section.index("description-changed")
    )
    assert "| :red_circle: breaking | `property-removed` | `/properties/style` |" in section


def test_markdown_escapes_table_cells(write_catalog: Writer) -> None:
    new = base_model()
    new["request_schema"]["properties"]["mode"]["enum"] = ["fast", "a|b"]
    out = oxgen(
        write_catalog("a.json", [base_model()]),
        write_catalog("b.json", [new]),
        "--format",
        "markdown",
    ).stdout
    row = next(line for line in out.splitlines() if "enum-value-added" in line)
    assert "a\\|b" in row and row.count(" | ") == 3


def test_markdown_without_changes(write_catalog: Writer) -> None:
    path = write_catalog("same.json", [base_model()])
    assert "No changes." in oxgen(path, path, "--format", "markdown").stdout


def test_markdown_is_capped_for_pull_request_bodies(write_catalog: Writer) -> None:
    many = [base_model(f"model-{i:03}") for i in range(400)]
    out = oxgen(
        write_catalog("none.json", []), write_catalog("many.json", many), "--format", "markdown"
    ).stdout
    assert len(out) <= report.MARKDOWN_LIMIT + 200
    assert "more change(s)" in out


def test_github_format(breaking_pair: tuple[str, str]) -> None:
    lines = oxgen(*breaking_pair, "--format", "github").stdout.splitlines()
    assert lines[0] == (
        "::error title=oxgen diff%3A property-removed::acme-video at /properties/style: property 'style' "
        "removed: keyword argument `style` is gone; code passing it now fails"
    )
    assert [line.split(" ", 1)[0] for line in lines] == [
        "::error",
        "::warning",
        "::notice",
        "::notice",
        "::error",
        "::notice",
    ]
    assert lines[-1].startswith("::notice title=oxgen diff summary::2 breaking")


def test_github_annotations_point_at_the_new_folders_files(write_folder: Writer) -> None:
    old = write_folder("old", [base_model()])
    new_model = base_model()
    new_model["request_schema"]["properties"]["steps"]["maximum"] = 10
    new = write_folder("new", [new_model])
    (line, _) = oxgen(old, new, "--format", "github").stdout.splitlines()
    expected_file = (Path(new) / f"{MODEL_ID}.json").as_posix().replace(":", "%3A")
    assert line.startswith(
        f"::error file={expected_file},title=oxgen diff%3A upper-bound-lowered::"
    )


def test_github_escaping() -> None:
    assert report.escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert report.escape_property("a: b, c%\n") == "a%3A b%2C c%25%0A"


def test_github_escapes_model_ids_in_messages(write_catalog: Writer) -> None:
    out = oxgen(
        write_catalog("a.json", []),
        write_catalog("b.json", [base_model("odd%id")]),
        "--format",
        "github",
    ).stdout
    assert "::notice title=oxgen diff%3A model-added::odd%25id: new model" in out


# --- bad input -------------------------------------------------------------------------------


def _bad_inputs(tmp: Path, good: str) -> dict[str, tuple[list[str], str]]:
    (tmp / "invalid.json").write_text("{not json", encoding="utf-8")
    (tmp / "latin1.json").write_bytes(b'{"object": "list", "data": ["\xff"]}')
    (tmp / "string-schema.json").write_text(
        json.dumps({"data": [{"id": "m", "request_schema": "oops"}]}), encoding="utf-8"
    )
    sub = {"type": "object", "properties": {"a": 5}}
    (tmp / "bad-sub.json").write_text(
        json.dumps({"data": [{"id": "m", "request_schema": sub}]}), encoding="utf-8"
    )
    (tmp / "not-list.json").write_text(json.dumps({"object": "model"}), encoding="utf-8")
    (tmp / "empty-dir").mkdir()
    (tmp / "allow.json").write_text(
        json.dumps([{"rule": "property-removed", "model": "m"}]), encoding="utf-8"
    )
    return {
        "missing": ([str(tmp / "nope.json"), good], "no such file or folder"),
        "invalid json": ([str(tmp / "invalid.json"), good], "invalid JSON at line 1"),
        "not utf-8": ([good, str(tmp / "latin1.json")], "not UTF-8"),
        "schema not an object": (
            [good, str(tmp / "string-schema.json")],
            "request_schema must be a JSON object or null",
        ),
        "subschema not an object": ([good, str(tmp / "bad-sub.json")], "at /properties/a"),
        "not a models list": ([good, str(tmp / "not-list.json")], "not a models list"),
        "folder without manifest": ([str(tmp / "empty-dir"), good], "has no manifest.json"),
        "allow without reason": (
            [good, good, "--allow", str(tmp / "allow.json")],
            "`reason` is required",
        ),
        "allow missing": (
            [good, good, "--allow", str(tmp / "no-allow.json")],
            "cannot read allow-list",
        ),
        "git with no path on either side": (["git:HEAD", "git:HEAD"], "give a PATH"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "invalid json",
        "not utf-8",
        "schema not an object",
        "subschema not an object",
        "not a models list",
        "folder without manifest",
        "allow without reason",
        "allow missing",
        "git with no path on either side",
    ],
)
def test_bad_input_exits_2_without_traceback(
    tmp_path: Path, write_catalog: Writer, case: str
) -> None:
    good = write_catalog("good.json", [base_model()])
    args, expected = _bad_inputs(tmp_path, good)[case]
    result = CliRunner().invoke(main, ["diff", *args])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("oxgen: error: ") and expected in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""


def test_bad_input_through_a_real_process(tmp_path: Path, write_catalog: Writer) -> None:
    good = write_catalog("good.json", [base_model()])
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": ""}
    proc = subprocess.run(
        [sys.executable, "-m", "oxgen.cli", "diff", str(bad), good],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("oxgen: error: ") and "invalid JSON" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    ok = subprocess.run(
        [sys.executable, "-m", "oxgen.cli", "diff", good, good, "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert ok.returncode == 0 and json.loads(ok.stdout)["semver"] == "none"
