"""Shared fixtures for the `oxgen diff` tests: a small model with one property of each kind, and
helpers that write catalogs and snapshot folders to a temporary directory."""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from oxgen import snapshot

MODEL_ID = "acme-video"


def base_schema() -> dict[str, Any]:
    """A request schema exercising every keyword family the rules look at."""
    return {
        "type": "object",
        "basic": ["prompt"],
        "required": ["prompt"],
        "properties": {
            "prompt": {
                "type": "string",
                "description": "What to make.",
                "minLength": 1,
                "maxLength": 500,
                "x-order": 0,
            },
            "steps": {
                "type": "integer",
                "minimum": 1,
                "maximum": 50,
                "default": 28,
                "multipleOf": 1,
            },
            "guidance": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": 20,
                "title": "Guidance",
            },
            "mode": {"type": "string", "enum": ["fast", "quality"], "default": "fast"},
            "seed": {"type": "integer", "nullable": True},
            "style": {"type": "string"},
            "image_url": {"type": "string", "format": "uri", "renderType": "image-url"},
            "code": {"type": "string", "pattern": "^[a-z]+$"},
            "images": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 4},
            "config": {
                "type": "object",
                "required": ["strength"],
                "properties": {
                    "strength": {"type": "number", "minimum": 0, "maximum": 1},
                    "label": {"type": "string"},
                },
            },
            "extra": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }


def base_model(model_id: str = MODEL_ID, schema: Any = None) -> dict[str, Any]:
    return {
        "id": model_id,
        "object": "model",
        "display_name": "Acme Video",
        "description": "Makes videos.",
        "endpoint": "/videos/generate",
        "capabilities": {"input": ["text"], "output": ["video"]},
        "request_schema": base_schema() if schema is None else schema,
    }


def catalog(models: list[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "list", "data": copy.deepcopy(models)}


def write_snapshot(folder: Path, models: list[dict[str, Any]]) -> None:
    """Write `models` as a snapshot folder, exactly as `oxgen fetch` would."""
    snapshot.write_snapshot(
        folder, snapshot.snapshot_files(snapshot.from_catalog(catalog(models), "test"))
    )


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` (failing the test on error); its stdout, stripped."""
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def write_catalog(tmp_path: Path) -> Callable[[str, list[dict[str, Any]]], str]:
    """Write a catalog file named `name` holding `models`; return its path."""

    def write(name: str, models: list[dict[str, Any]]) -> str:
        path = tmp_path / name
        path.write_text(json.dumps(catalog(models)), encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def write_folder(tmp_path: Path) -> Callable[[str, list[dict[str, Any]]], str]:
    """Write a snapshot folder named `name` holding `models`; return its path."""

    def write(name: str, models: list[dict[str, Any]]) -> str:
        folder = tmp_path / name
        write_snapshot(folder, models)
        return str(folder)

    return write
