"""Batch inputs files: every hostile file is refused whole, naming each line and field."""

from __future__ import annotations

import csv
import json
import os
import pathlib
from pathlib import Path
from typing import Any

import pytest
from oxen_inference._batch_inputs import (
    MAX_LINE_BYTES,
    BatchInputError,
    media_fields,
    output_stems,
    read_inputs,
    with_local_files,
)
from oxen_inference._batch_sheets import cell_value

I2V = "luma-ray-v3-2-image-to-video"
IMG_URL = "https://example.com/a.png"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _lines(*rows: Any) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)


def _ok(prompt: str = "a tiger", **more: Any) -> dict[str, Any]:
    return {"model": I2V, "prompt": prompt, "input_image": IMG_URL, **more}


# (name, file content, expected problems as (line, field, words in the message))
HOSTILE: list[tuple[str, str | bytes, list[tuple[int, str, str]]]] = [
    ("empty", "", [(0, "", "no inputs")]),
    ("blank lines only", "\n  \n\r\n", [(0, "", "no inputs")]),
    ("not JSON", _lines(_ok(), "{nope"), [(2, "", "not JSON")]),
    ("truncated JSON", _lines('{"model": "x", "prompt": "a'), [(1, "", "not JSON")]),
    ("an array", _lines([1, 2]), [(1, "", "expected a JSON object, got an array")]),
    ("a string", _lines('"text"'), [(1, "", "got a string")]),
    ("not UTF-8", b'{"prompt": "\xff\xfe"}\n', [(1, "", "not UTF-8")]),
    ("nested too deeply", "[" * 100_000 + "]" * 100_000 + "\n", [(1, "", "not JSON")]),
    (
        "duplicate ids",
        _lines(_ok(id="a"), _ok(id="b"), _ok(id="a")),
        [(3, "id", "'a' is also the id of line 1")],
    ),
    (
        "an id that is another line's number",
        _lines(_ok(), _ok(id="1")),
        [(2, "id", "'1' is also the id of line 1")],
    ),
    ("an id that is a number", _lines(_ok(id=7)), [(1, "id", "must be a string")]),
    ("a blank id", _lines(_ok(id="  ")), [(1, "id", "not blank")]),
    ("an id with a line break", _lines(_ok(id="a\nb")), [(1, "id", "no control characters")]),
    ("no model", _lines({"prompt": "x"}), [(1, "model", "missing")]),
    ("a model that is not a string", _lines({"model": 3, "prompt": "x"}), [(1, "model", "string")]),
    (
        "unknown model",
        _lines({"model": "luma-ray-v3-2-image-to-vidoe", "prompt": "x"}),
        [(1, "model", "unknown model 'luma-ray-v3-2-image-to-vidoe'; did you mean 'luma-ray-v3-2")],
    ),
    (
        "a chat model",
        _lines({"model": "claude-fable-5", "messages": []}),
        [(1, "model", "is a chat model")],
    ),
    (
        "a bad value",
        _lines(_ok(duration="7s")),
        [(1, "duration", "allowed: '5s', '10s'")],
    ),
    ("a wrong type", _lines(_ok(loop="yes")), [(1, "loop", "")]),
    (
        "an unknown parameter",
        _lines(_ok(durration="5s")),
        [(1, "durration", "did you mean 'duration'")],
    ),
    (
        "a required parameter missing",
        _lines({"model": I2V, "prompt": "x"}),
        [(1, "input_image", "required")],
    ),
    (
        "num_generations",
        _lines(_ok(num_generations=2)),
        [(1, "num_generations", "repeat the line instead")],
    ),
    (
        "a missing local file",
        _lines(_ok(input_image="@nope.png")),
        [(1, "input_image", "no such file")],
    ),
    (
        "a directory as a file",
        _lines(_ok(input_image="@folder")),
        [(1, "input_image", "is a directory")],
    ),
    (
        "an empty local file",
        _lines(_ok(input_image="@empty.png")),
        [(1, "input_image", "is empty")],
    ),
    (
        "a local file of the wrong kind",
        _lines(_ok(input_image="@clip.mp4")),
        [(1, "input_image", "expects an image")],
    ),
    (
        "several problems, each on its own line",
        _lines(_ok(), {"prompt": "x"}, "oops", _ok(duration="1s")),
        [(2, "model", "missing"), (3, "", "not JSON"), (4, "duration", "allowed")],
    ),
]


