"""docs/templates.md matches the code: it names every variable the shipped templates read and
every variable the generator gives them, every template and partial a team may override, every
field of the intermediate model they print, and every filter."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import jinja2.meta
import pytest

from oxgen import ir, render
from oxgen.templates import Templates, is_partial
from tests.conftest import REPO

DOC = (REPO / "docs" / "templates.md").read_text(encoding="utf-8")
# every word of the doc's `code` spans (`comment(limit)` names `comment` and `limit`)
NAMED = {w for span in re.findall(r"`([^`]+)`", DOC) for w in re.split(r"[^\w./-]+", span) if w}
TREE = Templates()


def _variables(name: str) -> set[str]:
    """The variables a template reads from its context (`_` is the throwaway of `{% set %}`)."""
    env = render.environment(TREE)
    return jinja2.meta.find_undeclared_variables(env.parse(TREE.read(name))) - {"_"}


JINJA = sorted(n for n in TREE.files if n.endswith(".jinja"))


@pytest.mark.parametrize("name", JINJA)
def test_every_variable_a_shipped_template_reads_is_documented(name: str) -> None:
    assert _variables(name) <= NAMED, sorted(_variables(name) - NAMED)


def test_the_variable_tables_are_the_contexts_the_generator_gives() -> None:
    tables = re.findall(r"^\| `([a-z_]+)`(?:, `([a-z_]+)`)? \|", DOC, flags=re.M)
    documented = {name for row in tables for name in row if name}
    catalog = set(render.package_context("pkg", (), ())) | {"header"}
    per_model = {"m", "package", "header"}
    assert documented | {"header"} == catalog | per_model
    # and the shipped templates read nothing else
    assert set().union(*(_variables(n) for n in JINJA)) <= catalog | per_model


def test_every_template_and_partial_is_named() -> None:
    """Each Jinja file of the built-in tree (a team may override any) is named in the doc; the
    runtime modules are "every other file of oxen_inference/"."""
    assert set(JINJA) <= NAMED, sorted(set(JINJA) - NAMED)
    assert any(is_partial(n) for n in JINJA)
    assert "_client.py.jinja" not in DOC  # a template that does not exist


IR_TYPES: list[Any] = [
    ir.ModelSummary,
    ir.ModelIR,
    ir.MethodIR,
    ir.ControlIR,
    ir.ClassIR,
    ir.FieldIR,
    ir.ParamIR,
    ir.ImportIR,
    ir.Release,
    ir.Entry,
    ir.Problem,
]


@pytest.mark.parametrize("kind", IR_TYPES, ids=[t.__name__ for t in IR_TYPES])
def test_every_field_of_the_intermediate_model_is_documented(kind: Any) -> None:
    [row] = [line for line in DOC.splitlines() if line.startswith(f"| `{kind.__name__}`")]
    named = set(re.findall(r"`([^`\s]+)`", row))
    fields = (
        set(kind._fields) if issubclass(kind, tuple) else {f.name for f in dataclasses.fields(kind)}
    )
    properties = {n for n, v in vars(kind).items() if isinstance(v, property)}
    if kind is ir.ModelIR:  # "the summary's fields, and ..."
        properties -= {f.name for f in dataclasses.fields(ir.ModelSummary)}
    assert fields | properties <= named, sorted((fields | properties) - named)


def test_every_filter_is_documented() -> None:
    filters = set(render.environment(TREE).filters) - set(jinja2.Environment().filters)
    assert filters and filters <= NAMED, sorted(filters - NAMED)
