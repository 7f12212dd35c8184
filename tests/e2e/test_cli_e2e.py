"""``oxen-inference`` against `oxgen mock-server`: every command's ``--json`` output field by field,
the typed values it puts on the wire, and the files it saves byte for byte."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from oxgen.mock.media import png
from oxgen.mock.testing import MockServer
from tests.e2e.cli import HOUR, SCRIPT, cli, environment, finish_every_job, queue_row

I2V = "luma-ray-v3-2-image-to-video"
FLUX = "flux-2-pro"
SPEECH = "bytedance-seed-audio-1-0"


@pytest.fixture
def tiger(tmp_path: Path) -> Path:
    path = tmp_path / "tiger.png"
    path.write_bytes(png(4, 4))
    return path


def data_uri(path: Path, media_type: str) -> str:
    return f"data:{media_type};base64,{base64.b64encode(path.read_bytes()).decode()}"


def test_run_waits_saves_and_reports_one_json_object(
    mock: MockServer, api: httpx.Client, tiger: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    done = cli(
        "run",
        I2V,
        "prompt=a tiger",
        f"input_image=@{tiger}",
        "--save",
        str(out),
        "--json",
        mock=mock,
    )
    assert done.code == 0, done.err
    result = done.json
    assert list(result) == ["generation_id", "status", "result_url", "files"]
    row = queue_row(api, result["generation_id"])
    assert result["status"] == "succeeded" == row["status"]
    assert result["result_url"] == row["result_url"]
    assert result["result_url"].endswith(f"/{result['generation_id']}.mp4")
    [saved] = result["files"]
    assert Path(saved) == out / f"{result['generation_id']}.mp4"
    served = httpx.get(result["result_url"]).raise_for_status().content
    assert Path(saved).read_bytes() == served and served[4:8] == b"ftyp"
    assert done.err == ""  # not a terminal: no status line


def test_run_prints_url_then_saved_path(mock: MockServer, tiger: Path, tmp_path: Path) -> None:
    done = cli("run", I2V, "prompt=x", f"input_image=@{tiger}", "--save", str(tmp_path), mock=mock)
    assert done.code == 0, done.err
    url, path = done.out.splitlines()
    assert url.startswith(mock.root_url + "/files/") and Path(path).name == url.rsplit("/", 1)[1]
    assert Path(path).read_bytes() == httpx.get(url).content


def test_wire_values_are_typed(mock: MockServer, api: httpx.Client, tiger: Path) -> None:
    ref = "https://example.com/ref.png"
    done = cli(
        "run",
        I2V,
        "prompt=42",  # a string field: JSON 42 stays the text "42"
        f"input_image=@{tiger}",
        "loop=true",
        f'reference_image_urls=["{ref}", "@{tiger}"]',
        "duration=5s",
        "target_namespace=my-org",  # a queue control, not a model parameter
        "--json",
        "--no-wait",
        mock=mock,
    )
    assert done.code == 0, done.err
    row = queue_row(api, done.json["generation_id"])
    assert row["target_namespace"] == "my-org"
    assert row["prompt"] == "42"
    assert row["loop"] is True
    assert row["duration"] == "5s"
    assert row["input_image"] == data_uri(tiger, "image/png")
    assert row["reference_image_urls"] == [ref, data_uri(tiger, "image/png")]


def test_numbers_lists_and_repeated_list_keys(
    mock: MockServer, api: httpx.Client, tiger: Path
) -> None:
    done = cli(
        "run",
        FLUX,
        "prompt=a fox",
        "seed=7",
        "guidance=3.5",
        "num_inference_steps=28",
        "disable_safety_checker=false",
        f"input_image=@{tiger}",
        "input_image=https://example.com/b.png",  # a list parameter given twice collects both
        "--no-wait",
        "--json",
        mock=mock,
    )
    assert done.code == 0, done.err
    row = queue_row(api, done.json["generation_id"])
    assert row["seed"] == 7 and type(row["seed"]) is int
    assert row["guidance"] == 3.5
    assert row["num_inference_steps"] == 28
    assert row["disable_safety_checker"] is False
    assert row["input_image"] == [data_uri(tiger, "image/png"), "https://example.com/b.png"]
    assert set(row) >= {"prompt", "seed", "guidance", "input_image"}


def test_no_wait_then_jobs_commands(mock: MockServer, api: httpx.Client, tmp_path: Path) -> None:
    done = cli(
        "run",
        I2V,
        "prompt=x",
        "input_image=https://example.com/t.png",
        "--no-wait",
        "--json",
        mock=mock,
    )
    assert done.code == 0, done.err
    assert done.json == {"generation_id": done.json["generation_id"], "status": "queued"}
    gid = done.json["generation_id"]

    plain = cli(
        "run", I2V, "prompt=x", "input_image=https://example.com/t.png", "--no-wait", mock=mock
    )
    assert plain.code == 0 and len(plain.out.split()) == 1  # the id alone, for $(...)
    assert queue_row(api, plain.out.strip())["status"] in ("queued", "processing", "succeeded")

    waited = cli("jobs", "wait", gid, "--json", "--save", str(tmp_path), mock=mock)
    assert waited.code == 0, waited.err
    row = queue_row(api, gid)
    assert waited.json == {
        "generation_id": gid,
        "status": "succeeded",
        "result_url": row["result_url"],
        "files": [str(tmp_path / f"{gid}.mp4")],
    }
    assert (tmp_path / f"{gid}.mp4").read_bytes() == httpx.get(row["result_url"]).content

    got = cli("jobs", "get", gid, "--json", mock=mock)
    assert got.code == 0, got.err
    for key in ("generation_id", "status", "result_url", "model_name", "prompt", "input_image"):
        assert got.json[key] == row[key], key
    assert got.json["enqueued_at"] == row["enqueued_at"]

    shown = cli("jobs", "get", gid, mock=mock)
    assert f"generation_id: {gid}" in shown.out.splitlines()
    assert "status: succeeded" in shown.out.splitlines()

    listed = cli("jobs", "list", "--status", "succeeded", "--json", mock=mock)
    assert listed.code == 0, listed.err
    ids = [g["generation_id"] for g in listed.json["generations"]]
    assert gid in ids and listed.json["count"] == len(ids)
    assert all(g["status"] == "succeeded" for g in listed.json["generations"])
    human = cli("jobs", "list", "--status", "all", mock=mock)
    assert any(line.split()[:3] == [gid, "succeeded", I2V] for line in human.out.splitlines())

    into = tmp_path / "again"
    fetched = cli("jobs", "download", gid, "--save", str(into), "--json", mock=mock)
    assert fetched.code == 0, fetched.err
    assert fetched.json == {"generation_id": gid, "files": [str(into / f"{gid}.mp4")]}
    served = httpx.get(row["result_url"]).raise_for_status().content
    assert (into / f"{gid}.mp4").read_bytes() == served and served[4:8] == b"ftyp"
    here = cli("jobs", "download", gid, mock=mock, cwd=tmp_path)
    assert here.code == 0 and here.out.strip() == f"{gid}.mp4"
    assert (tmp_path / f"{gid}.mp4").exists()


def test_cancel_a_running_job(mock: MockServer, api: httpx.Client) -> None:
    mock.configure(latency=HOUR)
    done = cli(
        "run",
        I2V,
        "prompt=x",
        "input_image=https://example.com/t.png",
        "--no-wait",
        "--json",
        mock=mock,
    )
    gid = done.json["generation_id"]
    cancelled = cli("jobs", "cancel", gid, "--json", mock=mock)
    assert cancelled.code == 0, cancelled.err
    assert cancelled.json == {"generation_id": gid, "status": "cancelled"}
    assert queue_row(api, gid)["status"] == "cancelled"
    again = cli("jobs", "wait", gid, "--json", mock=mock)
    assert again.code == 1
    assert again.json["status"] == "cancelled" and again.json["files"] == []
    assert gid in again.one_error_line() and "cancelled" in again.one_error_line()


def test_models_list_and_show(mock: MockServer, api: httpx.Client) -> None:
    served = api.get("/ai/models").raise_for_status().json()["data"]
    listed = cli("models", "list", "--json", mock=mock)
    assert listed.code == 0, listed.err
    assert [m["id"] for m in listed.json] == [m["id"] for m in served]
    first = listed.json[0]
    assert "request_schema" not in first
    for key in ("display_name", "model_type", "endpoint"):
        assert first.get(key) == served[0].get(key), key
    human = cli("models", "list", mock=mock)
    assert sorted(line.split()[0] for line in human.out.splitlines()) == sorted(
        m["id"] for m in served
    )

    one = api.get(f"/ai/models/{I2V}").raise_for_status().json()
    shown = cli("models", "show", I2V, "--json", mock=mock)
    assert shown.code == 0, shown.err
    assert shown.json["id"] == I2V
    assert shown.json["display_name"] == one["display_name"]
    assert shown.json["request_schema"] == one.get("request_schema", one.get("json_request_schema"))
    text = cli("models", "show", I2V, mock=mock).out
    assert text.splitlines()[0] == f"{I2V}  {one['display_name']}"
    assert "  input_image  (image: a URL or @PATH, required)" in text.splitlines()


def test_blocking_route_for_speech(mock: MockServer, tmp_path: Path) -> None:
    done = cli("run", SPEECH, "prompt=Hello there", "--save", str(tmp_path), "--json", mock=mock)
    assert done.code == 0, done.err
    result = done.json
    assert result["generation_id"] is None and result["status"] == "succeeded"
    [saved] = result["files"]
    assert Path(saved).read_bytes() == httpx.get(result["result_url"]).content
    assert Path(saved).read_bytes()[:4] == b"RIFF"
    no_wait = cli("run", SPEECH, "prompt=Hi", "--no-wait", mock=mock)
    assert no_wait.code == 2 and "blocking route" in no_wait.one_error_line()


def test_blocking_route_for_transcription(mock: MockServer) -> None:
    """A model without a schema sends its key=value pairs as given; the answer's text is printed."""
    args = ("run", "gpt-audio", "file=https://example.com/a.wav", "language=en")
    done = cli(*args, "--json", mock=mock)
    assert done.code == 0, done.err
    assert done.json == {
        "generation_id": None,
        "status": "succeeded",
        "result_url": None,
        "files": [],
        "text": "This is a mock transcription.",
    }
    assert cli(*args, mock=mock).out == "This is a mock transcription.\n"


