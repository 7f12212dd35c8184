from __future__ import annotations

import ast

import pytest

from oxgen.literals import comment, docstring, py_literal

TRICKY = [
    "",
    "plain",
    '"',
    '""',
    '"""',
    '""""',
    "'''",
    "\\",
    "a\\",
    "\\n literal",
    "\n",
    "\r\n",
    "\x00",
    "\x7f",
    "\u2028",
    "\ud800",
    "tab\there",
    '"""; import os #',
    "{{ x }}",
    "{% if %}",
    "é ☃ 日本",
]


@pytest.mark.parametrize("text", TRICKY)
def test_literal_round_trips(text: str) -> None:
    assert ast.literal_eval(py_literal(text)) == text
    value = {"k": [text, 1, 1.5, None, True, {"n": -0.0}]}
    assert ast.literal_eval(py_literal(value)) == value


@pytest.mark.parametrize("text", TRICKY)
def test_docstring_is_closed_and_faithful(text: str) -> None:
    source = docstring(text, "    ")
    module = ast.parse(f"def f():\n    {source}\n    return 1\n")
    fn = module.body[0]
    assert isinstance(fn, ast.FunctionDef) and len(fn.body) == 2  # nothing escaped into code
    value = ast.literal_eval(source)
    normalised = text.replace("\r\n", "\n").replace("\r", "\n").rstrip()
    assert (
        value.replace("\n    ", "\n").rstrip() == normalised.replace("\n    ", "\n")
        or "\n" in normalised
    )


@pytest.mark.parametrize("text", TRICKY)
def test_comment_is_one_line(text: str) -> None:
    out = comment(text)
    assert "\n" not in out and "\r" not in out and all(ch.isprintable() for ch in out)


def test_floats_round_trip_exactly() -> None:
    for value in [0.1, 1e308, 5e-324, 1.0, 123456789.123456789]:
        assert ast.literal_eval(py_literal(value)) == value
