"""Reading OLD and NEW: snapshot folders, catalog files, or ``git:REV[:PATH]``.

``git:REV:PATH`` reads PATH (relative to the current directory, like any other path argument) as
it was at revision REV of the repository the current directory is in; PATH may name a snapshot
folder or a catalog file. Without ``:PATH`` the other argument's path is used, so
``oxgen diff git:origin/main schemas/`` compares the working copy with ``origin/main``.

A folder at a revision is listed with ``git ls-tree`` and its files are read in one
``git cat-file --batch`` call, written to a temporary folder and read by :mod:`oxgen.snapshot`, so
the manifest and hash checks are exactly those of a folder on disk.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import inputs, vocabulary
from .. import snapshot as snap

GIT_PREFIX = "git:"


class DiffError(Exception):
    """Input `oxgen diff` cannot use; the message says what and where (exit 2)."""


@dataclass(frozen=True)
class Spec:
    """A parsed OLD/NEW argument: a plain path (`rev` None) or a path at a git revision."""

    text: str
    rev: str | None
    path: str | None


@dataclass(frozen=True)
class Loaded:
    """A loaded side: its models, a label for reports and, for a folder on disk, model id -> file."""

    snapshot: snap.Snapshot
    label: str
    files: dict[str, str]


def parse_spec(text: str) -> Spec:
    if not text.startswith(GIT_PREFIX):
        return Spec(text, None, text)
    rest = text[len(GIT_PREFIX) :]
    rev, sep, path = rest.partition(":")
    if not rev:
        raise DiffError(f"{text}: no revision after 'git:' (expected git:REV[:PATH])")
    if rev.startswith("-"):
        raise DiffError(f"{text}: a revision cannot start with '-'")
    return Spec(text, rev, path if sep and path else None)


def resolve_pair(old: str, new: str) -> tuple[Spec, Spec]:
    """Both arguments parsed, each git form without a PATH taking the other argument's path."""
    a, b = parse_spec(old), parse_spec(new)
    if a.path is None and b.path is None:
        raise DiffError(f"{old} and {new}: give a PATH to at least one (git:REV:PATH)")
    if a.path is None:
        a = Spec(a.text, a.rev, b.path)
    if b.path is None:
        b = Spec(b.text, b.rev, a.path)
    return a, b


def load(spec: Spec) -> Loaded:
    """Read one side and check that every model's schema is usable."""
    assert spec.path is not None
    if spec.rev is None:
        try:
            loaded = snap.load(spec.path)
        except snap.SnapshotError as exc:
            raise DiffError(str(exc)) from None
        result = Loaded(loaded, spec.path, _folder_files(Path(spec.path)))
    else:
        result = _load_git(spec.rev, spec.path)
    for model in result.snapshot.models:
        check_schema(model["id"], model.get("request_schema"), result.label)
    return result


def _folder_files(folder: Path) -> dict[str, str]:
    """Model id -> file path for a snapshot folder on disk (for annotations); {} otherwise."""
    if not folder.is_dir():
        return {}
    try:
        manifest = snap.decode_json(snap.read_file(folder / snap.MANIFEST, folder), folder)
    except snap.SnapshotError as exc:
        raise DiffError(str(exc)) from None
    if not isinstance(manifest, dict):
        return {}
    return {
        e["id"]: (folder / e["file"]).as_posix()
        for e in manifest.get("models", [])
        if isinstance(e, dict) and isinstance(e.get("id"), str) and isinstance(e.get("file"), str)
    }


# --- schema sanity ---------------------------------------------------------------------------


def check_schema(model_id: str, schema: Any, label: str) -> None:
    """Refuse a schema `oxgen diff` cannot judge: not an object, or a subschema that is not one."""
    if schema is None:
        return
    if not isinstance(schema, dict):
        raise DiffError(
            f"{label}: model {model_id!r}: request_schema must be a JSON object or null, "
            f"got {_json_type(schema)}"
        )
    for pointer, sub in vocabulary.walk(schema):
        if isinstance(sub, bool):
            continue
        where = f"{label}: model {model_id!r}: request_schema at {pointer or '/'}"
        if not isinstance(sub, dict):
            raise DiffError(
                f"{where}: a schema must be an object or a boolean, got {_json_type(sub)}"
            )
        kinds = {"properties": dict, "required": list, "enum": list}
        for key, kind in kinds.items():
            if key in sub and not isinstance(sub[key], kind):
                raise DiffError(
                    f"{where}: `{key}` must be {'an object' if kind is dict else 'an array'}"
                )
        if "required" in sub and not all(isinstance(r, str) for r in sub["required"]):
            raise DiffError(f"{where}: `required` must list strings")
        types = sub.get("type")
        if types is not None and not (
            isinstance(types, str)
            or (isinstance(types, list) and all(isinstance(t, str) for t in types))
        ):
            raise DiffError(f"{where}: `type` must be a string or an array of strings")


def _json_type(value: Any) -> str:
    names = {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
    }
    return "null" if value is None else names.get(type(value), type(value).__name__)


# --- git --------------------------------------------------------------------------------------


