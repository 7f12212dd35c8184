"""A string given for a media input is a URL the provider downloads, never a file name: the
client refuses anything but an http(s) URL or a data URI before sending (sync and async, generate
and submit, single values, list items, nested objects), and the mock server refuses what reaches
it anyway (``extra_body`` is sent unchecked, by design), as the real API would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import oxen_inference as ox
import pytest

from oxgen.mock.media import png
from oxgen.mock.testing import MockServer, running_mock_server
from tests.golden import golden

I2V = "luma-ray-v3-2-image-to-video"
URL = "https://example.com/tiger.png"

# (case, value, what the message says). None of them may reach the wire.
NOT_URLS: list[tuple[str, str, str]] = [
    ("file name", "tiger.png", r"'tiger.png' is not a URL; .* Path\('tiger.png'\)"),
    ("relative path", "images/tiger.png", r"Path\('images/tiger.png'\)"),
    ("absolute path", "/home/me/tiger.png", r"Path\('/home/me/tiger.png'\)"),
    ("home path", "~/tiger.png", r"Path\('~/tiger.png'\)"),
    ("windows path", "C:\\pics\\tiger.png", r"is not a URL; .*Path\("),
    ("file URL", "file:///home/me/tiger.png", r"not an http\(s\) URL or a data: URI"),
    ("other scheme", "s3://bucket/tiger.png", r"not an http\(s\) URL or a data: URI"),
    ("scheme-relative", "//example.com/tiger.png", r"is not a URL"),
    ("no host", "https://", r"not an http\(s\) URL or a data: URI"),
    ("blank", "   ", r"is empty"),
    ("empty", "", r"is empty"),
]
URLS = [URL, "HTTP://EXAMPLE.COM/T.PNG", "data:image/png;base64,iVBORw0KGgo="]


class Wire:
    """Every request the client sent (an httpx event hook)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def hook(self, request: httpx.Request) -> None:
        self.requests.append(request)

    async def ahook(self, request: httpx.Request) -> None:
        self.requests.append(request)

    def posted(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests if r.method == "POST"]


def _client(mock: MockServer, wire: Wire, module: Any = ox) -> Any:
    http = httpx.Client(event_hooks={"request": [wire.hook]})
    return module.Oxen(api_key=mock.api_key, base_url=mock.base_url, http_client=http)


def _aclient(mock: MockServer, wire: Wire, module: Any = ox) -> Any:
    http = httpx.AsyncClient(event_hooks={"request": [wire.ahook]})
    return module.AsyncOxen(api_key=mock.api_key, base_url=mock.base_url, http_client=http)


def _call(client: Any, how: str, **params: Any) -> Any:
    """One call of the blocking client by `how`: the per-model methods or the generic ones."""
    if how == "generate_model":
        return client.generate_luma_ray_v3_2_image_to_video(prompt="p", **params)
    if how == "submit_model":
        return client.submit_luma_ray_v3_2_image_to_video(prompt="p", **params)
    return getattr(client, how)(I2V, prompt="p", **params)


HOW = ["generate_model", "submit_model", "generate", "submit"]


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize(("case", "value", "message"), NOT_URLS, ids=[c[0] for c in NOT_URLS])
def test_a_string_that_is_not_a_url_is_refused_before_sending(
    mock: MockServer, case: str, value: str, message: str, how: str
) -> None:
    wire = Wire()
    with _client(mock, wire) as client:
        with pytest.raises(ox.ValidationError, match=rf"input_image: .*{message}") as caught:
            _call(client, how, input_image=value)
        assert caught.value.model_id == I2V and caught.value.errors[0][0] == "input_image"
        with pytest.raises(ox.ValidationError, match=rf"reference_image_urls\.1: .*{message}"):
            _call(client, how, input_image=URL, reference_image_urls=[URL, value])
    assert not wire.requests and mock.stats()["requests_total"] == 0


@pytest.mark.parametrize("how", ["generate", "submit"])
async def test_the_async_client_refuses_them_too(mock: MockServer, how: str) -> None:
    wire = Wire()
    async with _aclient(mock, wire) as client:
        for _, value, message in NOT_URLS:
            with pytest.raises(ox.ValidationError, match=rf"input_image: .*{message}"):
                await getattr(client, f"{how}_luma_ray_v3_2_image_to_video")(
                    prompt="p", input_image=value
                )
            with pytest.raises(ox.ValidationError, match=rf"reference_image_urls\.0: .*{message}"):
                await getattr(client, how)(
                    I2V, prompt="p", input_image=URL, reference_image_urls=[value]
                )
    assert not wire.requests


