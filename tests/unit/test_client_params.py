"""Validation and body building of the generated client (no network), the per-model methods,
the lazy binding and the public surface."""

from __future__ import annotations

import ast
import inspect
import json
from pathlib import Path

import httpx
import oxen_inference as ox
import pytest
from oxen_inference import _events, _params, _types

from oxgen.naming import all_key

M = "luma-ray-v3-2-image-to-video"


def recording() -> tuple[ox.Oxen, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/ai/queue"):
            n = json.loads(request.content).get("num_generations", 1)
            return httpx.Response(
                200,
                json={
                    "generations": [
                        {"generation_id": f"g{i}", "status": "queued"} for i in range(n)
                    ]
                },
            )
        return httpx.Response(
            200, json={"model": M, "created": 1, "videos": [{"url": "https://x/v.mp4"}]}
        )

    http = httpx.Client(transport=httpx.MockTransport(handler))
    return ox.Oxen(
        api_key="k", base_url="https://api.test/api", http_client=http, events=False
    ), seen


def test_only_set_parameters_are_sent_under_wire_names() -> None:
    c, seen = recording()
    job = c.submit_luma_ray_v3_2_image_to_video(prompt="a tiger", input_image="https://e/t.png")
    assert isinstance(job, ox.Job) and job.id == "g0"
    assert json.loads(seen[0].content) == {
        "model": M,
        "prompt": "a tiger",
        "input_image": "https://e/t.png",
    }
    c.generate_luma_ray_v3_2_image_to_video(
        prompt="p",
        input_image="https://e/t.png",
        duration="10s",
        response_format="url",
        target_namespace="me",
    )
    assert json.loads(seen[1].content) == {
        "model": M,
        "prompt": "p",
        "input_image": "https://e/t.png",
        "duration": "10s",
        "response_format": "url",
        "target_namespace": "me",
    }
    assert seen[1].url.path == "/api/ai/videos/generate"


def test_num_generations_returns_a_list_and_extra_body_passes_through() -> None:
    c, seen = recording()
    jobs = c.submit(
        M,
        prompt="p",
        input_image="https://e/t.png",
        num_generations=3,
        extra_body={"secret_flag": [1]},
    )
    assert [j.id for j in jobs] == ["g0", "g1", "g2"]
    assert json.loads(seen[0].content) == {
        "model": M,
        "prompt": "p",
        "input_image": "https://e/t.png",
        "num_generations": 3,
        "secret_flag": [1],
    }


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"duration": "7s"}, "duration", ["'5s'", "'10s'"]),
        ({"resolution": 720}, "resolution", ["'540p'", "'720p'", "'1080p'"]),
        ({"durtion": "5s"}, "durtion", ["did you mean 'duration'"]),
        ({"num_generations": 9}, "num_generations", ["1 to 4"]),
        ({"prompt": None}, "prompt", ["string"]),
    ],
)
def test_bad_values_fail_before_the_network(
    params: dict[str, object], field: str, words: list[str]
) -> None:
    c, seen = recording()
    base = {"prompt": "p", "input_image": "https://e/t.png"}
    with pytest.raises(ox.ValidationError) as info:
        c.submit(M, **{**base, **params})  # type: ignore[call-overload]
    assert seen == []
    err = info.value
    assert isinstance(err, ValueError) and err.model_id == M
    assert [f for f, _ in err.errors] == [field]
    for word in words:
        assert word in str(err)


@pytest.mark.parametrize(
    ("value", "errors"),
    [
        ([Path("nope.png")], [("input_image.0", "no such file: 'nope.png'")]),
        (["ftp://x"], [("input_image.0", "'ftp://x' is not an http(s) URL")]),
        (5, [("input_image", "Input should be a valid list (got 5)")]),
        ("https://e/a.png", [("input_image", "Input should be a valid list")]),
    ],
    ids=["a missing file", "a URL it cannot fetch", "a number", "a URL outside a list"],
)
def test_a_nullable_list_names_the_item_and_not_the_null_branch(
    value: object, errors: list[tuple[str, str]]
) -> None:
    """flux-2-pro's input_image is a list of images or null: an error says where in the list,
    without pydantic's union tags, and without also saying the value is not null."""
    c, seen = recording()
    with pytest.raises(ox.ValidationError) as info:
        c.submit("flux-2-pro", prompt="p", input_image=value)
    assert seen == []
    assert [f for f, _ in info.value.errors] == [f for f, _ in errors]
    for (_, message), (_, words) in zip(info.value.errors, errors, strict=True):
        assert message.startswith(words)
    assert "[" not in str(info.value).split(": ", 1)[1].split(":")[0]  # no tag in the place


