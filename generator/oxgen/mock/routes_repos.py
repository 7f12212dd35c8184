"""Oxen's repository routes, for model inputs: create a repository, upload files, serve them.

- ``POST /api/repos`` ``{"namespace", "name", "description", "is_public"}`` -> 200 with the
  repository; 409 when it exists; 403 when the namespace belongs to another key.
- ``PUT /api/repos/{namespace}/{repo}/file/{branch}/{path}``, multipart: one or more ``file``
  parts, ``message`` (required), ``name`` and ``email`` (the author, optional). One file is
  stored at ``{path}``; several go into the folder ``{path}``, under their file names. Answer:
  ``{"commit": {...}, "file": {"path", "size", "hash"}, "files": [...]}``.
- ``GET``/``HEAD /api/repos/{namespace}/{repo}/file/{branch}/{path}``: the file. Public
  repositories serve anyone (no key needed, as model providers download them); private ones only
  their owner's key (404 for others).

The body is parsed as it streams in (parts are spooled to disk, never held whole in memory) and
bounded by ``max_upload_bytes``.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from .body import owner, read_json_object
from .errors import PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, ApiError, envelope_a, invalid
from .repos import check_name, check_path, content_type_for
from .routes_models import state_of

_MAX_FIELD = 64 * 1024
_MAX_HEADERS = 16 * 1024


async def create_repo(request: Request) -> JSONResponse:
    state = state_of(request)
    body = await read_json_object(request, state.config.max_body_bytes)
    repo = state.repos.create(owner(request), body)
    return JSONResponse(repo.view())


def _target(request: Request) -> tuple[str, str, str, str]:
    p = request.path_params
    namespace = check_name(p["namespace"], "namespace")
    name = check_name(p["repo"], "repo")
    return namespace, name, p["branch"], check_path(p["path"])


@dataclass
class _Part:
    name: str
    filename: str | None
    content_type: str | None
    spooled: Path | None = None
    sink: IO[bytes] | None = None
    value: bytearray = field(default_factory=bytearray)
    size: int = 0
    digest: Any = field(default_factory=hashlib.sha256)

    def write(self, data: bytes) -> None:
        if not data:
            return
        self.size += len(data)
        if self.sink is not None:
            self.sink.write(data)
            self.digest.update(data)
        else:
            if self.size > _MAX_FIELD:
                raise invalid(f"form field {self.name!r} is longer than {_MAX_FIELD} bytes")
            self.value += data


def _header_params(line: str) -> dict[str, str]:
    out = {}
    for item in line.split(";")[1:]:
        key, _, value = item.strip().partition("=")
        out[key.lower()] = value.strip().strip('"')
    return out


async def _parts(
    chunks: AsyncIterator[bytes], boundary: bytes, limit: int, spool: Path
) -> list[_Part]:
    """Parse a multipart/form-data body as it arrives; file parts go to disk under `spool`."""
    delimiter = b"\r\n--" + boundary
    buffer = b"\r\n"  # so that the first delimiter looks like every other one
    state, total, parts = "preamble", 0, []
    current: _Part | None = None

    def finish() -> None:
        if current is not None and current.sink is not None:
            current.sink.close()

    try:
        async for chunk in chunks:
            total += len(chunk)
            if total > limit:
                raise ApiError(
                    413,
                    envelope_a(
                        PAYLOAD_TOO_LARGE,
                        "Upload too large",
                        f"uploads are limited to {limit} bytes",
                    ),
                )
            buffer += chunk
            while True:
                if state == "preamble":
                    at = buffer.find(delimiter)
                    if at < 0:
                        buffer = buffer[-len(delimiter) :]
                        break
                    buffer, state = buffer[at + len(delimiter) :], "after"
                elif state == "after":
                    if len(buffer) < 2:
                        break
                    if buffer[:2] == b"--":
                        state = "end"
                        break
                    if buffer[:2] != b"\r\n":
                        raise invalid("malformed multipart body (after a boundary)")
                    buffer, state = buffer[2:], "headers"
                elif state == "headers":
                    at = buffer.find(b"\r\n\r\n")
                    if at < 0:
                        if len(buffer) > _MAX_HEADERS:
                            raise invalid("multipart part headers are too long")
                        break
                    current = _new_part(buffer[:at].decode("utf-8", "replace"), spool)
                    parts.append(current)
                    buffer, state = buffer[at + 4 :], "body"
                elif state == "body":
                    assert current is not None
                    at = buffer.find(delimiter)
                    if at < 0:
                        keep = len(delimiter)
                        current.write(buffer[:-keep])
                        buffer = buffer[-keep:]
                        break
                    current.write(buffer[:at])
                    finish()
                    buffer, state = buffer[at + len(delimiter) :], "after"
                else:  # end: the epilogue is ignored
                    buffer = b""
                    break
    except ClientDisconnect:
        raise invalid("the client went away before sending the whole body") from None
    finally:
        finish()
    if state != "end":
        for part in parts:
            if part.spooled is not None:
                part.spooled.unlink(missing_ok=True)
        raise invalid("the multipart body ends before its closing boundary")
    return parts


def _new_part(raw: str, spool: Path) -> _Part:
    disposition, content_type = "", None
    for line in raw.split("\r\n"):
        key, _, value = line.partition(":")
        if key.strip().lower() == "content-disposition":
            disposition = value.strip()
        elif key.strip().lower() == "content-type":
            content_type = value.strip()
    params = _header_params(disposition)
    if not disposition.lower().startswith("form-data") or "name" not in params:
        raise invalid("each multipart part needs Content-Disposition: form-data; name=...")
    part = _Part(params["name"], params.get("filename"), content_type)
    if part.filename is not None:
        part.spooled = spool / f"{id(part)}"
        part.sink = part.spooled.open("wb")
    return part


async def upload(request: Request) -> JSONResponse:
    state = state_of(request)
    namespace, name, branch, path = _target(request)
    repo = state.repos.writable(owner(request), namespace, name, branch)
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    boundary = _header_params(content_type).get("boundary")
    if media_type != "multipart/form-data" or not boundary:
        raise ApiError(
            415,
            envelope_a(
                UNSUPPORTED_MEDIA_TYPE,
                "Unsupported content type",
                "upload files as multipart/form-data with one or more `file` parts",
            ),
        )
    spool = state.repos.spool()
    spool.mkdir(parents=True, exist_ok=True)
    try:
        parts = await _parts(
            request.stream(), boundary.encode("latin-1"), state.config.max_upload_bytes, spool
        )
        files = [p for p in parts if p.name == "file" and p.spooled is not None]
        fields = {p.name: p.value.decode("utf-8", "replace") for p in parts if p.spooled is None}
        if not files:
            raise invalid("a `file` part is required", "Missing file")
        message = fields.get("message", "").strip()
        if not message:
            raise invalid("`message` (the commit message) is required", "Missing message")
        targets = []
        for part in files:
            assert part.spooled is not None
            target = path
            if len(files) > 1:
                filename = part.filename or ""
                if "/" in filename:
                    raise invalid(f"file name {filename!r} must not contain '/'", "Invalid path")
                target = check_path(f"{path}/{filename}")
            targets.append(
                (
                    target,
                    part.spooled,
                    part.digest.hexdigest(),
                    part.size,
                    content_type_for(target, part.content_type),
                )
            )
        author = {"name": fields.get("name") or None, "email": fields.get("email") or None}
        answer = state.repos.commit(repo, targets, message, author)
    finally:
        shutil.rmtree(spool, ignore_errors=True)  # stored parts were moved out already
    return JSONResponse({"status": "success", "status_message": "resource_created", **answer})


async def serve(request: Request) -> Response:
    state = state_of(request)
    namespace, name, branch, path = _target(request)
    stored = state.repos.readable(owner(request), namespace, name, branch, path)
    return FileResponse(
        state.repos.blob(stored),
        media_type=stored.content_type,
        headers={"ETag": f'"{stored.sha256}"'},
    )


FILE_ROUTE = "/api/repos/{namespace}/{repo}/file/{branch}/{path:path}"
ROUTES = [
    Route("/api/repos", create_repo, methods=["POST"]),
    Route(FILE_ROUTE, upload, methods=["PUT"]),
    Route(FILE_ROUTE, serve, methods=["GET", "HEAD"]),
]
