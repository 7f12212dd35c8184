"""`oxgen fetch`: refresh the snapshot from the models endpoint, never losing the old one.

The models are listed (``GET /ai/models``), then each model object is fetched concurrently
(``GET /ai/models/{id}``, at most :data:`CONCURRENCY` at a time). Transient failures (connection
errors, timeouts, 429 honouring ``Retry-After``, 5xx, a garbled body) are retried with
exponential backoff and jitter. Only when *every* model has arrived is the snapshot written, by
:func:`oxgen.snapshot.write_snapshot` (new folder beside the old one, then swapped in), so a failed
or interrupted fetch leaves the output folder exactly as it was.

Limits (:class:`Limits`, each a flag of ``oxgen fetch``): the whole fetch must finish within a
total deadline (default 10 minutes; a server that trickles bytes cannot hold a CI job for
longer), a ``Retry-After`` longer than the time left fails that request at once, and response
bodies are read as streams and refused above a size cap (the list 64 MB, each model 8 MB by
default), so an endless body cannot exhaust memory. Redirects are followed at most 5 times.

Shapes seen in the wild are accepted: the schema under ``request_schema`` or
``json_request_schema``; a bare model object or one wrapped in ``{"data": ...}``; a list under
``data`` or ``models`` (keyed by ``name`` in the internal catalog); unknown extra fields.
"""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from . import snapshot as snap
from .releases import with_ledger

DEFAULT_BASE_URL = "https://hub.oxen.ai/api"
CONCURRENCY = 8
MAX_REDIRECTS = 5
MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds on one fetch: `deadline` seconds for everything (listing, every model, retries),
    and the largest response body accepted for the models list and for each model object."""

    deadline: float = 600.0
    max_list_bytes: int = 64 * MB
    max_model_bytes: int = 8 * MB


class FetchError(Exception):
    """A request that failed for good (after retries, or at once when retrying cannot help)."""


class FetchTimeout(FetchError):
    """The total deadline passed before every model had arrived."""


class FetchFailed(Exception):
    """Some models could not be fetched: model id -> reason."""

    def __init__(self, failures: Mapping[str, str]) -> None:
        super().__init__(f"{len(failures)} model(s) could not be fetched")
        self.failures = dict(failures)


@dataclass(frozen=True)
class RetryPolicy:
    """How transient failures are retried: `attempts` tries in all, waiting about
    ``backoff * 2**n`` (n = 0, 1, ...; at most `max_backoff`) with full jitter between them, and
    at least what a ``Retry-After`` header asks (at most `max_retry_after`)."""

    attempts: int = 5
    backoff: float = 0.5
    max_backoff: float = 20.0
    max_retry_after: float = 60.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait after failed try number `attempt` (1-based)."""
        ceiling = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        jittered = rng.uniform(ceiling / 2, ceiling)
        if retry_after is None:
            return jittered
        return max(min(retry_after, self.max_retry_after), jittered / 4)


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent/bad."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def error_message(response: httpx.Response) -> str:
    """A short reason from an error response, whichever envelope it uses."""
    text = response.text[:300]
    try:
        body = response.json()
    except ValueError:
        return text.strip() or response.reason_phrase
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str):
        return error
    if isinstance(error, dict):
        for key in ("detail", "message", "title", "type"):
            if isinstance(error.get(key), str):
                return str(error[key])
    return text.strip()


