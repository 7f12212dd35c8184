"""The blocking and the asyncio client offer the same surface: the same public names on each pair
of classes, the same parameters (names, kinds, defaults, annotations but for Async/await), every
method that does I/O a coroutine function on the async side and a plain one on the blocking side.
The blocking half is generated from the async one (oxgen.unasync); this is what a user sees."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import oxen_inference as ox
import pytest
from oxen_inference._async.chat import AsyncChatStream
from oxen_inference._async.resources import AsyncGenerations, AsyncModels, AsyncQueue
from oxen_inference._async.uploads import AsyncFiles
from oxen_inference._batch import AsyncBatches, Batches
from oxen_inference._sync.chat import ChatStream
from oxen_inference._sync.resources import Generations, Models, Queue
from oxen_inference._sync.uploads import Files

PAIRS = [
    (ox.Oxen, ox.AsyncOxen),
    (ox.Job, ox.AsyncJob),
    (Models, AsyncModels),
    (Queue, AsyncQueue),
    (Generations, AsyncGenerations),
    (Files, AsyncFiles),
    (ChatStream, AsyncChatStream),
    (Batches, AsyncBatches),  # written by hand (a blocking face over one asyncio engine)
]
# Dunder methods that are part of the surface, and their twins.
TWIN_DUNDERS = {
    "__enter__": "__aenter__",
    "__exit__": "__aexit__",
    "__iter__": "__aiter__",
    "__next__": "__anext__",
}
# httpx's name for close(), on the async stream and client only
ONLY_ASYNC = {(AsyncChatStream, "aclose"), (ox.AsyncOxen, "aclose")}


def _public(cls: type) -> set[str]:
    names = {n for n in dir(cls) if not n.startswith("_")}
    return names | {d for d in (*TWIN_DUNDERS, *TWIN_DUNDERS.values()) if hasattr(cls, d)}


def _words(annotation: Any) -> str:
    """An annotation as text with the asynchronous words taken out, as unasync would."""
    text = str(annotation)
    for a, b in (
        ("AsyncGenerator[ChatCompletionChunk, None]", "Generator[ChatCompletionChunk, None, None]"),
        ("AsyncOxenBase", "SyncOxenBase"),
        ("AsyncAPIClient", "SyncAPIClient"),
        ("Async", ""),
    ):
        text = text.replace(a, b)
    return text


def _signature(function: Callable[..., Any]) -> list[tuple[str, str, str, str]]:
    return [
        (p.name, str(p.kind), repr(p.default), _words(p.annotation))
        for p in inspect.signature(function).parameters.values()
    ]


@pytest.mark.parametrize(("sync", "asyn"), PAIRS, ids=lambda c: c.__name__)
def test_each_pair_has_the_same_public_names(sync: type, asyn: type) -> None:
    theirs = {TWIN_DUNDERS.get(n, n) for n in _public(sync)}
    ours = _public(asyn) - {n for c, n in ONLY_ASYNC if c is asyn}
    assert theirs == ours
    assert len(ours) >= 1


@pytest.mark.parametrize(("sync", "asyn"), PAIRS, ids=lambda c: c.__name__)
def test_each_method_takes_the_same_parameters(sync: type, asyn: type) -> None:
    compared = 0
    for name in _public(sync):
        plain = inspect.getattr_static(sync, name)
        twin = inspect.getattr_static(asyn, TWIN_DUNDERS.get(name, name))
        if isinstance(plain, property | staticmethod | classmethod) or not callable(plain):
            assert type(plain) is type(twin), name
            continue
        assert _signature(plain) == _signature(twin), name
        compared += 1
        if inspect.iscoroutinefunction(twin) or inspect.isasyncgenfunction(twin):
            assert not inspect.iscoroutinefunction(plain), name  # blocking, never a coroutine
        else:  # a method that does no I/O (job(), url builders...) is plain on both sides
            assert not inspect.iscoroutinefunction(plain) and not inspect.isasyncgenfunction(
                plain
            ), name
    assert compared >= 1


def test_io_methods_of_the_async_classes_are_coroutines() -> None:
    expected = {
        ox.AsyncOxen: {"generate", "chat", "submit", "download_url", "close", "__aenter__"},
        ox.AsyncJob: {"status", "wait", "cancel", "download"},
        AsyncModels: {"list", "get", "search"},
        AsyncFiles: {"url", "data_uri", "resolve", "upload", "create_repo"},
        AsyncBatches: {"run"},
    }
    for cls, names in expected.items():
        for name in names:
            assert inspect.iscoroutinefunction(getattr(cls, name)), f"{cls.__name__}.{name}"
    assert inspect.isasyncgenfunction(AsyncGenerations.list)
    assert inspect.isgeneratorfunction(Generations.list)


def test_per_model_methods_are_the_same_on_both_clients() -> None:
    sync, asyn = ox.Oxen(api_key="k"), ox.AsyncOxen(api_key="k")
    names = [n for n in dir(sync) if n.startswith(("generate_", "submit_"))]
    assert len(names) > 50
    assert names == [n for n in dir(asyn) if n.startswith(("generate_", "submit_"))]
    for name in names:
        plain, twin = getattr(sync, name), getattr(asyn, name)
        assert inspect.signature(plain) == inspect.signature(twin), name
        assert inspect.iscoroutinefunction(twin) and not inspect.iscoroutinefunction(plain)
