"""Input files that are not plain files, through the real `oxgen` command: every reader (a
snapshot's model files, manifest and ledger, a catalog file, an allow-list, a templates folder,
`git:` sources, the mock server's snapshot) reads regular files only, each within the size cap,
and refuses anything else with one line and exit 2: never a hang, a traceback or a read of
/dev/zero until memory runs out.

Each command runs in a subprocess with a time limit and an address-space limit, and without the
file-permission capabilities root would otherwise use to read a file whose mode says no.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from oxgen import inputs, releases
from oxgen import snapshot as snap
from oxgen.templates import templates_dir

OBJ: dict[str, Any] = {"type": "object", "properties": {"prompt": {"type": "string"}}}
MODELS = [{"id": "m-one", "request_schema": OBJ}, {"id": "m-two", "request_schema": OBJ}]

# Run in the child before oxgen: no capabilities (so root, too, is refused a mode-000 file) and
# at most 2 GiB of address space (a read of /dev/zero fails fast instead of taking the machine).
PRELUDE = """
import ctypes, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
try:
    libc = ctypes.CDLL(None, use_errno=True)
    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]
    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]
    assert libc.capset(ctypes.byref(Header(0x20080522, 0)), (Data * 2)()) == 0
except AttributeError:
    pass  # no capset (not Linux): an unprivileged user needs none dropped
from oxgen.cli import main
sys.argv[0] = "oxgen"
main()
"""


def oxgen(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PRELUDE, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def make_snapshot(folder: Path) -> Path:
    loaded = snap.from_catalog({"data": MODELS}, "test")
    files = releases.with_ledger(
        folder, loaded, snap.snapshot_files(loaded), today=datetime.date(2025, 1, 2)
    )
    snap.write_snapshot(folder, files)
    return folder


# --- the hostile cases: each turns `target` (an existing good file) into something else ------


def fifo(target: Path, tmp: Path) -> None:
    target.unlink()
    os.mkfifo(target)


def dev_zero(target: Path, tmp: Path) -> None:
    target.unlink()
    target.symlink_to("/dev/zero")


def folder(target: Path, tmp: Path) -> None:
    target.unlink()
    target.mkdir()


def dangling(target: Path, tmp: Path) -> None:
    target.unlink()
    target.symlink_to(target.parent / "gone.json")


def link_out(target: Path, tmp: Path) -> None:
    """A link to an identical copy of the file, outside the folder that holds it."""
    outside = tmp / "elsewhere"
    outside.mkdir(exist_ok=True)
    copy = outside / target.name
    shutil.move(target, copy)
    target.symlink_to(copy)


def oversized(target: Path, tmp: Path) -> None:
    with target.open("r+b") as f:  # sparse: no disk is used
        f.truncate(inputs.MAX_FILE_BYTES + 1)


def unreadable(target: Path, tmp: Path) -> None:
    target.chmod(0)


CASES: dict[str, tuple[Callable[[Path, Path], None], str]] = {
    "fifo": (fifo, "a named pipe (FIFO); only regular files are read"),
    "/dev/zero link": (dev_zero, "a link to /dev/zero, a character device; only regular"),
    "folder": (folder, "a folder"),
    "dangling link": (dangling, "gone.json, which does not exist"),
    "link out of the folder": (link_out, "outside the folder"),
    "oversized": (oversized, "64.0 MiB or more, over the 64 MiB limit for one input file"),
    "unreadable": (unreadable, "cannot read (Permission denied)"),
}


# --- the places: (where the target file is, the command that reads it) -----------------------


def place_model_file(tmp: Path) -> tuple[Path, list[str]]:
    make_snapshot(tmp / "snap")
    return tmp / "snap" / "m-one.json", ["generate", "--schemas", "snap", "--out", "out"]


def place_manifest(tmp: Path) -> tuple[Path, list[str]]:
    make_snapshot(tmp / "snap")
    (tmp / "c.json").write_text(json.dumps({"data": MODELS}), encoding="utf-8")
    return tmp / "snap" / snap.MANIFEST, ["diff", "snap", "c.json"]


def place_ledger(tmp: Path) -> tuple[Path, list[str]]:
    make_snapshot(tmp / "snap")
    return tmp / "snap" / snap.LEDGER, ["snapshot", "--rehash", "snap"]


def place_ledger_generate(tmp: Path) -> tuple[Path, list[str]]:
    make_snapshot(tmp / "snap")
    return tmp / "snap" / snap.LEDGER, ["generate", "--schemas", "snap", "--out", "out"]


def place_catalog(tmp: Path) -> tuple[Path, list[str]]:
    (tmp / "in").mkdir()
    (tmp / "in" / "c.json").write_text(json.dumps({"data": MODELS}), encoding="utf-8")
    return tmp / "in" / "c.json", ["snapshot", "in/c.json", "--out", "snap"]


def place_allow(tmp: Path) -> tuple[Path, list[str]]:
    (tmp / "c.json").write_text(json.dumps({"data": MODELS}), encoding="utf-8")
    (tmp / "in").mkdir()
    (tmp / "in" / "allow.json").write_text("[]", encoding="utf-8")
    return tmp / "in" / "allow.json", ["diff", "c.json", "c.json", "--allow", "in/allow.json"]


def place_template(tmp: Path) -> tuple[Path, list[str]]:
    (tmp / "c.json").write_text(json.dumps({"data": MODELS}), encoding="utf-8")
    team = tmp / "team"
    team.mkdir()
    name = "CHANGELOG.md.jinja"
    shutil.copy(templates_dir() / name, team / name)
    return team / name, ["generate", "--schemas", "c.json", "--out", "out", "--templates", "team"]


PLACES = {
    "model file": place_model_file,
    "manifest": place_manifest,
    "ledger (rehash)": place_ledger,
    "ledger (generate)": place_ledger_generate,
    "catalog file": place_catalog,
    "allow-list": place_allow,
    "template": place_template,
}
# A single file named on the command line may be a link to a file anywhere: only the files of a
# folder (snapshot, templates) must stay inside it.
SINGLE_FILES = {"catalog file", "allow-list"}


def test_each_place_reads_its_good_file(tmp_path: Path) -> None:
    """The baseline of the table below: before a case is applied, every command succeeds."""
    for name, place in PLACES.items():
        tmp = tmp_path / name.replace(" ", "-").replace("(", "").replace(")", "")
        tmp.mkdir()
        _, args = place(tmp)
        result = oxgen(*args, cwd=tmp)
        assert result.returncode == 0, (name, result.stderr)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("place", list(PLACES))
def test_a_file_that_is_not_a_plain_file_is_refused_in_one_line(
    tmp_path: Path, place: str, case: str
) -> None:
    target, args = PLACES[place](tmp_path)
    make, phrase = CASES[case]
    make(target, tmp_path)
    result = oxgen(*args, cwd=tmp_path)
    if case == "link out of the folder" and place in SINGLE_FILES:
        assert result.returncode == 0, result.stderr  # read through the link, as any file
        return
    if case == "folder" and place == "catalog file":
        phrase = "folder has no manifest.json"  # a folder is a source too: a snapshot folder
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("oxgen: error: "), result.stderr
    assert phrase in lines[0], lines[0]
    assert target.name in lines[0], lines[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", ["fifo", "/dev/zero link"])
def test_the_mock_server_refuses_before_it_listens(tmp_path: Path, case: str) -> None:
    target, _ = place_model_file(tmp_path)
    make, phrase = CASES[case]
    make(target, tmp_path)
    result = oxgen("mock-server", "--schemas", "snap", "--port", "0", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert phrase in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_manifest_that_names_one_file_twice_is_refused(tmp_path: Path) -> None:
    """Each file is read once, so what a snapshot reads is bounded by the folder's size."""
    folder = make_snapshot(tmp_path / "snap")
    manifest = json.loads((folder / snap.MANIFEST).read_text(encoding="utf-8"))
    manifest["models"][1]["file"] = manifest["models"][0]["file"]
    (folder / snap.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(snap.SnapshotError, match=r"models\[1\].file 'm-one.json' is also models"):
        snap.load(folder)


def test_a_link_inside_the_folder_is_followed(tmp_path: Path) -> None:
    folder = make_snapshot(tmp_path / "snap")
    (folder / "m-one.json").rename(folder / "real.json")
    (folder / "m-one.json").symlink_to("real.json")
    assert [m["id"] for m in snap.load(folder).models] == ["m-one", "m-two"]


def test_a_templates_folder_named_like_a_built_in_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text(json.dumps({"data": MODELS}), encoding="utf-8")
    (tmp_path / "team" / "api" / "model.md.jinja").mkdir(parents=True)
    result = oxgen(
        "generate", "--schemas", "c.json", "--out", "out", "--templates", "team", cwd=tmp_path
    )
    assert result.returncode == 2, result.stderr
    assert "api/model.md.jinja is a folder where the built-in templates have a file" in (
        result.stderr
    )


def test_a_file_that_grows_past_the_cap_while_read_is_refused() -> None:
    """A file whose size the system does not know in advance (st_size 0, as /proc files) is read
    at most cap + 1 bytes."""
    maps = Path("/proc/self/maps")
    if not maps.exists():
        pytest.skip("needs /proc")
    assert os.stat(maps).st_size == 0
    assert len(inputs.read_bytes(maps)) > 64
    with pytest.raises(inputs.InputFileError, match="over the 64 bytes limit"):
        inputs.read_bytes(maps, limit=64)


# --- git: sources -------------------------------------------------------------------------------


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "test@example.com")
    git(root, "config", "user.name", "Test")
    git(root, "config", "commit.gpgsign", "false")
    make_snapshot(root / "snap")
    (root / "c.json").write_text(json.dumps({"data": MODELS}), encoding="utf-8")
    return root


