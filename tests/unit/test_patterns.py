"""ECMA-262 patterns with Unicode property escapes (``\\p{...}``/``\\P{...}``, the ``u`` flag).

The generated package translates patterns at run time (``oxen_inference/_ecma.py``, used by
``_jsonschema._regex``); the generator checks patterns with that same file, loaded from its
template (``oxgen.patterns``).
"""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata

import pytest
from oxen_inference import _ecma
from oxen_inference import _jsonschema as js
from pydantic import ValidationError

from oxgen import patterns
from tests.conftest import generate_package, import_generated


def matches(pattern: str, text: str) -> bool:
    return js._regex(pattern)(text)


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        # outside a class
        (r"^\p{Letter}+$", "héllo", True),
        (r"^\p{Letter}+$", "Ωmega", True),
        (r"^\p{Letter}+$", "\U0001d49c", True),  # MATHEMATICAL SCRIPT CAPITAL A (astral, Lu)
        (r"^\p{Letter}+$", "abc1", False),
        (r"^\p{L}$", "_", False),
        (r"^\P{L}$", "1", True),
        (r"^\P{L}$", "a", False),
        (r"^\P{L}$", "\U0001f600", True),  # one code point, not two surrogates
        (r"^\p{Lu}\p{Ll}+$", "Hello", True),
        (r"^\p{Lu}\p{Ll}+$", "hello", False),
        (r"^\p{Uppercase_Letter}$", "É", True),
        (r"^\p{Lowercase_Letter}$", "é", True),
        (r"^\p{Lt}$", "ǅ", True),
        (r"^\p{Lm}$", "ʰ", True),
        (r"^\p{Lo}$", "あ", True),
        (r"^e\p{M}$", "e\u0301", True),
        (r"^e\p{Mark}$", "e\u0301", True),
        (r"^\p{Combining_Mark}$", "\u0301", True),
        (r"^\p{N}+$", "12٣Ⅻ½", True),
        (r"^\p{Number}$", "x", False),
        (r"^\p{Nd}$", "٣", True),  # ARABIC-INDIC DIGIT THREE: \d would not match
        (r"^\d$", "٣", False),
        (r"^\p{Decimal_Number}$", "Ⅻ", False),
        (r"^\p{Nl}$", "Ⅻ", True),
        (r"^\p{No}$", "½", True),
        (r"^\p{P}+$", "!?¿«", True),
        (r"^\p{Punctuation}$", "$", False),
        (r"^\p{S}+$", "$+^€", True),
        (r"^\p{Symbol}$", "\U0001f600", True),
        (r"^\p{Z}$", " ", True),
        (r"^\p{Separator}$", "\u2028", True),
        (r"^\p{Zs}$", "\u00a0", True),
        (r"^\p{Zs}$", "\t", False),
        (r"^\p{C}$", "\x07", True),
        (r"^\p{Other}$", "\u200b", True),
        (r"^\p{Cc}$", "\x07", True),
        (r"^\p{Cf}$", "\u200b", True),
        (r"^\p{Co}$", "\ue000", True),
        (r"^\p{Cn}$", "\u0378", True),  # unassigned
        (r"^\p{Cn}$", "a", False),
        (r"^\p{General_Category=Letter}$", "a", True),
        (r"^\p{gc=Lu}$", "a", False),
        (r"^\p{gc=Lu}$", "A", True),
        (r"^\P{gc=Decimal_Number}$", "A", True),
        (r"^\p{Any}$", "\U0010ffff", True),
        (r"^\p{ASCII}+$", "abc", True),
        (r"^\p{ASCII}$", "é", False),
        (r"^\p{Assigned}$", "\u0378", False),
        # inside a class, negated classes, mixed with other escapes
        (r"^[\p{Lu}\d]+$", "AB12", True),
        (r"^[\p{Lu}\d]+$", "Ab", False),
        (r"^[\p{Lu}_-]+$", "A_-", True),
        (r"^[^\p{L}]+$", "123 !", True),
        (r"^[^\p{L}]$", "a", False),
        (r"^[^\P{L}]$", "a", True),
        (r"^[^\P{L}]$", "1", False),
        (r"^[\P{L}]$", "1", True),
        (r"^[\P{L}a]$", "a", True),
        (r"^[\P{L}a]$", "b", False),
        (r"^[\p{N}\p{P}]+$", "1!", True),
        (r"^[\p{Lo}\U0001f600]$", "\U0001f600", True),
        # escaped backslashes and ordinary escapes are untouched
        (r"^\\p$", "\\p", True),
        (r"\p{L}$", "1a\n", False),  # $ is the very end, as before
        (r"^\w+$", "é", False),  # \w stays ASCII
    ],
)
def test_unicode_property_escapes(pattern: str, text: str, expected: bool) -> None:
    assert matches(pattern, text) is expected