async def get_json(
    client: httpx.AsyncClient,
    path: str,
    policy: RetryPolicy,
    rng: random.Random,
    *,
    max_bytes: int = Limits.max_model_bytes,
    deadline: float | None = None,
) -> Any:
    """GET `path` and decode JSON, retrying transient failures per `policy`.

    `deadline` is a :func:`time.monotonic` instant: a retry whose wait would pass it (a long
    ``Retry-After``) fails at once instead of sleeping."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return await _get_once(client, path, max_bytes)
        except _Retryable as exc:
            if attempt == policy.attempts:
                raise FetchError(f"{exc.reason} (gave up after {attempt} attempts)") from None
            wait = policy.delay(attempt, exc.retry_after, rng)
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and exc.retry_after is not None and exc.retry_after > left:
                raise FetchError(
                    f"{exc.reason}; the server asks to wait {exc.retry_after:g} s, past the"
                    " fetch's deadline (--deadline)"
                ) from None
            if left is not None and wait > left:
                raise FetchError(
                    f"{exc.reason}; the next try would start past the fetch's deadline (--deadline)"
                ) from None
            await asyncio.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def _too_large(path: str, limit: int) -> FetchError:
    flag = "--max-list-mb" if path == "/ai/models" else "--max-model-mb"
    return FetchError(
        f"the response to GET {path} is larger than {limit / MB:g} MB; refusing to read more"
        f" (raise the limit with {flag})"
    )


async def _get_once(client: httpx.AsyncClient, path: str, max_bytes: int) -> Any:
    try:
        async with client.stream("GET", path) as streamed:
            declared = streamed.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise _too_large(path, max_bytes)
            chunks: list[bytes] = []
            size = 0
            async for chunk in streamed.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise _too_large(path, max_bytes)
                chunks.append(chunk)
    except httpx.TooManyRedirects:
        raise FetchError(
            f"GET {path} was redirected more than {MAX_REDIRECTS} times (a redirect loop?)"
        ) from None
    except httpx.TransportError as exc:
        raise _Retryable(f"{type(exc).__name__}: {exc}".rstrip(": ")) from None
    except httpx.HTTPError as exc:  # e.g. a redirect to a URL httpx cannot follow
        raise FetchError(f"GET {path} failed: {type(exc).__name__}: {exc}".rstrip(": ")) from None
    response = httpx.Response(
        streamed.status_code, headers=streamed.headers, content=b"".join(chunks)
    )
    status = response.status_code
    if status == 429 or status >= 500:
        raise _Retryable(
            f"HTTP {status}: {error_message(response)}",
            parse_retry_after(response.headers.get("retry-after")),
        )
    if status in (401, 403):
        raise FetchError(
            f"HTTP {status}: the API key was rejected ({error_message(response)}); check OXEN_API_KEY"
        )
    if status >= 400:
        raise FetchError(f"HTTP {status}: {error_message(response)}")
    try:
        value = json.loads(response.content.decode(response.encoding or "utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, LookupError):
        raise _Retryable(f"HTTP {status} with a body that is not JSON") from None
    except RecursionError:
        raise FetchError(
            f"the response to GET {path}: JSON nested more than {snap.MAX_DEPTH} levels deep;"
            " refusing to read it"
        ) from None
    except ValueError as exc:  # an integer beyond Python's digit limit, say
        raise FetchError(f"the response to GET {path} cannot be read: {exc}") from None
    try:
        snap.check_depth(value, f"the response to GET {path}")
    except snap.SnapshotError as exc:
        raise FetchError(str(exc)) from None
    return value


def model_path(model_id: str) -> str:
    """The path of one model object. Every character is percent-encoded except unreserved ones,
    and ids made only of dots (``.``, ``..``) are encoded too: as plain path segments they would
    be read as "this folder" and "the folder above"."""
    segment = quote(model_id, safe="")
    if segment.strip(".") == "":
        segment = segment.replace(".", "%2E")
    return f"/ai/models/{segment}"


def model_items(listing: Any) -> list[dict[str, Any]]:
    """The model objects of a models-list response, in any of the shapes seen in the wild."""
    items = listing
    if isinstance(listing, dict):
        items = listing.get("data", listing.get("models"))
    if not isinstance(items, list):
        raise FetchError('the models list is not shaped like {"object": "list", "data": [...]}')
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("id", item.get("name")), str):
            raise FetchError(f"the models list's item {i} is not a model object with a string `id`")
        out.append(item)
    return out


def unwrap_model(body: Any, model_id: str, listed: Mapping[str, Any]) -> dict[str, Any]:
    """The model object from a per-model response (bare, or wrapped in ``data``), normalised.

    If it carries no schema key at all but the list did, the list's schema is kept.
    """
    if isinstance(body, dict) and isinstance(body.get("data"), dict) and "id" not in body:
        body = body["data"]
    if not isinstance(body, dict):
        raise FetchError(f"the response is not a model object but {type(body).__name__}")
    if not any(key in body for key in snap.SCHEMA_KEYS) and any(
        key in listed for key in snap.SCHEMA_KEYS
    ):
        body = {**body, **{k: listed[k] for k in snap.SCHEMA_KEYS if k in listed}}
    try:
        model = snap.normalise_model(body, f"model {model_id}")
    except snap.SnapshotError as exc:
        raise FetchError(str(exc)) from None
    if model["id"] != model_id:
        raise FetchError(
            f"asked for {model_id!r} but the server answered with model {model['id']!r}"
        )
    return model


Progress = Callable[[int, int], None]  # (models done, models listed), after each model


async def fetch_models(
    base_url: str,
    api_key: str,
    *,
    concurrency: int = CONCURRENCY,
    policy: RetryPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Progress | None = None,
    timeout: float = 30.0,
    rng: random.Random | None = None,
    limits: Limits | None = None,
) -> list[dict[str, Any]]:
    """Every model object, normalised, in list order. Raises FetchError (the list itself
    failed), FetchTimeout (the deadline passed) or FetchFailed (some models failed; nothing is
    returned then)."""
    limits = limits or Limits()
    try:
        async with asyncio.timeout(limits.deadline):
            return await _fetch_models(
                base_url,
                api_key,
                concurrency=concurrency,
                policy=policy or RetryPolicy(),
                transport=transport,
                progress=progress,
                timeout=timeout,
                rng=rng or random.Random(),
                limits=limits,
                deadline=time.monotonic() + limits.deadline,
            )
    except TimeoutError:
        raise FetchTimeout(
            f"the fetch did not finish within {limits.deadline:g} s (raise it with --deadline)"
        ) from None


async def _fetch_models(
    base_url: str,
    api_key: str,
    *,
    concurrency: int,
    policy: RetryPolicy,
    transport: httpx.AsyncBaseTransport | None,
    progress: Progress | None,
    timeout: float,
    rng: random.Random,
    limits: Limits,
    deadline: float,
) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
    async with httpx.AsyncClient(
        base_url=base_url.rstrip("/"),
        headers=headers,
        transport=transport,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
    ) as client:
        listing = await get_json(
            client,
            "/ai/models",
            policy,
            rng,
            max_bytes=limits.max_list_bytes,
            deadline=deadline,
        )
        listed = model_items(listing)
        ids = [str(item.get("id", item.get("name"))) for item in listed]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise FetchError(f"the models list names {', '.join(duplicates)} more than once")
        if not ids:
            raise FetchError(
                "the server listed no models; refusing to replace the snapshot with an empty one"
            )
        gate = asyncio.Semaphore(max(1, concurrency))
        results: dict[str, dict[str, Any]] = {}
        failures: dict[str, str] = {}

        async def one(model_id: str, item: dict[str, Any]) -> None:
            async with gate:
                try:
                    body = await get_json(
                        client,
                        model_path(model_id),
                        policy,
                        rng,
                        max_bytes=limits.max_model_bytes,
                        deadline=deadline,
                    )
                    results[model_id] = unwrap_model(body, model_id, item)
                except FetchError as exc:
                    failures[model_id] = str(exc)
                finally:
                    if progress is not None:
                        progress(len(results) + len(failures), len(ids))

        await asyncio.gather(*(one(i, item) for i, item in zip(ids, listed, strict=True)))
    if failures:
        raise FetchFailed(failures)
    return [results[i] for i in ids]


def _changes(out: Path, files: Mapping[str, str]) -> str:
    """A summary like "3 changed, 1 added, 0 removed" against the snapshot now in `out`."""
    try:
        old = snap.decode_json(snap.read_file(out / snap.MANIFEST, out), out / snap.MANIFEST)
        old_hashes = {e["id"]: e.get("sha256") for e in old["models"]}
    except (snap.SnapshotError, KeyError, TypeError):
        return "new snapshot"
    new = json.loads(files[snap.MANIFEST])
    new_hashes = {e["id"]: e["sha256"] for e in new["models"]}
    changed = sum(
        1 for k in new_hashes.keys() & old_hashes.keys() if new_hashes[k] != old_hashes[k]
    )
    added, removed = (
        len(new_hashes.keys() - old_hashes.keys()),
        len(old_hashes.keys() - new_hashes.keys()),
    )
    return f"{changed} changed, {added} added, {removed} removed"


class FetchUsageError(Exception):
    """The fetch cannot start (no key, a bad base URL, an output that is not a snapshot folder);
    the message is for the user."""


def base_url(given: str | None, from_env: str | None) -> str:
    """The API base: `given` (``--base-url``), else `from_env` (``OXEN_BASE_URL``), else Oxen's."""
    base = (given or from_env or DEFAULT_BASE_URL).strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise FetchUsageError(f"base URL {base!r} must start with http:// or https://")
    return base


