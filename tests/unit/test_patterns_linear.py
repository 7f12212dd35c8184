"""Patterns are matched in linear time where the pattern allows, with ECMA-262 semantics.

``_ecma.compile`` routes a pattern to Rust's ``regex`` engine (through pydantic-core) when it can
be written in that syntax with the same meaning, else to Python's ``re``; a pattern that needs
backtracking *and* nests quantifiers is refused (the generator reports it, the mock lets the value
through). Both routes must agree with ECMA-262 on every case below.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from oxen_inference import _ecma
from pydantic import ValidationError

from oxgen import patterns
from oxgen.mock.catalog import Catalog
from tests.conftest import generate_package, import_generated

# (pattern, text, does ECMA-262 with the u flag find a match?)
CASES = [
    (r"^(a+)+$", "aaaa", True),
    (r"^(a+)+$", "aaaa!", False),
    (r"^(a|aa)+$", "aaaaaa", True),
    (r"^[a-z]+\d{2,4}$", "abc123", True),
    (r"^[a-z]+\d{2,4}$", "abc12345", False),
    (r"^\d$", "\u0663", False),  # \d is ASCII
    (r"^\w+$", "é", False),  # \w is ASCII
    (r"^\W$", "é", True),
    (r"^[\D]$", "\u0663", True),  # in a class too
    (r"^[^\d]$", "5", False),
    (r"^.$", "\r", False),  # `.` matches no line terminator
    (r"^.$", "\u2028", False),
    (r"^.$", "\u0085", True),  # NEL is not an ECMA line terminator
    (r"^.$", "\U0001f600", True),  # one code point
    (r"^\s$", "\ufeff", True),  # ECMA's \s includes ZWNBSP...
    (r"^\s$", "\u0085", False),  # ...and not NEL
    (r"^\s$", "\x1c", False),  # nor the information separators Python's \s accepts
    (r"^\S$", "\ufeff", False),
    (r"^[\s]$", "\u3000", True),
    (r"\bcat\b", "a cat!", True),
    (r"\bcat\b", "écat", True),  # é is no ECMA word character, so this is a boundary
    (r"\Bcat", "écat", False),
    (r"^abc$", "abc\n", False),  # $ is only the very end
    (r"^a", "ba", False),
    (r"a", "ba", True),  # patterns search, they do not anchor
    (r"^$", "", True),
    (r"^\uD83D\uDE00$", "\U0001f600", True),  # a surrogate pair is one code point
    (r"^\x41\u0042\0$", "AB\x00", True),
    (r"^[\-a]+$", "-a-", True),
    (r"^[a\-z]$", "b", False),
    (r"^\p{Lu}\p{Ll}+$", "Élodie", True),
    (r"^\P{L}+$", "123", True),
    (r"^[^\P{L}\d]$", "x", True),
    (r"^a{2,}?$", "aaa", True),
    (r"^[&&~~\-]+$", "&~-", True),  # no class set operations (Rust has them; ECMA's u flag not)
    (r"^[[]$", "[", True),  # no nested classes either
    (r"^\.\*\+\?\(\)\[\]\{\}\|\/\^\$\\$", ".*+?()[]{}|/^$\\", True),
    (r"^#\s*x$", "# x", True),
    # needs backtracking: Python's re (no nested quantifier, so polynomial)
    (r"^(?=.*\d)[a-z\d]{3}$", "ab1", True),
    (r"^(?=.*\d)[a-z\d]{3}$", "abc", False),
    (r"^(a)\1$", "aa", True),
    (r"^(?!x).$", "x", False),
    (r"(?<=a)b", "ab", True),
]


def _ecma_route(pattern: str) -> str:
    return "rust" if _ecma.to_rust(pattern) is not None else "python"


@pytest.mark.parametrize(("pattern", "text", "expected"), CASES)
def test_matching_is_ecma_262(pattern: str, text: str, expected: bool) -> None:
    assert _ecma.compile(pattern)(text) is expected


@pytest.mark.parametrize(
    ("pattern", "route"),
    [
        (r"^(a+)+$", "rust"),
        (r"^\p{L}+$", "rust"),
        (r"^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$", "rust"),
        (r"^https?://", "rust"),
        (r"^(?=.*\d)", "python"),  # lookahead
        (r"(?<!a)b", "python"),  # lookbehind
        (r"(a)\1", "python"),  # backreference
        (r"(?<n>a)\k<n>", "python"),
    ],
)
def test_route(pattern: str, route: str) -> None:
    assert _ecma_route(pattern) == route


def test_a_catastrophic_pattern_is_linear() -> None:
    """`^(a+)+$` took 3.5 s for 27 characters with Python's re, doubling per character."""
    search = _ecma.compile(r"^(a+)+$")
    start = time.perf_counter()
    for n in (27, 40, 1_000, 200_000):
        assert search("a" * n + "!") is False
        assert search("a" * n) is True
    assert time.perf_counter() - start < 2.0