def _commit(root: Path) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "x")


@pytest.mark.parametrize(
    ("change", "arg", "phrase"),
    [
        (
            lambda r: dev_zero(r / "snap" / "m-one.json", r),
            "git:HEAD:snap",
            "git:HEAD:snap/m-one.json: a symbolic link in git; only regular files are read",
        ),
        (
            lambda r: dev_zero(r / "c.json", r),
            "git:HEAD:c.json",
            "git:HEAD:c.json (c.json): a symbolic link in git",
        ),
        (
            lambda r: oversized(r / "snap" / "m-two.json", r),
            "git:HEAD:snap",
            "git:HEAD:snap/m-two.json: 64.0 MiB or more, over the 64 MiB limit",
        ),
        (
            lambda r: oversized(r / "c.json", r),
            "git:HEAD:c.json",
            "git:HEAD:c.json (c.json): 64.0 MiB or more, over the 64 MiB limit",
        ),
    ],
    ids=["link in a folder", "link as the catalog", "big model file", "big catalog"],
)
def test_git_sources_refuse_links_and_big_blobs(
    repo: Path, change: Callable[[Path], None], arg: str, phrase: str
) -> None:
    change(repo)
    _commit(repo)
    result = oxgen("diff", arg, "c.json", cwd=repo)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [f"oxgen: error: {phrase}"] or (len(lines) == 1 and phrase in lines[0]), lines
