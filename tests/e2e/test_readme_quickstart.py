"""The generated README's examples run as written: the quickstart's shell block (starting
`oxgen mock-server --port 0` and exporting the URL it prints) runs in bash, then every Python block
of the README runs, unchanged, in a fresh interpreter with `-W error` against that server (the
"Testing your code" block, a test module, runs under pytest against the package's own fake)."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from oxgen.mock.media import png
from tests.conftest import REPO, process_gone

README = REPO / "generated" / "README.md"
SETUP = "python3 -m venv .venv && .venv/bin/pip install -q -e . -e ./generated"
VENV_BIN = ".venv/bin/"


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def section(text: str, title: str) -> str:
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def shell_steps(readme: str) -> list[str]:
    """The quickstart's shell block, after its set-up line (installing into .venv), which must
    be the set-up a fresh clone needs."""
    [shell] = blocks(section(readme, "Quickstart"), "bash")
    setup, *steps = [line for line in shell.splitlines() if line.strip()]
    assert setup == SETUP
    assert any("mock-server" in step and "--port 0" in step for step in steps), steps
    return steps


@pytest.fixture(scope="module")
def documented_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The quickstart's shell steps run by bash as written (``.venv/bin/`` is this interpreter's
    folder); yields the environment they export. The server they start is stopped after."""
    steps = shell_steps(README.read_text(encoding="utf-8"))
    here = str(Path(sys.executable).parent) + "/"
    script = "\n".join(step.replace(VENV_BIN, here) for step in steps)
    script += '\nprintf "%s\\n" "$!" "$OXEN_BASE_URL" "$OXEN_API_KEY"\n'
    log = tmp_path_factory.mktemp("quickstart") / "stderr.txt"
    with log.open("w") as err:
        # stderr to a file: the server started in the background keeps it open
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            timeout=60,
            start_new_session=True,  # the server stays in this process group: stopped with it
            env={k: v for k, v in os.environ.items() if not k.startswith("OXEN_")},
        )
    pid, url, key = done.stdout.splitlines()
    try:
        assert done.returncode == 0, log.read_text()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api", url), (url, log.read_text())
        assert httpx.get(url.removesuffix("/api") + "/_mock/stats", timeout=10).status_code == 200
        yield {"OXEN_BASE_URL": url, "OXEN_API_KEY": key}
    finally:
        os.kill(int(pid), signal.SIGTERM)  # `kill $!`, as the README says
        assert process_gone(int(pid))