@pytest.mark.parametrize("name", ["L", "Lu", "Ll", "M", "N", "Nd", "P", "S", "Z", "C", "Cn"])
def test_classes_are_exactly_the_general_category(name: str) -> None:
    """Every 61st code point (a sample across all planes): in the class iff its category fits."""
    regex = re.compile(_ecma.translate(rf"\p{{{name}}}"))
    negated = re.compile(_ecma.translate(rf"\P{{{name}}}"))
    for cp in range(0, 0x110000, 61):
        ch = chr(cp)
        inside = unicodedata.category(ch).startswith(name)
        assert (regex.fullmatch(ch) is not None) is inside, hex(cp)
        assert (negated.fullmatch(ch) is not None) is not inside, hex(cp)


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"\p{Script=Latin}", "script properties are not supported"),
        (r"\p{sc=Grek}", "script properties are not supported"),
        (r"\p{scx=Grek}", "script properties are not supported"),
        (r"\p{Alphabetic}", "only General_Category values"),
        (r"\p{letter}", "only General_Category values"),  # names are case-sensitive
        (r"\p{gc=Nope}", "unknown General_Category value"),
        (r"\p{Block=Basic_Latin}", "unknown Unicode property"),
        (r"\pL", "must be followed by a property name in braces"),
        (r"[\P{Any}]", "matches nothing"),
    ],
)
def test_unsupported_properties_are_reported(pattern: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        _ecma.translate(pattern)
    problem = patterns.problem(pattern)
    assert problem is not None and reason in problem


PATTERNS = [
    r"^\p{Letter}+$",
    r"[^\P{L}\d]",
    r"\p{gc=Nd}\P{General_Category=Zs}",
    r"^[a-z]+$",
    r"\d\w\D\W[\d\w]$",
    r"\\p{L}",
    r"^(?:\p{Lu}|[\p{Nl}x-z])*$",
    r"\p{Any}\P{ASCII}\p{Assigned}",
]


def test_the_generator_and_the_generated_package_translate_alike() -> None:
    """One implementation: the generator loads the generated module's template."""
    for pattern in PATTERNS:
        assert patterns.translate(pattern) == _ecma.translate(pattern)
        assert patterns.problem(pattern) is None


def test_unicodedata_waits_for_the_first_property_escape() -> None:
    code = (
        "import sys\n"
        "from oxen_inference import _jsonschema as js\n"
        "js.validate('abc', {'pattern': '^[a-z]+$'})\n"
        "print('unicodedata' in sys.modules)\n"
        "js.validate('abc', {'pattern': '^\\\\p{L}+$'})\n"
        "print('unicodedata' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.split() == ["False", "True"]


def test_generated_classes_use_property_escapes(tmp_path_factory: pytest.TempPathFactory) -> None:
    out = tmp_path_factory.mktemp("patterns")
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "pattern": r"^\p{Lu}\p{Ll}*$"},
            "tags": {
                "type": "object",
                "patternProperties": {r"^\p{L}+$": {"type": "integer"}},
                "additionalProperties": False,
            },
            "latin": {"type": "string"},
        },
    }
    script = {"type": "object", "properties": {"x": {"pattern": r"^\p{Script=Latin}+$"}}}
    models = [
        {"id": "names", "request_schema": schema},
        {"id": "scripts", "request_schema": script},
    ]
    result = generate_package(models, out, "patterns_client")
    assert [(p.model_id, p.pointer) for p in result.problems] == [
        ("scripts", "/properties/x/pattern")
    ]
    assert "script properties are not supported" in result.problems[0].reason
    pkg = import_generated(out, "patterns_client")
    cls = pkg.request_model("names")
    body = {"name": "Élodie", "tags": {"ключ": 1}}
    assert pkg.to_body(cls.model_validate(body)) == body
    for bad in ({"name": "élodie"}, {"tags": {"k1": 1}}, {"tags": {"ключ": "1"}}):
        with pytest.raises(ValidationError):
            cls.model_validate(bad)
    source = (out / "gen" / "patterns_client" / "models" / "names.py").read_text(encoding="utf-8")
    assert r"\\p{Lu}" in source  # the original pattern is kept; it is translated at run time
