"""Local files as model inputs, end to end against the mock server: Luma Ray 3.2 with a path, bytes
and file objects, as data URIs and as uploads to an Oxen repository (the mock's), sync and async,
queue and blocking route, lists, de-duplication, your own storage, and hostile inputs."""

from __future__ import annotations

import base64
import io
import json
import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import oxen_inference as ox
import pytest
from oxen_inference.models.luma_ray_v3_2_image_to_video import LumaRayV3_2ImageToVideoRequest

from oxgen.mock.media import mp4, png, wav
from oxgen.mock.testing import MockServer

I2V = "luma-ray-v3-2-image-to-video"
GENERATE = "/api/ai/videos/generate"
QUEUE = "/api/ai/queue"


class Wire:
    """JSON bodies the client sent (recorded by an httpx event hook)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def hook(self, request: httpx.Request) -> None:
        self.requests.append(request)

    async def ahook(self, request: httpx.Request) -> None:
        self.requests.append(request)

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [
            json.loads(r.content)
            for r in self.requests
            if r.url.path == path and r.method == "POST"
        ]

    def body(self, path: str) -> dict[str, Any]:
        """The last body sent to `path`."""
        sent = self.bodies(path)
        assert sent, f"nothing was sent to {path}"
        return sent[-1]


@pytest.fixture
def wire() -> Wire:
    return Wire()


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "tiger.png"
    path.write_bytes(png(16, 9))
    return path


def client_for(mock: MockServer, wire: Wire, **options: Any) -> ox.Oxen:
    http = httpx.Client(event_hooks={"request": [wire.hook]})
    return ox.Oxen(api_key=mock.api_key, base_url=mock.base_url, http_client=http, **options)


def aclient_for(mock: MockServer, wire: Wire, **options: Any) -> ox.AsyncOxen:
    http = httpx.AsyncClient(event_hooks={"request": [wire.ahook]})
    return ox.AsyncOxen(api_key=mock.api_key, base_url=mock.base_url, http_client=http, **options)


def decode(uri: str) -> tuple[str, bytes]:
    header, _, payload = uri.partition(",")
    assert header.startswith("data:") and header.endswith(";base64"), uri[:60]
    return header[5:-7], base64.b64decode(payload, validate=True)


def public_repo(mock: MockServer, *repos: str) -> None:
    """Create the repositories uploads go to, public, as a user does once (the client never
    creates one by itself)."""
    with ox.Oxen(api_key=mock.api_key, base_url=mock.base_url) as client:
        for repo in repos:
            assert client.files.create_repo(repo, public=True)


def served(url: str) -> httpx.Response:
    """What a model provider downloading `url` gets: no key."""
    return httpx.get(url, timeout=10)


class _PathLike:
    """Any os.PathLike, not only pathlib's."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __fspath__(self) -> str:
        return self.path


def _empty(tmp: Path) -> Path:
    path = tmp / "e.png"
    path.write_bytes(b"")
    return path


SOURCES: dict[str, Callable[[Path], Any]] = {
    "path": lambda p: p,
    "os-pathlike": lambda p: _PathLike(os.fspath(p)),
    "bytes": lambda p: p.read_bytes(),
    "open-file": lambda p: p.open("rb"),
    "bytesio": lambda p: io.BytesIO(p.read_bytes()),
}


def run(client: ox.Oxen, route: str, **params: Any) -> None:
    if route == "queue":
        job = client.submit_luma_ray_v3_2_image_to_video(prompt="The tiger turns", **params)
        assert job.wait(timeout=20).status == "succeeded"
    else:
        result = client.generate_luma_ray_v3_2_image_to_video(prompt="The tiger turns", **params)
        assert result.urls


async def arun(client: ox.AsyncOxen, route: str, **params: Any) -> None:
    if route == "queue":
        job = await client.submit_luma_ray_v3_2_image_to_video(prompt="The tiger turns", **params)
        assert (await job.wait(timeout=20)).status == "succeeded"
    else:
        result = await client.generate_luma_ray_v3_2_image_to_video(
            prompt="The tiger turns", **params
        )
        assert result.urls


# -- data URIs (the default) ---------------------------------------------------------------


