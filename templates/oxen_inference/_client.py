"""``Oxen`` and ``AsyncOxen``: the generic surface (``_api``) plus one method per model.

The per-model methods (``generate_<model>``, ``submit_<model>``) are functions defined in each
model's own module; they are looked up in the registry, imported, bound and cached on first
use, so creating a client costs the same with ten models or ten thousand. Type checkers and IDEs
read their full signatures from ``_client.pyi``.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, Self, cast

from . import _registry
from ._async.api import AsyncOxenBase
from ._sync.api import SyncOxenBase
from ._types import OMIT, Omit, Timeout

if TYPE_CHECKING:
    from ._batch import AsyncBatches, Batches
    from ._response import RawResponses

__all__ = ["AsyncOxen", "Oxen"]


def _misspelled(exc: TypeError, function: Callable[..., Any], qualname: str) -> TypeError | None:
    """For a keyword the method does not take: the error naming the method, with where that
    argument goes when another call takes it, else the parameter names it may be a misspelling
    of (None for any other TypeError)."""
    message = str(exc)
    match = re.search(r"unexpected keyword argument '([^']*)'", message)
    if match is None:
        return None

    given = match.group(1)
    names = [p for p in inspect.signature(function).parameters if p != "client"]
    model_id = getattr(inspect.getmodule(function), "MODEL_ID", "model-id")
    elsewhere = {
        "num_generations": "several generations in one request go through "
        f"client.submit({model_id!r}, num_generations=n, ...), which returns a list of jobs",
        "response_format": "only the blocking route takes it: "
        f"client.{function.__name__.replace('submit_', 'generate_', 1)}(..., response_format=...)",
    }
    if given in elsewhere:
        hint = f"; {elsewhere[given]}"
    else:
        close = _close(given, names)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    return TypeError(f"{qualname}() got an unexpected keyword argument {given!r}{hint}")


def _close(given: str, names: list[str]) -> list[str]:
    """The parameter names `given` may be a misspelling of: one starts with the other
    (``aspect`` -> ``aspect_ratio``), or they differ by a few letters (``promptt``); a name that
    only shares some letters (``num_generations`` and ``duration``) is no suggestion."""
    import difflib

    folded = given.lower()
    prefixed = [
        n for n in names if len(folded) >= 3 and (n.startswith(folded) or folded.startswith(n))
    ]
    similar = difflib.get_close_matches(given, names, n=3, cutoff=0.75)
    return list(dict.fromkeys([*prefixed, *similar]))[:3]


def _bind(
    client: SyncOxenBase | AsyncOxenBase, function: Callable[..., Any], name: str
) -> Callable[..., Any]:
    """`function` as a method of `client`, named `<Client>.<name>` (help(), tracebacks and
    errors name the method the caller used). On an async client the same function returns a
    coroutine; the method is a coroutine function that awaits it."""
    qualname = f"{type(client).__name__}.{name}"

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(client, *args, **kwargs)
        except TypeError as exc:
            # Raised by the call itself (its arguments), not from inside the function.
            if exc.__traceback__ is not None and exc.__traceback__.tb_next is None:
                better = _misspelled(exc, function, qualname)
                if better is not None:
                    raise better from None
            raise

    if isinstance(client, AsyncOxenBase):

        async def acall(*args: Any, **kwargs: Any) -> Any:
            return await call(*args, **kwargs)

        return _named(acall, function, name, qualname)
    return _named(call, function, name, qualname)


def _named(method: Any, function: Any, name: str, qualname: str) -> Callable[..., Any]:
    """`method` under the method's own name (its code object too, so tracebacks show it), with
    the function's docstring and signature less the client."""
    method.__code__ = method.__code__.replace(co_name=name, co_qualname=qualname)
    method.__name__ = name
    method.__qualname__ = qualname
    method.__module__ = function.__module__
    method.__doc__ = function.__doc__
    signature = inspect.signature(function)
    method.__signature__ = signature.replace(parameters=list(signature.parameters.values())[1:])
    result: Callable[..., Any] = method
    return result


