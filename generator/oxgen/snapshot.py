"""Reading and writing schema snapshots.

A *snapshot* is a folder holding one JSON file per model (the model object as the models endpoint
returns it, `request_schema` included) and `manifest.json`, which lists every model id with its
file name and the SHA-256 of that file. A *catalog* is a single file shaped like the models-list
response, ``{"object": "list", "data": [...]}``. Every command that reads schemas accepts both.

Everything here is pure except :func:`load` and :func:`write_snapshot`, the I/O edges.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oxgen import inputs

MANIFEST = "manifest.json"
# The generated client's release history (see oxgen.releases); not a model file.
LEDGER = "releases.json"
SNAPSHOT_FORMAT = 1

# The per-model pages call the schema `json_request_schema`; the models endpoint `request_schema`.
SCHEMA_KEYS = ("request_schema", "json_request_schema")


class SnapshotError(Exception):
    """A snapshot or catalog that cannot be read; the message says what and where."""


class SnapshotWarning(UserWarning):
    """Something about a snapshot the user should know, that does not stop the command (a file
    edited by hand, a folder restored after an interrupted write); the command line shows it as
    ``oxgen: warning: ...``."""


@dataclass(frozen=True)
class Snapshot:
    """Models sorted by id; each is the model object with its schema under `request_schema`."""

    models: tuple[dict[str, Any], ...]
    source: str

    def by_id(self) -> dict[str, dict[str, Any]]:
        return {m["id"]: m for m in self.models}


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps(value: Any) -> str:
    """The one JSON text form used for snapshot files: sorted keys, two-space indent, final newline.

    Text is kept as it is, except a lone surrogate (legal in JSON only as an escape such as
    ``"\\ud800"``), which stays escaped so that every snapshot file is UTF-8."""
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def utf8(text: str) -> bytes:
    """`text` as UTF-8 for hashing; lone surrogates (legal in JSON text as ``"\\ud800"``) are kept
    as their three-byte form instead of failing, so every JSON string has a digest."""
    return text.encode("utf-8", "surrogatepass")


def sha256(text: str) -> str:
    return hashlib.sha256(utf8(text)).hexdigest()


MAX_DEPTH = 400
"""How deeply arrays and objects may nest in a schema file. Real schemas stay below 20 levels;
the limit keeps every later stage (normalise, compile, diff, mock validation), which walks
schemas recursively, far from Python's recursion limit."""


def check_depth(value: Any, where: str, limit: int = MAX_DEPTH) -> None:
    """Raise :class:`SnapshotError` if `value` nests arrays/objects more than `limit` deep.

    Iterative (level by level, containers only), so it cannot itself run out of stack."""
    level = [value] if isinstance(value, (dict, list)) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            raise SnapshotError(
                f"{where}: JSON nested more than {limit} levels deep; refusing to read it"
            )
        below: list[Any] = []
        for node in level:
            children = node.values() if isinstance(node, dict) else node
            below += [c for c in children if isinstance(c, (dict, list))]
        level = below


