"""Turning local files into URLs before a request is sent: ``client.files`` and its strategies.

- **data URI** (default): ``data:image/png;base64,...`` inline in the JSON body, up to
  ``max_data_uri_bytes`` (10 MiB by default) for all the local files of one request together
  (see ``_resolve.inline_all``). Past it, a ``ValidationError`` names the parameters and the upload
  option. Oxen's docs accept data URIs but do not recommend them for production.
- **upload** (``Oxen(uploads="namespace/repo")``): the file is stored in that Oxen repository and
  its ``/file/`` URL is sent (``{base_url}/repos/{namespace}/{repo}/file/main/inputs/<sha256>.<ext>``).
  The repository must exist and be public (providers download inputs without a key); the client
  never creates one by itself: ``client.files.create_repo("namespace/repo", public=True)`` does,
  as an explicit choice, and an upload into a missing repository raises ``NotFoundError`` saying
  so. The path is the content's SHA-256, so the same file is stored once: before uploading,
  the client asks whether that path exists (``HEAD``), and remembers what it stored. The upload is
  a multipart ``PUT`` streamed from disk in 1 MiB pieces (never the whole file in memory), with
  a commit message naming this client. Every request of an upload ends by the deadline of the
  call that needs it (``submit(..., timeout=...)``, the client's ``timeout``).
- **your own storage** (``uploads=callable``): ``callable(local_file) -> url`` for each file
  (``AsyncOxen`` also takes an ``async`` callable; a plain one runs in a worker thread).

``client.files.upload(value, repo=..., progress=...)`` and ``client.files.data_uri(value)`` do one
file explicitly (per call, whatever the client's setting); ``client.files.url`` is the client's
strategy as a callable, for ``to_body(request, files=client.files.url)``;
``client.files.create_repo(repo, public=...)`` creates the repository uploads go to.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ._exceptions import APIStatusError, NotFoundError
from ._media import LocalFile, parse_repo
from ._types import Progress
from ._version import USER_AGENT

if TYPE_CHECKING:
    import httpx

__all__ = [
    "Plan",
    "already_there",
    "create_body",
    "missing_repo",
    "raise_unless_missing",
    "stored",
]

BRANCH = "main"
FOLDER = "inputs"
REPO_DESCRIPTION = f"Input files uploaded by {USER_AGENT} for Oxen model inference"


class Plan:
    """One upload: where the file goes, the multipart framing around its bytes."""

    def __init__(self, base_url: str, repo: str, file: LocalFile) -> None:
        self.namespace, self.name = parse_repo(repo)
        self.file = file
        self.path = f"{FOLDER}/{file.sha256()}{file.extension}"
        self.route = f"/repos/{self.namespace}/{self.name}/file/{BRANCH}/{self.path}"
        self.key = f"{self.namespace}/{self.name}:{self.path}"
        self.base = base_url
        boundary = secrets.token_hex(16)
        message = (
            f"Add {self.path} ({file.media_type}, {file.size} bytes), uploaded by {USER_AGENT}"
        )
        fields = {"message": message, "name": USER_AGENT.split("/", 1)[0]}
        head = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        )
        filename = self.path.rsplit("/", 1)[-1]
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: {file.media_type}\r\n\r\n"
        ).encode()
        self.head = head
        self.tail = f"\r\n--{boundary}--\r\n".encode()
        self.headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(head) + file.size + len(self.tail)),
        }

    def url(self, stored: object) -> str:
        """The /file/ URL of what the server stored (its answer's path, else ours)."""
        path = stored.get("path") if isinstance(stored, dict) else None
        if not isinstance(path, str) or not path or ".." in path.split("/"):
            path = self.path
        return f"{self.base}/repos/{self.namespace}/{self.name}/file/{BRANCH}/{path.lstrip('/')}"

    def body(self, progress: Progress | None) -> Iterator[bytes]:
        yield self.head
        done, total = 0, self.file.size
        for chunk in self.file.chunks():
            done += len(chunk)
            yield chunk
            if progress is not None:
                progress(done, total)
        yield self.tail


def already_there(plan: Plan, progress: Progress | None) -> None:
    """Content the repository holds already costs no upload: `progress` hears once that all of
    it is there, as it would at the end of an upload."""
    if progress is not None:
        progress(plan.file.size, plan.file.size)


def create_body(repo: str, public: object, description: str) -> dict[str, Any]:
    """The ``POST /repos`` body for `repo`; `public` must be said, True or False."""
    if not isinstance(public, bool):
        raise TypeError(
            "create_repo() needs public=True (model providers download inputs without a key, "
            "so uploads need a public repository) or public=False"
        )
    namespace, name = parse_repo(repo)
    return {"namespace": namespace, "name": name, "description": description, "is_public": public}


def missing_repo(plan: Plan, exc: APIStatusError) -> APIStatusError:
    """A 404 answer to an upload: the repository (or its branch) is not there. The client never
    creates one by itself; the error says why and how."""
    if exc.status_code != 404:
        return exc
    repo = f"{plan.namespace}/{plan.name}"
    return NotFoundError(
        f"cannot upload to {repo} ({exc.message}): the client never creates a repository by "
        f"itself. Create it once, public so that model providers can download the inputs "
        f"without a key: client.files.create_repo({repo!r}, public=True)",
        response=exc.response,
        body=exc.body,
        type=exc.type,
    )


def raise_unless_missing(exc: APIStatusError) -> None:
    """A ``HEAD`` of the upload's path failed: 404/405 mean it is not stored yet; raise the rest."""
    if exc.status_code not in (404, 405):
        raise exc


def stored(response: httpx.Response) -> dict[str, Any]:
    """The upload's answer as a dict (empty when it is not JSON)."""
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}