def _resolve(client: SyncOxenBase | AsyncOxenBase, name: str) -> Callable[..., Any]:
    target = _registry.by_method(name)
    if target is None:
        raise AttributeError(f"{type(client).__name__!r} object has no attribute {name!r}")
    entry, kind = target
    method: Callable[..., Any]
    if not entry.has_schema:  # no schema (chat): the generic call with the model id filled in
        method = functools.partial(getattr(client, kind), entry.model_id)
    else:
        module = importlib.import_module(f"{__package__}.models.{entry.module}")
        method = _bind(client, getattr(module, name), name)
    client.__dict__[name] = method
    return method


class _PerModel:
    """The per-model methods, looked up in the registry and bound on first use; and
    ``with_options``."""

    def with_options(
        self,
        *,
        timeout: Timeout | Omit = OMIT,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> Self:
        """A copy of this client whose calls use other settings: `timeout` and `max_retries`
        (in place of this client's; a call's own still wins) and `default_headers` (sent to the
        API with every request, added to this client's own; a call's `extra_headers` win).
        The copy shares the rest with this client: its connections, the concurrency limit, the
        event hub, uploads, and closing (closing either one closes both). Cheap: nothing is
        connected or started."""
        from ._checks import check_headers, check_max_retries, check_timeout

        if not isinstance(timeout, Omit):
            check_timeout(timeout)
        if max_retries is not None:
            check_max_retries(max_retries)
        if default_headers:
            check_headers(default_headers, "default_headers")
        cls = type(self)
        copy = cls.__new__(cls)
        # Settings are copied; what the client makes on first use (cached properties, bound
        # per-model methods) is made anew for the copy, or taken from the original (_root).
        copy.__dict__.update(
            (name, value)
            for name, value in self.__dict__.items()
            if not isinstance(getattr(cls, name, None), cached_property)
            and _registry.by_method(name) is None
        )
        base, made = cast("tuple[SyncOxenBase | AsyncOxenBase, Any]", (self, copy))
        if not isinstance(timeout, Omit):
            made.timeout = timeout
        if max_retries is not None:
            made.max_retries = max_retries
        if default_headers:
            made._default_headers = {**(base._default_headers or {}), **default_headers}
        made._root = base._root
        return copy

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return _resolve(cast("SyncOxenBase | AsyncOxenBase", self), name)

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *_registry.method_names()})


class Oxen(_PerModel, SyncOxenBase):
    """The blocking client. ``Oxen(api_key=None, base_url=None, http_client=None, max_retries=3,
    timeout=OMIT, events=True, uploads=None)``; the key comes from ``OXEN_API_KEY`` when not
    given. ``uploads`` turns local files given to media inputs into URLs (see ``client.files``)."""

    @cached_property
    def batches(self) -> Batches:
        """Batch runs that survive the process: ``run(inputs, out)``, ``check``, ``estimate``."""
        from ._batch import Batches  # the batch engine, on first use

        return Batches(self, AsyncOxen)  # it runs on an AsyncOxen with this client's settings

    @cached_property
    def with_raw_response(self) -> RawResponses:
        """This client's calls, each returning an ``APIResponse`` (``status_code``,
        ``headers``, ``request_id``; ``parse()`` is what the call returns):
        ``client.with_raw_response.generate_<model>(...)``, ``.models.list()``, ..."""
        from ._response import RawResponses

        return RawResponses(self, asynchronous=False)


class AsyncOxen(_PerModel, AsyncOxenBase):
    """The asyncio client; the same surface as :class:`Oxen`, with ``await``."""

    @cached_property
    def batches(self) -> AsyncBatches:
        """Batch runs that survive the process: ``run(inputs, out)``, ``check``, ``estimate``."""
        from ._batch import AsyncBatches

        return AsyncBatches(self)

    @cached_property
    def with_raw_response(self) -> RawResponses:
        """This client's calls, each returning an ``APIResponse`` once awaited (see
        :attr:`Oxen.with_raw_response`)."""
        from ._response import RawResponses

        return RawResponses(self, asynchronous=True)