def test_missing_required_and_unqueueable_models() -> None:
    c, seen = recording()
    with pytest.raises(ox.ValidationError, match="input_image: required"):
        c.submit(M, prompt="p")
    with pytest.raises(ox.ValidationError, match="queue runs image and video models only"):
        c.submit("gpt-4o", messages=[])
    with pytest.raises(ox.UnknownModelError, match="did you mean"):
        c.generate("luma-ray-v3-2-image-to-vide", prompt="p")
    assert seen == []


def test_unknown_model_submits_pass_through_and_chat_is_generic() -> None:
    c, seen = recording()
    c.submit("brand-new-model", anything=1)
    assert json.loads(seen[0].content) == {"model": "brand-new-model", "anything": 1}
    c.generate_gpt_4o(messages=[{"role": "user", "content": "hi"}])
    assert json.loads(seen[1].content) == {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "hi"}],
    }
    assert seen[1].url.path == "/api/ai/chat/completions"


def test_per_model_methods_are_lazy_and_documented() -> None:
    c, _ = recording()
    assert "submit_luma_ray_v3_2_image_to_video" in dir(c)
    method = c.submit_luma_ray_v3_2_image_to_video
    assert c.__dict__["submit_luma_ray_v3_2_image_to_video"] is method  # cached
    assert method.__name__ == "submit_luma_ray_v3_2_image_to_video"
    assert method.__qualname__ == "Oxen.submit_luma_ray_v3_2_image_to_video"
    sig = inspect.signature(method)
    assert all(p.kind is p.KEYWORD_ONLY for p in sig.parameters.values())
    assert repr(sig.parameters["duration"].default) == "server_default('5s')"
    assert sig.parameters["duration"].annotation == "Literal['5s', '10s']"
    assert sig.parameters["loop"].default is ox.OMIT
    assert sig.parameters["prompt"].default is inspect.Parameter.empty
    assert "num_generations" not in sig.parameters  # one Job; batches go through submit()
    doc = method.__doc__ or ""
    for text in ("duration: Duration of the generated video", "extra_body:", "num_generations="):
        assert text in doc
    # What the signature shows (allowed values, the default) is not repeated in the docstring.
    assert "one of: '5s', '10s'" not in doc and "default: '5s'" not in doc
    with pytest.raises(AttributeError):
        c.submit_gpt_4o  # type: ignore[attr-defined]  # noqa: B018 - chat models cannot be queued
    with pytest.raises(AttributeError):
        c.no_such_method  # type: ignore[attr-defined]  # noqa: B018


def test_signatures_show_defaults_and_the_stub_points_at_them() -> None:
    from pathlib import Path

    root = Path(ox.__file__).parent
    module = (root / "models" / "luma_ray_v3_2_image_to_video.py").read_text()
    assert 'duration: Literal["5s", "10s"] = server_default("5s"),' in module
    stub = ast.parse((root / "_client.pyi").read_text())
    bound = {
        (node.name, a.targets[0].id): ast.unparse(a.value)
        for node in stub.body
        if isinstance(node, ast.ClassDef)
        for a in node.body
        if isinstance(a, ast.Assign) and isinstance(a.targets[0], ast.Name)
    }
    function = "_luma_ray_v3_2_image_to_video.submit_luma_ray_v3_2_image_to_video"
    assert bound["Oxen", "submit_luma_ray_v3_2_image_to_video"] == function
    assert bound["AsyncOxen", "submit_luma_ray_v3_2_image_to_video"] == f"_asynchronous({function})"


