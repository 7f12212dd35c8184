"""The generated README's examples run as written: the quickstart's shell block (starting
`oxgen mock-server` and exporting the client's environment) is run on a free port, then every
Python block of the README runs, unchanged, in a fresh interpreter against that server (the
"Testing your code" block, a test module, runs under pytest against the package's own fake)."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from oxgen.mock.media import png
from tests.conftest import REPO

README = REPO / "generated" / "README.md"
DOC_PORT = "8765"


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def section(text: str, title: str) -> str:
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def free_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


def shell_steps(readme: str) -> tuple[list[str], dict[str, str]]:
    """The quickstart's shell block: (mock-server argv, exported environment)."""
    [shell] = blocks(section(readme, "Quickstart"), "bash")
    start, export = [line for line in shell.splitlines() if line.strip()]
    assert start.endswith(" &"), start  # started in the background, as documented
    argv = shlex.split(start.removesuffix("&"))
    assert argv[:2] == ["oxgen", "mock-server"] and f"--port={DOC_PORT}" in "=".join(argv)
    assert export.startswith("export ")
    env = dict(item.split("=", 1) for item in shlex.split(export.removeprefix("export ")))
    assert set(env) == {"OXEN_BASE_URL", "OXEN_API_KEY"}
    assert env["OXEN_BASE_URL"] == f"http://127.0.0.1:{DOC_PORT}/api"
    return argv, env


@pytest.fixture(scope="module")
def documented_server() -> Iterator[dict[str, str]]:
    """The documented `oxgen mock-server` command (on a free port instead of 8765), with its env."""
    argv, env = shell_steps(README.read_text(encoding="utf-8"))
    port = free_port()
    argv = [str(Path(sys.executable).with_name("oxgen")), *argv[1:]]
    argv[argv.index("--port") + 1] = port
    proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    env = {k: v.replace(DOC_PORT, port) for k, v in env.items()}
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/_mock/stats", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"mock server did not start: {proc.stderr.read() if proc.stderr else ''!r}"
                    ) from None
                time.sleep(0.05)
        yield env
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


def run_block(code: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("OXEN_")} | env
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


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


def test_testing_example_runs_with_pytest(tmp_path: Path) -> None:
    """The "Testing your code" block is a test module: pytest runs it as written, with the
    fixture of the installed package's plugin and no server at all."""
    readme = README.read_text(encoding="utf-8")
    [code] = blocks(section(readme, "Testing your code"), "python")
    (tmp_path / "test_app.py").write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OXEN_", "PYTEST_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
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
        + blocks(section(readme, "Testing your code"), "python")
    )
    assert blocks(readme, "python") == tested
    assert blocks(readme, "bash") == blocks(section(readme, "Quickstart"), "bash")
