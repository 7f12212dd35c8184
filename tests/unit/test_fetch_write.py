"""`snapshot.write_snapshot`: the swap that keeps `oxgen fetch` from ever losing a snapshot."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from oxgen import snapshot


def listing(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def test_replaces_exactly_and_leaves_no_temporaries(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    snapshot.write_snapshot(out, {"a.json": "1\n", "manifest.json": "{}\n"})
    snapshot.write_snapshot(out, {"b.json": "2\n", "manifest.json": "{}\n"})
    assert listing(out) == {"b.json": "2\n", "manifest.json": "{}\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schemas"]
    assert out.stat().st_mode & 0o777 == 0o755


def test_failed_second_rename_restores_the_old_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "schemas"
    snapshot.write_snapshot(out, {"a.json": "old\n"})
    monkeypatch.setattr(snapshot, "_exchange", lambda a, b: False)  # the two-rename swap
    real_replace = os.replace
    calls = []

    def flaky(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls.append((src, dst))
        if len(calls) == 2:
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(OSError, match="disk full"):
        snapshot.write_snapshot(out, {"a.json": "new\n"})
    monkeypatch.setattr(os, "replace", real_replace)
    assert listing(out) == {"a.json": "old\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schemas"]


def test_interrupt_while_writing_keeps_the_old_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "schemas"
    snapshot.write_snapshot(out, {"a.json": "old\n"})

    class Files(dict[str, str]):
        def items(self):  # type: ignore[no-untyped-def]
            yield "x.json", "1\n"
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        snapshot.write_snapshot(out, Files())
    assert listing(out) == {"a.json": "old\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schemas"]


@pytest.mark.parametrize("name", ["../evil.json", "sub/x.json", "..", ""])
def test_bad_names_are_refused_before_anything_changes(tmp_path: Path, name: str) -> None:
    out = tmp_path / "schemas"
    snapshot.write_snapshot(out, {"a.json": "old\n"})
    with pytest.raises(snapshot.SnapshotError):
        snapshot.write_snapshot(out, {"ok.json": "1\n", name: "2\n"})
    assert listing(out) == {"a.json": "old\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schemas"]


def test_a_file_in_the_way_is_refused(tmp_path: Path) -> None:
    (tmp_path / "schemas").write_text("not a folder")
    with pytest.raises(snapshot.SnapshotError, match="not a folder"):
        snapshot.write_snapshot(tmp_path / "schemas", {"a.json": "1\n"})
