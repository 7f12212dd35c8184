"""The generated distribution's metadata from `[tool.oxgen.client]`: defaults, every setting,
hostile values (they reach a TOML file and Markdown links), bad settings refused in one line, and
a change of settings regenerating the files it shapes."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from oxgen import distribution
from oxgen.cli import main
from oxgen.distribution import Settings, SettingsError, decide, toml_string
from oxgen.releases import Release

MODELS = [{"id": "m-one", "request_schema": {"type": "object"}}]


def release(version: str, date: str) -> Release:
    return Release(version, date, "initial", 1, {})


def test_defaults_without_settings() -> None:
    dist = decide(Settings(), (release("0.2.0", "2027-03-01"), release("0.1.0", "2026-05-02")))
    assert dist.license == "MIT" and dist.license_text.startswith("MIT License\n")
    assert "Copyright (c) 2026 Oxen.ai\n" in dist.license_text  # the first release's year
    assert [a.name for a in dist.authors] == ["Oxen.ai"]
    assert "Typing :: Typed" in dist.classifiers
    assert "Development Status :: 4 - Beta" in dist.classifiers
    assert dist.reference_url == "" and dist.readme_url == "" and dist.urls == ()
    assert (
        "Development Status :: 5 - Production/Stable"
        in decide(Settings(), (release("1.0.0", "2027-01-01"),)).classifiers
    )


def test_every_setting() -> None:
    table: dict[str, Any] = {
        "description": "Our client",
        "license": "Apache-2.0",
        "copyright": "Team",
        "authors": [{"name": "A", "email": "a@example.com"}, {"name": "B"}],
        "keywords": ["k1", "k2"],
        "classifiers": ["Framework :: Pydantic :: 2", "Typing :: Typed"],
        "urls": {"Repository": "https://git.example.com/team/sdk/"},
    }
    dist = decide(Settings(table, "Apache text", "t", "generated"))
    assert (dist.description, dist.license, dist.license_text) == (
        "Our client",
        "Apache-2.0",
        "Apache text\n",
    )
    assert [(a.name, a.email) for a in dist.authors] == [("A", "a@example.com"), ("B", "")]
    assert dist.keywords == ("k1", "k2")
    assert dist.classifiers.count("Typing :: Typed") == 1
    assert "Framework :: Pydantic :: 2" in dist.classifiers
    # the reference pages default to the repository's copy of the output folder
    assert dist.reference_url == "https://git.example.com/team/sdk/blob/HEAD/generated/"
    assert dist.readme_url == dist.reference_url + "README.md"
    explicit = decide(Settings({"reference-url": "https://docs.example.com/ref"}, None, "t", "g"))
    assert explicit.reference_url == "https://docs.example.com/ref/"


# (settings, phrase of the one-line refusal)
BAD: list[tuple[dict[str, Any], str]] = [
    ({"licence": "MIT"}, "unknown setting(s) licence"),
    ({"license": "Apache-2.0"}, "license 'Apache-2.0' needs license-file"),
    ({"description": "two\nlines"}, "description must be a non-empty string on one line"),
    ({"description": ""}, "description must be a non-empty string"),
    ({"authors": "me"}, "authors must be a list"),
    ({"authors": [{"email": "x@y"}]}, "authors[0] must be a table with name"),
    ({"authors": [{"name": "a", "url": "u"}]}, "authors[0] must be a table with name"),
    ({"keywords": "a, b"}, "keywords must be a list of strings"),
    ({"classifiers": [3]}, "classifiers[0] must be a non-empty string"),
    ({"urls": ["https://x"]}, "urls must be a table"),
    ({"urls": {"Home": "javascript:alert(1)"}}, "urls.Home must be an http(s) URL"),
    ({"urls": {"Home": "https://x.org/a b"}}, "urls.Home must be an http(s) URL"),
    ({"reference-url": "https://x.org/a)b"}, "reference-url must be an http(s) URL"),
    ({"reference-url": "ftp://x.org/"}, "reference-url must be an http(s) URL"),
]


@pytest.mark.parametrize(("table", "phrase"), BAD, ids=[p for _, p in BAD])
def test_bad_settings_are_refused(table: dict[str, Any], phrase: str) -> None:
    with pytest.raises(SettingsError, match="^where: .*" + re.escape(phrase)):
        decide(Settings(table, None, "where", "generated"))


@pytest.mark.parametrize(
    "text", ['a "quoted" \\ path', "tab\there", "bell\x07 del\x7f", "ünïcode ✓ 😀", "[x] = 1"]
)
def test_toml_strings_round_trip(text: str) -> None:
    assert tomllib.loads(f"v = {toml_string(text)}")["v"] == text


def _project(tmp: Path, client: str) -> Path:
    (tmp / "c.json").write_text(json.dumps({"data": MODELS}), encoding="utf-8")
    (tmp / "pyproject.toml").write_text(f"[tool.oxgen.client]\n{client}", encoding="utf-8")
    return tmp


def _generate(tmp: Path) -> Any:
    return CliRunner().invoke(
        main, ["generate", "--schemas", str(tmp / "c.json"), "--out", str(tmp / "out")]
    )


def test_settings_reach_the_generated_files_and_a_change_regenerates(tmp_path: Path) -> None:
    hostile = 'Team "Q" \\ \x7f'
    _project(
        tmp_path,
        f"copyright = {toml_string(hostile)}\ndescription = {toml_string(hostile)}\n"
        'urls = { Repository = "https://example.com/team/sdk" }\n',
    )
    first = _generate(tmp_path)
    assert first.exit_code == 0, first.output
    meta = tomllib.loads((tmp_path / "out/pyproject.toml").read_text(encoding="utf-8"))
    project = meta["project"]
    assert project["description"] == hostile and project["authors"] == [{"name": hostile}]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert project["urls"] == {"Repository": "https://example.com/team/sdk"}
    assert f"Copyright (c) {hostile}" in (tmp_path / "out/LICENSE").read_text(encoding="utf-8")
    readme = (tmp_path / "out/README.md").read_text(encoding="utf-8")
    assert "(https://example.com/team/sdk/blob/HEAD/out/api/m_one.md)" in readme
    assert "](api/" not in readme and "](#" not in readme

    # A change of settings alone is seen by the cache: the files it shapes are written again.
    (tmp_path / "pyproject.toml").write_text(
        '[tool.oxgen.client]\nreference-url = "https://docs.example.com/"\n', encoding="utf-8"
    )
    second = _generate(tmp_path)
    assert second.exit_code == 0 and "0 written" not in second.output, second.output
    readme = (tmp_path / "out/README.md").read_text(encoding="utf-8")
    assert "(https://docs.example.com/api/m_one.md)" in readme
    assert "Copyright (c) Oxen.ai" in (tmp_path / "out/LICENSE").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("client", "phrase"),
    [
        ('license = "GPL-3.0-only"\n', "needs license-file"),
        ('license-file = "missing.txt"\n', "license-file: "),
        ('license-file = "../outside.txt"\n', "outside the folder"),
        ("colour = 1\n", "unknown setting(s) colour"),
        ("urls = 3\n", "urls must be a table"),
    ],
)
def test_bad_settings_end_generate_in_one_line(tmp_path: Path, client: str, phrase: str) -> None:
    (tmp_path / "outside.txt").write_text("x", encoding="utf-8")
    project = tmp_path / "p"
    project.mkdir()
    _project(project, client)
    result = _generate(project)
    assert result.exit_code == 2 and phrase in result.output, result.output
    assert result.output.startswith("oxgen: error: ") and result.output.count("\n") == 1
    assert not (project / "out").exists()


def test_a_pyproject_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.oxgen.client\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="not valid TOML"):
        distribution.load(tmp_path / "out")
    (tmp_path / "pyproject.toml").write_text("[tool]\noxgen = 3\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"\[tool.oxgen.client\] must be a table"):
        distribution.load(tmp_path / "out")