@pytest.mark.parametrize("route", ["generate", "queue"])
@pytest.mark.parametrize("source", list(SOURCES))
def test_data_uri_on_the_wire_decodes_to_the_file(
    mock: MockServer, wire: Wire, image: Path, source: str, route: str
) -> None:
    with client_for(mock, wire) as client:
        run(client, route, input_image=SOURCES[source](image))
    media_type, data = decode(wire.body(GENERATE if route == "generate" else QUEUE)["input_image"])
    assert (media_type, data) == ("image/png", image.read_bytes())
    assert mock.stats()["repos"]["uploads"] == 0


@pytest.mark.parametrize("route", ["generate", "queue"])
async def test_data_uri_async(mock: MockServer, wire: Wire, image: Path, route: str) -> None:
    async with aclient_for(mock, wire) as client:
        with image.open("rb") as f:
            await arun(client, route, input_image=f, reference_image_urls=[image, png()])
    body = wire.body(GENERATE if route == "generate" else QUEUE)
    assert decode(body["input_image"]) == ("image/png", image.read_bytes())
    assert [decode(u)[1] for u in body["reference_image_urls"]] == [image.read_bytes(), png()]


def test_lists_of_paths_and_urls_keep_their_order(
    mock: MockServer, wire: Wire, tmp_path: Path
) -> None:
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"ref{i}.png")
        paths[-1].write_bytes(png(4 + i, 4))
    url = "https://example.com/keep.png"
    with client_for(mock, wire) as client:
        run(client, "queue", input_image=url, reference_image_urls=[paths[0], url, *paths[1:]])
    body = wire.body(QUEUE)
    assert body["input_image"] == url
    refs = body["reference_image_urls"]
    assert refs[1] == url
    assert [decode(refs[i])[1] for i in (0, 2, 3)] == [p.read_bytes() for p in paths]


def test_an_open_file_is_read_from_where_it_stands(
    mock: MockServer, wire: Wire, image: Path
) -> None:
    """A file object is sent from its current position (as ``read()`` would), and is left open."""
    prefix = b"junk before the image"
    blob = io.BytesIO(prefix + image.read_bytes())
    blob.seek(len(prefix))
    with client_for(mock, wire) as client:
        run(client, "generate", input_image=blob)
    assert decode(wire.body(GENERATE)["input_image"])[1] == image.read_bytes()
    assert not blob.closed


# -- uploads to an Oxen repository ----------------------------------------------------------


@pytest.mark.parametrize("route", ["generate", "queue"])
@pytest.mark.parametrize("source", ["path", "bytes", "open-file"])
def test_upload_sends_a_file_url_serving_the_same_bytes(
    mock: MockServer, wire: Wire, image: Path, source: str, route: str
) -> None:
    public_repo(mock, "tester/model-inputs")
    with client_for(mock, wire, uploads="tester/model-inputs") as client:
        run(client, route, input_image=SOURCES[source](image))
    url = wire.body(GENERATE if route == "generate" else QUEUE)["input_image"]
    assert url.startswith(f"{mock.base_url}/repos/tester/model-inputs/file/main/inputs/")
    answer = served(url)
    assert answer.status_code == 200
    assert answer.content == image.read_bytes()
    assert answer.headers["content-type"] == "image/png"
    repo = mock.state.repos.repos[("tester", "model-inputs")]
    assert repo.is_public
    (commit,) = repo.commits
    assert "oxen-inference" in commit["message"] and "inputs/" in commit["message"]


@pytest.mark.parametrize("route", ["generate", "queue"])
async def test_upload_async(mock: MockServer, wire: Wire, image: Path, route: str) -> None:
    async with aclient_for(mock, wire, uploads="tester/model-inputs") as client:
        assert await client.files.create_repo(public=True)
        await arun(client, route, input_image=image, reference_image_urls=[image, wav_free_png()])
    body = wire.body(GENERATE if route == "generate" else QUEUE)
    assert served(body["input_image"]).content == image.read_bytes()
    assert [served(u).content for u in body["reference_image_urls"]] == [
        image.read_bytes(),
        wav_free_png(),
    ]
    assert mock.stats()["repos"]["uploads"] == 2  # the image once, the other png once


