"""Output that stays lean as the catalog grows: incremental runs touch only what changed, the
README's index stays small, `--templates` overrides are used and cached, and the client's
registry answers lookups without per-model work at import or client construction."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from oxgen import format as fmt
from oxgen import naming, render
from oxgen.cli import main
from oxgen.compile import summarise
from oxgen.generate import run
from oxgen.ir import ModelSummary
from oxgen.snapshot import load
from oxgen.templates import templates_dir
from tests.conftest import REPO


def _model(model_id: str, output: str = "image", **props: Any) -> dict[str, Any]:
    return {
        "id": model_id,
        "display_name": model_id.title(),
        "capabilities": {"input": ["text"], "output": [output]},
        "request_schema": {
            "type": "object",
            "properties": {"prompt": {"type": "string"}, **props},
            "required": ["prompt"],
        },
    }


BAD = {
    "id": "bad-model",
    "request_schema": {"type": "object", "properties": {"a": {"$ref": "#/x"}}},
}
MODELS = [_model("alpha"), _model("beta", "video"), _model("gamma"), BAD]
CHAT = {"id": "chatty", "capabilities": {"input": ["text"], "output": ["text"]}}

# The files that list every model: re-rendered (only) when a model's summary changes.
CATALOG_FILES = {
    "README.md",
    "oxen_inference/_catalog.py",
    "oxen_inference/_client.pyi",
    "oxen_inference/models/__init__.pyi",
}


def _write(path: Path, models: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"object": "list", "data": models}), encoding="utf-8")
    return path


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".oxgen-cache" not in p.parts and "__pycache__" not in p.parts
    }


@pytest.fixture
def staged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path a run renders and hands to the formatter."""
    seen: list[str] = []
    add = fmt.Formatter.add

    def recording(self: fmt.Formatter, rel: str, text: str) -> Path:
        seen.append(rel)
        return add(self, rel, text)

    monkeypatch.setattr(fmt.Formatter, "add", recording)
    return seen


def _changed(models: list[dict[str, Any]], index: int, change: Any) -> list[dict[str, Any]]:
    models = copy.deepcopy(models)
    change(models[index])
    return models


# (what changes in model "beta", files a run may render besides beta's own two)
CHANGES = [
    (
        "a property added",
        lambda m: m["request_schema"]["properties"].update(seed={"type": "integer"}),
        set(),
    ),
    (
        "a description edited",
        lambda m: m["request_schema"]["properties"]["prompt"].update(description="What to make."),
        set(),
    ),
    ("the display name", lambda m: m.update(display_name="Beta Two"), CATALOG_FILES),
    ("the route", lambda m: m.update(capabilities={"output": ["image"]}), CATALOG_FILES),
]


@pytest.mark.parametrize(("what", "change", "allowed"), CHANGES, ids=[c[0] for c in CHANGES])
def test_one_model_change_renders_that_model_and_at_most_the_catalog_files(
    tmp_path: Path, staged: list[str], what: str, change: Any, allowed: set[str]
) -> None:
    out = tmp_path / "out"
    run(_write(tmp_path / "a.json", MODELS), out)
    staged.clear()
    changed = _changed(MODELS, 1, change)
    result = run(_write(tmp_path / "b.json", changed), out)
    beta = {"oxen_inference/models/beta.py", "api/beta.md"}
    assert beta <= set(staged), staged
    assert set(staged) <= beta | allowed, sorted(set(staged) - beta)
    assert result.compiled == 1
    assert [p.model_id for p in result.problems] == ["bad-model"]  # kept from the cache
    # ... and the output is exactly what a cold run makes
    cold = tmp_path / "cold"
    run(_write(tmp_path / "c.json", changed), cold)
    assert _files(out) == _files(cold)


def test_a_model_file_edited_on_disk_is_restored_alone(tmp_path: Path, staged: list[str]) -> None:
    out = tmp_path / "out"
    src = _write(tmp_path / "a.json", MODELS)
    run(src, out)
    before = _files(out)
    (out / "api" / "gamma.md").write_text("edited by hand")
    (out / "oxen_inference" / "models" / "alpha.py").unlink()
    staged.clear()
    result = run(src, out)
    assert sorted(staged) == ["api/gamma.md", "oxen_inference/models/alpha.py"]
    assert result.compiled == 2
    assert _files(out) == before


