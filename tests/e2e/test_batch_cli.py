"""``oxen-inference batch run`` against the mock: exits, messages, dry runs, Ctrl-C and resume,
the live progress line, and every hostile inputs file refused before anything is sent."""

from __future__ import annotations

import json
import os
import pty
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from oxen_inference._batch_inputs import read_inputs
from oxen_inference._journal import Journal

from oxgen.mock.testing import MockServer

from ..unit.test_batch_inputs import HOSTILE, _write
from .cli import cli, environment

IMAGE = "flux-2-pro"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _inputs(folder: Path, rows: list[dict[str, Any]], name: str = "in.jsonl") -> Path:
    path = folder / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _results(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


@pytest.mark.parametrize(
    ("content", "expected"), [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE]
)
def test_a_bad_inputs_file_exits_2_with_a_line_per_problem_and_sends_nothing(
    mock: MockServer, tmp_path: Path, content: str | bytes, expected: list[tuple[int, str, str]]
) -> None:
    path = _write(tmp_path, content)
    done = cli("batch", "run", str(path), "--out", str(tmp_path / "out"), mock=mock)
    assert done.code == 2 and done.out == ""
    lines = done.err.splitlines()
    assert len(lines) == len(expected) and "Traceback" not in done.err
    for line, (number, field, words) in zip(lines, expected, strict=True):
        where = (
            f"oxen-inference: error: {path}:{number}: "
            if number
            else f"oxen-inference: error: {path}: "
        )
        assert line.startswith(where + (f"{field}: " if field else "")), line
        assert words in line
    assert mock.stats()["requests_total"] == 0
    assert not (tmp_path / "out").exists()


def test_a_run_then_its_resume(mock: MockServer, tmp_path: Path) -> None:
    rows = [{"model": IMAGE, "prompt": f"fox {i}"} for i in range(8)]
    inputs = _inputs(tmp_path, rows)
    done = cli(
        "batch", "run", str(inputs), "--out", str(tmp_path / "out"), "--concurrency", "3", mock=mock
    )
    assert done.code == 0, done.err
    out = tmp_path / "out"
    assert done.out == (
        f"8 inputs: 8 succeeded; results: {out / 'results.jsonl'}; page: {out / 'index.html'}\n"
    )
    assert "cost (from the catalog's prices):" in done.err  # estimated before it starts
    results = _results(tmp_path / "out")
    assert [r["file"] for r in results] == [f"outputs/{i}.png" for i in range(1, 9)]
    assert f"{out}: a new run" in done.err
    before = mock.stats()["requests_total"]
    again = cli("batch", "run", str(inputs), "--out", str(tmp_path / "out"), mock=mock)
    assert again.code == 0 and again.out == done.out
    # a resume says how far the run had got, and prices only what may still be sent: nothing
    assert f"{out}: resumes a run: 8 ended, 0 running, 0 to send\n" in again.err
    assert "cost: none to come (every input was sent before)" in again.err
    assert "$" not in again.err
    assert mock.stats()["requests_total"] == before  # nothing left to do, nothing sent
    assert _results(tmp_path / "out") == results


def test_a_spreadsheet_runs_typed_by_the_schema_and_resumes(
    mock: MockServer, tmp_path: Path
) -> None:
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "fox.png").write_bytes(PNG)
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        'id,prompt,seed,input_image\r\nfox,"a red fox, in the snow",7,@img/fox.png\r\n,1984,,\r\n',
        encoding="utf-8-sig",  # as a spreadsheet saves "CSV UTF-8"
    )
    out = tmp_path / "out"
    argv = ("batch", "run", str(sheet), "--out", str(out), "--model", IMAGE)
    done = cli(*argv, mock=mock)
    assert done.code == 0, done.err
    assert [(r["id"], r["status"], r["file"]) for r in _results(out)] == [
        ("fox", "succeeded", "outputs/fox.png"),
        ("3", "succeeded", "outputs/3.png"),
    ]
    jobs = mock.call(lambda: [j.params for j in mock.state.jobs.jobs.values()])
    by_prompt = {params["prompt"]: params for params in jobs}
    assert set(by_prompt) == {"a red fox, in the snow", "1984"}  # text stays text
    fox = by_prompt["a red fox, in the snow"]
    assert fox["seed"] == 7  # a number where the schema takes one
    [image] = fox["input_image"]  # one cell in a list column: a list of one, the file inlined
    assert image.startswith("data:image/png;base64,")
    assert by_prompt["1984"] == {"prompt": "1984"}  # empty cells left out
    before = mock.stats()["requests_total"]
    again = cli(*argv, mock=mock)
    assert again.code == 0 and mock.stats()["requests_total"] == before