def wav_free_png() -> bytes:
    return png(3, 5)


def test_the_same_file_is_stored_once(mock: MockServer, wire: Wire, image: Path) -> None:
    """Content-addressed: the same bytes under another name, in another client, upload nothing."""
    copy = image.with_name("copy-of-tiger.png")
    copy.write_bytes(image.read_bytes())
    public_repo(mock, "tester/model-inputs")
    with client_for(mock, wire, uploads="tester/model-inputs") as client:
        run(client, "generate", input_image=image, reference_image_urls=[image, copy])
        run(client, "queue", input_image=image.read_bytes())
    with client_for(mock, wire, uploads="tester/model-inputs") as other:
        run(other, "generate", input_image=copy)
    stats = mock.stats()
    assert stats["repos"]["uploads"] == 1 and stats["repos"]["blobs"] == 1
    assert stats["requests"]["PUT /api/repos/{namespace}/{repo}/file/{branch}/{path}"] == 1
    assert stats["requests"]["POST /api/repos"] == 1  # made once, by the caller
    first, last = wire.bodies(GENERATE)
    urls = {first["input_image"], *first["reference_image_urls"], last["input_image"]}
    urls.add(wire.body(QUEUE)["input_image"])
    assert len(urls) == 1


def test_existing_repository_is_used_not_recreated(
    mock: MockServer, wire: Wire, image: Path, api: httpx.Client
) -> None:
    assert api.post("/repos", json={"namespace": "tester", "name": "mine"}).status_code == 200
    with client_for(mock, wire, uploads="tester/mine") as client:
        url = client.files.upload(image)
    assert served(url).content == image.read_bytes()
    assert mock.state.repos.repos[("tester", "mine")].files


def test_uploads_never_create_a_repository(mock: MockServer, wire: Wire, image: Path) -> None:
    """A missing repository is an error that says why and how to make one; nothing is created
    (a public repository is an explicit choice), and nothing is enqueued."""
    with client_for(mock, wire, uploads="tester/missing") as client:
        for call in (
            lambda: client.files.upload(image),
            lambda: run(client, "queue", input_image=image),
            lambda: run(client, "generate", input_image=image),
        ):
            with pytest.raises(ox.NotFoundError) as refused:
                call()
            message = str(refused.value)
            assert message.startswith("404: cannot upload to tester/missing (")
            assert "repository tester/missing does not exist" in message
            assert "never creates a repository" in message
            assert "client.files.create_repo('tester/missing', public=True)" in message
    assert ("tester", "missing") not in mock.state.repos.repos
    stats = mock.stats()["requests"]
    assert "POST /api/repos" not in stats and "POST /api/ai/queue" not in stats
    assert not wire.bodies(QUEUE) and not wire.bodies(GENERATE)


async def test_async_uploads_never_create_a_repository(mock: MockServer, image: Path) -> None:
    async with ox.AsyncOxen(
        api_key=mock.api_key, base_url=mock.base_url, uploads="tester/missing"
    ) as client:
        with pytest.raises(ox.NotFoundError, match="never creates a repository"):
            await arun(client, "queue", input_image=image)
        with pytest.raises(ox.NotFoundError, match="never creates a repository"):
            await client.files.upload(image, repo="tester/other")
    assert not mock.state.repos.repos


def test_create_repo_is_explicit_about_public(mock: MockServer, image: Path) -> None:
    with ox.Oxen(api_key=mock.api_key, base_url=mock.base_url, uploads="tester/made") as client:
        with pytest.raises(TypeError, match="public"):
            client.files.create_repo()  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="public=True"):
            client.files.create_repo(public="yes")  # type: ignore[arg-type]
        assert client.files.create_repo(public=True) is True
        assert client.files.create_repo(public=True) is False  # there already: left as it is
        assert client.files.create_repo("tester/private", public=False) is True
        assert served(client.files.upload(image)).content == image.read_bytes()
        private = client.files.upload(image, repo="tester/private")
    repos = mock.state.repos.repos
    assert repos[("tester", "made")].is_public and not repos[("tester", "private")].is_public
    assert served(private).status_code == 404  # providers cannot read a private repository