def _write(folder: Path, content: str | bytes) -> Path:
    (folder / "folder").mkdir(exist_ok=True)
    (folder / "empty.png").write_bytes(b"")
    (folder / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 32)
    path = folder / "inputs.jsonl"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


@pytest.mark.parametrize(
    ("content", "expected"), [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE]
)
def test_hostile_inputs_are_refused_whole(
    tmp_path: Path, content: str | bytes, expected: list[tuple[int, str, str]]
) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(BatchInputError) as caught:
        read_inputs(path)
    got = [(p.line, p.field, p.message) for p in caught.value.problems]
    assert [(line, field) for line, field, _ in got] == [
        (line, field) for line, field, _ in expected
    ]
    for (_, _, message), (_, _, words) in zip(got, expected, strict=True):
        assert words in message
    lines = str(caught.value).splitlines()
    assert len(lines) == len(expected)
    for line, problem in zip(lines, caught.value.problems, strict=True):
        where = f"{path}:{problem.line}" if problem.line else str(path)
        assert line.startswith(where + ": ")


def test_a_line_over_the_limit_is_refused_and_the_next_lines_still_read(tmp_path: Path) -> None:
    long = json.dumps(_ok(prompt="x" * (MAX_LINE_BYTES + 10)))
    path = _write(tmp_path, long + "\n" + _lines("{bad", _ok()))
    with pytest.raises(BatchInputError) as caught:
        read_inputs(path)
    assert [(p.line, p.message) for p in caught.value.problems] == [
        (1, f"longer than {MAX_LINE_BYTES:,} bytes"),
        (2, "not JSON: Expecting property name enclosed in double quotes (column 2)"),
    ]


def test_the_line_limit_is_a_setting(tmp_path: Path) -> None:
    path = _write(tmp_path, _lines(_ok(), _ok(prompt="y" * 200)))
    with pytest.raises(BatchInputError, match=r":2: longer than 150 bytes"):
        read_inputs(path, max_line_bytes=150)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: p / "missing.jsonl", "no such file"),
        (lambda p: p, "is a directory, not a file"),
    ],
    ids=["missing", "a directory"],
)
def test_an_inputs_path_that_is_not_a_file(tmp_path: Path, make: Any, words: str) -> None:
    with pytest.raises(BatchInputError, match=words):
        read_inputs(make(tmp_path))


def test_an_unreadable_local_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(PNG)
    secret.chmod(0)
    if os.access(secret, os.R_OK):  # root reads anything: make the read fail as it would
        real = pathlib.Path.open

        def refuse(self: Path, *args: Any, **kwargs: Any) -> Any:
            if self.name == "secret.png":
                raise PermissionError(13, "Permission denied", str(self))
            return real(self, *args, **kwargs)

        monkeypatch.setattr(pathlib.Path, "open", refuse)
    path = _write(tmp_path, _lines(_ok(input_image="@secret.png")))
    with pytest.raises(BatchInputError) as caught:
        read_inputs(path)
    assert [(p.line, p.field) for p in caught.value.problems] == [(1, "input_image")]
    assert "cannot read" in caught.value.problems[0].message
    assert "Permission denied" in caught.value.problems[0].message


def test_an_unknown_run_model_is_one_problem(tmp_path: Path) -> None:
    path = _write(tmp_path, _lines({"prompt": "x"}))
    with pytest.raises(BatchInputError) as caught:
        read_inputs(path, model="nope")
    assert [(p.line, p.field) for p in caught.value.problems] == [(0, "--model")]


