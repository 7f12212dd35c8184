"""`git:REV[:PATH]` arguments, against a throwaway repository made in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from oxgen.cli import main

from .conftest import MODEL_ID, base_model, catalog, git, write_snapshot


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose first commit has the base model and whose working copy lost `style`.

    `catalog.json` holds the same models as `schemas/`, to read a catalog file at a revision.
    """
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "test@example.com")
    git(root, "config", "user.name", "Test")
    git(root, "config", "commit.gpgsign", "false")
    write_snapshot(root / "schemas", [base_model()])
    (root / "catalog.json").write_text(json.dumps(catalog([base_model()])), encoding="utf-8")
    (root / "sub").mkdir()
    (root / "sub" / "keep").write_text("", encoding="utf-8")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    changed = base_model()
    del changed["request_schema"]["properties"]["style"]
    write_snapshot(root / "schemas", [changed])
    (root / "catalog.json").write_text(json.dumps(catalog([changed])), encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def diff(*args: str) -> Result:
    return CliRunner().invoke(main, ["diff", *args, "--format", "json"])


def rules(result: Result) -> list[tuple[str, str, str]]:
    assert result.exit_code in (0, 1), result.output
    return [(c["model"], c["rule"], c["pointer"]) for c in json.loads(result.stdout)["changes"]]


REMOVED = [(MODEL_ID, "property-removed", "/properties/style")]


@pytest.mark.parametrize(
    "args",
    [
        ["git:HEAD", "schemas"],
        ["git:HEAD", "schemas/"],
        ["git:main:schemas", "schemas/"],
        ["git:HEAD:schemas", "./schemas"],
        ["git:HEAD", "catalog.json"],
    ],
)
def test_working_copy_against_a_revision(repo: Path, args: list[str]) -> None:
    result = diff(*args)
    assert rules(result) == REMOVED
    assert result.exit_code == 1


def test_path_defaults_from_the_other_side_either_way(repo: Path) -> None:
    assert rules(diff("schemas", "git:HEAD")) == [
        (MODEL_ID, "property-added-optional", "/properties/style")
    ]


def test_two_revisions(repo: Path) -> None:
    git(repo, "commit", "-qam", "second")
    assert rules(diff("git:HEAD~1:schemas", "git:HEAD")) == REMOVED
    assert rules(diff("git:HEAD:schemas", "git:HEAD")) == []


def test_paths_are_relative_to_the_current_directory(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo / "sub")
    assert rules(diff("git:HEAD", "../schemas")) == REMOVED
    assert rules(diff("git:HEAD", str(repo / "schemas"))) == REMOVED


def _error(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return result.stderr


def test_unknown_revision(repo: Path) -> None:
    assert "unknown git revision 'no-such-branch'" in _error(diff("git:no-such-branch", "schemas"))


def test_path_missing_at_revision(repo: Path) -> None:
    (repo / "later").mkdir()
    assert "'later' does not exist at revision 'HEAD'" in _error(diff("git:HEAD", "later"))


def test_not_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    monkeypatch.chdir(outside)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    write_snapshot(outside / "schemas", [base_model()])
    assert "not in a git repository" in _error(diff("git:HEAD", "schemas"))


def test_folder_without_manifest_at_revision(repo: Path) -> None:
    assert "has no manifest.json" in _error(diff("git:HEAD:sub", "schemas"))


def test_hand_edited_file_at_revision_is_a_warning_naming_the_revision(repo: Path) -> None:
    path = repo / "schemas" / f"{MODEL_ID}.json"
    path.write_text(
        path.read_text(encoding="utf-8").replace("Makes videos.", "Edited."), encoding="utf-8"
    )
    git(repo, "commit", "-qam", "hand edit")
    result = diff("git:HEAD", "schemas")
    assert result.exit_code == 0, result.output
    assert "git:HEAD:schemas" in result.stderr and "edited by hand" in result.stderr
    assert "oxgen-diff-" not in result.stderr


def test_tampered_file_at_revision_names_the_revision(repo: Path) -> None:
    path = repo / "schemas" / f"{MODEL_ID}.json"
    path.write_text(
        path.read_text(encoding="utf-8").replace(f'"{MODEL_ID}"', '"another-model"'),
        encoding="utf-8",
    )
    git(repo, "commit", "-qam", "swap a model")
    message = _error(diff("git:HEAD", "schemas"))
    assert "git:HEAD:schemas" in message and "sha256" in message and "oxgen-diff-" not in message


def test_revision_cannot_be_an_option(repo: Path) -> None:
    assert "cannot start with '-'" in _error(diff("git:--output=x", "schemas"))