def parse_json(text: str, where: str) -> Any:
    """JSON text -> value, or :class:`SnapshotError` with line and column (or the nesting limit)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(
            f"{where}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise SnapshotError(
            f"{where}: JSON nested more than {MAX_DEPTH} levels deep; refusing to read it"
        ) from None
    check_depth(value, where)
    return value


_SAFE_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
_RESERVED_STEMS = {"manifest"}


def file_stem(model_id: str) -> str:
    """A file name stem for a model id that can never leave the snapshot folder.

    Plain lowercase ids are kept as they are; anything else is reduced to safe characters and
    suffixed with a hash of the id, so distinct ids never share a file (even on case-insensitive
    file systems) and ``../x``, absolute paths or NUL bytes never reach the file system.
    """
    if _SAFE_ID.fullmatch(model_id) and model_id not in _RESERVED_STEMS and ".." not in model_id:
        return model_id
    base = re.sub(r"[^a-z0-9]+", "-", model_id.lower()).strip("-")[:60] or "model"
    return f"{base}-{sha256(model_id)[:10]}"


def normalise_model(raw: Any, where: str, *, depth_checked: bool = False) -> dict[str, Any]:
    """Check one model object and put its schema under `request_schema` (null when absent).
    `depth_checked`: it comes from :func:`parse_json`, which checked its nesting already."""
    if not isinstance(raw, dict):
        raise SnapshotError(f"{where}: a model must be a JSON object, got {type(raw).__name__}")
    model_id = raw.get("id", raw.get("name"))
    if not isinstance(model_id, str) or not model_id:
        raise SnapshotError(f"{where}: model has no string `id`")
    if not depth_checked:
        check_depth(raw, where)
    model = dict(raw)
    model["id"] = model_id
    schema = None
    for key in SCHEMA_KEYS:
        if model.get(key) is not None:
            schema = model[key]
            break
    model.pop("json_request_schema", None)
    model["request_schema"] = schema
    return model


def from_catalog(data: Any, source: str, *, depth_checked: bool = False) -> Snapshot:
    """Models from a models-list response (or the internal catalog's ``{"models": [...]}``).
    `depth_checked`: `data` comes from :func:`parse_json`, which checked its nesting already."""
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        items = data["data"]
    elif isinstance(data, dict) and isinstance(data.get("models"), list):
        items = data["models"]
    elif isinstance(data, list):
        items = data
    else:
        raise SnapshotError(
            f"{source}: not a models list (expected {{'object': 'list', 'data': [...]}})"
        )
    return _build(
        (
            normalise_model(m, f"{source}: data[{i}]", depth_checked=depth_checked)
            for i, m in enumerate(items)
        ),
        source,
    )


def _build(models: Iterable[dict[str, Any]], source: str) -> Snapshot:
    seen: dict[str, dict[str, Any]] = {}
    for m in models:
        if m["id"] in seen:
            raise SnapshotError(f"{source}: model id {m['id']!r} appears twice")
        seen[m["id"]] = m
    return Snapshot(tuple(seen[k] for k in sorted(seen)), source)


def snapshot_files(snapshot: Snapshot) -> dict[str, str]:
    """The snapshot as file name -> text (pure). Deterministic for the same models."""
    files: dict[str, str] = {}
    entries = []
    for model in snapshot.models:
        name = file_stem(model["id"]) + ".json"
        text = dumps(model)
        files[name] = text
        entries.append({"id": model["id"], "file": name, "sha256": sha256(text)})
    # No source, date or host in the manifest: the same models always give the same bytes, so a
    # fetch from any server that serves them reproduces a committed snapshot exactly.
    manifest = {"format": SNAPSHOT_FORMAT, "models": entries}
    files[MANIFEST] = dumps(manifest)
    return files


def read_file(path: Path, within: Path | None = None) -> bytes:
    """An input file's bytes through :mod:`oxgen.inputs` (a regular file within the size cap;
    with `within`, inside that folder), or :class:`SnapshotError`."""
    try:
        return inputs.read_bytes(path, within=within)
    except inputs.InputFileError as exc:
        raise SnapshotError(str(exc)) from None


def decode_text(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SnapshotError(f"{path}: not UTF-8 text ({exc.reason})") from None


def decode_json(data: bytes, path: Path) -> Any:
    return parse_json(decode_text(data, path), str(path))


def _read_json(path: Path, within: Path | None = None) -> Any:
    return decode_json(read_file(path, within), path)


def from_folder(folder: Path, *, verify: bool = True, label: str | None = None) -> Snapshot:
    """Read a snapshot folder through its manifest, checking each file's hash.

    A file whose hash differs from the manifest's but which still reads as the model the manifest
    names was edited on purpose (to try a change, or pin a model): it is used as it is, with a
    warning on stderr that says how to record the edit (``oxgen snapshot --rehash``). A file that
    does not read as that model (half-written, or swapped) is refused. ``verify=False`` skips the
    hash check and its warnings. `label` names the folder in warnings (a git revision, say).
    """
    manifest_path = folder / MANIFEST
    manifest = _read_json(manifest_path, folder)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("models"), list):
        raise SnapshotError(f"{manifest_path}: not a snapshot manifest (no `models` list)")
    models = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(manifest["models"]):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("file"), str):
            raise SnapshotError(f"{manifest_path}: models[{i}] has no `file`")
        name = entry["file"]
        if Path(name).name != name or name in ("", ".", ".."):
            raise SnapshotError(
                f"{manifest_path}: models[{i}].file {name!r} is not a plain file name"
            )
        if name in seen:  # each file is read once: the folder's size bounds what is read
            raise SnapshotError(
                f"{manifest_path}: models[{i}].file {name!r} is also models[{seen[name]}].file"
            )
        seen[name] = i
        path = folder / name
        data = read_file(path, folder)
        edited = False
        if verify and isinstance(entry.get("sha256"), str):
            edited = hashlib.sha256(data).hexdigest() != entry["sha256"]
        try:
            model = normalise_model(decode_json(data, path), str(path), depth_checked=True)
        except SnapshotError as exc:
            if edited:
                raise SnapshotError(
                    f"{exc} (and it does not match the manifest's sha256)"
                ) from None
            raise
        if edited:
            if "id" in entry and entry["id"] != model["id"]:
                raise SnapshotError(
                    f"{path}: content does not match the manifest's sha256 and holds model "
                    f"{model['id']!r}, not {entry['id']!r}; restore the file or run `oxgen fetch`"
                )
            hint = "" if label else f" To record the edit: oxgen snapshot --rehash {folder}"
            warnings.warn(
                f"{label or folder}/{name} was edited by hand (its sha256 differs from"
                f" {MANIFEST}); using it as it is.{hint}",
                SnapshotWarning,
                stacklevel=2,
            )
        models.append(model)
    return _build(models, str(folder))


def rehash(folder: Path) -> tuple[Snapshot, list[str]]:
    """Rewrite the snapshot in `folder` after deliberate edits: every model file in the one JSON
    form (sorted keys) and the manifest with their new hashes. Returns the snapshot and the names
    of the files whose content had changed. Refuses files that do not read as models."""
    folder = Path(folder)
    recover(folder)
    if not os.path.lexists(folder / MANIFEST):
        raise SnapshotError(f"{folder}: folder has no {MANIFEST}; is it a snapshot?")
    old = _read_json(folder / MANIFEST, folder)
    loaded = from_folder(folder, verify=False)
    files = snapshot_files(loaded)
    if os.path.lexists(folder / LEDGER):  # the release history stays as it is
        files[LEDGER] = decode_text(read_file(folder / LEDGER, folder), folder / LEDGER)
    before = {
        e.get("file"): e.get("sha256")
        for e in (old.get("models") if isinstance(old, dict) else None) or []
        if isinstance(e, Mapping)
    }
    changed = sorted(
        name
        for name in files
        if name != MANIFEST
        and (
            before.get(name) != sha256(files[name])
            or not os.path.lexists(folder / name)
            or read_file(folder / name, folder) != utf8(files[name])
        )
    )
    write_snapshot(folder, files)
    return loaded, changed


def load(src: str | os.PathLike[str]) -> Snapshot:
    """Read a snapshot folder or a catalog file (recovering a folder an interrupted swap left
    aside, see :func:`recover`)."""
    path = Path(src)
    if not path.exists():
        recover(path)
    if path.is_dir():
        if not os.path.lexists(path / MANIFEST):
            raise SnapshotError(
                f"{path}: folder has no {MANIFEST}; is it a snapshot? (`oxgen fetch` makes one)"
            )
        return from_folder(path)
    if not os.path.lexists(path):
        raise SnapshotError(f"{path}: no such file or folder")
    return from_catalog(_read_json(path), str(path), depth_checked=True)


def _siblings(out_dir: Path, kind: str) -> list[Path]:
    """The folders an earlier swap of `out_dir` left beside it (``.NAME.old-*``/``.NAME.new-*``),
    newest first."""
    parent = Path(os.path.abspath(out_dir)).parent
    found = [p for p in parent.glob(f".{out_dir.name}.{kind}-*") if p.is_dir()]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def recover(out_dir: Path) -> bool:
    """Put back a snapshot folder that an interrupted swap left aside; True if it did.

    Where the file system cannot exchange two folders atomically, :func:`write_snapshot` swaps
    with two renames (old folder aside as ``.NAME.old-*``, new one in). A process killed between
    them leaves no `out_dir`: the next command that reads the snapshot moves the old folder back
    (the snapshot as it was before the interrupted write). Old folders left beside a complete
    `out_dir` are removed."""
    out_dir = Path(out_dir)
    olds = [p for p in _siblings(out_dir, "old") if (p / MANIFEST).exists()]
    if out_dir.exists():
        if (out_dir / MANIFEST).exists():
            for stale in olds:
                shutil.rmtree(stale, ignore_errors=True)
        return False
    if not olds:
        return False
    os.replace(olds[0], out_dir)
    _fsync_dir(Path(os.path.abspath(out_dir)).parent)
    warnings.warn(
        f"{out_dir} was missing after an interrupted write; restored the snapshot it held before"
        f" (from {olds[0].name})",
        SnapshotWarning,
        stacklevel=2,
    )
    return True


def _fsync_dir(folder: Path) -> None:
    """Make the entries of `folder` (new names, renames) durable; a no-op where unsupported."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    C library, kernel or file system cannot, so the caller falls back to two renames."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    renameat2.restype = ctypes.c_int
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)


