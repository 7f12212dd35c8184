"""Hostile schemas and snapshots through the real `oxgen` command: every case ends in a clear
one-line message (exit 2) or a correct result, never a traceback, a hang or an unbounded file name.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from oxgen import naming
from oxgen import snapshot as snap

OXGEN = [sys.executable, "-m", "oxgen.cli"]
OBJ: dict[str, Any] = {"type": "object", "properties": {"prompt": {"type": "string"}}}


def _run(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*OXGEN, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def _nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


LONG_A = "vendor-" + "very-long-model-name-" * 14 + "a"
LONG_B = "vendor-" + "very-long-model-name-" * 14 + "b"

# (model id, schema, expected: "ok" generated, or the problem's (pointer, phrase) when skipped)
MODELS: list[tuple[str, Any, Any]] = [
    (
        "surrogates",
        {
            "type": "object",
            "description": "lone \ud800 surrogate",
            "properties": {
                "mode": {"type": "string", "enum": ["\U0001f600", "ok"], "default": "x\udfff"},
                "x": {"type": "string", "title": "key \udc00", "description": "\udbff"},
            },
        },
        "ok",
    ),
    (
        "surrogate-in-a-name",
        {"type": "object", "properties": {"x\ud801": {"type": "string"}}},
        ("/properties/x\ud801", "lone surrogate"),
    ),
    (
        "surrogate-in-an-enum",
        {"type": "object", "properties": {"m": {"enum": ["ok", "\udfff"]}}},
        ("/properties/m/enum", "lone surrogate"),
    ),
    ("id-with-surrogate-\ud800", OBJ, "ok"),
    (LONG_A, OBJ, "ok"),
    (LONG_B, OBJ, "ok"),
    ("deep-const", {"type": "object", "properties": {"a": {"const": _nested(90)}}}, "ok"),
    (
        "too-deep-const",
        {"type": "object", "properties": {"a": {"const": _nested(300)}}},
        ("/properties/a/const" + "/0" * 97, "nested deeper than 100 levels"),
    ),
    ("root-ref", {"$ref": "#"}, ("/$ref", "recurse forever")),
    (
        "ref-loop",
        {
            "type": "object",
            "properties": {"a": {"$ref": "#/$defs/x"}},
            "$defs": {"x": {"allOf": [{"$ref": "#/$defs/y"}]}, "y": {"$ref": "#/$defs/x"}},
        },
        ("/$defs/y/$ref", "recurse forever"),
    ),
    (
        "not-loop",
        {"type": "object", "$defs": {"n": {"not": {"$ref": "#/$defs/n"}}}, "$ref": "#/$defs/n"},
        ("/$defs/n/not/$ref", "recurse forever"),
    ),
    (
        "recursion-through-a-property-is-fine",
        {"type": "object", "properties": {"child": {"$ref": "#"}, "name": {"type": "string"}}},
        "ok",
    ),
]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Any, str]]:
    root = tmp_path_factory.mktemp("hostile-gen")
    data = [
        {"id": mid, "capabilities": {"input": ["text"], "output": ["image"]}, "request_schema": s}
        for mid, s, _ in MODELS
    ]
    # json.dumps writes lone surrogates as \ud800 escapes: the file is plain ASCII JSON text.
    (root / "catalog.json").write_text(json.dumps({"object": "list", "data": data}))
    result = _run(
        "generate",
        "--schemas",
        "catalog.json",
        "--out",
        "out",
        "--package",
        "hostile_gen",
        cwd=root,
    )
    sys.path.insert(0, str(root / "out"))
    try:
        yield root, result, result.stderr
    finally:
        sys.path.remove(str(root / "out"))
        for name in [m for m in sys.modules if m.startswith("hostile_gen")]:
            del sys.modules[name]


def test_generate_finishes_and_reports_each_skip_on_one_line(
    generated: tuple[Path, Any, str],
) -> None:
    _, result, stderr = generated
    assert result.returncode == 0, stderr
    assert "Traceback" not in stderr
    skipped = {line.split(" at ")[0].removeprefix("skipped "): line for line in stderr.splitlines()}
    expected = {mid: want for mid, _, want in MODELS if want != "ok"}
    assert set(skipped) == set(expected), stderr
    for mid, (pointer, phrase) in expected.items():
        shown = pointer.encode("utf-8", "backslashreplace").decode()  # stderr escapes surrogates
        assert f" at {shown}: " in skipped[mid] and phrase in skipped[mid]


def test_long_ids_get_short_distinct_stable_module_names(generated: tuple[Path, Any, str]) -> None:
    root, _, _ = generated
    modules = sorted(p.name for p in (root / "out" / "hostile_gen" / "models").glob("*.py"))
    long_ones = [m for m in modules if m.startswith("vendor_")]
    assert len(long_ones) == 2
    assert all(len(m) <= naming.MAX_MODULE_NAME + len(".py") for m in long_ones)
    names = naming.model_module_names([LONG_A, LONG_B, "luma-ray-v3-2-image-to-video"])
    assert names[LONG_A] != names[LONG_B]
    assert names == naming.model_module_names(reversed([LONG_A, LONG_B])) | {
        "luma-ray-v3-2-image-to-video": "luma_ray_v3_2_image_to_video"
    }


@pytest.mark.parametrize(
    ("model_id", "good", "bad"),
    [
        ("surrogates", {"mode": "\U0001f600", "x": "y"}, {"mode": "\udffe"}),
        ("id-with-surrogate-\ud800", {"prompt": "x"}, {"prompt": 1}),
        (LONG_A, {"prompt": "x"}, {"prompt": 1}),
        ("deep-const", {"a": _nested(90)}, {"a": _nested(89)}),
        (
            "recursion-through-a-property-is-fine",
            {"child": {"child": {"name": "x"}}},
            {"child": {"child": {"name": 1}}},
        ),
    ],
)
def test_generated_classes_work(
    generated: tuple[Path, Any, str], model_id: str, good: Any, bad: Any
) -> None:
    pkg = importlib.import_module("hostile_gen")
    cls = pkg.request_model(model_id)
    assert cls.model_validate(good) is not None
    with pytest.raises(ValidationError):
        cls.model_validate(bad)


def _snapshot_folder(root: Path) -> Path:
    folder = root / "snap"
    snap.write_snapshot(
        folder,
        snap.snapshot_files(snap.from_catalog({"data": [{"id": "m", "request_schema": OBJ}]}, "x")),
    )
    return folder


def _deep_text(levels: int) -> str:
    return '{"object": "list", "data": [{"id": "d", "request_schema": ' + (
        '{"a": ' * levels + "1" + "}" * levels + "}]}"
    )


def _edit(folder: Path, name: str, text: str) -> Path:
    (folder / name).write_text(text, encoding="utf-8")
    return folder


# (case, how to make the source from a tmp folder, exit code, phrase of the one-line message)
SOURCES = [
    ("deep catalog", lambda r: _write(r / "c.json", _deep_text(1500)), 2, "nested more than 400"),
    ("deeper catalog", lambda r: _write(r / "c.json", _deep_text(100_000)), 2, "nested more than"),
    ("invalid JSON", lambda r: _write(r / "c.json", '{"data": [}'), 2, "invalid JSON at line 1"),
    ("not UTF-8", lambda r: _write(r / "c.json", b'{"data": ["\xff"]}'), 2, "not UTF-8"),
    ("missing file", lambda r: r / "nothing.json", 2, "no such file or folder"),
    (
        "deep manifest",
        lambda r: _edit(_snapshot_folder(r), "manifest.json", "[" * 3000 + "]" * 3000),
        2,
        "nested more than",
    ),
    (
        "deep model file",
        lambda r: _edit(_snapshot_folder(r), "m.json", _deep_text(3000)),
        2,
        "nested more than 400 levels deep; refusing to read it (and it does not match",
    ),
    (
        "half-written model file",
        lambda r: _edit(_snapshot_folder(r), "m.json", '{"id": "m", "request'),
        2,
        "invalid JSON",
    ),
    (
        "model file swapped for another model",
        lambda r: _edit(_snapshot_folder(r), "m.json", '{"id": "other", "request_schema": {}}'),
        2,
        "holds model 'other', not 'm'",
    ),
]


def _write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["generate", "diff", "mock-server"])
@pytest.mark.parametrize(("case", "make", "code", "phrase"), SOURCES, ids=[s[0] for s in SOURCES])
def test_bad_sources_end_in_one_line(
    tmp_path: Path, command: str, case: str, make: Any, code: int, phrase: str
) -> None:
    source = str(make(tmp_path))
    args = {
        "generate": ["generate", "--schemas", source, "--out", "out"],
        "diff": ["diff", source, source],
        "mock-server": ["mock-server", "--schemas", source, "--port", "0"],
    }[command]
    start = time.monotonic()
    result = _run(*args, cwd=tmp_path, timeout=30)
    assert time.monotonic() - start < 20
    assert result.returncode == code, (case, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("oxgen: error: "), result.stderr
    assert phrase in lines[0], lines[0]
    assert not (tmp_path / "out").exists()


def test_a_hand_edited_snapshot_warns_then_rehash_records_the_edit(tmp_path: Path) -> None:
    folder = _snapshot_folder(tmp_path)
    edited = {"id": "m", "request_schema": {"type": "object", "properties": {"b": {}}}}
    (folder / "m.json").write_text(json.dumps(edited), encoding="utf-8")
    # (command, how many times it reads the snapshot: diff reads both sides)
    for args, reads in (
        (["generate", "--schemas", "snap", "--out", "out"], 1),
        (["diff", "snap", "snap"], 2),
    ):
        result = _run(*args, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        warnings = [line for line in result.stderr.splitlines() if "warning" in line]
        assert len(warnings) == reads
        assert "edited by hand" in warnings[0] and len(set(warnings)) == 1
        assert f"oxgen snapshot --rehash {folder.name}" in warnings[0]
    assert "'b'" in (tmp_path / "out").joinpath("oxen_inference/models/m.py").read_text() or (
        "b:" in (tmp_path / "out").joinpath("oxen_inference/models/m.py").read_text()
    )
    result = _run("snapshot", "--rehash", "snap", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "re-hashed m.json" in result.stdout
    assert (folder / "m.json").read_text(encoding="utf-8") == snap.dumps(edited)
    again = _run("generate", "--schemas", "snap", "--out", "out", cwd=tmp_path)
    assert again.returncode == 0 and "warning" not in again.stderr
    assert snap.load(folder).by_id()["m"]["request_schema"] == edited["request_schema"]
    # Nothing left to record: a second --rehash changes no file.
    assert "0 file(s) re-hashed" in _run("snapshot", "--rehash", "snap", cwd=tmp_path).stdout


def test_rehash_refuses_what_is_not_a_snapshot(tmp_path: Path) -> None:
    folder = _snapshot_folder(tmp_path)
    (folder / "m.json").write_text("{broken", encoding="utf-8")
    before = (folder / "manifest.json").read_bytes()
    result = _run("snapshot", "--rehash", "snap", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "invalid JSON" in result.stderr
    assert (folder / "manifest.json").read_bytes() == before
    plain = tmp_path / "plain"
    plain.mkdir()
    result = _run("snapshot", "--rehash", "plain", cwd=tmp_path)
    assert result.returncode == 2 and "has no manifest.json" in result.stderr


def test_diff_of_a_catastrophic_pattern_finishes(tmp_path: Path) -> None:
    """The diff runs schema patterns on schema values (defaults, enums): `^(a+)+$` on 36 `a`s and
    a `!` took hours with a backtracking engine; it is matched in linear time."""
    prop: dict[str, Any] = {"type": "string", "pattern": "^(a+)+$"}
    old = {**prop, "default": "a" * 34 + "!", "enum": ["a" * 34 + "!", "b"]}
    new = {**prop, "default": "a" * 36 + "!", "enum": ["a" * 36 + "!"]}
    for name, schema in (("old.json", old), ("new.json", new)):
        model = {"id": "m", "request_schema": {"type": "object", "properties": {"x": schema}}}
        (tmp_path / name).write_text(json.dumps({"object": "list", "data": [model]}))
    start = time.monotonic()
    result = _run("diff", "old.json", "new.json", "--format", "json", cwd=tmp_path, timeout=30)
    assert time.monotonic() - start < 10
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr
    rules = {c["rule"] for c in json.loads(result.stdout)["changes"]}
    assert "default-changed" in rules
