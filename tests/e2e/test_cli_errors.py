"""``oxen-inference`` given bad invocations: each ends with its exit code (2 before anything is
sent, 1 for what the API or a job answered) and exactly one line on stderr, never a traceback;
Ctrl-C while waiting leaves the job running and prints the command that picks it up (exit 130)."""

from __future__ import annotations

import os
import pty
import re
import select
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from oxgen.mock.media import png
from oxgen.mock.testing import MockServer
from tests.e2e.cli import HOUR, LAUNCHER, cli, environment, finish_every_job, queue_row
from tests.e2e.holdproxy import running_hold_proxy

I2V = "luma-ray-v3-2-image-to-video"
URL = "input_image=https://example.com/t.png"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "tiger.png").write_bytes(png(4, 4))
    (tmp_path / "notes.txt").write_text("not an image\n")
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "folder").mkdir()
    return tmp_path


@pytest.fixture(scope="module")
def dead_url() -> Iterator[str]:
    """An address where nothing answers: a port bound (so no one else takes it) but not listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/api"


# (id, argv, environment changes, exit code, fragments of the one-line message)
USAGE: list[tuple[str, list[str], dict[str, str | None], list[str]]] = [
    ("no command", [], {}, ["needs a command (run, chat, models, jobs, batch, completion)"]),
    ("no action", ["jobs"], {}, ["oxen-inference jobs needs an action"]),
    ("no model", ["run"], {}, ["run needs a MODEL"]),
    (
        "unknown option",
        ["run", I2V, "prompt=x", "--bogus"],
        {},
        ["unrecognized arguments: --bogus"],
    ),
    (
        "unknown model",
        ["run", "luma-ray-v3-2-image-to-vide", "prompt=x"],
        {},
        ["unknown model 'luma-ray-v3-2-image-to-vide'; did you mean luma-ray-v3-2-image-to-video"],
    ),
    (
        "unknown model shown",
        ["models", "show", "gpt-4"],
        {},
        ["unknown model 'gpt-4'; did you mean"],
    ),
    (
        "bad value",
        ["run", I2V, "prompt=x", URL, "resolution=4k"],
        {},
        ["resolution:", "(got '4k'); allowed: '540p', '720p', '1080p'"],
    ),
    (
        "bad type",
        ["run", I2V, "prompt=x", URL, "loop=yes"],
        {},
        ["loop: Input should be a valid boolean"],
    ),
    (
        "misspelt key",
        ["run", I2V, "promt=x", URL],
        {},
        ["unknown parameter 'promt'", "did you mean 'prompt'?", "parameters: prompt, input_image"],
    ),
    ("missing required", ["run", I2V, URL], {}, ["prompt: required, not given"]),
    ("given twice", ["run", I2V, "prompt=a", "prompt=b", URL], {}, ["prompt is given twice"]),
    ("not key=value", ["run", I2V, "prompt"], {}, ["expected key=value, got 'prompt'"]),
    (
        "reserved key",
        ["run", I2V, "prompt=x", URL, "timeout=5"],
        {},
        ["timeout is set by oxen-inference"],
    ),
    (
        "no such file",
        ["run", I2V, "prompt=x", "input_image=@nope.png"],
        {},
        ["input_image: no such file: 'nope.png'"],
    ),
    (
        "a directory",
        ["run", I2V, "prompt=x", "input_image=@folder"],
        {},
        ["input_image:", "is a directory"],
    ),
    (
        "not an image",
        ["run", I2V, "prompt=x", "input_image=@notes.txt"],
        {},
        ["input_image:", "notes.txt"],
    ),
    ("empty @", ["run", I2V, "prompt=x", "input_image=@"], {}, ["input_image=@ needs a file path"]),
    (
        "path without @",
        ["run", I2V, "prompt=x", "input_image=tiger.png"],
        {},
        ["a local file is given as input_image=@tiger.png"],
    ),
    (
        "file for text",
        ["run", I2V, "prompt=@notes.txt", URL],
        {},
        ["prompt takes string, not a file"],
    ),
    (
        "chat model run",
        ["run", "gpt-4o", "prompt=x"],
        {},
        ["gpt-4o is a chat model: oxen-inference chat gpt-4o"],
    ),
    ("chat a video model", ["chat", I2V, "hello"], {}, ["is not a chat model"]),
    ("empty message", ["chat", "gpt-4o", " "], {}, ["the message is empty"]),
    (
        "bad timeout",
        ["run", I2V, "prompt=x", URL, "--timeout", "-1"],
        {},
        ["expected a number of seconds > 0"],
    ),
    ("bad status", ["jobs", "list", "--status", "done"], {}, ["--status done: expected queued"]),
    ("bad job id", ["jobs", "get", ".."], {}, ["generation_id"]),
    (
        "save into a file",
        ["run", I2V, "prompt=x", URL, "--save", "a-file"],
        {},
        ["--save a-file: not a directory"],
    ),
    (
        "no key",
        ["run", I2V, "prompt=x", URL],
        {"OXEN_API_KEY": None},
        ["no API key", "OXEN_API_KEY"],
    ),
    ("empty key", ["jobs", "list"], {"OXEN_API_KEY": ""}, ["no API key", "OXEN_API_KEY"]),
    ("blank key", ["models", "list"], {"OXEN_API_KEY": "   "}, ["OXEN_API_KEY"]),
    (
        "bad base URL",
        ["jobs", "list"],
        {"OXEN_BASE_URL": "ftp://example.com/api"},
        ["OXEN_BASE_URL", "http"],
    ),
]


@pytest.mark.parametrize(
    ("argv", "env", "fragments"), [c[1:] for c in USAGE], ids=[c[0] for c in USAGE]
)
def test_usage_errors_exit_2_and_send_nothing(
    mock: MockServer, files: Path, argv: list[str], env: dict[str, str | None], fragments: list[str]
) -> None:
    done = cli(*argv, cwd=files, env=environment(mock, **env))
    assert done.code == 2, (done.out, done.err)
    line = done.one_error_line()
    for fragment in fragments:
        assert fragment in line, line
    assert done.out == ""
    assert mock.stats()["requests_total"] == 0  # nothing reached the server


def test_misspelt_key_and_missing_required_before_the_key_check(mock: MockServer) -> None:
    """Parameters are checked before anything else, so a bad call says what is wrong with it even
    without a key."""
    done = cli("run", I2V, "promt=x", URL, env=environment(None))
    assert done.code == 2 and "did you mean 'prompt'" in done.one_error_line()


def test_server_down_exits_1(dead_url: str) -> None:
    done = cli("jobs", "list", env=environment(None, OXEN_BASE_URL=dead_url, OXEN_API_KEY="k"))
    assert done.code == 1
    assert "connect" in done.one_error_line().lower()


def test_api_errors_exit_1_with_the_servers_message(mock: MockServer) -> None:
    for action in ("get", "wait", "download", "cancel"):
        missing = cli("jobs", action, "0123456789abcdef", mock=mock)
        assert missing.code == 1, action
        assert missing.one_error_line().startswith("404: "), action
    mock.configure(fault_rate=1.0)
    refused = cli("models", "list", mock=mock)
    assert refused.code == 1
    assert "mock fault injection" in refused.one_error_line()


def test_a_failed_job_exits_1_with_the_servers_message(mock: MockServer) -> None:
    gone = f"{mock.root_url}/files/nothing-here.png"
    done = cli("run", I2V, "prompt=x", f"input_image={gone}", "--json", mock=mock)
    assert done.code == 1
    line = done.one_error_line()
    assert "failed: Failed to download input_image" in line and gone in line
    result = done.json
    assert result["status"] == "failed" and result["result_url"] is None and result["files"] == []
    assert result["error_message"] in line


def test_wait_timeout_leaves_the_job_and_names_the_resume_command(
    mock: MockServer, api: httpx.Client
) -> None:
    mock.configure(latency=HOUR)
    done = cli("run", I2V, "prompt=x", URL, "--timeout", "0.2", mock=mock)
    assert done.code == 1
    line = done.one_error_line()
    gid = line.rsplit(" ", 1)[1]
    assert line.endswith(f"it keeps running: oxen-inference jobs wait {gid}")
    assert queue_row(api, gid)["status"] in ("queued", "processing")


# The status line a waiting command draws on a terminal: [model ]id status seconds
STATUS_LINE = re.compile(r"\r\x1b\[K(?:\S+ )?(\S+) (?:waiting|queued|processing) \d+\.\ds")


@dataclass
class Interrupted:
    code: int
    out: str
    terminal: str  # everything written to the terminal (stderr)
    generation_id: str  # the job of the status line

    def last_line(self) -> str:
        """The one line left on the terminal once the status line was cleared."""
        assert "Traceback" not in self.terminal, self.terminal
        rest = self.terminal.rsplit("\r\x1b[K", 1)[1]
        assert rest.endswith("\r\n") and rest.count("\n") == 1, self.terminal  # one line
        return rest.removesuffix("\r\n")


def interrupt_while_waiting(mock: MockServer, *argv: str) -> Interrupted:
    """Run the command with stderr on a terminal (where Ctrl-C is typed) and send SIGINT once it
    has drawn its status line: it has the job's id then, and waits for it. A condition, not a
    delay, so the signal lands in the wait however loaded the machine is."""
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, *argv],
        env=environment(mock),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=terminal,
    )
    os.close(terminal)
    seen, gid = b"", None
    try:
        while True:
            ready, _, _ = select.select([controller], [], [], 60)
            assert ready, f"the command wrote nothing for 60 s: {seen!r}"
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            seen += chunk
            drawn = STATUS_LINE.search(seen.decode(errors="replace"))
            if gid is None and drawn is not None:
                gid = drawn.group(1)
                proc.send_signal(signal.SIGINT)
    finally:
        os.close(controller)
    out, _ = proc.communicate(timeout=60)
    assert gid is not None, f"no status line: {seen!r}"
    return Interrupted(proc.returncode, out.decode(), seen.decode(), gid)


def test_ctrl_c_leaves_the_job_running_and_prints_the_resume_command(
    mock: MockServer, api: httpx.Client, tmp_path: Path
) -> None:
    mock.configure(latency=HOUR)
    save = tmp_path / "out dir"
    stopped = interrupt_while_waiting(mock, "run", I2V, "prompt=x", URL, "--save", str(save))
    gid = stopped.generation_id
    assert stopped.code == 130 and stopped.out == ""
    resume = f"oxen-inference jobs wait {gid} --save {shlex.quote(str(save))}"
    assert stopped.last_line() == (
        f"oxen-inference: error: interrupted; generation {gid} keeps running: {resume}"
    )
    assert queue_row(api, gid)["status"] == "queued"  # not cancelled
    assert mock.stats()["jobs_created"] == 1

    finish_every_job(mock)
    argv = shlex.split(resume)
    assert argv[0] == "oxen-inference"
    picked = cli(*argv[1:], mock=mock)
    assert picked.code == 0, picked.err
    url, path = picked.out.splitlines()
    assert url == queue_row(api, gid)["result_url"]
    assert Path(path) == save / f"{gid}.mp4" and Path(path).read_bytes() == httpx.get(url).content
    assert mock.stats()["jobs_created"] == 1  # picked up, not submitted again


def test_ctrl_c_in_jobs_wait_prints_the_same_command(mock: MockServer, api: httpx.Client) -> None:
    mock.configure(latency=HOUR)
    submitted = cli("run", I2V, "prompt=x", URL, "--no-wait", mock=mock)
    assert submitted.code == 0, submitted.err
    gid = submitted.out.strip()
    stopped = interrupt_while_waiting(mock, "jobs", "wait", gid)
    assert stopped.code == 130 and stopped.out == "" and stopped.generation_id == gid
    assert stopped.last_line() == (
        f"oxen-inference: error: interrupted; generation {gid} keeps running: "
        f"oxen-inference jobs wait {gid}"
    )
    assert queue_row(api, gid)["status"] == "queued"


def test_ctrl_c_while_the_enqueue_answer_is_on_its_way(mock: MockServer, api: httpx.Client) -> None:
    """Interrupted after the job was created but before its id came back: the command cannot name
    the job, so it says where to find it."""
    mock.configure(latency=HOUR)
    with running_hold_proxy(mock.root_url, hold=HOUR) as proxy:
        proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, "run", I2V, "prompt=x", URL],
            env=environment(mock, OXEN_BASE_URL=proxy.base_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while proxy.held == 0:  # the job exists; its id is held back
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and out == ""
    assert err == (
        "oxen-inference: error: interrupted while submitting: the job may exist "
        "('oxen-inference jobs list' shows it)\n"
    )
    [row] = api.get("/ai/queue").json()["generations"]  # the job exists, and the command says how
    listed = cli("jobs", "list", mock=mock)  # to find it: its line in `jobs list`
    assert listed.code == 0, listed.err
    [line] = listed.out.splitlines()
    assert line.split()[:3] == [row["generation_id"], "queued", I2V]