def test_adding_and_removing_models_matches_a_cold_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(_write(tmp_path / "a.json", MODELS), out)
    grown = [*MODELS, _model("delta"), CHAT]
    result = run(_write(tmp_path / "b.json", grown), out)
    assert result.compiled == 2
    shrunk = [m for m in grown if m["id"] != "alpha"]
    result = run(_write(tmp_path / "c.json", shrunk), out)
    assert result.compiled == 0 and result.removed == 2  # alpha's module and page
    cold = tmp_path / "cold"
    run(_write(tmp_path / "d.json", shrunk), cold)
    assert _files(out) == _files(cold)


@pytest.mark.parametrize(
    "damage",
    [
        lambda m: m.update(summary={"bogus": 1}),
        lambda m: m.update(summary="not a dict"),
        lambda m: m["summary"].update(methods=[]),  # a key the cache never writes
        lambda m: m["summary"].update(route=5),
        lambda m: m["summary"].pop("alias"),
        lambda m: m["summary"].update(has_schema="yes"),
        lambda m: m["summary"].update(extra=1),
        lambda m: m.update(outputs="api/alpha.md"),
        lambda m: m.update(fp=None),
        lambda m: m.update(problems=[{"nope": 1}]),
        lambda m: m.update(outputs=["api/gamma.md"]),  # another model's file
    ],
)
def test_a_damaged_cache_entry_is_recompiled_not_trusted(tmp_path: Path, damage: Any) -> None:
    out = tmp_path / "out"
    src = _write(tmp_path / "a.json", MODELS)
    run(src, out)
    state_file = out / ".oxgen-cache" / "state.json"
    state = json.loads(state_file.read_text())
    damage(state["models"]["alpha"])
    state["whole"] = "stale"  # past the no-op shortcut
    state_file.write_text(json.dumps(state))
    result = run(src, out)
    assert result.problems and result.model_count == 3
    cold = tmp_path / "cold"
    run(src, cold)
    assert _files(out) == _files(cold)


