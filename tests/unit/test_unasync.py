"""The blocking half of the client runtime is made from its asyncio half by rewrite rules
(``oxgen.unasync``): the rules, their word boundaries, and the check that keeps them honest."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from oxgen import render, unasync
from tests.conftest import REPO

PACKAGE = REPO / "templates" / "oxen_inference"
SOURCES = PACKAGE / "_async"
ALL_SOURCES = sorted(PACKAGE.rglob("_async/*.py"))  # the client's, and the test kit's transports


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("class AsyncModels:\n", "class Models:\n"),
        (
            "    async def list(self) -> AsyncIterator[Model]:\n",
            "    def list(self) -> Iterator[Model]:\n",
        ),
        ("        return await self._client.get(x)\n", "        return self._client.get(x)\n"),
        ("def f(c: AsyncAPIClient) -> None:", "def f(c: SyncAPIClient) -> None:"),
        ("x = httpx.AsyncClient()", "x = httpx.Client()"),
        ("    async with AsyncDeadline(at, request):\n", "    with Deadline(at, request):\n"),
        ("        async for chunk in r.aiter_bytes():\n", "        for chunk in r.iter_bytes():\n"),
        ("    await async_sleep(delay)\n", "    sleep(delay)\n"),
        ("    await response.aclose()\n", "    response.close()\n"),
        ("        return await anext(self._chunks)\n", "        return next(self._chunks)\n"),
        ("    async def __anext__(self) -> X:\n", "    def __next__(self) -> X:\n"),
        (
            "    async def _read(self) -> AsyncGenerator[Chunk, None]:\n",
            "    def _read(self) -> Generator[Chunk, None, None]:\n",
        ),
        ("class AsyncOxenBase(AsyncAPIClient):\n", "class SyncOxenBase(SyncAPIClient):\n"),
        ("    aclose = close  # async only\n", ""),  # a line the blocking half does without
        # only whole words: other names that contain the same letters are left alone
        ("self.areader = anextra = aclosed\n", "self.areader = anextra = aclosed\n"),
        ("MyAsyncModels = awaited + await_x", "MyAsyncModels = awaited + await_x"),
        ("Asyncio, Async, async_ = 1", "Asyncio, Async, async_ = 1"),
        ("asyncdef = 1  # not a keyword", "asyncdef = 1  # not a keyword"),
        (
            "# Docstrings follow: await job.wait() on an AsyncJob",
            "# Docstrings follow: job.wait() on an Job",
        ),
    ],
)
def test_rules_rewrite_whole_words(line: str, expected: str) -> None:
    assert unasync.unasync(line) == expected


def test_every_rule_is_needed_by_the_shipped_sources() -> None:
    sources = [p.read_text(encoding="utf-8") for p in ALL_SOURCES]
    assert len(sources) > len(list(SOURCES.glob("*.py")))
    assert unasync.unused_rules(sources) == []
    assert unasync.unused_rules([]) == list(unasync.RULES)  # ... and nothing else counts as a use


def test_twins_hold_nothing_asynchronous() -> None:
    for path in ALL_SOURCES:
        assert unasync.leftovers(unasync.unasync(path.read_text(encoding="utf-8"))) == []
    assert unasync.leftovers("x = 1\n    await y\nasync_ok = 2\nr.aclose()\n") == [
        (2, "    await y"),
        (4, "r.aclose()"),
    ]


def test_only_modules_of_an_async_folder_have_twins() -> None:
    assert unasync.sync_path("oxen_inference/_async/jobs.py") == "oxen_inference/_sync/jobs.py"
    assert (
        unasync.sync_path("oxen_inference/_async/__init__.py") == "oxen_inference/_sync/__init__.py"
    )
    for name in (
        "oxen_inference/_jobs.py",
        "oxen_inference/_async/x.jinja",
        "oxen_inference/_async/a/b.py",
    ):
        assert unasync.sync_path(name) is None


def test_the_generator_ships_each_twin_with_a_header_naming_its_source() -> None:
    jobs = dict(render.runtime_jobs("pkg"))
    assert "pkg/_async/resources.py" in jobs and "pkg/_sync/resources.py" in jobs
    text = jobs["pkg/_sync/resources.py"]()
    first, second = text.splitlines()[:2]
    assert first == render.header("x.py")
    assert "_async/resources.py" in second and "oxgen.unasync" in second
    assert "class Models:" in text and "Async" not in text.split("\n", 2)[2]


@pytest.mark.static
def test_the_check_script_passes_on_the_committed_tree() -> None:
    done = subprocess.run(
        [sys.executable, "scripts/unasync.py", "--check"], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("unasync_script", REPO / "scripts" / "unasync.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_check_fails_on_drift_strays_and_unused_rules(tmp_path: Path) -> None:
    script = _script()
    pairs = []
    for where, sources, twins in script.folders():  # a copy of every _async folder and its twins
        copy = (tmp_path / "src" / where, tmp_path / "out" / Path(where).parent / "_sync")
        shutil.copytree(sources, copy[0])
        shutil.copytree(twins, copy[1])
        pairs.append((where, *copy))
    assert [where for where, _, _ in pairs] == ["_async", "testing/_async"]
    assert script.check(pairs) == []
    twins = pairs[0][2]
    twin = twins / "resources.py"
    twin.write_text(twin.read_text(encoding="utf-8").replace("class Queue:", "class Queues:"))
    (twins / "orphan.py").write_text("x = 1\n")
    (pairs[1][2] / "transport.py").unlink()
    problems = script.check(pairs)
    assert any("resources.py is not made from its source" in p for p in problems)
    assert any("_sync/orphan.py has no source in _async/" in p for p in problems)
    assert any("testing/_sync/transport.py is not made from its source" in p for p in problems)
    # a rule only the test kit's transport needs counts as used: drop that source and it is not
    (pairs[1][1] / "transport.py").unlink()
    unused = "'handle_async_request' -> 'handle_request' is used by no source"
    assert unused not in "\n".join(problems) and unused in "\n".join(script.check(pairs))
    for _, sources, _ in pairs:  # sources that need no `await`: that rule is left unused
        for path in sources.glob("*.py"):
            path.write_text(path.read_text(encoding="utf-8").replace("await ", ""))
    assert any("'await ' -> '' is used by no source" in p for p in script.check(pairs))
