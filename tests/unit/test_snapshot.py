from __future__ import annotations

import json
from pathlib import Path

import pytest

from oxgen import normalise, releases, routes, snapshot


def test_catalog_and_folder_agree(tmp_path: Path) -> None:
    catalog = {
        "object": "list",
        "data": [
            {"id": "b", "json_request_schema": {"type": "object"}},
            {"id": "a", "request_schema": None, "extra": 1},
        ],
    }
    loaded = snapshot.from_catalog(catalog, "test")
    assert [m["id"] for m in loaded.models] == ["a", "b"]
    assert loaded.by_id()["b"]["request_schema"] == {"type": "object"}
    assert "json_request_schema" not in loaded.by_id()["b"]
    snapshot.write_snapshot(tmp_path / "snap", snapshot.snapshot_files(loaded))
    again = snapshot.load(tmp_path / "snap")
    assert again.models == loaded.models
    assert snapshot.snapshot_files(again) == snapshot.snapshot_files(loaded)


def test_hand_edit_is_detected(tmp_path: Path) -> None:
    """An edit that still reads as the model is used, with a warning naming the fix; a file
    swapped for another model is refused."""
    loaded = snapshot.from_catalog({"data": [{"id": "a", "request_schema": {}}]}, "t")
    snapshot.write_snapshot(tmp_path, snapshot.snapshot_files(loaded))
    (tmp_path / "a.json").write_text('{"id": "a", "request_schema": {"type": "string"}}\n')
    with pytest.warns(snapshot.SnapshotWarning) as caught:
        assert snapshot.load(tmp_path).models[0]["request_schema"] == {"type": "string"}
    [warning] = [str(w.message) for w in caught]
    assert "edited by hand" in warning and "oxgen snapshot --rehash" in warning
    (tmp_path / "a.json").write_text('{"id": "b", "request_schema": {}}\n')
    with pytest.raises(snapshot.SnapshotError, match="does not match the manifest"):
        snapshot.load(tmp_path)


@pytest.mark.parametrize(
    "bad, message",
    [
        ("not json", "invalid JSON"),
        ('{"foo": 1}', "not a models list"),
        ('{"data": [{"id": "a"}, {"id": "a"}]}', "appears twice"),
        ('{"data": [{"name": 3}]}', "no string `id`"),
    ],
)
def test_bad_catalogs(tmp_path: Path, bad: str, message: str) -> None:
    path = tmp_path / "c.json"
    path.write_text(bad)
    with pytest.raises(snapshot.SnapshotError, match=message):
        snapshot.load(path)


@pytest.mark.parametrize(
    "model_id", ["../../etc/passwd", "/abs", "a/b", "manifest", "CON", "x\x00y", "Ab", ".."]
)
def test_file_stems_stay_inside(model_id: str) -> None:
    stem = snapshot.file_stem(model_id)
    assert "/" not in stem and "\x00" not in stem and stem not in ("", ".", "..", "manifest")
    assert snapshot.file_stem(model_id) != snapshot.file_stem(model_id + "x")


def test_committed_snapshot_loads_and_is_canonical() -> None:
    root = Path(__file__).resolve().parents[2] / "schemas"
    loaded = snapshot.load(root)
    assert len(loaded.models) == 161
    for name, text in snapshot.snapshot_files(loaded).items():
        assert (root / name).read_text(encoding="utf-8") == text
    expected = set(snapshot.snapshot_files(loaded)) | {releases.LEDGER}  # + the client's releases
    assert {p.name for p in root.iterdir()} == expected


def test_nullable_becomes_standard() -> None:
    assert normalise.to_standard({"type": "string", "nullable": True}) == {
        "type": ["string", "null"]
    }
    assert normalise.to_standard({"enum": ["a"], "type": "string", "nullable": True})["enum"] == [
        "a",
        None,
    ]
    assert normalise.to_standard({"$ref": "#/x", "nullable": True, "title": "t"}) == {
        "title": "t",
        "anyOf": [{"$ref": "#/x"}, {"type": "null"}],
    }
    assert normalise.to_standard({"type": "string", "nullable": False}) == {"type": "string"}
    nested = normalise.to_standard({"properties": {"a": {"type": "integer", "nullable": True}}})
    assert nested["properties"]["a"]["type"] == ["integer", "null"]


def test_routes() -> None:
    assert (
        routes.route_for({"capabilities": {"input": ["text", "image"], "output": ["video"]}})
        == routes.VIDEO
    )
    assert (
        routes.route_for({"capabilities": {"input": ["text", "image"], "output": ["image"]}})
        == routes.IMAGE_EDIT
    )
    assert (
        routes.route_for({"capabilities": {"input": ["text"], "output": ["image"]}})
        == routes.IMAGE_GENERATE
    )
    assert (
        routes.route_for({"capabilities": {"input": ["audio"], "output": ["text"]}})
        == routes.TRANSCRIPTION
    )
    assert (
        routes.route_for({"capabilities": {"input": ["text"], "output": ["audio"]}})
        == routes.SPEECH
    )
    assert (
        routes.route_for({"capabilities": {"input": ["text"], "output": ["text"]}}) == routes.CHAT
    )
    assert routes.route_for({"capabilities": {"input": ["text"], "output": ["embedding"]}}) is None
    # the model's own documented endpoint wins when it makes the same kind of media
    flux = {
        "endpoint": "/images/generate",
        "capabilities": {"input": ["text", "image"], "output": ["image"]},
    }
    assert routes.route_for(flux) == routes.IMAGE_GENERATE
    catalog = json.loads(
        (
            Path(__file__).resolve().parents[2] / "schemas" / "luma-ray-v3-2-image-to-video.json"
        ).read_text()
    )
    assert routes.route_for(catalog) == routes.VIDEO
