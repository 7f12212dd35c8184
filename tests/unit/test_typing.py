"""mypy --strict passes on the generator and on the generated client."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _mypy(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """mypy as a user runs it: packages resolved from the environment's installs alone (the
    editable installs are plain path entries), no MYPYPATH."""
    env = {k: v for k, v in os.environ.items() if k != "MYPYPATH"}
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.mark.slow
@pytest.mark.static
def test_generator_and_tests_are_strictly_typed(tmp_path: Path) -> None:
    """`mypy` as scripts/check runs it: the files pyproject.toml names (generator and tests)."""
    repo = Path(__file__).resolve().parents[2]
    proc = _mypy(["--cache-dir", str(tmp_path / "cache")], cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_generator_resolves_by_package_name(tmp_path: Path) -> None:
    # From outside the checkout, by package name: what an IDE or a user's mypy resolves.
    proc = _mypy(["--cache-dir", str(tmp_path / "cache"), "-p", "oxgen"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
@pytest.mark.static
def test_generated_client_is_strictly_typed(tmp_path: Path) -> None:
    proc = _mypy(["--cache-dir", str(tmp_path / "cache"), "-p", "oxen_inference"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# What a user writes; each checked line ends in a tag, and the expectations below name it.
USAGE = """
from pathlib import Path

from oxen_inference import MISSING, AsyncOxen, Oxen
from oxen_inference.models import LumaRayV3_2ImageToVideoRequest as Luma

client = Oxen(api_key="x")
reveal_type(client.submit_luma_ray_v3_2_image_to_video(prompt="p", input_image="u"))  # JOB
reveal_type(client.submit("luma-ray-v3-2-image-to-video", num_generations=2, prompt="p"))  # JOBS
reveal_type(client.generate_luma_ray_v3_2_image_to_video(prompt="p", input_image="u", duration="10s"))  # RESPONSE
client.generate_luma_ray_v3_2_image_to_video(prompt="p", input_image="u", duration="7s")  # BAD_VALUE
client.generate_luma_ray_v3_2_image_to_video(prompt="p")  # MISSING_ARG
client.generate_luma_ray_v3_2_image_to_video(promptt="p", input_image="u")  # MISSPELLED
client.generate_gpt_4o(messages=[{"role": "user", "content": "hi"}])
# media inputs take local files: a path, bytes, an open binary file, in lists too
client.generate_luma_ray_v3_2_image_to_video(
    prompt="p", input_image=Path("a.png"), reference_image_urls=[b"x", Path("b.png"), "u"]
)
with open("a.png", "rb") as f:
    client.submit_luma_ray_v3_2_image_to_video(prompt="p", input_image=f)
Oxen(api_key="x", uploads="me/inputs", max_data_uri_bytes=1 << 20)

request = Luma(prompt="p", input_image="u", duration="10s")
reveal_type(request.loop)  # UNSET_TYPE
flag: bool = request.loop  # UNSET_IS_NOT_BOOL
if request.loop is not MISSING:
    reveal_type(request.loop)  # NARROWED
reveal_type(request.duration)  # DEFAULTED
reveal_type(request.model_dump())  # DUMP
Luma(prompt="p", input_image="u", duration="7s")  # BAD_CLASS_VALUE
raw = client.with_raw_response.generate_luma_ray_v3_2_image_to_video(prompt="p", input_image="u")
reveal_type(raw)  # RAW
reveal_type(raw.request_id)  # RAW_ID
reveal_type(client.with_raw_response.submit("luma-ray-v3-2-image-to-video", num_generations=2, prompt="p").parse())  # RAW_JOBS
reveal_type(client.with_raw_response.models.list().parse())  # RAW_MODELS
client.with_raw_response.generate_luma_ray_v3_2_image_to_video(prompt="p")  # RAW_MISSING_ARG