def test_the_run_model_and_a_line_model_must_agree(tmp_path: Path) -> None:
    path = _write(tmp_path, _lines(_ok(), {"prompt": "x", "input_image": IMG_URL}))
    with pytest.raises(BatchInputError) as caught:
        read_inputs(path, model="luma-ray-v3-2-text-to-video")
    # line 1 names another model; line 2 is checked against the run's (which takes no image)
    assert [(p.line, p.field) for p in caught.value.problems] == [(1, "model"), (2, "input_image")]
    items = read_inputs(path, model=I2V)
    assert [(i.id, i.model) for i in items] == [("1", I2V), ("2", I2V)]


def test_good_inputs(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "a.png").write_bytes(PNG)
    content = "\ufeff" + _lines(
        _ok(id="first"),
        "",
        _ok(input_image="@img/a.png", target_namespace="team"),
        _ok(prompt="@someone waves"),
    ).replace("\n", "\r\n")
    items = read_inputs(_write(tmp_path, content))
    assert [(i.id, i.line, i.namespace) for i in items] == [
        ("first", 1, None),
        ("3", 3, "team"),
        ("4", 4, None),
    ]
    assert items[1].params == {"prompt": "a tiger", "input_image": "@img/a.png"}
    assert items[2].params["prompt"] == "@someone waves"  # not a media field: text as it is


def test_identical_inputs_share_a_key_and_ids_do_not_matter(tmp_path: Path) -> None:
    items = read_inputs(
        _write(tmp_path, _lines(_ok(id="x"), _ok(id="y"), _ok(prompt="b"), _ok(loop=False)))
    )
    assert items[0].key == items[1].key
    assert len({items[0].key, items[2].key, items[3].key}) == 3


def test_at_paths_are_relative_to_the_inputs_folder_and_may_leave_it(tmp_path: Path) -> None:
    outside = tmp_path / "outside.png"
    outside.write_bytes(PNG)
    folder = tmp_path / "batch"
    folder.mkdir()
    items = read_inputs(_write(folder, _lines(_ok(input_image="@../outside.png"))))
    params = with_local_files(I2V, items[0].params, folder)
    assert Path(params["input_image"]).resolve() == outside.resolve()


def test_mappings_are_inputs_too(tmp_path: Path) -> None:
    items = read_inputs([_ok(), _ok(id="z")], base=tmp_path)
    assert [i.id for i in items] == ["1", "z"]
    with pytest.raises(BatchInputError, match=r"inputs:2: expected a mapping"):
        read_inputs([_ok(), ["not", "a", "mapping"]])  # type: ignore[list-item]


def test_media_fields_come_from_the_request_class() -> None:
    assert media_fields(I2V) == {"input_image", "reference_image_urls"}
    assert media_fields("no-such-model") == frozenset()


def test_output_stems_are_safe_and_unique() -> None:
    ids = ["1", "cat", "Cat", "../etc/passwd", "a b", ".hidden", "", "x" * 300, "a_b"]
    stems = output_stems(ids)
    assert stems["1"] == "1"
    assert stems["a_b"] == "a_b"
    for stem in stems.values():
        assert stem and "/" not in stem and not stem.startswith(".")
        assert len(stem) <= 100
    assert len({s.casefold() for s in stems.values()}) == len(ids)
    crafted = output_stems(["a b", f"a_b-{stems['a b'].rsplit('-', 1)[1]}"])
    assert len({s.casefold() for s in crafted.values()}) == 2


# -- spreadsheets (.csv, .tsv) ----------------------------------------------------------------

T2I = "flux-2-pro"  # seed: integer or null; guidance: number; input_image: a list of images