def _git(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    if shutil.which("git") is None:
        raise DiffError("git is not installed or not on PATH (needed for git:REV arguments)")
    try:
        return subprocess.run(["git", *args], input=stdin, capture_output=True, check=False)
    except OSError as exc:
        raise DiffError(f"cannot run git: {exc.strerror or exc}") from None


def _first_line(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    return text.splitlines()[0] if text else "no message"


def _repo_relative(path: str, toplevel: Path) -> str:
    absolute = Path(os.path.normpath(Path.cwd().resolve() / path))
    try:
        rel = absolute.relative_to(toplevel)
    except ValueError:
        raise DiffError(f"{path}: outside the git repository at {toplevel}") from None
    return rel.as_posix() if str(rel) != "." else ""


def _load_git(rev: str, path: str) -> Loaded:
    label = f"git:{rev}:{path}"
    top = _git("rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise DiffError(
            f"{label}: the current directory is not in a git repository ({_first_line(top.stderr)})"
        )
    toplevel = Path(top.stdout.decode().strip()).resolve()
    commit = _git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if commit.returncode != 0:
        raise DiffError(f"{label}: unknown git revision {rev!r}")
    sha = commit.stdout.decode().strip()
    rel = _repo_relative(path, toplevel)
    obj = f"{sha}:{rel}"
    kind = _git("cat-file", "-t", obj)
    if kind.returncode != 0:
        raise DiffError(f"{label}: {path!r} does not exist at revision {rev!r}")
    if kind.stdout.strip() == b"blob":
        listed = _git("ls-tree", "-z", "-l", "--full-tree", sha, "--", rel)
        for name, _, size in _blob_entries(listed.stdout, label):
            _check_blob(f"{label} ({name})", size)
        blob = _git("cat-file", "blob", obj)
        try:
            data = snap.parse_json(blob.stdout.decode("utf-8"), label)
        except UnicodeDecodeError as exc:
            raise DiffError(f"{label}: not a JSON catalog ({exc})") from None
        except snap.SnapshotError as exc:
            raise DiffError(str(exc)) from None
        try:
            return Loaded(snap.from_catalog(data, label), label, {})
        except snap.SnapshotError as exc:
            raise DiffError(str(exc)) from None
    return Loaded(_read_tree(obj, label), label, {})


def _read_tree(obj: str, label: str) -> snap.Snapshot:
    listing = _git("ls-tree", "-z", "-l", "--full-tree", obj)
    if listing.returncode != 0:
        raise DiffError(f"{label}: cannot list ({_first_line(listing.stderr)})")
    blobs: list[tuple[str, str]] = []
    for name, oid, size in _blob_entries(listing.stdout, label):
        if name.endswith(".json") and "/" not in name:
            _check_blob(f"{label}/{name}", size)
            blobs.append((name, oid))
    if snap.MANIFEST not in {name for name, _ in blobs}:
        raise DiffError(f"{label}: folder has no {snap.MANIFEST}; is it a snapshot?")
    contents = _cat_batch([oid for _, oid in blobs], label)
    tmp = Path(tempfile.mkdtemp(prefix="oxgen-diff-"))
    try:
        for (name, _), data in zip(blobs, contents, strict=True):
            (tmp / name).write_bytes(data)
        try:
            loaded = snap.from_folder(tmp, label=label)
        except snap.SnapshotError as exc:
            raise DiffError(str(exc).replace(str(tmp), label)) from None
        return snap.Snapshot(loaded.models, label)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _blob_entries(listing: bytes, label: str) -> list[tuple[str, str, int]]:
    """(name, object id, size) of each file of a ``git ls-tree -z -l`` listing; a symbolic link
    has size -1 (git stores its target as a blob, which is never read as a file)."""
    found = []
    for entry in listing.decode("utf-8", "replace").split("\0"):
        meta, _, name = entry.partition("\t")
        parts = meta.split()
        if len(parts) == 4 and parts[1] == "blob":
            link = parts[0] == "120000"
            found.append((name, parts[2], -1 if link else int(parts[3])))
    return found


def _check_blob(where: str, size: int) -> None:
    """Refuse what :mod:`oxgen.inputs` refuses on disk: a link, or a file over the size cap."""
    if size < 0:
        raise DiffError(f"{where}: a symbolic link in git; only regular files are read")
    if size > inputs.MAX_FILE_BYTES:
        raise DiffError(str(inputs.too_large(where, size)))


def _cat_batch(oids: list[str], label: str) -> list[bytes]:
    """The contents of many blobs from one `git cat-file --batch`."""
    result = _git("cat-file", "--batch", stdin="".join(f"{oid}\n" for oid in oids).encode())
    if result.returncode != 0:
        raise DiffError(f"{label}: cannot read ({_first_line(result.stderr)})")
    out, pos, contents = result.stdout, 0, []
    for oid in oids:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        if len(header) != 3 or header[1] != b"blob":
            raise DiffError(f"{label}: cannot read object {oid}")
        size = int(header[2])
        contents.append(out[end + 1 : end + 1 + size])
        pos = end + 1 + size + 1
    return contents