def test_check_ignores_the_cache(tmp_path: Path) -> None:
    """A cache that lies (a file changed with its size and mtime restored) fools a normal run,
    never `--check`."""
    out = tmp_path / "out"
    src = _write(tmp_path / "a.json", MODELS)
    run(src, out)
    page = out / "api" / "beta.md"
    st = page.stat()
    text = page.read_bytes()
    page.write_bytes(text.replace(b"prompt", b"PROMPT"))
    os.utime(page, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert run(src, out, check=True).drift == ["api/beta.md"]


# --- the README's index --------------------------------------------------------------------


def _summaries(count: int) -> tuple[ModelSummary, ...]:
    """`count` models shaped like the benchmark catalog's: the snapshot's models with a schema,
    cycled under ids ``<id>-copy-<n>`` (as bench/make_catalog.py does)."""
    real = [m for m in load(str(REPO / "schemas")).models if m.get("request_schema")]
    data = [
        {**real[i % len(real)], "id": f"{real[i % len(real)]['id']}-copy-{i // len(real)}"}
        for i in range(count)
    ]
    names = naming.model_names(m["id"] for m in data)
    return tuple(summarise(m, names[m["id"]]) for m in data)


def _readme(summaries: tuple[ModelSummary, ...]) -> str:
    context = render.package_context("oxen_inference", summaries, ())
    [job] = [
        job for path, job in render.catalog_jobs("oxen_inference", context) if path == "README.md"
    ]
    return job()


def test_readme_index_is_one_short_line_per_model_and_bounded() -> None:
    # Bounded in two parts, so that neither can hide growth in the other: the hand-written guide
    # (the same whatever the catalog) and one short index line per model.
    summaries = _summaries(1000)
    text = _readme(summaries)
    guide = len(_readme(()).encode())
    assert guide <= 40_000, guide
    per_model = (len(text.encode()) - guide) / len(summaries)
    assert per_model < 90, per_model
    lines = text.splitlines()
    for s in summaries[:50] + summaries[-50:]:
        [line] = [ln for ln in lines if f"(api/{s.module}.md)" in ln]
        assert f"`{s.model_id}`" in line
    # the guide stays: every section of the hand-written part is still there
    for title in ("Quickstart", "Method names", "Errors", "Models"):
        assert f"\n## {title}\n" in text


def test_every_model_has_an_api_page_with_its_parameters(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(_write(tmp_path / "a.json", [*MODELS, CHAT]), out)
    pages = sorted(p.name for p in (out / "api").iterdir())
    assert pages == ["alpha.md", "beta.md", "chatty.md", "gamma.md"]  # not bad-model
    beta = (out / "api" / "beta.md").read_text()
    assert "| `prompt` (required) | `str` |" in beta
    assert "`client.submit_beta(...)`" in beta
    assert "no parameter schema" in (out / "api" / "chatty.md").read_text()
    readme = (out / "README.md").read_text()
    assert "prompt" not in readme.split("## Models", 1)[1]  # parameters live on the pages


# --- --templates -----------------------------------------------------------------------------


def _override(folder: Path, name: str, transform: Any) -> Path:
    target = folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(transform((templates_dir() / name).read_text()), encoding="utf-8")
    return target


def test_templates_override_is_used_cached_and_checked(tmp_path: Path) -> None:
    src = _write(tmp_path / "a.json", MODELS)
    out, team = tmp_path / "out", tmp_path / "team"
    _override(
        team,
        "README.md.jinja",
        lambda t: t.replace("## Quickstart", "{% include '_team.jinja' %}\n## Quickstart"),
    )
    (team / "_team.jinja").write_text("Internal mirror: see go/oxen.\n")
    _override(team, "api/model.md.jinja", lambda t: t + "\nOwned by the media team.\n")
    runner = CliRunner()

    def generate(*extra: str) -> Any:
        return runner.invoke(main, ["generate", "--schemas", str(src), "--out", str(out), *extra])

    assert generate("--templates", str(team)).exit_code == 0
    assert "Internal mirror: see go/oxen." in (out / "README.md").read_text()
    assert (out / "api" / "alpha.md").read_text().endswith("Owned by the media team.\n")
    again = generate("--templates", str(team))
    assert "0 written" in again.output, again.output
    assert generate("--check", "--templates", str(team)).exit_code == 0
    drift = generate("--check")
    assert drift.exit_code == 1 and "out of date: README.md" in drift.output

    # an edit to an override (a partial, here) is seen by the cache
    (team / "_team.jinja").write_text("Internal mirror: see go/oxen2.\n")
    assert "1 written" in generate("--templates", str(team)).output
    assert "go/oxen2" in (out / "README.md").read_text()

    # without the overrides the built-in output comes back, exactly
    assert generate().exit_code == 0
    cold = tmp_path / "cold"
    run(src, cold)
    assert _files(out) == _files(cold)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("README.jinja", "README.jinja would replace no built-in template"),
        ("oxen_inference/extra.py", "oxen_inference/extra.py would replace no built-in"),
        ("api/other.md.jinja", "api/other.md.jinja would replace no built-in"),
    ],
)
def test_templates_override_refuses_files_that_replace_nothing(
    tmp_path: Path, name: str, message: str
) -> None:
    team = tmp_path / "team"
    (team / name).parent.mkdir(parents=True, exist_ok=True)
    (team / name).write_text("x")
    src = _write(tmp_path / "a.json", MODELS)
    result = CliRunner().invoke(
        main,
        ["generate", "--schemas", str(src), "--out", str(tmp_path / "o"), "--templates", str(team)],
    )
    assert result.exit_code != 0 and message in result.output, result.output
    assert not (tmp_path / "o").exists()


