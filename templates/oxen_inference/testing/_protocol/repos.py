"""Oxen repositories, as far as model inputs need them: create, upload a file, serve it.

Files live in the state's own temporary folder (removed when the state is), stored once per
content (``blobs/<sha256>``); repository paths are only keys in a dict, never paths on disk, so a
hostile ``{path}`` cannot reach the file system. A namespace belongs to the key that first
created a repository in it; other keys may read its public files but not write there.

:meth:`RepoStore.check_inputs` is what a provider's download would find: every ``data:`` URI in
a generation's parameters must decode, every URL on this server (a repository ``/file/`` or a
result under ``/files/``) must serve a file, and a media input must be an http(s) URL or a data
URI (``tiger.png`` or a path cannot be downloaded), or the generation fails with the message the
real API gives for an unreachable URL.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
import re
import shutil
import tempfile
import time
import uuid
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .errors import CONFLICT, ApiError, envelope_a, forbidden, invalid, not_found

BRANCH = "main"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
MAX_PATH = 1024
_FILE_URL = re.compile(r"^/api/repos/([^/]+)/([^/]+)/file/([^/]+)/(.+)$")


def check_name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise invalid(f"`{what}` is required: a non-empty string")
    if not NAME.fullmatch(value) or ".." in value:
        raise invalid(
            f"`{what}` must be letters, digits, '-', '_' or '.' (not starting with one of the last three), got {value!r}"
        )
    return value


def check_path(path: str) -> str:
    """A repository path: relative, no empty, ``.`` or ``..`` segments, no backslash or NUL."""
    if not path or len(path) > MAX_PATH:
        raise invalid(f"the file path must be 1 to {MAX_PATH} characters", "Invalid path")
    for segment in path.split("/"):
        if segment in ("", ".", "..") or "\\" in segment or "\x00" in segment:
            raise invalid(
                f"invalid file path {path!r}: no empty, '.' or '..' segments, backslashes or NUL",
                "Invalid path",
            )
    return path


@dataclass
class StoredFile:
    path: str
    size: int
    sha256: str
    content_type: str
    commit_id: str


@dataclass
class Repo:
    namespace: str
    name: str
    description: str
    is_public: bool
    owner: str
    created_at: float = field(default_factory=time.time)
    files: dict[str, StoredFile] = field(default_factory=dict)
    commits: list[dict[str, Any]] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "name": self.name,
            "description": self.description,
            "is_public": self.is_public,
            "created_at": int(self.created_at),
        }


class RepoStore:
    """Every repository of the server, and the blobs their files point at."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="oxgen-mock-files-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.root, True)
        self.repos: dict[tuple[str, str], Repo] = {}
        self.namespaces: dict[str, str] = {}  # namespace -> owner key
        self.uploads = 0  # files received by PUT

    # -- repositories ----------------------------------------------------------------------

    def create(self, owner: str, body: dict[str, Any]) -> Repo:
        namespace = check_name(body.get("namespace"), "namespace")
        name = check_name(body.get("name"), "name")
        description = body.get("description", "")
        is_public = body.get("is_public", True)
        if not isinstance(description, str):
            raise invalid("`description` must be a string")
        if not isinstance(is_public, bool):
            raise invalid("`is_public` must be true or false")
        holder = self.namespaces.get(namespace)
        if holder is not None and holder != owner:
            raise forbidden(f"namespace {namespace!r} belongs to another account")
        if (namespace, name) in self.repos:
            raise ApiError(
                409,
                envelope_a(CONFLICT, "Repository exists", f"{namespace}/{name} already exists"),
            )
        repo = Repo(namespace, name, description, is_public, owner)
        self.repos[(namespace, name)] = repo
        self.namespaces.setdefault(namespace, owner)
        return repo

    def writable(self, owner: str, namespace: str, name: str, branch: str) -> Repo:
        repo = self.repos.get((namespace, name))
        if repo is None:
            raise not_found(f"repository {namespace}/{name} does not exist")
        if repo.owner != owner:
            raise forbidden(f"{namespace}/{name} belongs to another account")
        if branch != BRANCH:
            raise not_found(f"branch {branch!r} does not exist in {namespace}/{name}")
        return repo

    def readable(self, owner: str, namespace: str, name: str, branch: str, path: str) -> StoredFile:
        repo = self.repos.get((namespace, name))
        if repo is None or (not repo.is_public and repo.owner != owner):
            raise not_found(f"repository {namespace}/{name} does not exist")
        stored = repo.files.get(path) if branch == BRANCH else None
        if stored is None:
            raise not_found(f"File not found: {path} in {namespace}/{name}@{branch}")
        return stored

    def blob(self, stored: StoredFile) -> Path:
        return self.root / "blobs" / stored.sha256

    # -- uploads ---------------------------------------------------------------------------

    def spool(self) -> Path:
        """A fresh temporary file for an incoming part."""
        (self.root / "incoming").mkdir(parents=True, exist_ok=True)
        return self.root / "incoming" / uuid.uuid4().hex

    def commit(
        self,
        repo: Repo,
        files: list[tuple[str, Path, str, int, str]],
        message: str,
        author: dict[str, str | None],
    ) -> dict[str, Any]:
        """Store each (repo path, spooled file, sha256, size, content type) in one commit."""
        commit_id = uuid.uuid4().hex
        commit: dict[str, Any] = {
            "id": commit_id,
            "message": message,
            "author": author,
            "timestamp": int(time.time()),
        }
        blobs = self.root / "blobs"
        blobs.mkdir(parents=True, exist_ok=True)
        out = []
        for path, spooled, sha, size, content_type in files:
            target = blobs / sha
            if target.exists():
                spooled.unlink()
            else:
                spooled.replace(target)
            repo.files[path] = StoredFile(path, size, sha, content_type, commit_id)
            out.append({"path": path, "size": size, "hash": sha})
            self.uploads += 1
        repo.commits.append(commit)
        return {"commit": commit, "file": out[0], "files": out}

    # -- what a provider's download finds --------------------------------------------------

    def _own_file(self, value: str, base_url: str, result_files: set[str]) -> str | None:
        """Why the URL `value` on this server serves nothing (None when it serves a file)."""
        path = unquote(urlsplit(value).path)
        match = _FILE_URL.match(path)
        if match is not None:
            namespace, name, branch, rel = match.groups()
            repo = self.repos.get((namespace, name))
            if repo is None:
                return "404 Client Error: Not Found"
            if not repo.is_public:
                return "403 Client Error: Forbidden"
            if branch != BRANCH or rel not in repo.files:
                return "404 Client Error: Not Found"
            return None
        if path.startswith("/files/"):
            return None if path[len("/files/") :] in result_files else "404 Client Error: Not Found"
        return "404 Client Error: Not Found"

    def check_inputs(
        self,
        params: dict[str, Any],
        base_url: str,
        result_files: set[str],
        media: Sequence[tuple[str, str]] = (),
    ) -> str | None:
        """The error a generation with `params` ends with, or None when every input is there.
        `media`: (location, value) of the strings given for media inputs, which must be
        downloadable: an http(s) URL or a data URI."""
        for location, value in media:
            problem = _not_downloadable(value)
            if problem:
                return f"Failed to download {location}: {problem}"
        own = urlsplit(base_url).netloc
        for location, value in _strings(params, ()):
            if value.startswith("data:"):
                problem = _data_uri_problem(value)
                if problem:
                    return f"Failed to read {location}: {problem}"
            elif value.startswith(("http://", "https://")) and urlsplit(value).netloc == own:
                problem = self._own_file(value, base_url, result_files)
                if problem:
                    return f"Failed to download {location}: {problem} for url: {value}"
        return None

    def close(self) -> None:
        """Remove the folder now (it is removed anyway when the store is collected)."""
        self._cleanup()

    def clear(self) -> None:
        self.repos.clear()
        self.namespaces.clear()
        self.uploads = 0
        shutil.rmtree(self.root / "blobs", ignore_errors=True)
        shutil.rmtree(self.root / "incoming", ignore_errors=True)

    def stats(self) -> dict[str, Any]:
        blobs = self.root / "blobs"
        return {
            "count": len(self.repos),
            "files": sum(len(r.files) for r in self.repos.values()),
            "commits": sum(len(r.commits) for r in self.repos.values()),
            "uploads": self.uploads,
            "blobs": len(list(blobs.iterdir())) if blobs.exists() else 0,
        }