def test_retry_failed_sends_only_what_failed_again(mock: MockServer, tmp_path: Path) -> None:
    rows = [{"model": IMAGE, "prompt": f"fox {i}"} for i in range(4)]
    inputs = _inputs(tmp_path, rows)
    out = tmp_path / "out"
    mock.call(lambda: mock.state.fail_jobs(lambda body: body.get("prompt") == "fox 2", "busy"))
    first = cli("batch", "run", str(inputs), "--out", str(out), mock=mock)
    assert first.code == 1 and first.out.startswith("4 inputs: 3 succeeded, 1 failed;")
    before = {r["id"]: r["generation_id"] for r in _results(out)}
    mock.call(mock.state.rules.clear)  # the provider is well again
    plain = cli("batch", "run", str(inputs), "--out", str(out), mock=mock)
    assert plain.code == 1 and mock.stats()["jobs_created"] == 4  # a resume does not retry
    argv = ("batch", "run", str(inputs), "--out", str(out), "--retry-failed")
    dry = cli(*argv, "--dry-run", mock=mock)
    assert dry.out.splitlines()[1:] == [
        f"{out}: resumes a run: 3 ended, 0 running, 0 to send, 1 failed to send again",
        "cost of what may still be sent, 1 input(s) (from the catalog's prices):",
        f"  {IMAGE}: 1 input(s), $0.10",
        "  estimated total: $0.10",
    ]
    assert mock.stats()["jobs_created"] == 4  # a dry run changes nothing
    again = cli(*argv, mock=mock)
    assert again.code == 0, again.err
    after = {r["id"]: (r["generation_id"], r["status"]) for r in _results(out)}
    assert mock.stats()["jobs_created"] == 5  # one new job, for the failed input only
    assert {k: v[0] for k, v in after.items() if k != "3"} == {
        k: v for k, v in before.items() if k != "3"
    }
    assert after["3"][1] == "succeeded" and after["3"][0] != before["3"]
    assert (out / "outputs" / "3.png").is_file()


def test_failures_exit_1_and_no_download_keeps_urls(mock: MockServer, tmp_path: Path) -> None:
    rows: list[dict[str, Any]] = [
        {"model": IMAGE, "prompt": "fine"},
        {"model": IMAGE, "prompt": "broken", "input_image": [f"{mock.root_url}/files/none.png"]},
    ]
    done = cli(
        "batch",
        "run",
        str(_inputs(tmp_path, rows)),
        "--out",
        str(tmp_path / "o"),
        "--no-download",
        mock=mock,
    )
    assert done.code == 1
    assert done.out.startswith("2 inputs: 1 succeeded, 1 failed; results: ")
    good, bad = _results(tmp_path / "o")
    assert good["file"] is None and good["result_url"].startswith(mock.root_url)
    assert bad["status"] == "failed" and "none.png" in bad["error"]


def test_a_dry_run_checks_and_estimates_and_sends_nothing(mock: MockServer, tmp_path: Path) -> None:
    rows = [{"prompt": "a", "quality": "low"}, {"prompt": "b"}]
    inputs = _inputs(tmp_path, rows)
    out = tmp_path / "dry"
    done = cli(
        "batch",
        "run",
        str(inputs),
        "--out",
        str(out),
        "--model",
        "gpt-image-2",
        "--dry-run",
        mock=mock,
        env=environment(None),
    )
    assert done.code == 0, done.err  # no key needed: nothing is sent
    lines = done.out.splitlines()
    assert lines[0] == "2 inputs, 1 model(s): all valid; nothing sent (--dry-run)"
    assert lines[1] == f"{out}: a new run"
    assert lines[2:] == [
        "cost (from the catalog's prices):",
        "  gpt-image-2: 2 input(s), $0.30",  # low 2K $0.009 + high (default) 2K $0.29
        "  estimated total: $0.30",
    ]
    assert not out.exists()
    assert mock.stats()["requests_total"] == 0


