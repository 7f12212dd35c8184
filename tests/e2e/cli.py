"""Running ``oxen-inference`` as users do: a subprocess, its environment made from the mock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from oxgen.mock.testing import MockServer

SCRIPT = Path(sys.executable).with_name("oxen-inference")  # the installed console script
HOUR = 3600.0  # a job's latency: it runs until the test ends it, however slow the machine

# The child starts with SIGINT at its default whatever this process inherited (a shell's background
# job ignores it, and an ignored signal stays ignored across exec): a one-line launcher resets it,
# then becomes the command.
LAUNCHER = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.executable, [sys.executable, '-m', 'oxen_inference', *sys.argv[1:]])"
)


@dataclass
class Done:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)

    def one_error_line(self) -> str:
        """The single line on stderr (and assert there is exactly one, with no traceback)."""
        lines = self.err.splitlines()
        assert len(lines) == 1, self.err
        assert "Traceback" not in self.err
        assert lines[0].startswith("oxen-inference: error: "), lines[0]
        return lines[0].removeprefix("oxen-inference: error: ")


def environment(mock: MockServer | None, **changes: str | None) -> dict[str, str]:
    """The caller's environment without any OXEN_ variable, plus the mock's address and key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OXEN_")}
    if mock is not None:
        env["OXEN_BASE_URL"] = mock.base_url
        env["OXEN_API_KEY"] = mock.api_key
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    env["COLUMNS"] = "100"
    return env


def cli(
    *args: str,
    mock: MockServer | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 60,
) -> Done:
    """``python -m oxen_inference ARGS`` (the console script's own module) to completion."""
    proc = subprocess.run(
        [sys.executable, "-m", "oxen_inference", *args],
        cwd=cwd,
        env=env if env is not None else environment(mock),
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Done(proc.returncode, proc.stdout, proc.stderr)


def queue_row(api: httpx.Client, generation_id: str) -> dict[str, Any]:
    """The job's row as the server keeps it: every request parameter as it came over the wire."""
    row: dict[str, Any] = api.get(f"/ai/queue/{generation_id}").raise_for_status().json()
    return row


def finish_every_job(mock: MockServer) -> None:
    """Let the mock's clock run an hour ahead for its jobs: every one of them ends now."""
    mock.call(lambda: mock.state.advance(time.monotonic() + HOUR))
