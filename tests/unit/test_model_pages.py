"""The model pages (generated/api/*.md) say what the code does: every method row names a method
the client has and the type it returns, what a page says about several generations is how the
client behaves, and every parameter row agrees with the method's real signature (required, type,
default; a required field shows no default). ``help()`` shows plain typing names."""

from __future__ import annotations

import ast
import inspect
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import oxen_inference as ox
import pytest
from oxen_inference import _registry
from oxen_inference._types import ServerDefault

from oxgen.controls import CALL_CONTROLS
from tests.conftest import REPO

PAGES = sorted((REPO / "generated" / "api").glob("*.md"))
CONTROLS = {c.name for c in CALL_CONTROLS}
I2V = "luma-ray-v3-2-image-to-video"


def cells(line: str) -> list[str]:
    """The cells of one Markdown table row (``\\|`` is a pipe inside a cell)."""
    parts = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return [p.strip().replace("\\|", "|") for p in parts]


def table(text: str, header: str) -> list[list[str]]:
    lines = text.splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(cells(line))
    return rows


def code(cell: str) -> str:
    """The first code span of a cell."""
    match = re.match(r"`([^`]*)`", cell)
    assert match, cell
    return match.group(1)


def model_of(page: Path) -> Any:
    first = page.read_text(encoding="utf-8").split("Model id `", 1)[1]
    return _registry.get(first.split("`", 1)[0])


@pytest.fixture(scope="module")
def client() -> Iterator[ox.Oxen]:
    with ox.Oxen(api_key="k", base_url="http://127.0.0.1:9/api", events=False) as c:
        yield c


def test_every_model_has_a_page() -> None:
    assert len(PAGES) == len(_registry.model_ids())
    assert {model_of(p).model_id for p in PAGES} == set(_registry.model_ids())


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_the_method_rows_name_real_methods_and_their_return_types(
    page: Path, client: ox.Oxen
) -> None:
    text = page.read_text(encoding="utf-8")
    entry = model_of(page)
    if "| method | route | returns |" not in text:
        assert entry.route is None
        return
    for method, _route, returns in table(text, "| method | route | returns |"):
        name = code(method).removeprefix("client.").removesuffix("(...)")
        bound = getattr(client, name)
        signature = inspect.signature(bound)
        annotation = signature.return_annotation
        if entry.has_schema:
            assert code(returns) == annotation, (name, returns)
        if "num_generations" in returns:
            # The method itself returns one job and takes no num_generations: the page must
            # send the reader to the generic call, which does.
            assert "num_generations" not in signature.parameters
            assert f"`client.submit({json.dumps(entry.model_id)}, num_generations=n, ...)`" in (
                returns
            )
            assert "num_generations" in inspect.signature(client.submit).parameters


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_the_parameter_rows_agree_with_the_signature(page: Path, client: ox.Oxen) -> None:
    text = page.read_text(encoding="utf-8")
    entry = model_of(page)
    if not entry.has_schema:
        assert "## Parameters" not in text
        return
    method = getattr(
        client, f"generate_{entry.module}" if entry.route else f"submit_{entry.module}"
    )
    params = {
        name: p for name, p in inspect.signature(method).parameters.items() if name not in CONTROLS
    }
    rows = table(text, "| parameter | type | default | notes |")
    assert [code(r[0]) for r in rows] == list(params)
    for name_cell, type_cell, default_cell, notes in rows:
        name = code(name_cell)
        param = params[name]
        required = "(required)" in name_cell
        assert required is (param.default is inspect.Parameter.empty), name
        shown = code(type_cell)
        if not shown.endswith("..."):  # long types are cut on the page
            # (annotations are kept as source text, which Python re-quotes with ')
            real = str(param.annotation).replace(" | Omit", "")
            assert shown.replace('"', "'") == real.replace('"', "'"), name
        if required:
            # A required field has no default: a schema "default" there is only an example.
            assert default_cell == "" and "default:" not in notes, (name, notes)
        elif default_cell:
            value = code(default_cell)
            assert isinstance(param.default, ServerDefault), name
            if not value.endswith("..."):
                assert ast.literal_eval(value) == param.default.value, name
        else:
            assert param.default is ox.OMIT, name