def write_snapshot(out_dir: Path, files: Mapping[str, str]) -> None:
    """Replace `out_dir` with exactly `files`, never leaving it half-written.

    The new snapshot is written into a sibling temporary folder, each file and the folder fsynced,
    then swapped in: in one atomic step where the OS offers one (Linux ``RENAME_EXCHANGE``), else
    with two renames (old folder aside, new folder in) that :func:`recover` completes if the
    process dies between them. Until the swap the old folder is untouched; any failure or
    interrupt (KeyboardInterrupt included) before the swap completes removes the temporary folder
    and, if the old folder had already been moved aside, puts it back. Bad file names are refused
    before anything is written.
    """
    out_dir = Path(out_dir)
    for name in files:
        if Path(name).name != name or name in ("", ".", ".."):
            raise SnapshotError(f"refusing to write {name!r}: not a plain file name")
    recover(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise SnapshotError(f"{out_dir} exists and is not a folder")
    parent = Path(os.path.abspath(out_dir)).parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=parent))
    # mkdtemp makes a private (0700) folder; keep the old folder's mode, or a usual 0755.
    os.chmod(tmp, out_dir.stat().st_mode & 0o7777 if out_dir.exists() else 0o755)
    old: Path | None = None
    swapped = False
    try:
        for name, text in files.items():
            with open(tmp / name, "wb") as handle:
                handle.write(utf8(text))
                handle.flush()
                os.fsync(handle.fileno())
        _fsync_dir(tmp)
        if out_dir.exists() and _exchange(tmp, out_dir):
            old, swapped = tmp, True  # tmp now holds the old snapshot
            _fsync_dir(parent)
            return
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=parent))
            old.rmdir()
            os.replace(out_dir, old)
            _fsync_dir(parent)
        os.replace(tmp, out_dir)
        swapped = True
        _fsync_dir(parent)
    except BaseException:
        if old is not None and old.exists() and not out_dir.exists():
            os.replace(old, out_dir)  # put the old snapshot back
            old = None
        if not swapped:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if swapped and old is not None:
            shutil.rmtree(old, ignore_errors=True)