def test_lone_surrogates_in_values_still_match_as_ecma_does() -> None:
    # Rust strings cannot hold a lone surrogate: such a value is matched by Python's re.
    assert _ecma.compile(r"^.$")("\ud800") is True
    assert _ecma.compile(r"^\P{L}$")("\udc00") is True
    assert _ecma.compile(r"^[a-z]+$")("ab\ud800") is False


@pytest.mark.parametrize(
    "pattern",
    [r"^(?=x)(a+)+$", r"^(a|a)*\1$", r"(?<=b)(\w+)*c", r"^(?!z)(a{1,5})+$"],
)
def test_backtracking_patterns_that_nest_quantifiers_are_refused(pattern: str) -> None:
    assert _ecma_route(pattern) == "python"
    with pytest.raises(ValueError, match="exponential time"):
        _ecma.compile(pattern)
    problem = patterns.problem(pattern)
    assert problem is not None and "exponential time" in problem


@pytest.mark.parametrize(
    "pattern",
    [r"^(?=.*\d).{8,}$", r"(a)(b)\2\1", r"^(?:a{2})+(?!b)$", r"(?<=x)a+"],
)
def test_backtracking_patterns_without_nesting_are_used(pattern: str) -> None:
    assert _ecma_route(pattern) == "python"
    assert patterns.problem(pattern) is None


def test_generated_classes_and_mock_are_linear(tmp_path_factory: pytest.TempPathFactory) -> None:
    out = tmp_path_factory.mktemp("linear")
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "pattern": r"^(a+)+$"},
            "tags": {"type": "object", "patternProperties": {r"^(x+x+)+y$": {"type": "integer"}}},
            "hard": {"type": "string", "pattern": r"^(?=a)(a+)+$"},
        },
    }
    result = generate_package(
        [{"id": "linear", "request_schema": {**schema, "properties": dict(schema["properties"])}}],
        out,
        "linear_client",
    )
    assert [(p.pointer, "exponential time" in p.reason) for p in result.problems] == [
        ("/properties/hard/pattern", True)
    ]
    del schema["properties"]["hard"]
    result = generate_package([{"id": "linear", "request_schema": schema}], out, "linear_client")
    assert result.problems == ()
    cls = import_generated(out, "linear_client").request_model("linear")
    start = time.perf_counter()
    cls.model_validate({"name": "a" * 50_000, "tags": {"x" * 5_000: 1}})
    with pytest.raises(ValidationError):
        cls.model_validate({"name": "a" * 50_000 + "!"})
    with pytest.raises(ValidationError):
        cls.model_validate({"tags": {"x" * 5_000 + "y": "not an integer"}})
    catalog = Catalog(models={"m": {"id": "m", "request_schema": schema}})
    assert catalog.validate("m", {"name": "a" * 50_000}) == []
    assert catalog.validate("m", {"name": "a" * 50_000 + "!"})
    assert time.perf_counter() - start < 3.0


def test_both_routes_agree_where_python_is_exact() -> None:
    """A differential check over patterns whose Python translation is already exact."""
    pats = [r"^[a-c]+(b|c)*$", r"x{2,3}", r"^(ab|a)(bc|c)?$", r"[^a-c\d]", r"^\p{N}*\p{Lu}?$"]
    texts = ["", "a", "abc", "abcbc", "xx", "xxxx", "d", "1", "Ⅻ", "12A", "ab", "abbc", "é"]
    for pattern in pats:
        assert _ecma_route(pattern) == "rust"
        python = re.compile(_ecma.translate(pattern))
        for text in texts:
            assert _ecma.compile(pattern)(text) is (python.search(text) is not None), (
                pattern,
                text,
            )