def run_block(code: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`code` run by ``python -W error``; nothing may reach stderr: a warning raised where
    Python can only print it (a file left open, found by the garbage collector or at exit, is
    "Exception ignored in: ... ResourceWarning") does not change the exit status."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("OXEN_")} | env
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stderr == "", done.stderr
    return done


def test_a_block_that_leaves_a_file_open_fails(tmp_path: Path) -> None:
    """What run_block catches: the warning of a file nobody closed, though the exit status is 0."""
    (tmp_path / "tiger.png").write_bytes(png())
    with pytest.raises(AssertionError, match="ResourceWarning: unclosed file"):
        run_block('open("tiger.png", "rb").read()', {}, tmp_path)
    assert run_block('with open("tiger.png", "rb") as f:\n    f.read()', {}, tmp_path).stdout == ""


# Shell builtins the blocks may use; every other program comes from the venv the set-up made.
BUILTINS = {"read", "export", "kill", "cd", "printf"}
SETUP_VENV = ["python3", "-m", "venv", ".venv"]


def commands(block: str) -> list[list[str]]:
    """The simple commands of a shell block, as word lists, without their variable assignments
    and redirections (`read -r X < <(cmd)` is `read -r X` and `cmd`)."""
    text = block.replace("\\\n", " ")
    found = []
    for part in re.split(r"&&|\|\||[;|\n]|<\(|\$\(|\)", text):
        words = shlex.split(part.replace("<", " "), comments=True)
        while words and re.fullmatch(r"[A-Za-z_]\w*=.*", words[0]):
            words.pop(0)
        if words:
            found.append(words)
    return found


def bare_programs(block: str) -> list[str]:
    return [
        words[0]
        for words in commands(block)
        if words[0] not in BUILTINS
        and words[: len(SETUP_VENV)] != SETUP_VENV
        and not words[0].startswith(VENV_BIN)
    ]


@pytest.mark.parametrize(
    ("block", "bare"),
    [
        ("oxgen mock-server --port 0", ["oxgen"]),
        ("read -r U < <(oxgen mock-server --port 0)\nexport U", ["oxgen"]),
        ("export A=1 && pytest -q", ["pytest"]),
        ("OXEN_API_KEY=k oxen-inference run m", ["oxen-inference"]),
        ("python3 -m venv .venv && pip install -e .", ["pip"]),
        ("python3 example.py", ["python3"]),
        ("x=$(python -c 1); kill $!", ["python"]),
        ("a \\\n  | oxgen diff", ["a", "oxgen"]),
        ("python3 -m venv .venv && .venv/bin/pip install -e .", []),
        ("read -r U < <(.venv/bin/oxgen mock-server --port 0)\nexport U K=v\nkill $!", []),
        ("OXEN_API_KEY=k .venv/bin/oxen-inference run m  # a comment: oxgen", []),
    ],
)
def test_bare_programs_are_found(block: str, bare: list[str]) -> None:
    assert bare_programs(block) == bare


def test_the_shell_blocks_run_programs_from_the_venv_they_set_up() -> None:
    """A fresh clone has no activated venv: each program the README's shell blocks run is
    `.venv/bin/...` or a shell builtin, never a bare `oxgen` or `oxen-inference` that only a
    shell with the venv activated finds."""
    readme = README.read_text(encoding="utf-8")
    shell = blocks(readme, "bash") + blocks(readme, "sh")
    assert len(shell) == 3
    for block in shell:
        assert not bare_programs(block), block


def test_the_repository_docs_run_oxgen_from_the_venv_they_set_up() -> None:
    """The repository's README sets up `.venv` without activating it: its shell blocks, and
    those of docs/, run `.venv/bin/oxgen`, never a bare `oxgen`. (The client's own commands,
    `oxen-inference`, are shown as its users run them once it is installed.)"""
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    found = 0
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for block in blocks(text, "bash") + blocks(text, "sh"):
            found += "oxgen" in block
            assert not BARE_OXGEN.search(block), (page.name, block)
    assert found >= 4


# `oxgen` where a command starts: a line, after `&&`, `|`, `;`, `$(`, `<(`, or variables.
BARE_OXGEN = re.compile(r"(?:^|[;&|(]|\$\(|<\()\s*(?:[A-Za-z_]\w*=\S*\s+)*oxgen\b", re.MULTILINE)


@pytest.mark.parametrize(
    ("line", "bare"),
    [
        ("oxgen generate", True),
        ("X=1 oxgen fetch", True),
        ("read -r U < <(oxgen mock-server --port 0)", True),
        ("a && oxgen diff", True),
        (".venv/bin/oxgen generate", False),
        ("read -r U < <(.venv/bin/oxgen mock-server --port 0)", False),
        ("curl -s x  # oxgen serves it", False),
    ],
)
def test_bare_oxgen_is_found(line: str, bare: bool) -> None:
    assert bool(BARE_OXGEN.search(line)) == bare


def test_quickstart_runs_as_written(documented_server: dict[str, str], tmp_path: Path) -> None:
    readme = README.read_text(encoding="utf-8")
    [code] = blocks(section(readme, "Quickstart"), "python")
    assert 'input_image=Path("tiger.png")' in code and 'input_image="https://' in code
    (tmp_path / "tiger.png").write_bytes(png())  # the local file the example sends
    proc = run_block(code, documented_server, tmp_path)
    assert proc.returncode == 0, proc.stderr
    urls, status, path = proc.stdout.splitlines()
    assert urls.startswith("['http://127.0.0.1:") and urls.endswith(".mp4']")
    assert status.startswith("succeeded http://127.0.0.1:")
    saved = Path(path)
    assert saved.parent == Path("out") and saved.suffix == ".mp4"
    assert (tmp_path / saved).read_bytes()[4:8] == b"ftyp"  # a real (tiny) MP4 from the mock


def test_chat_example_runs_as_written(documented_server: dict[str, str], tmp_path: Path) -> None:
    readme = README.read_text(encoding="utf-8")
    [code] = blocks(section(readme, "Chat, whole or streamed"), "python")
    proc = run_block(code, documented_server, tmp_path)
    assert proc.returncode == 0, proc.stderr
    said = "Mock reply from gpt-4o: you said 'Describe a tiger in the snow.'."
    assert proc.stdout.splitlines() == [said] * 3  # whole, streamed, streamed async


def test_many_jobs_example_runs_as_written(
    documented_server: dict[str, str], tmp_path: Path
) -> None:
    readme = README.read_text(encoding="utf-8")
    [code] = blocks(section(readme, "Many jobs at once"), "python")
    proc = run_block(code, documented_server, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["200 videos"]


def test_configured_copies_example_runs_as_written(
    documented_server: dict[str, str], tmp_path: Path
) -> None:
    readme = README.read_text(encoding="utf-8")
    [code] = blocks(section(readme, "Configured copies and raw responses"), "python")
    proc = run_block(code, documented_server, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["200 application/json", "succeeded"]


def test_testing_example_runs_with_pytest(tmp_path: Path) -> None:
    """The "Testing your code" block is a test module: pytest runs it as written, with the
    fixture of the installed package's plugin and no server at all."""
    readme = README.read_text(encoding="utf-8")
    [code] = blocks(section(readme, "Testing your code"), "python")
    (tmp_path / "test_app.py").write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OXEN_", "PYTEST_"))}
    # warnings are errors in the test; pytest-asyncio, a plugin of this repository's own
    # tests, warns about its configuration when it loads, so it stays out
    options = ["-W", "error", "-p", "no:asyncio", "-p", "no:cacheprovider"]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *options, str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 passed" in proc.stdout


def test_every_python_block_of_the_readme_is_run_here() -> None:
    readme = README.read_text(encoding="utf-8")
    tested = (
        blocks(section(readme, "Quickstart"), "python")
        + blocks(section(readme, "Chat, whole or streamed"), "python")
        + blocks(section(readme, "Many jobs at once"), "python")
        + blocks(section(readme, "Batch runs"), "python")  # run in tests/e2e/test_readme_cli.py
        + blocks(section(readme, "Configured copies and raw responses"), "python")
        + blocks(section(readme, "Testing your code"), "python")
    )
    assert blocks(readme, "python") == tested
    assert blocks(readme, "bash") == blocks(section(readme, "Quickstart"), "bash")
    # the command lines (tests/e2e/test_readme_cli.py) and the batch inputs they read
    shell = blocks(section(readme, "Quickstart"), "sh") + blocks(
        section(readme, "Batch runs"), "sh"
    )
    assert blocks(readme, "sh") == shell
    assert blocks(readme, "jsonl") == blocks(section(readme, "Batch runs"), "jsonl")
    # and nothing else runnable: the other fenced blocks have no language (the error tree)
    assert set(re.findall(r"^```(\w*)$", readme, flags=re.MULTILINE)) == {
        "python",
        "bash",
        "sh",
        "jsonl",
        "",
    }
