"""Model ids that are the names of modules the generated code imports (``typing``, ``os``,
``pydantic``, ...) or that differ only in case, separators or accents (``flux-2``, ``flux2``,
``FLUX_2``): the generated client imports, every id reaches its own model (request class, module,
methods), and ``mypy --strict`` accepts the package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

OXGEN = [sys.executable, "-m", "oxgen.cli"]
PACKAGE = "clash_pkg"
# The names of modules the generated package or its models import, and of what the `models`
# package binds itself.
SHADOWING = [
    "typing",
    "pydantic",
    "httpx",
    "builtins",
    "collections",
    "os",
    "json",
    "sys",
    "importlib",
    "annotations",
    "abc",
    "re",
    "functools",
    "asyncio",
    "typing-extensions",
    "sniffio",
]
# Ids whose natural class names collide: case, separators, digits, accents, long ids.
CONFUSABLE = [
    "flux-2",
    "flux2",
    "Flux-2",
    "FLUX_2",
    "flux.2",
    "flüx-2",
    "a-b2",
    "a-b-2",
    "x1-2",
    "x-1-2",
    "vendor-" + "long-model-name-" * 6 + "x",
    "vendor-" + "long-model-name-" * 6 + "y",
]
IMAGE = {"input": ["text", "image"], "output": ["image"]}
SCHEMA = {
    "type": "object",
    "required": ["prompt"],
    "properties": {
        "prompt": {"type": "string"},
        "image_url": {"type": "string", "format": "uri"},
        "mode": {"type": "string", "enum": ["a", "b"]},
    },
}


def _catalog() -> dict[str, Any]:
    data: list[dict[str, Any]] = [
        {"id": i, "display_name": i, "capabilities": IMAGE, "request_schema": SCHEMA}
        for i in SHADOWING + CONFUSABLE
    ]
    # a nested class whose natural name is the stem itself: `Job`, which the module imports
    nested = {"type": "object", "properties": {"a": {"type": "string"}}}
    data.append(
        {
            "id": "job",
            "capabilities": IMAGE,
            "request_schema": {
                "type": "object",
                "properties": {"x": {"$ref": "#/$defs/-"}},
                "$defs": {"-": nested},
            },
        }
    )
    # models without a schema (chat): the stub writes their methods itself
    data += [
        {"id": i, "capabilities": {"input": ["text"], "output": ["text"]}}
        for i in ("os-", "typing_")
    ]
    return {"object": "list", "data": data}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("clashes")
    (root / "catalog.json").write_text(json.dumps(_catalog()), encoding="utf-8")
    done = subprocess.run(
        [*OXGEN, "generate", "--schemas", "catalog.json", "--out", "out", "--package", PACKAGE],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and not done.stderr, done.stdout + done.stderr
    yield root / "out"


# Run in a fresh interpreter: for every id, the registry, the request class (by id and by
# import), and both methods sending through a recording transport.
USE = textwrap.dedent(
    """
    import json, sys
    import httpx
    import clash_pkg
    from clash_pkg import _registry
    import clash_pkg.models as models

    seen = []

    def handler(request):
        seen.append(request)
        if request.url.path.endswith("/ai/queue"):
            return httpx.Response(200, json={"generations": [{"generation_id": "g", "status": "queued"}]})
        return httpx.Response(200, json={"created": 1, "images": [{"url": "https://x/i.png"}]})

    client = clash_pkg.Oxen(
        api_key="k", base_url="https://api.test/api", events=False,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    out = {}
    for model_id in json.loads(sys.argv[1]):
        entry = _registry.get(model_id)
        cls = clash_pkg.request_model(model_id)
        imported = getattr(models, cls.__name__)
        module = sys.modules[cls.__module__]
        getattr(client, entry.generate_method)(prompt="p", image_url="https://e/a.png", mode="a")
        getattr(client, entry.submit_method)(prompt="q")
        bodies = [json.loads(r.content) for r in seen[-2:]]
        out[model_id] = {
            "class": cls.__name__,
            "same": imported is cls and module.MODEL_ID == model_id,
            "module": entry.module,
            "bodies": [b["model"] for b in bodies],
        }
    getattr(client, _registry.get("os-").generate_method)(messages=[{"role": "user", "content": "x"}])
    out["os-"] = json.loads(seen[-1].content)["model"]
    print(json.dumps(out))
    """
)


def test_every_id_reaches_its_own_model(generated: Path) -> None:
    ids = SHADOWING + CONFUSABLE
    done = subprocess.run(
        [sys.executable, "-c", USE, json.dumps(ids)],
        cwd=generated,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out.pop("os-") == "os-"
    for model_id in ids:
        assert out[model_id]["same"], model_id
        assert out[model_id]["bodies"] == [model_id, model_id]
    classes = [out[i]["class"] for i in ids]
    modules = [out[i]["module"] for i in ids]
    assert len(set(classes)) == len(ids) and len(set(modules)) == len(ids)
    assert out["flux2"]["class"] == "Flux2Request"  # the id whose module is the stem keeps it
    assert out["flux-2"]["class"].startswith("Flux2_")
    assert out["os"]["module"] == "os_"  # the models package binds `os` itself
    assert out["typing"]["module"] == "typing"


def test_a_nested_class_never_takes_a_name_the_module_imports(generated: Path) -> None:
    text = (generated / PACKAGE / "models" / "job.py").read_text(encoding="utf-8")
    assert "class Job2(RequestModel):" in text and "class Job(" not in text
    assert "from .._sync.jobs import Job" in text


@pytest.mark.slow
def test_the_package_passes_mypy_strict(generated: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "MYPYPATH"}
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path), "-p", PACKAGE],
        cwd=generated,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
