from __future__ import annotations

import ast
import re

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
    # a lone surrogate cannot be written to a UTF-8 file: the docstring shows its escape instead
    normalised = re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", normalised)
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


def _docstring_body_reference(text: str) -> str:
    """The escaping rule spelled out one character at a time (the fast code must agree)."""
    from oxgen.literals import _safe_char

    text = text.replace("\r\n", "\n").replace("\r", "\n")
    body = "".join(_safe_char(ch) for ch in text).rstrip()
    out: list[str] = []
    run = 0
    for i, ch in enumerate(body):
        if ch == '"' and (run == 2 or i == len(body) - 1):
            out.append('\\"')
            run = 0
        else:
            out.append(ch)
            run = run + 1 if ch == '"' else 0
    return "".join(out)


def test_docstring_fast_paths_match_the_reference() -> None:
    import random

    from oxgen.literals import docstring_body

    rng = random.Random(7)
    alphabet = ['"', '"', '"', "a", " ", "\\", "\n", "\r", "\t", "\x00", "\u2028", "é"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 14)))
        assert docstring_body(text) == _docstring_body_reference(text), repr(text)
