"""`oxgen generate`: exit codes, --check, --strict, incremental runs, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from oxgen.cli import main
from tests.conftest import REPO

GOOD = {
    "id": "good-model",
    "capabilities": {"input": ["text"], "output": ["image"]},
    "request_schema": {
        "type": "object",
        "properties": {"prompt": {"type": "string"}},
        "required": ["prompt"],
    },
}
BAD = {
    "id": "bad-model",
    "request_schema": {"type": "object", "properties": {"a": {"$ref": "#/nope"}}},
}


def _catalog(tmp_path: Path, *models: dict[str, Any]) -> Path:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"object": "list", "data": list(models)}))
    return path


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".oxgen-cache" not in p.parts
    }


def test_committed_tree_is_up_to_date() -> None:
    result = CliRunner().invoke(
        main,
        [
            "generate",
            "--check",
            "--schemas",
            str(REPO / "schemas"),
            "--out",
            str(REPO / "generated"),
        ],
    )
    assert result.exit_code == 0, result.output


def test_generate_then_check_then_drift(tmp_path: Path) -> None:
    src, out = _catalog(tmp_path, GOOD), tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(main, ["generate", "--schemas", str(src), "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert (out / "oxen_inference" / "models" / "good_model.py").exists()
    assert (
        runner.invoke(
            main, ["generate", "--check", "--schemas", str(src), "--out", str(out)]
        ).exit_code
        == 0
    )
    target = out / "oxen_inference" / "models" / "good_model.py"
    target.write_text(target.read_text() + "# hand edit\n")
    drift = runner.invoke(main, ["generate", "--check", "--schemas", str(src), "--out", str(out)])
    assert drift.exit_code == 1 and "good_model.py" in drift.output
    assert target.read_text().endswith("# hand edit\n")  # --check writes nothing
    again = runner.invoke(main, ["generate", "--schemas", str(src), "--out", str(out)])
    assert again.exit_code == 0 and "1 written" in again.output
    assert not target.read_text().endswith("# hand edit\n")


def test_second_run_skips_unchanged_work_and_removes_stale(tmp_path: Path) -> None:
    other = {**GOOD, "id": "other-model"}
    out = tmp_path / "out"
    runner = CliRunner()
    runner.invoke(
        main, ["generate", "--schemas", str(_catalog(tmp_path, GOOD, other)), "--out", str(out)]
    )
    second = runner.invoke(
        main, ["generate", "--schemas", str(_catalog(tmp_path, GOOD, other)), "--out", str(out)]
    )
    assert "0 written" in second.output
    third = runner.invoke(
        main, ["generate", "--schemas", str(_catalog(tmp_path, GOOD)), "--out", str(out)]
    )
    assert "2 removed" in third.output  # the model's module and its API page
    assert not (out / "oxen_inference" / "models" / "other_model.py").exists()
    assert not (out / "api" / "other_model.md").exists()
    assert (out / "api" / "good_model.md").exists()


def test_unusable_schema_is_reported_and_strict_fails(tmp_path: Path) -> None:
    src, out = _catalog(tmp_path, GOOD, BAD), tmp_path / "out"
    runner = CliRunner()
    lenient = runner.invoke(main, ["generate", "--schemas", str(src), "--out", str(out)])
    assert lenient.exit_code == 0
    assert "skipped bad-model at /properties/a/$ref" in lenient.output
    assert (out / "oxen_inference" / "models" / "good_model.py").exists()
    strict = runner.invoke(main, ["generate", "--strict", "--schemas", str(src), "--out", str(out)])
    assert strict.exit_code == 1


def test_bad_input_exits_2_without_traceback(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(
        main, ["generate", "--schemas", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]
    )
    assert (
        missing.exit_code == 2
        and "no such file" in missing.output
        and "Traceback" not in missing.output
    )
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    bad_json = runner.invoke(
        main, ["generate", "--schemas", str(broken), "--out", str(tmp_path / "o")]
    )
    assert bad_json.exit_code == 2 and "invalid JSON" in bad_json.output
    bad_pkg = runner.invoke(
        main,
        [
            "generate",
            "--schemas",
            str(_catalog(tmp_path, GOOD)),
            "--out",
            str(tmp_path / "o"),
            "--package",
            "not-valid",
        ],
    )
    assert bad_pkg.exit_code == 2 and "package" in bad_pkg.output


def test_package_option_and_byte_identical_across_hash_seeds(tmp_path: Path) -> None:
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "oxgen.cli",
                "generate",
                "--schemas",
                str(REPO / "tests" / "golden" / "cases" / ".." / ".." / ".." / "schemas"),
                "--out",
                str(out),
                "--package",
                "my_client",
            ],
            env=env,
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        assert proc.returncode == 0, proc.stderr
        outs.append(_files(out))
    assert outs[0] == outs[1]
    assert "my_client/_registry.py" in outs[0]
    header = outs[0]["my_client/_registry.py"].decode().splitlines()[0]
    assert header.startswith("# Generated by oxgen") and "Do not edit" in header
    # every file but LICENSE, which is the license's text as it is
    assert all(
        b"Generated by oxgen" in text.splitlines()[0]
        for name, text in outs[0].items()
        if name != "LICENSE"
    )
    assert outs[0]["LICENSE"].startswith(b"MIT License\n")


def test_noop_run_skips_compiling_and_rendering_but_notices_disk_changes(tmp_path: Path) -> None:
    """With nothing changed, a run reads the snapshot and the cache only (no compiler, no Jinja,
    no ruff); any change on disk under --out falls back to the full run."""
    src, out = _catalog(tmp_path, GOOD, BAD), tmp_path / "out"
    runner = CliRunner()
    assert (
        runner.invoke(main, ["generate", "--schemas", str(src), "--out", str(out)]).exit_code == 0
    )
    probe = (
        "import sys; from pathlib import Path; from oxgen.generate import run; "
        f"r = run({str(src)!r}, Path({str(out)!r})); "
        "print(r.written, r.unchanged, len(r.problems), "
        "[m for m in ('jinja2', 'oxgen.compile', 'oxgen.classes') if m in sys.modules])"
    )
    quiet = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    files = len(_files(out))
    assert quiet.stdout.split() == ["0", str(files), "1", "[]"], quiet.stdout + quiet.stderr

    models = out / "oxen_inference" / "models"
    (models / "notes.txt").write_text("mine")  # not generated: ignored, kept
    (models / "__pycache__").mkdir()
    (models / "__pycache__" / "x.pyc").write_bytes(b"\0")
    again = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert again.stdout.split()[-1] == "[]", again.stdout + again.stderr

    stale = models / "gone_model.py"
    stale.write_text("# Generated by oxgen from an older snapshot\n")
    (models / "good_model.py").unlink()
    result = runner.invoke(main, ["generate", "--schemas", str(src), "--out", str(out)])
    assert "1 written" in result.output and "1 removed" in result.output, result.output
    assert not stale.exists() and (models / "good_model.py").exists()
    assert (models / "notes.txt").read_text() == "mine"


def test_a_failing_render_leaves_no_ruff_running_and_nothing_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A render error after some ruff batches started: they are stopped before the stage is
    removed, and nothing reaches --out."""
    from oxgen import format as fmt
    from oxgen import render
    from oxgen.generate import run

    launched: list[subprocess.Popen[bytes]] = []
    init, launch = fmt.Formatter.__init__, fmt.Formatter._launch

    def small_batches(self: fmt.Formatter, root: Path, batch: int = 2) -> None:
        init(self, root, 2)

    def recording_launch(self: fmt.Formatter) -> None:
        launch(self)
        launched.append(self._running[-1])

    real_jobs = render.runtime_jobs

    def failing_jobs(*args: Any) -> list[tuple[str, Callable[[], str]]]:
        return [(p, _boom) if n == 6 else (p, j) for n, (p, j) in enumerate(real_jobs(*args))]

    monkeypatch.setattr(fmt.Formatter, "__init__", small_batches)
    monkeypatch.setattr(fmt.Formatter, "_launch", recording_launch)
    monkeypatch.setattr(render, "runtime_jobs", failing_jobs)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="template bug"):
        run(_catalog(tmp_path, GOOD), out)
    assert launched and all(p.poll() is not None for p in launched)
    assert not (out / "oxen_inference").exists()
    stages = [p for p in (out / ".oxgen-cache").iterdir() if p.name.startswith("stage-")]
    assert stages == []  # the stage is gone (compiled templates may stay)


def _boom() -> str:
    raise RuntimeError("template bug")