def test_server_defaults_are_not_sent_but_explicit_values_are() -> None:
    c, seen = recording()
    c.generate_luma_ray_v3_2_image_to_video(prompt="p", input_image="https://x/i.png")
    c.generate_luma_ray_v3_2_image_to_video(
        prompt="p", input_image="https://x/i.png", duration="5s"
    )
    assert json.loads(seen[0].content) == {
        "model": "luma-ray-v3-2-image-to-video",
        "prompt": "p",
        "input_image": "https://x/i.png",
    }
    assert json.loads(seen[1].content)["duration"] == "5s"


def test_public_all_is_sorted_and_importable() -> None:
    assert ox.__all__ == sorted(ox.__all__, key=all_key)  # the order ruff's RUF022 wants
    for name in ox.__all__:
        assert getattr(ox, name) is not None
    for name in (
        "Oxen",
        "AsyncOxen",
        "Job",
        "AsyncJob",
        "GenerationFailedError",
        "WaitTimeoutError",
        "OMIT",
    ):
        assert name in ox.__all__


def test_body_for_controls() -> None:
    with pytest.raises(ox.ValidationError, match="response_format"):
        _params.body_for(
            M, {"prompt": "p", "input_image": "https://u"}, extra_body=None, response_format="png"
        )
    assert _params.body_for("gpt-4o", {"messages": [], "x": _types.OMIT}, extra_body=None) == {
        "model": "gpt-4o",
        "messages": [],
    }


def test_sse_decoder_and_event_normalisation() -> None:
    d = _events.SSEDecoder()
    lines = [
        ": keep-alive",
        "",
        "event: other",
        "data: {}",
        "",
        "event: media_generation_completed",
        'data: {"generation_id": "g", "status": "succeeded", "model": "m", "url": "https://r"}',
        "",
    ]
    out = [item for line in lines if (item := d.feed(line)) is not None]
    assert out[0] == ("other", "{}")
    assert _events.completion(*out[0]) is None  # unknown event types are ignored
    row = _events.completion(*out[1])
    assert row is not None and (row.result_url, row.model_name, row.status) == (
        "https://r",
        "m",
        "succeeded",
    )
    failed = _events.completion(
        "media_generation_completed", '{"generation_id": "g", "status": "failed", "error": "bad"}'
    )
    assert failed is not None and failed.error_message == "bad"
    for unreadable in ("not json", "[]", '{"generation_id": "g", "status": 5}'):
        with pytest.raises(_events.UNREADABLE):  # the hub drops it and reconciles
            _events.completion("media_generation_completed", unreadable)


@pytest.mark.parametrize(
    ("status", "error_message", "said"),
    [
        ("cancelled", None, "generation g was cancelled"),
        ("cancelled", "cancelled", "generation g was cancelled"),  # no "cancelled: cancelled"
        ("cancelled", "by the admin", "generation g was cancelled: by the admin"),
        ("failed", "NSFW content detected", "generation g failed: NSFW content detected"),
        ("failed", None, "generation g failed (the server gave no reason)"),
        ("failed", "", "generation g failed (the server gave no reason)"),
    ],
)
def test_a_failed_generation_reads_as_one_plain_sentence(
    status: str, error_message: str | None, said: str
) -> None:
    row = ox.Generation.model_validate(
        {"generation_id": "g", "status": status, "error_message": error_message}
    )
    assert str(ox.GenerationFailedError(row)) == said


def test_generation_keeps_extra_keys_and_failure_errors() -> None:
    row = ox.Generation.model_validate(
        {
            "generation_id": "g",
            "status": "failed",
            "error_message": "nope",
            "cost": 0.5,
            "enqueued_at": 10,
        }
    )
    assert row.model_extra == {"cost": 0.5} and row.done and not row.succeeded
    err = ox.GenerationFailedError(row)
    assert err.generation_id == "g" and err.error_message == "nope" and "nope" in str(err)
    timeout = ox.WaitTimeoutError("g", 5, "processing")
    assert timeout.generation_id == "g" and "client.job('g')" in str(timeout)
    model = ox.Model.model_validate(
        {
            "id": "m",
            "json_request_schema": {"type": "object"},
            "pricing": {"method": "per_image", "per_image": 0.1},
        }
    )
    assert (
        model.request_schema == {"type": "object"}
        and model.pricing is not None
        and model.pricing.model_extra == {"per_image": 0.1}
    )


