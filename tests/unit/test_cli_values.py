"""The command line's ``key=value`` words turned into typed parameters (no network), the model
facts it reads, and what its start-up imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from oxen_inference._cli._common import UsageError
from oxen_inference._cli._model import ModelInfo, model_info, params_of
from oxen_inference._cli._values import parameters
from oxen_inference._schema_types import schema_types

I2V = "luma-ray-v3-2-image-to-video"
FLUX = "flux-2-pro"


@pytest.fixture(scope="module")
def luma() -> ModelInfo:
    return model_info(I2V)


# (words, expected parameters) for Luma Ray 3.2 image-to-video
TYPED: list[tuple[list[str], dict[str, Any]]] = [
    (["prompt=a tiger"], {"prompt": "a tiger"}),
    (["prompt=42"], {"prompt": "42"}),  # a string field keeps the text
    (["prompt=true"], {"prompt": "true"}),
    (["prompt=null"], {"prompt": "null"}),  # a string field that does not take null: text
    (['prompt="quoted"'], {"prompt": "quoted"}),
    (["prompt=a=b"], {"prompt": "a=b"}),  # only the first = splits
    (["prompt="], {"prompt": ""}),
    (['prompt="@home"'], {"prompt": "@home"}),  # text starting with @, quoted as JSON
    (["loop=true"], {"loop": True}),
    (["loop=false"], {"loop": False}),
    (["loop=yes"], {"loop": "yes"}),  # refused later, by the request class
    (["loop=1"], {"loop": 1}),
    (["duration=5s"], {"duration": "5s"}),
    (["aspect_ratio=16:9"], {"aspect_ratio": "16:9"}),
    (["input_image=https://x/y.png"], {"input_image": "https://x/y.png"}),
    (["input_image=data:image/png;base64,AAAA"], {"input_image": "data:image/png;base64,AAAA"}),
    (["input_image=@t.png"], {"input_image": Path("t.png")}),
    (["input_image=@dir/a b.png"], {"input_image": Path("dir/a b.png")}),
    (["reference_image_urls=@a.png"], {"reference_image_urls": [Path("a.png")]}),
    (
        ["reference_image_urls=@a.png", "reference_image_urls=https://x/b.png"],
        {"reference_image_urls": [Path("a.png"), "https://x/b.png"]},
    ),
    (
        ['reference_image_urls=["@a.png", "https://x/b.png"]'],
        {"reference_image_urls": [Path("a.png"), "https://x/b.png"]},
    ),
    (["reference_image_urls=[]"], {"reference_image_urls": []}),
    (["target_namespace=my-org", "prompt=x"], {"prompt": "x"}),
]


@pytest.mark.parametrize(("words", "expected"), TYPED)
def test_values_are_typed_by_json_and_the_schema(
    luma: ModelInfo, words: list[str], expected: dict[str, Any]
) -> None:
    params, _ = parameters(luma, words)
    assert params == expected
    for key, value in expected.items():
        assert type(params[key]) is type(value), key


def test_controls_are_kept_apart(luma: ModelInfo) -> None:
    params, controls = parameters(luma, ["prompt=x", "target_namespace=org"])
    assert params == {"prompt": "x"} and controls == {"target_namespace": "org"}


def test_numbers_stay_numbers() -> None:
    flux = model_info(FLUX)
    params, _ = parameters(flux, ["seed=7", "guidance=3.5", "guidance=3", "input_image=null"][:2])
    assert params == {"seed": 7, "guidance": 3.5}
    assert type(params["seed"]) is int
    params, _ = parameters(flux, ["guidance=3", "seed=7.5", "input_image=null"])
    assert params == {"guidance": 3, "seed": 7.5, "input_image": None}  # 7.5: refused later


# (words, fragment of the one-line UsageError)
REFUSED: list[tuple[list[str], str]] = [
    (["prompt"], "expected key=value, got 'prompt'"),
    (["=x"], "expected key=value"),
    (["promt=x"], "did you mean 'prompt'?"),
    (["PROMPT=x"], "unknown parameter 'PROMPT'"),
    (["prompt=a", "prompt=b"], "prompt is given twice"),
    (["input_image=@a.png", "input_image=@b.png"], "input_image is given twice"),
    (["prompt=@notes.txt"], "prompt takes string, not a file"),
    (["loop=@x.png"], "loop takes boolean, not a file"),
    (["input_image=@"], "input_image=@ needs a file path"),
    (["input_image=tiger.png"], "a local file is given as input_image=@tiger.png"),
    (['reference_image_urls=["tiger.png"]'], "a local file is given as reference_image_urls=@"),
    (["timeout=5"], "timeout is set by oxen-inference"),
    (["num_generations=2"], "num_generations is set by oxen-inference"),
    (["model=x"], "model is set by oxen-inference"),
]


@pytest.mark.parametrize(("words", "fragment"), REFUSED)
def test_refused_words(luma: ModelInfo, words: list[str], fragment: str) -> None:
    with pytest.raises(UsageError) as caught:
        parameters(luma, words)
    assert fragment in str(caught.value)
    assert caught.value.code == 2 and "\n" not in str(caught.value)


def test_schema_less_models_take_any_value() -> None:
    chat = model_info("gpt-4o")
    assert chat.params is None and chat.kind == "chat"
    params, _ = parameters(chat, ["temperature=0.2", 'stop=["x"]', "user=me", "file=@a.wav"])
    assert params == {"temperature": 0.2, "stop": ["x"], "user": "me", "file": Path("a.wav")}
    with pytest.raises(UsageError, match="timeout is set by"):
        parameters(chat, ["timeout=3"])


def test_unknown_model_suggests_close_ids() -> None:
    with pytest.raises(UsageError) as caught:
        model_info("luma-ray-v3-2-image-to-vide")
    assert "did you mean luma-ray-v3-2-image-to-video" in str(caught.value)


def test_model_facts(luma: ModelInfo) -> None:
    assert luma.kind == "queue" and luma.media == "video"
    assert list(luma.params or {})[:2] == ["prompt", "input_image"]  # x-order
    image = (luma.params or {})["input_image"]
    assert image.media == "image" and image.required and not image.is_list
    refs = (luma.params or {})["reference_image_urls"]
    assert refs.media == "image" and refs.is_list and not refs.required
    res = (luma.params or {})["resolution"]
    assert res.enum == ("540p", "720p", "1080p") and res.default == "540p"
    assert model_info("bytedance-seed-audio-1-0").kind == "blocking"


SCHEMA = {
    "$defs": {
        "Size": {"enum": [1, 2]},
        "Name": {"$ref": "#/$defs/Text"},
        "Text": {"type": "string"},
    },
    "properties": {
        "b": {"type": ["integer", "null"], "x-order": 1},
        "a": {"$ref": "#/$defs/Size", "x-order": 0},
        "c": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "d": {"$ref": "#/$defs/Name"},
        "e": {"oneOf": [{"type": "string"}, {}]},
        "f": {"$ref": "#/$defs/Missing"},
        "g": {"const": True},
        "h": {"$ref": "https://elsewhere/schema"},
    },
    "required": ["b"],
}


def test_schema_types_follow_refs_and_unions() -> None:
    params = params_of(SCHEMA)
    assert list(params) == ["a", "b", "c", "d", "e", "f", "g", "h"]
    assert params["a"].types == {"integer"} and params["a"].enum == (1, 2)
    assert params["b"].types == {"integer", "null"} and params["b"].required
    assert params["c"].types == {"string", "array"}
    assert params["d"].types == {"string"}
    assert params["e"].types == set()  # one branch takes anything
    assert params["f"].types == set() and params["h"].types == set()
    assert params["g"].types == {"boolean"}
    loop = {"$ref": "#/$defs/A", "$defs": {"A": {"$ref": "#/$defs/A"}}}
    assert schema_types(loop, loop) == set()  # a reference cycle ends


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["run", "--help"], ["jobs", "--help"]])
def test_help_imports_neither_httpx_nor_pydantic(argv: list[str]) -> None:
    probe = (
        "import sys, io, contextlib\n"
        "from oxen_inference._cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(sys.argv[1:])\n"
        "    except SystemExit as exit:\n"
        "        assert exit.code in (0, None), exit.code\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'httpx', 'httpcore', 'pydantic', 'pydantic_core'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_model_help_loads_no_httpx() -> None:
    probe = (
        "import sys, io, contextlib\n"
        "from oxen_inference._cli import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        f"    assert main(['run', {I2V!r}, '--help']) == 0\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'httpx', 'httpcore'}))\n"
        "print(buf.getvalue())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env={"COLUMNS": "100"}
    )
    assert done.returncode == 0, done.stderr
    first, *text = done.stdout.splitlines()
    assert first == "[]"
    assert text[0].startswith(f"usage: oxen-inference run {I2V} [key=value ...]")
    assert "  prompt  (string, required)" in text
    assert "  input_image  (image: a URL or @PATH, required)" in text
    assert "  resolution  (one of: 540p, 720p, 1080p)" in text
    assert "  loop  (boolean)" in text
    assert "  reference_image_urls  (list of images: URLs or @PATHs)" in text
    body = "\n".join(text)
    assert "default: 540p" in body and "default: 16:9" in body


def test_the_library_never_loads_the_command_line() -> None:
    """``import oxen_inference`` and making a client leave ``oxen_inference._cli`` unloaded: the
    command line adds nothing to the library's import."""
    probe = (
        "import sys\n"
        "import oxen_inference\n"
        "from oxen_inference import Oxen, request_model\n"
        "Oxen(api_key='x')\n"
        f"request_model({I2V!r})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[:2] == ['oxen_inference', '_cli']))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