def test_upload_streams_from_disk_with_progress(mock: MockServer, tmp_path: Path) -> None:
    """A 24 MiB video goes up in pieces: Python memory stays far below the file's size, and the
    progress callback sees every byte."""
    video = tmp_path / "big.mp4"
    size = 24 * 1024 * 1024
    with video.open("wb") as f:
        f.write(mp4())
        f.truncate(size)  # sparse: the rest reads as zeros
    seen: list[tuple[int, int | None]] = []
    public_repo(mock, "tester/videos")
    with ox.Oxen(api_key=mock.api_key, base_url=mock.base_url) as client:
        tracemalloc.start()
        try:
            url = client.files.upload(
                video, repo="tester/videos", progress=lambda d, t: seen.append((d, t))
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < size // 4, f"peak {peak} bytes for a {size}-byte upload"
    assert seen[-1] == (size, size)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) >= 20
    stored = mock.state.repos.repos[("tester", "videos")].files
    (entry,) = stored.values()
    assert entry.size == size and entry.content_type == "video/mp4"
    assert url.endswith(entry.path)


async def test_async_upload_progress_and_explicit_repo(mock: MockServer, image: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    async with ox.AsyncOxen(api_key=mock.api_key, base_url=mock.base_url) as client:
        assert await client.files.create_repo("tester/one-off", public=True)
        url = await client.files.upload(
            image, repo="tester/one-off", progress=lambda d, t: seen.append((d, t))
        )
        again = await client.files.upload(image.read_bytes(), repo="tester/one-off")
    assert url == again and served(url).content == image.read_bytes()
    assert seen[-1] == (image.stat().st_size, image.stat().st_size)


@pytest.mark.parametrize("where", ["this client", "another client"])
def test_progress_hears_once_when_the_content_is_there_already(
    mock: MockServer, image: Path, where: str
) -> None:
    """No upload happens (remembered, or found by HEAD): progress is called once, with all of it."""
    public_repo(mock, "tester/again")
    size = image.stat().st_size
    seen: list[tuple[int, int | None]] = []
    with (
        ox.Oxen(api_key=mock.api_key, base_url=mock.base_url) as client,
        ox.Oxen(api_key=mock.api_key, base_url=mock.base_url) as other,
    ):
        first = client.files.upload(image, repo="tester/again")
        second = client if where == "this client" else other
        again = second.files.upload(
            image, repo="tester/again", progress=lambda d, t: seen.append((d, t))
        )
    assert again == first
    assert seen == [(size, size)]
    assert mock.stats()["repos"]["uploads"] == 1


async def test_async_progress_hears_once_when_the_content_is_there_already(
    mock: MockServer, image: Path
) -> None:
    public_repo(mock, "tester/again")
    with ox.Oxen(api_key=mock.api_key, base_url=mock.base_url) as other:
        first = other.files.upload(image, repo="tester/again")
    seen: list[tuple[int, int | None]] = []
    async with ox.AsyncOxen(api_key=mock.api_key, base_url=mock.base_url) as client:
        for _ in range(2):  # found by HEAD, then remembered
            url = await client.files.upload(
                image, repo="tester/again", progress=lambda d, t: seen.append((d, t))
            )
            assert url == first
    assert seen == [(image.stat().st_size,) * 2] * 2


def test_upload_survives_injected_faults(mock: MockServer, image: Path) -> None:
    """429/503 answers to the upload are retried with the body sent again from the start."""
    public_repo(mock, "tester/flaky")
    mock.configure(fault_rate=0.7, seed=1)
    with ox.Oxen(api_key=mock.api_key, base_url=mock.base_url, max_retries=30) as client:
        url = client.files.upload(image, repo="tester/flaky")
    mock.configure(fault_rate=0.0)
    assert served(url).content == image.read_bytes()
    assert sum(mock.stats()["faults"].values()) > 0


# -- your own storage ------------------------------------------------------------------------


def test_callable_storage(mock: MockServer, wire: Wire, image: Path) -> None:
    stored: list[ox.LocalFile] = []

    def store(file: ox.LocalFile) -> str:
        stored.append(file)
        assert file.read() == image.read_bytes()
        return f"https://cdn.example.com/{file.sha256()}{file.extension}"

    with client_for(mock, wire, uploads=store) as client:
        run(client, "queue", input_image=image)
    (file,) = stored
    assert (file.media_type, file.size, file.name) == (
        "image/png",
        image.stat().st_size,
        "tiger.png",
    )
    assert wire.body(QUEUE)["input_image"] == f"https://cdn.example.com/{file.sha256()}.png"


async def test_async_callable_storage(mock: MockServer, wire: Wire, image: Path) -> None:
    async def store(file: ox.LocalFile) -> str:
        return "https://cdn.example.com/" + file.sha256()

    async with aclient_for(mock, wire, uploads=store) as client:
        await arun(client, "generate", input_image=image)
    assert wire.body(GENERATE)["input_image"].startswith("https://cdn.example.com/")


def test_callable_returning_garbage_is_refused(mock: MockServer, wire: Wire, image: Path) -> None:
    with (
        client_for(mock, wire, uploads=lambda f: None) as client,
        pytest.raises(ox.ValidationError, match="input_image: the uploads callable returned None"),
    ):
        run(client, "generate", input_image=image)
    assert not wire.requests


# -- request classes and to_body ------------------------------------------------------------


def test_request_class_and_to_body(mock: MockServer, image: Path) -> None:
    # The request class, typed: a Path and bytes are what its fields accept (mypy checks this file).
    request = LumaRayV3_2ImageToVideoRequest(
        prompt="p", input_image=image, reference_image_urls=[png()]
    )
    assert type(request) is ox.request_model(I2V)
    with pytest.raises(
        ox.ValidationError, match=r'input_image: holds a local file.*files="data-uri"'
    ):
        ox.to_body(request)
    body = ox.to_body(request, files="data-uri")
    assert decode(body["input_image"])[1] == image.read_bytes()
    assert decode(body["reference_image_urls"][0])[1] == png()
    public_repo(mock, "tester/bodies")
    with ox.Oxen(api_key=mock.api_key, base_url=mock.base_url, uploads="tester/bodies") as client:
        uploaded = ox.to_body(request, files=client.files.url)
        assert served(uploaded["input_image"]).content == image.read_bytes()
        assert client.files.resolve(request) == uploaded
        # the same body may be sent with the generic call, unchanged
        assert client.generate(I2V, **uploaded).urls


# -- hostile inputs: each fails before any request, naming the parameter -------------------


def _unreadable(tmp: Path) -> Path:
    path = tmp / "secret.png"
    path.write_bytes(png())
    path.chmod(0)
    return path


def _huge(tmp: Path) -> Path:
    path = tmp / "huge.png"
    with path.open("wb") as f:
        f.write(png())
        f.truncate(11 * 1024 * 1024)  # past the 10 MiB data URI limit (sparse)
    return path


def _unknown(tmp: Path) -> Path:
    path = tmp / "notes.xyz"
    path.write_bytes(b"just some text, not an image")
    return path


def _fifo(tmp: Path) -> Path:
    path = tmp / "pipe.png"
    os.mkfifo(path)
    return path


HOSTILE: list[tuple[str, Callable[[Path], Any], str]] = [
    ("missing", lambda t: t / "nope.png", "input_image: no such file"),
    ("directory", lambda t: t, "input_image: .* is a directory, not a file"),
    ("unreadable", _unreadable, "input_image: cannot read .*secret.png"),
    ("fifo", _fifo, "input_image: .* is not a regular file"),
    (
        "empty",
        _empty,
        "input_image: .* is empty",
    ),
    ("unknown-type", _unknown, "input_image: cannot tell what kind of file '.*notes.xyz' is"),
    ("unknown-bytes", lambda t: b"hello world", "input_image: cannot tell what kind of file"),
    (
        "audio-for-image",
        lambda t: wav(),
        "input_image: expects an image, but the bytes given is audio/wav",
    ),
    ("video-for-image", lambda t: mp4(), "input_image: expects an image, but .* is video/mp4"),
    (
        "text-mode-file",
        lambda t: io.StringIO("x"),
        "input_image: the file object is open in text mode",
    ),
    ("closed-file", lambda t: _closed(t), "input_image: the file object is closed"),
    (
        "huge",
        _huge,
        'input_image: .*11,534,336 bytes, more than the 10,485,760 .*uploads="namespace/repo"',
    ),
    ("not-a-file-at-all", lambda t: 3.5, "input_image"),
]


def _closed(tmp: Path) -> Any:
    path = tmp / "c.png"
    path.write_bytes(png())
    f = path.open("rb")
    f.close()
    return f


@pytest.mark.parametrize(("case", "make", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
@pytest.mark.parametrize("route", ["generate", "queue"])
def test_hostile_local_inputs_fail_before_any_request(
    mock: MockServer, wire: Wire, tmp_path: Path, case: str, make: Any, message: str, route: str
) -> None:
    if case == "unreadable" and os.geteuid() == 0:
        pytest.skip("root reads any file")
    value = make(tmp_path)
    with (
        client_for(mock, wire) as client,
        pytest.raises(ox.ValidationError, match=message) as caught,
    ):
        run(client, route, input_image=value)
    assert caught.value.model_id == I2V
    assert not wire.requests
    assert mock.stats()["requests_total"] == 0


def test_hostile_item_in_a_list_is_named_by_position(
    mock: MockServer, wire: Wire, image: Path
) -> None:
    with (
        client_for(mock, wire) as client,
        pytest.raises(ox.ValidationError, match=r"reference_image_urls\.1: no such file"),
    ):
        run(
            client,
            "queue",
            input_image=image,
            reference_image_urls=[image, image.with_name("gone.png")],
        )
    assert not wire.requests


def test_file_names_cannot_steer_the_upload_path(
    mock: MockServer, wire: Wire, tmp_path: Path
) -> None:
    """Local names (with dots, slashes, quotes) never reach the repository path: it is the hash."""
    odd = tmp_path / 'a"b..\\c; name=evil.png'
    odd.write_bytes(png(2, 2))
    public_repo(mock, "tester/names")
    with client_for(mock, wire, uploads="tester/names") as client:
        url = client.files.upload(odd)
    (stored,) = mock.state.repos.repos[("tester", "names")].files
    assert stored.startswith("inputs/") and ".." not in stored and '"' not in stored
    assert served(url).content == png(2, 2)


@pytest.mark.parametrize("bad", ["me", "me/", "/repo", "a/b/c", "../x", "me/..", "me/re po", 5])
def test_bad_uploads_setting_fails_at_construction(bad: Any) -> None:
    with pytest.raises(ValueError, match="uploads must be"):
        ox.Oxen(api_key="k", uploads=bad)


def test_data_uri_limit_is_configurable(mock: MockServer, wire: Wire, image: Path) -> None:
    size = image.stat().st_size
    with (
        client_for(mock, wire, max_data_uri_bytes=size - 1) as client,
        pytest.raises(ox.ValidationError, match="max_data_uri_bytes"),
    ):
        run(client, "generate", input_image=image)
    with client_for(mock, wire, max_data_uri_bytes=size) as client:
        run(client, "generate", input_image=image)


# -- the mock checks that inputs are really there -------------------------------------------


def test_wrong_file_url_fails_the_job_like_the_real_api(mock: MockServer) -> None:
    url = f"{mock.base_url}/repos/tester/nothing/file/main/inputs/missing.png"
    with ox.Oxen(api_key=mock.api_key, base_url=mock.base_url) as client:
        job = client.submit_luma_ray_v3_2_image_to_video(prompt="p", input_image=url)
        with pytest.raises(ox.GenerationFailedError, match="404 Client Error: Not Found for url"):
            job.wait(timeout=20)
        with pytest.raises(ox.BadRequestError, match="Failed to download input_image"):
            client.generate_luma_ray_v3_2_image_to_video(prompt="p", input_image=url)


@pytest.mark.parametrize(
    "uri",
    [
        "data:image/png;base64,!!!not base64!!!",
        "data:image/png;base64,",
        "data:image/png,rawtext",
        "data:;base64,AAAA",
        "data:image/png;base64",
    ],
)
def test_broken_data_uri_fails_the_job(mock: MockServer, uri: str) -> None:
    with ox.Oxen(api_key=mock.api_key, base_url=mock.base_url) as client:
        job = client.submit_luma_ray_v3_2_image_to_video(prompt="p", input_image=uri)
        with pytest.raises(ox.GenerationFailedError, match="Failed to read input_image"):
            job.wait(timeout=20)


def test_private_repository_files_are_forbidden_to_providers(
    mock: MockServer, api: httpx.Client
) -> None:
    assert (
        api.post(
            "/repos", json={"namespace": "tester", "name": "private", "is_public": False}
        ).status_code
        == 200
    )
    put = api.put(
        "/repos/tester/private/file/main/a.png",
        files={"file": ("a.png", png(), "image/png")},
        data={"message": "add"},
    )
    assert put.status_code == 200, put.text
    url = f"{mock.base_url}/repos/tester/private/file/main/a.png"
    assert api.get(url).content == png()  # the owner reads it
    assert httpx.get(url).status_code == 404  # nobody else does
    with ox.Oxen(api_key=mock.api_key, base_url=mock.base_url) as client:
        job = client.submit_luma_ray_v3_2_image_to_video(prompt="p", input_image=url)
        with pytest.raises(ox.GenerationFailedError, match="403 Client Error: Forbidden"):
            job.wait(timeout=20)


def test_a_previous_result_can_be_the_next_input(mock: MockServer) -> None:
    with ox.Oxen(api_key=mock.api_key, base_url=mock.base_url) as client:
        first = client.generate("flux-2-pro", prompt="a tiger").urls[0]
        job = client.submit_luma_ray_v3_2_image_to_video(prompt="p", input_image=first)
        assert job.wait(timeout=20).status == "succeeded"


# -- the mock's repository routes, hostile requests -----------------------------------------


@pytest.fixture
def repo(api: httpx.Client) -> str:
    assert api.post("/repos", json={"namespace": "tester", "name": "r"}).status_code == 200
    return "/repos/tester/r/file/main"


def _put(api: httpx.Client, path: str, **kw: Any) -> httpx.Response:
    kw.setdefault("files", {"file": ("a.png", png(), "image/png")})
    kw.setdefault("data", {"message": "add a file"})
    return api.put(path, **kw)


REPO_CASES: list[tuple[str, Callable[[httpx.Client, str], httpx.Response], int, str]] = [
    (
        "create without namespace",
        lambda a, r: a.post("/repos", json={"name": "x"}),
        400,
        "namespace",
    ),
    (
        "create without name",
        lambda a, r: a.post("/repos", json={"namespace": "tester"}),
        400,
        "name",
    ),
    (
        "create with a slash",
        lambda a, r: a.post("/repos", json={"namespace": "tester", "name": "a/b"}),
        400,
        "name",
    ),
    (
        "create twice",
        lambda a, r: a.post("/repos", json={"namespace": "tester", "name": "r"}),
        409,
        "exists",
    ),
    (
        "create in another's namespace",
        lambda a, r: a.post(
            "/repos",
            json={"namespace": "tester", "name": "z"},
            headers={"Authorization": "Bearer someone-else"},
        ),
        403,
        "another account",
    ),
    (
        "create without a key",
        lambda a, r: a.post(
            "/repos", json={"namespace": "x", "name": "y"}, headers={"Authorization": ""}
        ),
        401,
        "",
    ),
    (
        "upload without file",
        lambda a, r: _put(a, r + "/a.png", files={"other": ("a.png", png())}),
        400,
        "`file` part",
    ),
    (
        "upload without message",
        lambda a, r: _put(a, r + "/a.png", data={"name": "me"}),
        400,
        "message",
    ),
    (
        "upload not multipart",
        lambda a, r: a.put(r + "/a.png", content=png(), headers={"Content-Type": "image/png"}),
        415,
        "multipart",
    ),
    (
        "upload truncated multipart",
        lambda a, r: a.put(
            r + "/a.png",
            content=b'--xx\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc',
            headers={"Content-Type": "multipart/form-data; boundary=xx"},
        ),
        400,
        "closing boundary",
    ),
    (
        "upload with dot-dot",
        lambda a, r: _put(a, r + "/inputs/%2e%2e/%2e%2e/etc/passwd"),
        400,
        "Invalid path|invalid file path",
    ),
    (
        "upload with a backslash",
        lambda a, r: _put(a, r + "/inputs/..%5Cx.png"),
        400,
        "invalid file path",
    ),
    (
        "upload with an empty segment",
        lambda a, r: _put(a, r + "/inputs//x.png"),
        400,
        "invalid file path",
    ),
    (
        "upload to another's repo",
        lambda a, r: _put(a, r + "/a.png", headers={"Authorization": "Bearer someone-else"}),
        403,
        "another account",
    ),
    (
        "upload to a missing repo",
        lambda a, r: _put(a, "/repos/tester/none/file/main/a.png"),
        404,
        "does not exist",
    ),
    (
        "upload to another branch",
        lambda a, r: _put(a, "/repos/tester/r/file/dev/a.png"),
        404,
        "branch",
    ),
    (
        "upload without a key",
        lambda a, r: _put(a, r + "/a.png", headers={"Authorization": ""}),
        401,
        "",
    ),
    ("read a missing file", lambda a, r: a.get(r + "/none.png"), 404, "File not found"),
    ("read with dot-dot", lambda a, r: a.get(r + "/%2e%2e/%2e%2e/x"), 400, "invalid file path"),
]


@pytest.mark.parametrize(
    ("case", "send", "status", "detail"), REPO_CASES, ids=[c[0] for c in REPO_CASES]
)
def test_repository_routes_refuse_bad_requests(
    api: httpx.Client, repo: str, mock: MockServer, case: str, send: Any, status: int, detail: str
) -> None:
    response = send(api, repo)
    assert response.status_code == status, response.text
    if detail:
        import re

        assert re.search(detail, json.dumps(response.json())), response.text
    assert not list((mock.state.repos.root / "incoming").glob("*/*"))  # no spooled leftovers
    assert mock.state.repos.repos[("tester", "r")].files == {}


def test_upload_too_large_is_413(api: httpx.Client, repo: str, mock: MockServer) -> None:
    mock.configure(max_upload_bytes=1000)
    response = _put(api, repo + "/big.png", files={"file": ("big.png", b"x" * 5000, "image/png")})
    assert response.status_code == 413
    assert mock.state.repos.repos[("tester", "r")].files == {}


def test_several_files_go_into_a_folder(api: httpx.Client, repo: str, mock: MockServer) -> None:
    response = api.put(
        repo + "/batch",
        files=[
            ("file", ("one.png", png(1, 1), "image/png")),
            ("file", ("two.wav", wav(), "audio/wav")),
        ],
        data={"message": "two files", "name": "me", "email": "me@example.com"},
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert [f["path"] for f in answer["files"]] == ["batch/one.png", "batch/two.wav"]
    assert answer["commit"]["author"] == {"name": "me", "email": "me@example.com"}
    assert served(f"{mock.base_url}{repo}/batch/two.wav").content == wav()


async def test_a_batch_sharing_one_image_uploads_it_once(mock: MockServer, image: Path) -> None:
    """Ten jobs enqueued at once with the same local image: one upload, ten jobs."""
    import asyncio

    public_repo(mock, "tester/batch")
    async with ox.AsyncOxen(
        api_key=mock.api_key, base_url=mock.base_url, uploads="tester/batch"
    ) as client:
        jobs = await asyncio.gather(
            *(
                client.submit_luma_ray_v3_2_image_to_video(prompt=f"take {i}", input_image=image)
                for i in range(10)
            )
        )
        done = await asyncio.gather(*(job.wait(timeout=20) for job in jobs))
    assert {g.status for g in done} == {"succeeded"}
    stats = mock.stats()
    assert stats["requests"]["PUT /api/repos/{namespace}/{repo}/file/{branch}/{path}"] == 1
    assert stats["repos"]["uploads"] == 1


def test_threads_sharing_one_image_upload_it_once(mock: MockServer, image: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    public_repo(mock, "tester/threads")
    with (
        ox.Oxen(api_key=mock.api_key, base_url=mock.base_url, uploads="tester/threads") as client,
        ThreadPoolExecutor(8) as pool,
    ):
        urls = set(pool.map(lambda _: client.files.upload(image), range(16)))
    assert len(urls) == 1
    assert mock.stats()["repos"]["uploads"] == 1