def _strings(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield ".".join(map(str, path)), value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, (*path, i))


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


def _not_downloadable(value: str) -> str | None:
    """What a provider's HTTP client says about a media string it cannot download (the words of
    Python's `requests`, which the real API's messages show), None for http(s) URLs and data URIs."""
    scheme = _SCHEME.match(value)
    if scheme is None:
        return f"Invalid URL {value[:200]!r}: No scheme supplied"
    if scheme.group(1).lower() == "data":
        return None
    if scheme.group(1).lower() not in ("http", "https"):
        return f"No connection adapters were found for {value[:200]!r}"
    if not urlsplit(value).hostname:
        return f"Invalid URL {value[:200]!r}: No host supplied"
    return None


def _data_uri_problem(value: str) -> str | None:
    header, sep, payload = value.partition(",")
    if not sep:
        return "malformed data URI (no comma)"
    media_type = header[len("data:") :].split(";", 1)[0]
    if "/" not in media_type:
        return f"the data URI has no media type ({header!r})"
    if not header.endswith(";base64"):
        return "only base64 data URIs are supported"
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return "the data URI is not valid base64"
    if not data:
        return "the data URI is empty"
    return None


def content_type_for(path: str, declared: str | None) -> str:
    if declared and "/" in declared and declared != "application/octet-stream":
        return declared
    guessed, _ = mimetypes.guess_type(path)
    return guessed or "application/octet-stream"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
