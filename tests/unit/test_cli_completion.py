"""Shell completion of ``oxen-inference``: the candidates for each position, and the bash script
driving the real command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from oxen_inference._cli._main import build_parser
from oxen_inference._cli.completion import candidates, command_tree

I2V = "luma-ray-v3-2-image-to-video"
PARSER = build_parser()

CASES: list[tuple[list[str], list[str]]] = [
    ([""], ["run", "chat", "models", "jobs", "batch", "completion", "--help", "--version"]),
    (["batch", ""], ["run", "report"]),
    (["batch", "re"], ["report"]),
    (["batch", "run", "in.jsonl", "--n"], ["--no-download"]),
    (["batch", "run", "in.jsonl", "--model", "flux-2-p"], ["flux-2-pro"]),
    (["batch", "run", "in.jsonl", "--model", "gpt-4o"], []),  # chat models are not queued
    (["jo"], ["jobs"]),
    (["jobs", ""], ["list", "get", "wait", "cancel", "download"]),
    (["models", "s"], ["show"]),
    (["run", "luma-ray-v3-2-i"], [I2V]),
    (["chat", "gpt-4o"], ["gpt-4o", "gpt-4o-mini"]),
    (["run", "gpt-4o"], []),  # chat models go through chat
    (["chat", "luma"], []),
    (["models", "show", "flux-2-p"], ["flux-2-pro"]),
    (["run", I2V, "re"], ["resolution=", "reference_image_urls="]),
    (["run", I2V, "prompt=x", "p"], []),  # given already
    (["run", I2V, "prompt=a"], []),  # a value: the shell completes files
    (["run", I2V, "--save", ""], []),
    (["run", I2V, "--n"], ["--no-wait"]),
    (["run", "no-such-model", ""], []),
    (["jobs", "wait", "--j"], ["--json"]),
    (["jobs", "wait", "abc", "--"], ["--help", "--json", "--save", "--timeout"]),
    (["jobs", "download", "abc", "--t"], ["--timeout"]),
    (["models", "list", "--"], ["--help", "--json"]),
    (["chat", "gpt-4o", "hi", "--s"], ["--system"]),
    (["completion", "--"], ["--help"]),
    (["no-such-command", ""], []),
    (["--version", ""], []),
]


@pytest.mark.parametrize(("words", "expected"), CASES)
def test_candidates(words: list[str], expected: list[str]) -> None:
    assert candidates(words, PARSER) == expected


def test_every_parameter_is_offered_once() -> None:
    offered = candidates(["run", I2V, ""], PARSER)
    assert offered[:2] == ["prompt=", "input_image="]
    assert len(offered) == len(set(offered)) == 7


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_bash_script_completes_through_the_command(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "oxen-inference"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m oxen_inference "$@"\n')
    shim.chmod(0o755)
    script = subprocess.run(
        [str(shim), "completion", "bash"], capture_output=True, text=True, check=True
    ).stdout
    driver = (
        script
        + 't(){ COMP_LINE="$1"; COMP_POINT=${#1}; COMPREPLY=(); _oxen_inference; '
        + 'printf "%s\\n" "${COMPREPLY[*]}"; }\n'
        + f't "oxen-inference run {I2V} prompt=\\"a tiger\\" re"\n'
        + 't "oxen-inference jobs "\n'
    )
    done = subprocess.run(
        ["bash", "-c", driver],
        capture_output=True,
        text=True,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
        check=True,
    )
    assert done.stdout.splitlines() == [
        "resolution= reference_image_urls=",
        "list get wait cancel download",
    ]
    assert done.stderr == ""


def _usage_lines(text: str, heading: str) -> list[str]:
    section = text[text.index(heading) :]
    block = section[section.index("```\n") + 4 :]
    return [line for line in block[: block.index("```")].splitlines() if line]


def test_the_docs_commands_are_the_parsers() -> None:
    """docs/cli.md's list names every command and every action the parser has, and no other."""
    from tests.conftest import REPO

    tree = command_tree(PARSER)
    parsers = {(command, action) for command, actions in tree.items() for action in actions or [""]}
    named: set[tuple[str, str]] = set()
    for line in _usage_lines((REPO / "docs/cli.md").read_text(encoding="utf-8"), "## Commands"):
        program, command, *rest = line.split()
        assert program == "oxen-inference" and command in tree, line
        actions = rest[0].split("|") if tree[command] else [""]
        named.update((command, action) for action in actions)
    assert named == parsers


def test_completion_offers_every_command_action_and_option_of_the_parser() -> None:
    """Completion reads the parser itself: a command or option added there is offered at once."""
    tree = command_tree(PARSER)
    assert candidates([""], PARSER) == [*tree, "--help", "--version"]
    assert tree["jobs"] == ["list", "get", "wait", "cancel", "download"]
    for command, actions in tree.items():
        if actions:
            assert candidates([command, ""], PARSER) == actions
        for words in [[command, action] for action in actions] or [[command]]:
            offered = candidates([*words, "--"], PARSER)
            assert offered[0] == "--help" and len(offered) == len(set(offered)), words


def test_the_readme_names_every_command() -> None:
    import re

    from oxen_inference._cli._main import COMMANDS

    from tests.conftest import REPO

    readme = (REPO / "generated/README.md").read_text(encoding="utf-8")
    [listed] = re.findall(r"--help` lists the other commands \(([^)]*)\)", readme)
    assert {"run", *re.findall(r"`([a-z]+)`", listed)} == set(COMMANDS)