async def main() -> None:
    aclient = AsyncOxen(api_key="x")
    reveal_type(await aclient.submit_luma_ray_v3_2_image_to_video(prompt="p", input_image="u"))  # AJOB
    reveal_type(await aclient.generate_luma_ray_v3_2_image_to_video(prompt="p", input_image="u"))  # ARESPONSE
    await aclient.generate_luma_ray_v3_2_image_to_video(prompt="p", input_image="u", duration="7s")  # ABAD_VALUE
    await aclient.generate_luma_ray_v3_2_image_to_video(prompt="p", input_image=Path("a.png"))
    reveal_type(await aclient.with_raw_response.submit_luma_ray_v3_2_image_to_video(prompt="p", input_image="u"))  # ARAW_JOB
    reveal_type((await aclient.with_raw_response.models.get("x")).parse())  # ARAW_MODEL
"""

# tag -> text mypy reports on that line (a note for reveal_type, else an error).
MYPY = {
    "JOB": 'Revealed type is "oxen_inference._sync.jobs.Job"',
    "JOBS": 'Revealed type is "list[oxen_inference._sync.jobs.Job]"',
    "RESPONSE": 'Revealed type is "oxen_inference._models.GenerateResponse"',
    "BAD_VALUE": 'Argument "duration" has incompatible type "Literal[\'7s\']"',
    "MISSING_ARG": 'Missing named argument "input_image"',
    "MISSPELLED": 'Unexpected keyword argument "promptt"',
    "UNSET_TYPE": 'Revealed type is "bool | oxen_inference._request.Missing"',
    "UNSET_IS_NOT_BOOL": 'Incompatible types in assignment (expression has type "bool | Missing"',
    "NARROWED": 'Revealed type is "bool"',
    "DEFAULTED": "Revealed type is \"Literal['5s'] | Literal['10s']\"",
    "DUMP": 'Revealed type is "dict[str, Any]"',
    "BAD_CLASS_VALUE": 'Argument "duration" to "LumaRayV3_2ImageToVideoRequest" has incompatible type',
    "AJOB": 'Revealed type is "oxen_inference._async.jobs.AsyncJob"',
    "ARESPONSE": 'Revealed type is "oxen_inference._models.GenerateResponse"',
    "ABAD_VALUE": 'Argument "duration" has incompatible type "Literal[\'7s\']"',
    "RAW": 'Revealed type is "oxen_inference._response.APIResponse[oxen_inference._models.GenerateResponse]"',
    "RAW_ID": 'Revealed type is "str | None"',
    "RAW_JOBS": 'Revealed type is "list[oxen_inference._sync.jobs.Job]"',
    "RAW_MODELS": 'Revealed type is "list[oxen_inference._models.Model]"',
    "RAW_MISSING_ARG": 'Missing named argument "input_image"',
    "ARAW_JOB": 'Revealed type is "oxen_inference._response.APIResponse[oxen_inference._async.jobs.AsyncJob]"',
    "ARAW_MODEL": 'Revealed type is "oxen_inference._models.Model"',
}
# The same for pyright: its own wording of the same facts.
PYRIGHT = {
    "JOB": 'Type of "client.submit_luma_ray_v3_2_image_to_video(prompt="p", input_image="u")" is "Job"',
    "JOBS": 'is "list[Job]"',
    "RESPONSE": 'is "GenerateResponse"',
    "BAD_VALUE": 'Argument of type "Literal[\'7s\']" cannot be assigned to parameter "duration"',
    "MISSING_ARG": 'Argument missing for parameter "input_image"',
    "MISSPELLED": 'No parameter named "promptt"',
    "UNSET_TYPE": 'Type of "request.loop" is "bool | Missing"',
    "UNSET_IS_NOT_BOOL": 'Type "bool | Missing" is not assignable to declared type "bool"',
    "NARROWED": 'Type of "request.loop" is "bool"',
    "DEFAULTED": "Type of \"request.duration\" is \"Literal['5s', '10s']\"",
    "DUMP": 'Type of "request.model_dump()" is "dict[str, Any]"',
    "BAD_CLASS_VALUE": 'Argument of type "Literal[\'7s\']" cannot be assigned to parameter "duration"',
    "AJOB": 'is "AsyncJob"',
    "ARESPONSE": 'is "GenerateResponse"',
    "ABAD_VALUE": 'Argument of type "Literal[\'7s\']" cannot be assigned to parameter "duration"',
    "RAW": 'is "APIResponse[GenerateResponse]"',
    "RAW_ID": 'is "str | None"',
    "RAW_JOBS": 'is "list[Job]"',
    "RAW_MODELS": 'is "list[Model]"',
    "RAW_MISSING_ARG": 'Argument missing for parameter "input_image"',
    "ARAW_JOB": 'is "APIResponse[AsyncJob]"',
    "ARAW_MODEL": 'is "Model"',
}


def _tags() -> dict[int, str]:
    return {
        n: line.rsplit("# ", 1)[1]
        for n, line in enumerate(USAGE.splitlines(), start=1)
        if "  # " in line
    }


def _by_line(reports: list[tuple[int, str]]) -> dict[str, list[str]]:
    tags = _tags()
    out: dict[str, list[str]] = {tag: [] for tag in tags.values()}
    for line, text in reports:
        assert line in tags, f"unexpected report on line {line}: {text}"
        out[tags[line]].append(text)
    return out


@pytest.mark.slow
def test_per_model_methods_and_request_classes_type_check_for_callers(tmp_path: Path) -> None:
    """What a caller's mypy sees through _client.pyi and the request classes: bound methods with
    the schema's Literal values and required parameters (sync and async), one Job from the
    per-model submit and a list from the generic one, and an unset optional field typed as what
    it holds (the value or MISSING), never as a plain bool that reads None."""
    (tmp_path / "use.py").write_text(USAGE)
    proc = _mypy(["--cache-dir", str(tmp_path / "cache"), str(tmp_path / "use.py")], cwd=tmp_path)
    reports = []
    for line in proc.stdout.splitlines():
        parts = line.split(":", 3)
        if len(parts) == 4 and parts[1].isdigit():
            reports.append((int(parts[1]), parts[3].strip()))
    found = _by_line(reports)
    for tag, expected in MYPY.items():
        assert any(expected in text for text in found[tag]), (tag, found[tag], proc.stdout)
    silent = [tag for tag, texts in found.items() if texts and tag not in MYPY]
    assert not silent, (silent, proc.stdout)


def _pyright() -> str | None:
    found = shutil.which("basedpyright", path=str(Path(sys.executable).parent))
    return found or shutil.which("pyright", path=str(Path(sys.executable).parent))


@pytest.mark.slow
@pytest.mark.skipif(_pyright() is None, reason="pyright is not installed (dev extra: basedpyright)")
def test_the_same_holds_for_pyright(tmp_path: Path) -> None:
    """pyright (what VS Code's Pylance runs) reads the same types: the unset field's
    MISSING narrows, the async twins keep the parameters, misspellings are errors."""
    (tmp_path / "use.py").write_text(USAGE)
    (tmp_path / "pyrightconfig.json").write_text(
        json.dumps({"typeCheckingMode": "standard", "pythonVersion": "3.11"})
    )
    pyright = _pyright()
    assert pyright is not None
    proc = subprocess.run(
        [pyright, "--outputjson", "--pythonpath", sys.executable, "use.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    diagnostics = json.loads(proc.stdout)["generalDiagnostics"]
    found = _by_line([(d["range"]["start"]["line"] + 1, d["message"]) for d in diagnostics])
    for tag, expected in PYRIGHT.items():
        assert any(expected in text for text in found[tag]), (tag, found[tag])
    silent = [tag for tag, texts in found.items() if texts and tag not in PYRIGHT]
    assert not silent, silent
