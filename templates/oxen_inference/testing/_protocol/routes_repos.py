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

The upload's body is parsed as it arrives (parts are spooled to disk, never held whole in memory)
and bounded by ``max_upload_bytes``.
"""

from __future__ import annotations

from pathlib import Path

from .answers import Answer, json_answer
from .errors import UNSUPPORTED_MEDIA_TYPE, ApiError, envelope_a, invalid
from .multipart import Multipart, header_params
from .repos import check_name, check_path, content_type_for
from .router import Context, Route


def create_repo(ctx: Context) -> Answer:
    return json_answer(ctx.state.repos.create(ctx.owner, ctx.json).view())


def _target(ctx: Context) -> tuple[str, str, str, str]:
    p = ctx.params
    namespace = check_name(p["namespace"], "namespace")
    name = check_name(p["repo"], "repo")
    return namespace, name, p["branch"], check_path(p["path"])


def prepare_upload(ctx: Context) -> Multipart:
    """Refuse what can be refused before the body is read, then make its parser."""
    namespace, name, branch, _ = _target(ctx)
    ctx.state.repos.writable(ctx.owner, namespace, name, branch)
    content_type = ctx.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    boundary = header_params(content_type).get("boundary")
    if media_type != "multipart/form-data" or not boundary:
        raise ApiError(
            415,
            envelope_a(
                UNSUPPORTED_MEDIA_TYPE,
                "Unsupported content type",
                "upload files as multipart/form-data with one or more `file` parts",
            ),
        )
    config = ctx.state.config
    return Multipart(boundary.encode("latin-1"), config.max_upload_bytes, ctx.state.repos.spool())


def upload(ctx: Context) -> Answer:
    namespace, name, branch, path = _target(ctx)
    repo = ctx.state.repos.writable(ctx.owner, namespace, name, branch)
    files = [p for p in ctx.parts if p.name == "file" and p.spooled is not None]
    fields = {p.name: p.value.decode("utf-8", "replace") for p in ctx.parts if p.spooled is None}
    if not files:
        raise invalid("a `file` part is required", "Missing file")
    message = fields.get("message", "").strip()
    if not message:
        raise invalid("`message` (the commit message) is required", "Missing message")
    targets: list[tuple[str, Path, str, int, str]] = []
    for part in files:
        assert part.spooled is not None
        target = path
        if len(files) > 1:
            filename = part.filename or ""
            if "/" in filename:
                raise invalid(f"file name {filename!r} must not contain '/'", "Invalid path")
            target = check_path(f"{path}/{filename}")
        content_type = content_type_for(target, part.content_type)
        targets.append((target, part.spooled, part.digest.hexdigest(), part.size, content_type))
    author = {"name": fields.get("name") or None, "email": fields.get("email") or None}
    answer = ctx.state.repos.commit(repo, targets, message, author)
    return json_answer({"status": "success", "status_message": "resource_created", **answer})


def serve(ctx: Context) -> Answer:
    namespace, name, branch, path = _target(ctx)
    repos = ctx.state.repos
    stored = repos.readable(ctx.owner, namespace, name, branch, path)
    headers = {"Content-Type": stored.content_type, "ETag": f'"{stored.sha256}"'}
    return Answer(200, headers=headers, file=repos.blob(stored))


FILE_ROUTE = "/api/repos/{namespace}/{repo}/file/{branch}/{path:path}"
ROUTES = [
    Route("POST", "/api/repos", create_repo, "json"),
    Route("PUT", FILE_ROUTE, upload, prepare=prepare_upload),
    Route("GET", FILE_ROUTE, serve),
]