def test_a_string_naming_a_local_file_is_not_read(
    mock: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The string names a real image in the working directory: still refused, never read or sent."""
    (tmp_path / "tiger.png").write_bytes(png())
    monkeypatch.chdir(tmp_path)
    wire = Wire()
    with _client(mock, wire) as client:
        with pytest.raises(ox.ValidationError, match=r"Path\('tiger.png'\)"):
            client.submit_luma_ray_v3_2_image_to_video(prompt="p", input_image="tiger.png")
        job = client.submit_luma_ray_v3_2_image_to_video(prompt="p", input_image=Path("tiger.png"))
        assert job.wait(timeout=20).status == "succeeded"
    [body] = wire.posted()
    assert body["input_image"].startswith("data:image/png;base64,")


@pytest.mark.parametrize("value", URLS)
def test_urls_and_data_uris_go_as_they_are(mock: MockServer, value: str) -> None:
    wire = Wire()
    with _client(mock, wire) as client:
        client.generate_luma_ray_v3_2_image_to_video(prompt="p", input_image=value)
        client.submit(I2V, prompt="p", input_image=URL, reference_image_urls=[value]).wait(20)
    first, second = wire.posted()
    assert first["input_image"] == value and second["reference_image_urls"] == [value]


def test_request_classes_refuse_them() -> None:
    import pydantic

    cls = ox.request_model(I2V)
    for _, value, _message in NOT_URLS:
        with pytest.raises(pydantic.ValidationError, match="input_image"):
            cls(prompt="p", input_image=value)
    assert ox.to_body(cls(prompt="p", input_image=URL)) == {"prompt": "p", "input_image": URL}


def test_extra_body_is_sent_unchecked_and_the_server_refuses_it(mock: MockServer) -> None:
    """``extra_body`` is merged last and never checked: a file name there goes on the wire as
    given, and the server fails the job (the queue) or the request (the blocking route)."""
    wire = Wire()
    with _client(mock, wire) as client:
        job = client.submit_luma_ray_v3_2_image_to_video(
            prompt="p", input_image=URL, extra_body={"input_image": "tiger.png"}
        )
        with pytest.raises(ox.GenerationFailedError) as failed:
            job.wait(timeout=20)
        with pytest.raises(ox.BadRequestError) as refused:
            client.generate(
                I2V, prompt="p", input_image=URL, extra_body={"reference_image_urls": ["b.png"]}
            )
    said = "Failed to download input_image: Invalid URL 'tiger.png': No scheme supplied"
    assert failed.value.error_message == said
    assert "reference_image_urls.0: Invalid URL 'b.png': No scheme supplied" in str(refused.value)
    assert [b.get("input_image") for b in wire.posted()] == ["tiger.png", URL]


# -- the mock server on its own ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("tiger.png", "Invalid URL 'tiger.png': No scheme supplied"),
        ("/home/me/tiger.png", "Invalid URL '/home/me/tiger.png': No scheme supplied"),
        ("file:///tmp/t.png", "No connection adapters were found for 'file:///tmp/t.png'"),
        ("ftp://example.com/t.png", "No connection adapters were found for"),
        ("https://", "Invalid URL 'https://': No host supplied"),
        ("", "Invalid URL '': No scheme supplied"),
    ],
)
def test_the_mock_refuses_media_inputs_it_could_not_download(
    api: httpx.Client, mock: MockServer, value: str, said: str
) -> None:
    body = {"model": I2V, "prompt": "p", "input_image": URL, "reference_image_urls": [URL, value]}
    answer = api.post("/ai/videos/generate", json=body)
    assert answer.status_code == 400
    assert f"Failed to download reference_image_urls.1: {said}" in answer.text
    queued = api.post("/ai/queue", json={**body, "input_image": value, "reference_image_urls": []})
    assert queued.status_code == 200  # the queue checks parameters when the job runs
    [row] = queued.json()["generations"]
    with ox.Oxen(api_key=mock.api_key, base_url=mock.base_url) as client:
        result = client.job(row["generation_id"]).wait(timeout=20, raise_on_failure=False)
    assert result.status == "failed"
    assert (result.error_message or "").startswith(f"Failed to download input_image: {said}")


def test_the_mock_leaves_other_strings_alone(api: httpx.Client) -> None:
    """Only media inputs are downloaded: a prompt that looks like a file name is a prompt."""
    body = {"model": I2V, "prompt": "tiger.png", "input_image": URL}
    assert api.post("/ai/videos/generate", json=body).status_code == 200


# -- nested media inputs: a model whose list of objects holds image URLs ------------------------

NESTED = "nested-media"


@pytest.fixture(scope="module")
def nested(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MockServer, Any]]:
    from tests.conftest import generate_package, import_generated

    model = {
        "id": NESTED,
        "capabilities": {"input": ["text", "image"], "output": ["video"]},
        "request_schema": golden.load_case("media_inputs")["schema"],
    }
    out = tmp_path_factory.mktemp("nested")
    result = generate_package([model], out, "nested_media_client")
    assert not result.problems
    package = import_generated(out, "nested_media_client")
    with running_mock_server(out / "catalog.json", latency=0.05) as server:
        yield server, package


def test_nested_media_strings_are_checked_by_client_and_server(
    nested: tuple[MockServer, Any],
) -> None:
    server, package = nested
    refs = [{"image_url": URL, "weight": 1}, {"image_url": "ref.png", "weight": 2}]
    wire = Wire()
    with _client(server, wire, package) as client:
        for how in ("generate", "submit"):
            with pytest.raises(
                package.ValidationError, match=r"references\.1\.image_url: 'ref.png' is not a URL"
            ):
                getattr(client, how)(NESTED, prompt="a", input_image=URL, references=refs)
        assert not wire.requests
        job = client.submit(NESTED, prompt="a", input_image=URL, extra_body={"references": refs})
        failed = job.wait(timeout=20, raise_on_failure=False)
        ok = client.submit(NESTED, prompt="a", input_image=URL, references=refs[:1]).wait(20)
    assert failed.error_message == (
        "Failed to download references.1.image_url: Invalid URL 'ref.png': No scheme supplied"
    )
    assert ok.status == "succeeded"


async def test_nested_media_strings_async(nested: tuple[MockServer, Any]) -> None:
    server, package = nested
    wire = Wire()
    async with _aclient(server, wire, package) as client:
        with pytest.raises(package.ValidationError, match=r"references\.0\.image_url"):
            await client.generate(
                NESTED, prompt="a", input_image=URL, references=[{"image_url": "/etc/x.png"}]
            )
    assert not wire.requests
