"""docs/client.md, the users' guide, names only what the client has: every ``client.x.y``,
``job.x``, ``ox.x`` it mentions exists, every argument in its table of client settings is a
parameter of both clients, and every class of its error tree is an ``OxenError`` under the parent
the tree draws."""

from __future__ import annotations

import inspect
import re

import oxen_inference as ox

from tests.conftest import REPO

GUIDE = (REPO / "docs" / "client.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = GUIDE.index(f"\n## {title}\n")
    end = GUIDE.find("\n## ", start + 1)
    return GUIDE[start : end if end != -1 else None]


def test_every_client_attribute_the_guide_names_exists() -> None:
    with ox.Oxen(api_key="x", base_url="http://127.0.0.1:9/api") as client:
        chains = set(re.findall(r"\bclient\.(\w+(?:\.\w+)*)", GUIDE))
        assert len(chains) > 15
        for chain in sorted(chains):
            target: object = client
            for name in chain.split("."):
                assert hasattr(target, name), f"client.{chain}: no {name!r}"
                target = getattr(target, name)


def test_every_job_and_module_name_the_guide_names_exists() -> None:
    with ox.Oxen(api_key="x", base_url="http://127.0.0.1:9/api") as client:
        owners = {"job": client.job("g1"), "ox": ox, "answer": ox.GenerateResponse()}
        for prefix, owner in owners.items():
            names = set(re.findall(rf"\b{prefix}\.(\w+)", GUIDE))
            assert names, prefix
            for name in sorted(names):
                assert hasattr(owner, name), f"{prefix}.{name} does not exist"


def test_the_table_of_settings_lists_parameters_of_both_clients() -> None:
    rows = re.findall(r"^\| (`[^|]+`) \|", _section("Making a client"), flags=re.MULTILINE)
    named = {n for row in rows for n in re.findall(r"`(\w+)`", row)}
    assert {"api_key", "base_url", "timeout", "uploads", "max_concurrency"} <= named
    for client in (ox.Oxen, ox.AsyncOxen):
        parameters = inspect.signature(client).parameters
        assert named <= set(parameters), named - set(parameters)
    assert "OXEN_API_KEY" in GUIDE and "OXEN_BASE_URL" in GUIDE


def test_the_error_tree_draws_the_real_hierarchy() -> None:
    """Each class of the drawn tree is a subclass of the one drawn above it, one level up, and
    the tree holds every error the package exports."""
    tree = _section("Errors").split("```")[1].strip("\n").splitlines()
    above: dict[int, type] = {}
    drawn = set()
    for line in tree:
        found = re.search(r"[A-Z]\w*Error\b", line)
        assert found is not None, line
        depth = found.start() // 4
        cls = getattr(ox, found.group())
        if depth:
            assert issubclass(cls, above[depth - 1]), f"{cls.__name__} under {above[depth - 1]}"
        above[depth] = cls
        drawn.add(cls)
    exported = {
        value
        for name in ox.__all__
        if isinstance(value := getattr(ox, name), type) and issubclass(value, ox.OxenError)
    }
    assert drawn == exported, exported ^ drawn