def test_a_required_field_with_a_schema_default_says_example(client: ox.Oxen) -> None:
    text = (REPO / "generated" / "api" / "luma_ray_v3_2_image_to_video.md").read_text("utf-8")
    [prompt] = [
        r for r in table(text, "| parameter | type | default | notes |") if "`prompt`" in r[0]
    ]
    assert prompt[2] == "" and "example: 'Low-angle shot of a majestic tiger" in prompt[3]
    doc = client.generate_luma_ray_v3_2_image_to_video.__doc__ or ""
    assert "example: 'Low-angle shot" in doc and "default: 'Low-angle" not in doc


# -- what the pages promise about several generations is what the client does ------------------


def _queue(request: httpx.Request) -> httpx.Response:
    count = json.loads(request.content).get("num_generations", 1)
    rows = [{"generation_id": f"g{i}", "status": "queued"} for i in range(count)]
    return httpx.Response(200, json={"generations": rows})


def test_several_generations_go_through_the_generic_submit() -> None:
    http = httpx.Client(transport=httpx.MockTransport(_queue))
    with ox.Oxen(
        api_key="k", base_url="https://api.test/api", http_client=http, events=False
    ) as client:
        jobs = client.submit(I2V, prompt="p", input_image="https://e/t.png", num_generations=3)
        assert isinstance(jobs, list) and [j.id for j in jobs] == ["g0", "g1", "g2"]
        one = client.submit_luma_ray_v3_2_image_to_video(prompt="p", input_image="https://e/t.png")
        assert isinstance(one, ox.Job)
        with pytest.raises(TypeError) as wrong:
            client.submit_luma_ray_v3_2_image_to_video(  # type: ignore[call-arg]
                prompt="p", input_image="https://e/t.png", num_generations=3
            )
    said = str(wrong.value)
    assert said.startswith(
        "Oxen.submit_luma_ray_v3_2_image_to_video() got an unexpected keyword argument "
        "'num_generations'; several generations in one request go through "
        f"client.submit({I2V!r}, num_generations=n, ...)"
    )
    assert "did you mean" not in said  # never a parameter that only shares some letters


@pytest.mark.parametrize(
    ("given", "hint"),
    [
        ("promptt", "; did you mean 'prompt'?"),
        ("aspect", "; did you mean 'aspect_ratio'?"),
        ("durration", "; did you mean 'duration'?"),
        ("imput_image", "; did you mean 'input_image'?"),
        ("colour", ""),  # nothing close: no suggestion
        ("generations", ""),  # shares letters with 'duration' only
        ("response_format", "; only the blocking route takes it: client.generate_luma_ray_v3_2"),
    ],
)
def test_a_misspelled_keyword_suggests_only_what_it_may_mean(
    client: ox.Oxen, given: str, hint: str
) -> None:
    misspelled: dict[str, Any] = {given: 1}
    with pytest.raises(TypeError) as wrong:
        client.submit_luma_ray_v3_2_image_to_video(
            prompt="p", input_image="https://e/t.png", **misspelled
        )
    prefix = (
        f"Oxen.submit_luma_ray_v3_2_image_to_video() got an unexpected keyword argument {given!r}"
    )
    assert str(wrong.value).startswith(prefix + hint)
    if not hint:
        assert str(wrong.value) == prefix


# -- help() shows the names a reader knows -----------------------------------------------------


def test_help_shows_plain_typing_names(client: ox.Oxen) -> None:
    """No import alias of the model modules (``_typing.Literal``, ``_Mapping``) in what help()
    and IDEs show: ``Literal[...]``, ``Mapping[str, str]``."""
    alias = re.compile(r"(?<![\w.])_[A-Za-z]\w*[.\[]")
    for name in _registry.method_names():
        shown = str(inspect.signature(getattr(client, name)))
        assert not alias.search(shown), (name, shown)
    params = inspect.signature(client.generate_luma_ray_v3_2_image_to_video).parameters
    assert params["response_format"].annotation == "Literal['url', 'b64_json'] | Omit"
    assert params["extra_headers"].annotation == "Mapping[str, str] | None"
    assert params["extra_body"].annotation == "Mapping[str, Any] | None"
    stub = (REPO / "generated" / "oxen_inference" / "_client.pyi").read_text(encoding="utf-8")
    assert "_typing" not in stub and "_Mapping" not in stub