def test_chat_streams_and_json(mock: MockServer) -> None:
    said = "Mock reply from gpt-4o: you said 'Describe a tiger.'."
    done = cli("chat", "gpt-4o", "Describe a tiger.", "temperature=0.2", mock=mock)
    assert done.code == 0, done.err
    assert done.out == said + "\n"
    piped = cli("chat", "gpt-4o", "-", mock=mock, stdin="Describe a tiger.")
    assert piped.out == said + "\n"
    whole = cli("chat", "gpt-4o", "Describe a tiger.", "--json", mock=mock)
    assert whole.code == 0, whole.err
    assert whole.json["choices"][0]["message"] == {"role": "assistant", "content": said}
    assert whole.json["model"] == "gpt-4o" and whole.json["object"] == "chat.completion"


def test_console_script_and_module_agree(mock: MockServer) -> None:
    by_script = subprocess.run(
        [str(SCRIPT), "--version"], capture_output=True, text=True, env=environment(None)
    )
    by_module = cli("--version")
    assert by_script.returncode == 0 == by_module.code
    assert by_script.stdout == by_module.out
    import oxen_inference

    assert by_module.out.strip() == f"oxen-inference {oxen_inference.__version__}"
    assert sys.executable  # the script sits beside this interpreter


def test_a_terminal_sees_a_live_status_line(mock: MockServer, api: httpx.Client) -> None:
    """With stderr on a terminal, the wait redraws `<model> <id> <status> <seconds>s` in place and
    clears it at the end; stdout (a pipe) still holds only the result. The job lasts until the
    test has seen the line redrawn, however slow the machine."""
    import os
    import pty
    import re
    import select

    mock.configure(latency=HOUR)
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oxen_inference",
            "run",
            I2V,
            "prompt=x",
            "input_image=https://e.com/t.png",
        ],
        env=environment(mock),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=terminal,
    )
    os.close(terminal)
    line = re.compile(rf"\r\x1b\[K{I2V} (\w+) (\w+) (\d+\.\d)s")
    seen, finished = b"", False
    while True:
        ready, _, _ = select.select([controller], [], [], 60)
        assert ready, f"nothing on the terminal for 60 s: {seen!r}"
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        seen += chunk
        if not finished and len(line.findall(seen.decode(errors="replace"))) >= 2:
            finish_every_job(mock)  # redrawn while waiting: now the job may end
            finished = True
    os.close(controller)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    [url] = out.decode().splitlines()
    gid = url.rsplit("/", 1)[1].removesuffix(".mp4")
    text = seen.decode()
    draws = line.findall(text)
    assert len(draws) >= 2 and {d[0] for d in draws} == {gid}, text
    assert draws[0][1] == "queued"
    assert [float(d[2]) for d in draws] == sorted(float(d[2]) for d in draws)  # time goes on
    assert text.endswith("\r\x1b[K")  # cleared: nothing left on the line