def test_templates_override_of_a_runtime_module(tmp_path: Path) -> None:
    team = tmp_path / "team"
    _override(team, "oxen_inference/_types.py", lambda t: t + "\nTEAM_MARK = 1\n")
    out = tmp_path / "out"
    run(_write(tmp_path / "a.json", MODELS), out, templates=team)
    assert "TEAM_MARK = 1" in (out / "oxen_inference" / "_types.py").read_text()


TEAM_ECMA = """

_builtin_translate = translate


def translate(pattern: str) -> str:
    if pattern == "^team-only$":
        raise ValueError("the team's rules refuse it")
    return _builtin_translate(pattern)
"""


def test_patterns_are_accepted_by_the_rules_of_the_templates_used(tmp_path: Path) -> None:
    """The generator checks patterns with the `_ecma` module the generated package ships: a
    team's version when --templates overrides it, the built-in one otherwise."""
    team = tmp_path / "team"
    _override(team, "oxen_inference/_ecma.py", lambda t: t + TEAM_ECMA)
    src = _write(
        tmp_path / "a.json", [_model("alpha", mode={"type": "string", "pattern": "^team-only$"})]
    )
    theirs = run(src, tmp_path / "theirs", templates=team)
    assert [(p.model_id, p.reason) for p in theirs.problems] == [
        ("alpha", "pattern cannot be used: the team's rules refuse it")
    ]
    assert run(src, tmp_path / "ours").problems == ()
    shipped = (tmp_path / "theirs" / "oxen_inference" / "_ecma.py").read_text(encoding="utf-8")
    assert "the team's rules refuse it" in shipped


# --- the client's registry -------------------------------------------------------------------

HOSTILE_IDS = [
    "plain-id",
    "tab\there",
    "new\nline",
    "back\\slash",
    "back\\tslash-t",  # a backslash then 't': must not read as a tab
    'quote"s',
    "ünïcödé-模型",
    "\u2028sep",
    "generate_plain_id",  # looks like a method name
]

# Not ids of the catalog, though some are what an id looks like escaped inside the tables.
MISSING = [
    "plain",
    "plain-id ",
    "tab",
    "line",
    "\n",
    "",
    "back\\\\slash",
    "tab\\there",
    "new\\nline",
]

PROBE = """
import os, posix, sys
sys.path.insert(0, {root!r})
def guard(fn):
    def inner(path=".", *a, **k):
        if str(path).rstrip("/").endswith("models"):
            raise AssertionError("listed the models folder")
        return fn(path, *a, **k)
    return inner
# the import system lists folders through posix (os re-exports the same functions)
for module in (os, posix):
    module.listdir, module.scandir = guard(module.listdir), guard(module.scandir)
import pkg
from pkg import Oxen
client = Oxen(api_key="x")
assert pkg._registry.get.cache_info().currsize == 0, "per-model work at Oxen()"
assert not [m for m in sys.modules if m.startswith("pkg.models.")]
ids = {ids!r}
for model_id in ids:
    entry = pkg._registry.get(model_id)
    assert entry is not None and entry.model_id == model_id, (model_id, entry)
    cls = pkg.request_model(model_id)
    assert cls.__name__ == entry.class_name
    assert getattr(pkg.models, entry.class_name) is cls
    assert pkg._registry.by_method(entry.generate_method) == (entry, "generate")
    assert pkg._registry.class_module(entry.class_name) == entry.module
    assert callable(getattr(client, entry.submit_method))
for missing in {missing!r}:
    assert pkg._registry.get(missing) is None, missing
assert pkg._registry.by_method("generate_nope") is None
assert pkg._registry.class_module("NopeRequest") is None
assert pkg.model_ids() == sorted(ids)
print("ok")
"""


def test_registry_finds_hostile_ids_without_listing_the_models_folder(tmp_path: Path) -> None:
    models = [_model(i) for i in HOSTILE_IDS]
    run(_write(tmp_path / "a.json", models), tmp_path / "gen", package="pkg")
    code = PROBE.format(root=str(tmp_path / "gen"), ids=HOSTILE_IDS, missing=MISSING)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.stdout.strip() == "ok", proc.stdout + proc.stderr