def test_package_all_lists_every_lazy_export() -> None:
    exports = ox._EXPORTS
    assert sorted(ox.__all__) == sorted(["__version__", *exports])
    for name in ox.__all__:
        assert getattr(ox, name) is not None


# --- the checked body: the scalar shortcut gives what the dump would ------------------------------

KLEIN = "black-forest-labs-flux-2-klein-9b"


@pytest.mark.parametrize(
    ("model_id", "params"),
    [
        (M, {"prompt": "a tiger", "input_image": "https://e/t.png"}),  # strings kept as given
        (M, {"prompt": "p", "input_image": "https://e/t.png", "loop": True, "duration": "10s"}),
        (
            M,
            {
                "prompt": "p",
                "input_image": "https://e/t.png",
                "reference_image_urls": ["https://e/u.png"],
            },
        ),
        (M, {"prompt": "p", "input_image": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64}),  # a local file
        (KLEIN, {"prompt": "x", "guidance_scale": 3, "seed": 7}),  # an int for a number stays int
        (KLEIN, {"prompt": "x", "guidance_scale": 3.5, "output_format": "png"}),
    ],
)
def test_the_checked_body_is_the_dump_of_the_validated_request(
    model_id: str, params: dict[str, object]
) -> None:
    from oxen_inference._media import LocalFile
    from oxen_inference._request import dump, request_model

    def comparable(body: dict[str, object]) -> dict[str, object]:  # a LocalFile by its bytes
        return {k: (v.read() if isinstance(v, LocalFile) else v) for k, v in body.items()}

    reference = dump(request_model(model_id).model_validate(params))
    body = _params.validate(model_id, params)
    assert comparable(body) == comparable(reference)
    assert [type(v) for v in body.values()] == [type(reference[k]) for k in body]


def test_a_value_validation_changes_is_sent_as_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shortcut trusts only values that validation kept (same type, equal): anything else
    goes through the dump."""
    checker = _params._checker(M)

    class Changing:
        def validate_python(self, wire: dict[str, object]) -> object:
            request = checker.validator.validate_python(wire)
            request.__dict__["prompt"] = "changed by validation"
            return request

    monkeypatch.setitem(_params._CHECKERS, M, checker._replace(validator=Changing()))
    body = _params.validate(M, {"prompt": "a tiger", "input_image": "https://e/t.png"})
    assert body == {"prompt": "changed by validation", "input_image": "https://e/t.png"}


def _error_tree(text: str) -> dict[str, str | None]:
    """Each class name in a drawn tree -> the class on the nearest line above, less indented."""
    import re

    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in text.splitlines():
        match = re.match(r"^([\s│├└─]*)[A-Z]", line)
        if match is None:
            continue
        depth = len(match.group(1))
        head = line[depth:].split("  ")[0]  # the names, before the description column
        names = re.findall(r"\b([A-Z]\w*Error)\b", head)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        for name in names:
            parents[name] = stack[-1][1] if stack else None
        if names:
            stack.append((depth, names[0]))
    return parents


def test_every_exception_is_in_the_error_trees_of_the_readme_and_the_module() -> None:
    """The trees users read (the generated README, ``_exceptions``'s docstring) name every
    exception the package exports, each under its direct base class."""
    from pathlib import Path

    from oxen_inference import _exceptions

    readme = (Path(ox.__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    exported = {
        n: getattr(ox, n)
        for n in ox.__all__
        if isinstance(getattr(ox, n), type) and issubclass(getattr(ox, n), ox.OxenError)
    }
    assert len(exported) >= 20
    for text in (readme.split("## Errors", 1)[1].split("```")[1], _exceptions.__doc__ or ""):
        parents = _error_tree(text)
        assert set(exported) <= set(parents), set(exported) - set(parents)
        for name, cls in exported.items():
            parent = parents[name]
            assert (parent is None) is (name == "OxenError"), name
            assert parent is None or parent in [b.__name__ for b in cls.__bases__], (name, parent)