def check_output(out: Path) -> None:
    """Refuse to fetch into anything but a snapshot folder (or nothing), after putting back a
    snapshot an interrupted write left aside."""
    try:
        snap.recover(out)
    except OSError as exc:
        raise FetchUsageError(f"cannot recover {out} from an interrupted write: {exc}") from None
    if out.exists() and (
        not out.is_dir() or (any(out.iterdir()) and not (out / snap.MANIFEST).exists())
    ):
        raise FetchUsageError(
            f"{out} exists and is not a snapshot folder (no {snap.MANIFEST}); refusing to replace it"
        )


@dataclass(frozen=True)
class Fetched:
    """What a fetch wrote."""

    models: int
    changes: str  # "3 changed, 1 added, 0 removed", or "new snapshot"


def refresh(
    base: str,
    api_key: str,
    out: Path,
    *,
    policy: RetryPolicy | None = None,
    limits: Limits | None = None,
    today: datetime.date | None = None,
    progress: Progress | None = None,
) -> Fetched:
    """Fetch every model from `base` and replace the snapshot in `out` with them, recording the
    change in its ledger (a release dated `today`, default the local date). Nothing is written
    unless every model arrived. Raises FetchFailed, FetchTimeout, FetchError, SnapshotError or
    OSError (`out` is left as it was)."""
    models = asyncio.run(
        fetch_models(base, api_key, policy=policy, limits=limits, progress=progress)
    )
    fetched = snap.from_catalog({"data": models}, base)
    files = with_ledger(out, fetched, snap.snapshot_files(fetched), today=today)
    changes = _changes(out, files)
    snap.write_snapshot(out, files)
    return Fetched(len(models), changes)