def _sheet(folder: Path, content: str | bytes, name: str = "inputs.csv") -> Path:
    _write(folder, b"")  # the local files the table refers to
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def test_a_sheet_is_read_row_by_row_typed_by_the_schema(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(PNG)
    content = (
        "\ufeffmodel,id,prompt,seed,guidance,disable_safety_checker,input_image\r\n"
        f'{T2I},first,"1984, in ""snow""\nand wind",7,2.5,true,@a.png\r\n'
        f"{T2I},,1984,,3,,https://example.com/a.png\r\n"
        ",,,,,,\r\n"  # an empty row: skipped
        f'{T2I},,null,null,,,"[""@a.png"", ""https://example.com/b.png""]"\r\n'
    )
    items = read_inputs(_sheet(tmp_path, content))
    assert [(i.id, i.line, i.model) for i in items] == [
        ("first", 2, T2I),
        ("4", 4, T2I),  # the line the row starts on: the cell above holds a line break
        ("6", 6, T2I),
    ]
    assert [i.params for i in items] == [
        {
            "prompt": '1984, in "snow"\nand wind',
            "seed": 7,
            "guidance": 2.5,
            "disable_safety_checker": True,
            "input_image": ["@a.png"],  # one value in a list column: a list of one
        },
        {"prompt": "1984", "guidance": 3, "input_image": ["https://example.com/a.png"]},
        {"prompt": "null", "seed": None, "input_image": ["@a.png", "https://example.com/b.png"]},
    ]
    again = read_inputs(tmp_path / "inputs.csv")
    assert [i.key for i in again] == [i.key for i in items]  # a resume reads the same inputs


def test_a_tab_separated_sheet_and_the_run_model(tmp_path: Path) -> None:
    content = "prompt\tseed\na red fox\t3\nc\tb\n"
    items = read_inputs(_sheet(tmp_path, "prompt\tseed\na red fox\t3\n", "in.TSV"), model=T2I)
    assert [(i.line, i.model, i.params) for i in items] == [
        (2, T2I, {"prompt": "a red fox", "seed": 3})
    ]
    with pytest.raises(BatchInputError) as caught:
        read_inputs(_sheet(tmp_path, content, "in.tsv"), model=T2I)
    assert [(p.line, p.field) for p in caught.value.problems] == [(3, "seed")]


@pytest.mark.parametrize(
    ("types", "raw", "expected"),
    [
        ({"string"}, "1984", "1984"),
        ({"string"}, "true", "true"),
        ({"string"}, '"quoted"', "quoted"),
        ({"string"}, "@me waves", "@me waves"),
        ({"string", "null"}, "null", None),
        ({"integer"}, "7", 7),
        ({"integer"}, "seven", "seven"),  # the schema check names what it takes
        ({"number"}, "7", 7),
        ({"boolean"}, "false", False),
        ({"array"}, "https://example.com/a.png", ["https://example.com/a.png"]),
        ({"array", "null"}, "@a.png", ["@a.png"]),
        ({"array", "null"}, "null", None),  # a list or null: null, not a list of it
        ({"array", "integer"}, "5", 5),  # taken as it is
        ({"array"}, "[1, 2]", [1, 2]),
        ({"object"}, '{"a": 1}', {"a": 1}),
        (set(), "7", 7),
        (None, "a fox", "a fox"),
    ],
)
def test_a_cell_is_typed_by_what_its_parameter_takes(
    types: set[str] | None, raw: str, expected: Any
) -> None:
    assert cell_value(None if types is None else frozenset(types), raw) == expected


# (name, sheet content, expected problems as (line, field, words in the message))
HOSTILE_SHEETS: list[tuple[str, str | bytes, list[tuple[int, str, str]]]] = [
    ("empty", "", [(0, "", "no rows below the first")]),
    ("a header only", "model,prompt\n", [(0, "", "no rows below the first")]),
    ("no column names", ",\nx,y\n", [(1, "", "must name the columns")]),
    ("a name twice", "prompt,seed,prompt\na,1,b\n", [(1, "prompt", "names two columns")]),
    ("more cells than names", f"model,prompt\n{T2I},a,extra\n", [(2, "", "3 cells")]),
    (
        "a value under no name",
        f"model,prompt,\n{T2I},a,\n{T2I},b,stray\n",
        [(3, "", "does not name")],
    ),
    ("an unclosed quote", f'model,prompt\n{T2I},"a fox\n', [(2, "", "not CSV")]),
    ("a quote inside a cell", f'model,prompt\n{T2I},a "fox" b\n{T2I},"x"y\n', [(3, "", "not CSV")]),
    ("not UTF-8", b"model,prompt\nflux-2-pro,caf\xe9\n", [(2, "", "not UTF-8")]),
    ("an unknown model", "model,prompt\nflux-9,a\n", [(2, "model", "unknown model")]),
    ("no model", "prompt\na fox\n", [(2, "model", "missing")]),
    (
        "values the schema refuses",
        f"model,prompt,seed,output_format\n{T2I},a,,bmp\n{T2I},b,x,\n",
        [(2, "output_format", ""), (3, "seed", "")],
    ),
    ("a parameter the model lacks", f"model,prompt,colour\n{T2I},a,red\n", [(2, "colour", "")]),
    (
        "a missing local file",
        f"model,prompt,input_image\n{T2I},a,@nope.png\n",
        [(2, "input_image.0", "no such file")],
    ),
    (
        "an id twice",
        f"model,id,prompt\n{T2I},x,a\n{T2I},x,b\n",
        [(3, "id", "also the id of line 2")],
    ),
]


@pytest.mark.parametrize(
    ("content", "expected"), [c[1:] for c in HOSTILE_SHEETS], ids=[c[0] for c in HOSTILE_SHEETS]
)
def test_hostile_sheets_are_refused_whole(
    tmp_path: Path, content: str | bytes, expected: list[tuple[int, str, str]]
) -> None:
    path = _sheet(tmp_path, content)
    with pytest.raises(BatchInputError) as caught:
        read_inputs(path)
    got = [(p.line, p.field, p.message) for p in caught.value.problems]
    assert [(line, field) for line, field, _ in got] == [
        (line, field) for line, field, _ in expected
    ]
    for (_, _, message), (_, _, words) in zip(got, expected, strict=True):
        assert words in message


def test_a_sheet_line_over_the_limit_and_a_cell_over_csvs_limit(tmp_path: Path) -> None:
    path = _sheet(tmp_path, f"model,prompt\n{T2I},short\n{T2I},{'x' * 100}\n")
    with pytest.raises(BatchInputError) as caught:
        read_inputs(path, max_line_bytes=60)
    assert [(p.line, p.message) for p in caught.value.problems] == [(3, "longer than 60 bytes")]
    cap = csv.field_size_limit()  # 131,072 unless something in the process raised it
    path = _sheet(tmp_path, f"model,prompt\n{T2I},{'x' * (cap + 1)}\n")
    with pytest.raises(BatchInputError) as caught:
        read_inputs(path, max_line_bytes=cap + 100)
    [problem] = caught.value.problems
    assert (problem.line, problem.message) == (
        2,
        f"a cell longer than {cap:,} characters (give a file as @PATH)",
    )


def test_a_sheet_saved_with_semicolons_and_decimal_commas(tmp_path: Path) -> None:
    content = f"model;prompt;guidance;seed\n{T2I};a fox, red;2,5;7\n{T2I};1,5;3;\n"
    items = read_inputs(_sheet(tmp_path, content))
    assert [i.params for i in items] == [
        {"prompt": "a fox, red", "guidance": 2.5, "seed": 7},
        {"prompt": "1,5", "guidance": 3},  # text stays text
    ]
    # a first row with a comma is a comma-separated sheet: "2,5" is then a quoted cell's text
    content = f'model,prompt,guidance\n{T2I},"a; b","2,5"\n'
    with pytest.raises(BatchInputError) as caught:
        read_inputs(_sheet(tmp_path, content))
    assert [(p.line, p.field) for p in caught.value.problems] == [(2, "guidance")]


@pytest.mark.parametrize(
    ("raw", "decimal_comma", "expected"),
    [("2,5", True, 2.5), ("-2,5", True, -2.5), ("2,5", False, "2,5"), ("1,2,3", True, "1,2,3")],
)
def test_a_decimal_comma_only_in_a_semicolon_sheet(
    raw: str, decimal_comma: bool, expected: object
) -> None:
    assert cell_value(frozenset({"number"}), raw, decimal_comma) == expected