def test_a_dry_run_of_a_resume_prices_only_what_may_still_be_sent(
    mock: MockServer, tmp_path: Path
) -> None:
    rows = [{"model": IMAGE, "prompt": f"fox {i}"} for i in range(5)]
    inputs = _inputs(tmp_path, rows)
    out = tmp_path / "out"
    # a journal as a killed run leaves it: 1 ended, 1 waiting, 1 in doubt, 2 never sent
    journal = Journal.open(out, read_inputs(inputs))
    try:
        first = journal.intend(IMAGE, {}, [1, 2])
        journal.answered(first, [(1, "g1"), (2, "g2")])
        journal.ended(1, "succeeded", "https://example.com/1.png", None)
        journal.intend(IMAGE, {}, [3])
    finally:
        journal.close()
    done = cli("batch", "run", str(inputs), "--out", str(out), "--dry-run", mock=mock)
    assert done.code == 0, done.err
    assert done.out.splitlines() == [
        "5 inputs, 1 model(s): all valid; nothing sent (--dry-run)",
        f"{out}: resumes a run: 1 ended, 1 running, 2 to send, 1 in doubt "
        "(sent again only if the queue does not have them)",
        "cost of what may still be sent, 3 input(s) (from the catalog's prices):",
        f"  {IMAGE}: 3 input(s), $0.30",
        "  estimated total: $0.30",
    ]
    assert mock.stats()["requests_total"] == 0


def test_a_changed_inputs_file_is_refused(mock: MockServer, tmp_path: Path) -> None:
    inputs = _inputs(tmp_path, [{"model": IMAGE, "prompt": "a"}])
    assert cli("batch", "run", str(inputs), "--out", str(tmp_path / "o"), mock=mock).code == 0
    _inputs(tmp_path, [{"model": IMAGE, "prompt": "a changed"}])
    for extra in ([], ["--dry-run"]):
        done = cli("batch", "run", str(inputs), "--out", str(tmp_path / "o"), *extra, mock=mock)
        assert done.code == 2 and done.out == ""
        message = done.one_error_line()
        assert message.startswith(
            f"{tmp_path / 'o'} holds the journal of other inputs (input '1' (line 1, line 1 then) has changed)"
        )
    assert mock.stats()["jobs_created"] == 1


@pytest.mark.parametrize(
    ("argv", "env", "words"),
    [
        (["--concurrency", "0"], {}, "expected a whole number >= 1"),
        ([], {"OXEN_API_KEY": None}, "no API key"),
        (["--model", "nope"], {}, "--model: unknown model 'nope'"),
    ],
    ids=["concurrency 0", "no key", "unknown --model"],
)
def test_bad_invocations_exit_2(
    mock: MockServer, tmp_path: Path, argv: list[str], env: dict[str, str | None], words: str
) -> None:
    inputs = _inputs(tmp_path, [{"model": IMAGE, "prompt": "a"}])
    done = cli(
        "batch",
        "run",
        str(inputs),
        "--out",
        str(tmp_path / "o"),
        *argv,
        env=environment(mock, **env),
    )
    assert done.code == 2
    assert words in done.err
    assert mock.stats()["requests_total"] == 0


def test_ctrl_c_stops_sending_leaves_jobs_running_and_prints_the_resume_command(
    mock: MockServer, tmp_path: Path
) -> None:
    mock.configure(latency=2.0)
    rows = [{"model": IMAGE, "prompt": f"fox {i}"} for i in range(200)]  # more than sent in a blink
    inputs = _inputs(tmp_path, rows)
    out = tmp_path / "run dir"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oxen_inference",
            "batch",
            "run",
            str(inputs),
            "--out",
            str(out),
            "--concurrency",
            "2",
        ],
        env=environment(mock),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C's default action, even when this test runs where SIGINT is ignored (a background
        # job inherits that, and so would the command)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 30
    while mock.stats()["jobs_created"] < 4:
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130 and stdout == "" and "Traceback" not in stderr
    last = stderr.splitlines()[-1]
    resume = f"oxen-inference batch run {shlex.quote(str(inputs))} --out {shlex.quote(str(out))} --concurrency 2"
    assert last.startswith("oxen-inference: error: interrupted: jobs already sent keep running")
    assert last.endswith(f"resume with: {resume}")
    sent = mock.stats()["jobs_created"]
    assert 4 <= sent < 200  # sending stopped
    with httpx.Client(base_url=mock.base_url, headers=mock.headers) as api:
        active = api.get("/ai/queue").json()["generations"]
    assert active and all(j["status"] in ("queued", "processing") for j in active)  # not cancelled
    assert (out / "results.jsonl").is_file()
    page = (out / "index.html").read_text()  # written on the way out
    assert page.count("<article") == 200 and 'data-status="pending"' in page
    assert 1 <= page.count('data-status="waiting"') <= sent
    picked = cli(*shlex.split(resume)[1:], mock=mock)
    assert picked.code == 0, picked.err
    assert len(_results(out)) == 200
    assert mock.stats()["jobs_created"] == 200
    assert (out / "index.html").read_text().count('data-status="succeeded"') == 200


def test_a_terminal_gets_a_live_progress_line(mock: MockServer, tmp_path: Path) -> None:
    mock.configure(latency=0.6)
    inputs = _inputs(tmp_path, [{"model": IMAGE, "prompt": f"fox {i}"} for i in range(4)])
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oxen_inference",
            "batch",
            "run",
            str(inputs),
            "--out",
            str(tmp_path / "o"),
        ],
        env=environment(mock),
        stdout=subprocess.PIPE,
        stderr=follower,
        text=True,
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the other side closed
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    stdout, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    text = seen.decode()
    assert "\r\x1b[K" in text
    assert "0/4 ended · 0 ok" in text  # drawn before anything ended...
    assert "4/4 ended · 4 ok" in text  # ...and at the end
    assert text.rstrip().endswith("\x1b[K")  # the line is cleared before the summary
    assert stdout.startswith("4 inputs: 4 succeeded")


def test_python_dash_m_is_the_same_command(mock: MockServer, tmp_path: Path) -> None:
    inputs = _inputs(tmp_path, [{"model": IMAGE, "prompt": "a"}])
    script = Path(sys.executable).with_name("oxen-inference")
    proc = subprocess.run(
        [str(script), "batch", "run", str(inputs), "--out", str(tmp_path / "o")],
        env=environment(mock),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("1 inputs: 1 succeeded")


def test_batch_report_writes_the_page_of_a_run_going_on_killed_or_ended(
    mock: MockServer, tmp_path: Path
) -> None:
    mock.configure(latency=2.0)
    rows = [{"model": IMAGE, "prompt": f"fox {i}"} for i in range(6)]
    inputs = _inputs(tmp_path, rows)
    out = tmp_path / "out"
    command = ["batch", "run", str(inputs), "--out", str(out), "--concurrency", "2"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "oxen_inference", *command],
        env=environment(mock),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while mock.stats()["jobs_created"] < 2:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        going = cli("batch", "report", str(out), mock=None)  # beside the run; no key needed
        assert going.code == 0 and going.out == f"{out / 'index.html'}\n", going.err
        page = (out / "index.html").read_text()
        assert page.count("<article") == 6 and 'data-status="waiting"' in page
        proc.kill()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    (out / "index.html").unlink()
    killed = cli("batch", "report", str(out), mock=None)
    assert killed.code == 0, killed.err
    page = (out / "index.html").read_text()
    assert page.count("<article") == 6 and "fox 5" in page
    mock.configure(latency=0.0)
    assert cli(*command, mock=mock).code == 0
    page = (out / "index.html").read_text()
    assert page.count('data-status="succeeded"') == 6 and page.count('<img src="outputs/') == 6
    assert not [name for name in os.listdir(out) if name.startswith(".")]  # no page half-written


@pytest.mark.parametrize("kind", ["empty folder", "no folder", "not a journal"])
def test_batch_report_without_a_journal_exits_1(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "out"
    if kind != "no folder":
        folder.mkdir()
    if kind == "not a journal":
        (folder / "journal.sqlite").write_bytes(b"not a database at all, " * 100)
    done = cli("batch", "report", str(folder), mock=None)
    assert done.code == 1
    line = done.one_error_line()
    assert (
        ("holds no batch journal" in line)
        if kind != "not a journal"
        else ("cannot be read" in line)
    )
    assert not (folder / "index.html").exists()
