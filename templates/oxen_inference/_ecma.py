"""ECMA-262 regular expressions (JSON Schema ``pattern``) read as Python ``re`` patterns.

JSON Schema patterns are ECMA-262 with the ``u`` flag. Python's ``re`` reads most of them the
same way; :func:`translate` rewrites what it does not: ``\\d``/``\\w`` (and ``\\D``/``\\W``) are
ASCII-only, ``$`` is only the very end, and ``\\p{...}``/``\\P{...}`` (Unicode properties) become
character classes. The supported properties are the General_Category values with their aliases
(``L``, ``Letter``, ``Lu``, ``Uppercase_Letter``, ..., also as ``General_Category=L``/``gc=L``)
and ``Any``, ``ASCII`` and ``Assigned``; anything else (``Script=Latin``, ``Alphabetic``, ...)
raises :class:`ValueError`. The classes come from :mod:`unicodedata` on first use (one scan of
every code point, about 0.2 s, once per process), so they follow the running Python's Unicode
version, not the generator's.

Matching (:func:`compile`) runs in linear time wherever the pattern allows it: the pattern is
also translated to the syntax of Rust's ``regex`` crate, which pydantic-core (already a dependency)
ships and runs without backtracking, with the ECMA-262 meaning spelled out (ASCII ``\\d``/``\\w``/
``\\b``, ECMA's ``\\s`` and ``.``, ``$`` only at the very end, literals as code points). Patterns
that need backtracking (lookaround, backreferences) use Python's ``re``; those that also nest
quantifiers (``(a+)+``, whose matching time can double with each character) raise
:class:`ValueError`, so the generator reports such a schema instead of generating it.

The generator loads this same file to check the patterns it is given, so a pattern it accepts is
one this module translates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache

__all__ = ["compile", "translate"]

_ESCAPES = {"d": "0-9", "w": "a-zA-Z0-9_"}
_NEGATED = {"D": "[^0-9]", "W": "[^a-zA-Z0-9_]"}
_MAX = 0x10FFFF

# General_Category values (Unicode's PropertyValueAliases, as ECMA-262 lists them): each
# two-letter category with its long names, then the groups.
_CATEGORY_NAMES = {
    "Cc": ("Control", "cntrl"),
    "Cf": ("Format",),
    "Cn": ("Unassigned",),
    "Co": ("Private_Use",),
    "Cs": ("Surrogate",),
    "Ll": ("Lowercase_Letter",),
    "Lm": ("Modifier_Letter",),
    "Lo": ("Other_Letter",),
    "Lt": ("Titlecase_Letter",),
    "Lu": ("Uppercase_Letter",),
    "Mc": ("Spacing_Mark",),
    "Me": ("Enclosing_Mark",),
    "Mn": ("Nonspacing_Mark",),
    "Nd": ("Decimal_Number", "digit"),
    "Nl": ("Letter_Number",),
    "No": ("Other_Number",),
    "Pc": ("Connector_Punctuation",),
    "Pd": ("Dash_Punctuation",),
    "Pe": ("Close_Punctuation",),
    "Pf": ("Final_Punctuation",),
    "Pi": ("Initial_Punctuation",),
    "Po": ("Other_Punctuation",),
    "Ps": ("Open_Punctuation",),
    "Sc": ("Currency_Symbol",),
    "Sk": ("Modifier_Symbol",),
    "Sm": ("Math_Symbol",),
    "So": ("Other_Symbol",),
    "Zl": ("Line_Separator",),
    "Zp": ("Paragraph_Separator",),
    "Zs": ("Space_Separator",),
}
_GROUP_NAMES = {
    "C": ("Other",),
    "L": ("Letter",),
    "M": ("Mark", "Combining_Mark"),
    "N": ("Number",),
    "P": ("Punctuation", "punct"),
    "S": ("Symbol",),
    "Z": ("Separator",),
}


def _general_categories() -> dict[str, tuple[str, ...]]:
    """Every General_Category name or alias -> the two-letter categories it stands for."""
    out: dict[str, tuple[str, ...]] = {}
    for short, names in _CATEGORY_NAMES.items():
        for name in (short, *names):
            out[name] = (short,)
    for group, names in _GROUP_NAMES.items():
        members = tuple(c for c in _CATEGORY_NAMES if c.startswith(group))
        for name in (group, *names):
            out[name] = members
    out["LC"] = out["Cased_Letter"] = ("Lu", "Ll", "Lt")
    return out


_GENERAL_CATEGORY = _general_categories()
_BINARY = {"Any", "ASCII", "Assigned"}

Spans = tuple[tuple[int, int], ...]  # sorted, disjoint, non-adjacent (first, last) code points


@cache
def _category_spans() -> dict[str, list[tuple[int, int]]]:
    """Each two-letter General_Category -> its code point ranges (one scan, once per process)."""
    import unicodedata

    spans: dict[str, list[tuple[int, int]]] = {}
    category = unicodedata.category
    start, current = 0, category("\x00")
    for cp in range(1, _MAX + 1):
        now = category(chr(cp))
        if now != current:
            spans.setdefault(current, []).append((start, cp - 1))
            start, current = cp, now
    spans.setdefault(current, []).append((start, _MAX))
    return spans


def _merge(ranges: list[tuple[int, int]]) -> Spans:
    out: list[tuple[int, int]] = []
    for first, last in sorted(ranges):
        if out and first <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], last))
        else:
            out.append((first, last))
    return tuple(out)


def _complement(spans: Spans) -> Spans:
    out: list[tuple[int, int]] = []
    next_cp = 0
    for first, last in spans:
        if first > next_cp:
            out.append((next_cp, first - 1))
        next_cp = last + 1
    if next_cp <= _MAX:
        out.append((next_cp, _MAX))
    return tuple(out)


def _shown(text: str) -> str:
    return "\\p" + "{" + text + "}"


@cache
def _property(text: str) -> Spans:
    """The code points of the Unicode property written ``text`` in ``\\p{text}``."""
    name, eq, value = text.partition("=")
    if eq:
        if name in ("Script", "sc", "Script_Extensions", "scx"):
            raise ValueError(f"Unicode script properties are not supported ({_shown(text)})")
        if name not in ("General_Category", "gc"):
            raise ValueError(f"unknown Unicode property {name!r} in {_shown(text)}")
        if value not in _GENERAL_CATEGORY:
            raise ValueError(f"unknown General_Category value {value!r} in {_shown(text)}")
    elif text in _BINARY:
        if text == "Any":
            return ((0, _MAX),)
        if text == "ASCII":
            return ((0, 0x7F),)
        return _complement(_property("Cn"))
    elif text not in _GENERAL_CATEGORY:
        raise ValueError(
            f"Unicode property {_shown(text)} is not supported (only General_Category values,"
            " Any, ASCII and Assigned are)"
        )
    else:
        value = text
    table = _category_spans()
    return _merge([r for c in _GENERAL_CATEGORY[value] for r in table.get(c, ())])


def _char(cp: int) -> str:
    return f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"


def _class_body(spans: Spans) -> str:
    """`spans` as the inside of a Python character class."""
    return "".join(_char(a) if a == b else f"{_char(a)}-{_char(b)}" for a, b in spans)


def _unicode_property(pattern: str, i: int, in_class: bool) -> tuple[str, int]:
    """``\\p{...}``/``\\P{...}`` at `i` as Python regex text, and the index after it."""
    negated = pattern[i + 1] == "P"
    end = pattern.find("}", i + 2)
    if i + 2 >= len(pattern) or pattern[i + 2] != "{" or end < 0:
        raise ValueError(f"\\{pattern[i + 1]} must be followed by a property name in braces")
    spans = _property(pattern[i + 3 : end])
    if negated:
        spans = _complement(spans)
    if not spans:
        if in_class:
            raise ValueError(f"{pattern[i : end + 1]} matches nothing")
        return "(?!)", end + 1
    body = _class_body(spans)
    return (body if in_class else f"[{body}]"), end + 1


# ECMA-262 WhiteSpace and LineTerminator (\\s), and the line terminators `.` does not match.
_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_LINE_TERMINATORS = "\n\r\u2028\u2029"


def translate(pattern: str) -> str:
    """The Python regex text for the ECMA-262 (``u`` flag) `pattern`; raises :class:`ValueError`
    for Unicode properties it does not support."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in "pP":
                text, i = _unicode_property(pattern, i, in_class)
                out.append(text)
                continue
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt] if in_class else f"[{_ESCAPES[nxt]}]")
            elif nxt in _NEGATED and not in_class:
                out.append(_NEGATED[nxt])
            elif nxt == "s":
                out.append(_SPACE if in_class else f"[{_SPACE}]")
            elif nxt == "S" and not in_class:
                out.append(f"[^{_SPACE}]")
            else:
                out.append(ch + nxt)
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch in "[&~|" and in_class:
            ch = "\\" + ch  # literal in ECMA's classes; Python reserves them for set operations
        elif ch == "]" and in_class:
            in_class = False
        elif ch == "$" and not in_class:
            ch = r"\Z"
        elif ch == "." and not in_class:
            ch = f"[^{_LINE_TERMINATORS}]"
        out.append(ch)
        i += 1
    return "".join(out)


# -- the linear-time route ---------------------------------------------------------------------

_SYNTAX = frozenset("^$\\.*+?()[]{}|/")
_ANY = "\\x{0}-\\x{10FFFF}"
_NOTHING = f"[^{_ANY}]"
_RUST_CLASSES = {
    "d": "0-9",
    "w": "0-9A-Za-z_",
    "s": "\\x{9}-\\x{D}\\x{20}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}"
    "\\x{205F}\\x{3000}\\x{FEFF}",
}
_CONTROL = {"t": 9, "n": 10, "v": 11, "f": 12, "r": 13}
_QUANTIFIER = re.compile(r"\{(\d+)(,(\d*))?\}")
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")


class _NoRust(Exception):
    """The pattern uses what the Rust engine lacks (or what this translation leaves to Python)."""


def _lit(cp: int) -> str:
    if 0xD800 <= cp <= 0xDFFF:
        raise _NoRust  # a lone surrogate: Rust strings cannot hold one
    return chr(cp) if chr(cp).isascii() and chr(cp).isalnum() else f"\\x{{{cp:X}}}"


def _rust_spans(spans: Spans) -> str:
    """`spans` as the inside of a Rust class, without the surrogates Rust cannot name."""
    parts = []
    for first, last in spans:
        for a, b in ((first, min(last, 0xD7FF)), (max(first, 0xE000), last)):
            if a <= b:
                parts.append(_lit(a) if a == b else f"{_lit(a)}-{_lit(b)}")
    return "".join(parts)


def _code_point_escape(pattern: str, i: int) -> tuple[int, int] | None:
    """The code point of ``\\x``, ``\\u``, ``\\c`` or ``\\0`` at `i` (the backslash), and the
    index after it; None when the escape is something else."""
    kind = pattern[i + 1]
    if kind == "x":
        digits = pattern[i + 2 : i + 4]
        if len(digits) == 2 and all(c in "0123456789abcdefABCDEF" for c in digits):
            return int(digits, 16), i + 4
        raise _NoRust
    if kind == "u":
        if pattern.startswith("{", i + 2):
            end = pattern.find("}", i + 3)
            digits = pattern[i + 3 : end] if end > 0 else ""
            if not 1 <= len(digits) <= 6 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise _NoRust
            cp = int(digits, 16)
            if cp > _MAX:
                raise _NoRust
            return cp, end + 1
        if not _HEX4.fullmatch(pattern, i + 2, i + 6):
            raise _NoRust
        cp = int(pattern[i + 2 : i + 6], 16)
        pair = 0xD800 <= cp <= 0xDBFF and pattern.startswith("\\u", i + 6)
        if pair and _HEX4.fullmatch(pattern, i + 8, i + 12):
            low = int(pattern[i + 8 : i + 12], 16)
            if 0xDC00 <= low <= 0xDFFF:  # a surrogate pair is one code point (u flag)
                return 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00), i + 12
        return cp, i + 6
    if kind == "c":
        letter = pattern[i + 2 : i + 3]
        if letter.isascii() and letter.isalpha():
            return ord(letter) % 32, i + 3
        raise _NoRust
    if kind == "0":
        if pattern[i + 2 : i + 3].isdigit():
            raise _NoRust
        return 0, i + 2
    if kind in _CONTROL:
        return _CONTROL[kind], i + 2
    if kind in _SYNTAX:
        return ord(kind), i + 2
    return None


def _rust_property(pattern: str, i: int) -> tuple[str, int]:
    """``\\p{...}``/``\\P{...}`` at `i` as a Rust class, and the index after it."""
    end = pattern.find("}", i + 2)
    if not pattern.startswith("{", i + 2) or end < 0:
        raise _NoRust
    spans = _property(pattern[i + 3 : end])
    if pattern[i + 1] == "P":
        spans = _complement(spans)
    body = _rust_spans(spans)
    return (f"[{body}]" if body else _NOTHING), end + 1


def _rust_class(pattern: str, i: int) -> tuple[str, int]:
    """The class ``[...]`` starting at `i` as a Rust class, and the index after it."""
    i += 1
    negated = pattern.startswith("^", i)
    i += negated
    items: list[str] = []
    while True:
        if i >= len(pattern):
            raise _NoRust
        if pattern[i] == "]":
            i += 1
            break
        first, i, item = _class_atom(pattern, i)
        if first is not None and pattern.startswith("-", i) and not pattern.startswith("-]", i):
            last, i, _ = _class_atom(pattern, i + 1)
            if last is None or last < first:
                raise _NoRust  # a range with a class escape, or out of order: a syntax error
            items.append(f"{_lit(first)}-{_lit(last)}")
        else:
            items.append(item)
    body = "".join(items)
    if not body:
        return (f"[{_ANY}]" if negated else _NOTHING), i
    return f"[{'^' if negated else ''}{body}]", i


def _class_atom(pattern: str, i: int) -> tuple[int | None, int, str]:
    """One member of a class at `i`: (its code point or None for a class escape, the index after
    it, its Rust text)."""
    ch = pattern[i]
    if ch != "\\":
        return ord(ch), i + 1, _lit(ord(ch))
    if i + 1 >= len(pattern):
        raise _NoRust
    kind = pattern[i + 1]
    if kind.lower() in _RUST_CLASSES:
        body = _RUST_CLASSES[kind.lower()]
        return None, i + 2, (body if kind.islower() else f"[^{body}]")
    if kind in "pP":
        text, end = _rust_property(pattern, i)
        return None, end, text
    if kind == "b":
        return 8, i + 2, _lit(8)
    if kind == "-":
        return 0x2D, i + 2, _lit(0x2D)
    found = _code_point_escape(pattern, i)
    if found is None:
        raise _NoRust
    return found[0], found[1], _lit(found[0])


def to_rust(pattern: str) -> str | None:
    """The ECMA-262 (``u`` flag) `pattern` in the syntax of Rust's ``regex`` crate, with the same
    meaning; None when it needs what that engine lacks (lookaround, backreferences) or uses syntax
    this translation leaves to Python's ``re``."""
    out: list[str] = []
    i = 0
    try:
        while i < len(pattern):
            ch = pattern[i]
            if ch == "\\":
                if i + 1 >= len(pattern):
                    return None
                kind = pattern[i + 1]
                if kind.lower() in _RUST_CLASSES:
                    body = _RUST_CLASSES[kind.lower()]
                    out.append(f"[{'' if kind.islower() else '^'}{body}]")
                    i += 2
                elif kind in "bB":
                    out.append(f"(?-u:\\{kind})")  # ECMA's word boundary is ASCII
                    i += 2
                elif kind in "pP":
                    text, i = _rust_property(pattern, i)
                    out.append(text)
                else:
                    found = _code_point_escape(pattern, i)
                    if found is None:
                        return None  # backreferences, \k<name>, identity escapes
                    out.append(_lit(found[0]))
                    i = found[1]
            elif ch == "[":
                text, i = _rust_class(pattern, i)
                out.append(text)
            elif ch == "(":
                if pattern.startswith("(?:", i):
                    out.append("(?:")
                    i += 3
                elif pattern.startswith("(?<", i) and pattern[i + 3 : i + 4] not in ("=", "!"):
                    end = pattern.find(">", i)
                    name = pattern[i + 3 : end] if end > 0 else ""
                    if not name.replace("_", "a").replace("$", "a").isalnum():
                        return None
                    out.append("(")  # the name does not change what matches
                    i = end + 1
                elif pattern.startswith("(?", i):
                    return None  # lookaround
                else:
                    out.append("(")
                    i += 1
            elif ch in ")|*+?":
                out.append(ch)
                i += 1
            elif ch == "{":
                match = _QUANTIFIER.match(pattern, i)
                if match is None:
                    return None
                low, high = match.group(1), match.group(3)
                if high and int(high) < int(low):
                    return None
                out.append(match.group())
                i = match.end()
            elif ch == "^":
                out.append("^")
                i += 1
            elif ch == "$":
                out.append("\\z")
                i += 1
            elif ch == ".":
                out.append("[^\\x{A}\\x{D}\\x{2028}\\x{2029}]")
                i += 1
            elif ch in "}]":
                return None  # a syntax error in ECMA-262 with the u flag
            else:
                out.append(_lit(ord(ch)))
                i += 1
    except (_NoRust, ValueError):
        return None
    return "".join(out)


def _nests_quantifiers(pattern: str) -> bool:
    """Whether a repeated group holds a quantifier or an alternation (``(a+)+``, ``(a|ab)*``):
    the shapes that can make a backtracking engine take exponential time."""
    stack: list[bool] = []  # per open group: does it hold a quantifier or `|`?
    closed = False  # the previous token closed a group that held one
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        match = _QUANTIFIER.match(pattern, i) if ch == "{" else None
        # `*`, `+` and `{n,}`/`{n,m}` with m > n repeat; `?` and `{n}` do not add choices enough.
        repeat = ch in "*+" or (
            match is not None and match.group(2) is not None and match.group(3) != match.group(1)
        )
        if repeat and closed:
            return True
        closed = False
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i += 1
            while i < len(pattern) and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
        elif ch == "(":
            stack.append(False)
        elif ch == ")" and stack:
            closed = stack.pop()
            if stack:
                stack[-1] = stack[-1] or closed
        elif (repeat or ch == "|") and stack:
            stack[-1] = True
        i += 1
    return False


@lru_cache(maxsize=1024)
def compile(pattern: str) -> Callable[[str], bool]:
    """A function telling whether the ECMA-262 `pattern` matches somewhere in a string.

    Linear-time (Rust's engine in pydantic-core) wherever the pattern allows; Python's ``re`` for
    patterns that need backtracking. Raises :class:`ValueError` for patterns that cannot be
    used: unsupported Unicode properties, invalid syntax, and backtracking patterns that nest
    quantifiers (see the module docstring)."""
    try:
        python = re.compile(translate(pattern))
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    rust_text = to_rust(pattern)
    validator = None
    if rust_text is not None:
        from pydantic_core import SchemaError, SchemaValidator, core_schema

        try:
            validator = SchemaValidator(
                core_schema.str_schema(pattern=rust_text),
                core_schema.CoreConfig(regex_engine="rust-regex"),
            )
        except SchemaError:
            validator = None  # beyond the engine's size limit, say: Python's re decides below
    if validator is None:
        if _nests_quantifiers(pattern):
            raise ValueError(
                "it needs a backtracking regex engine (lookaround or backreferences) and nests"
                " quantifiers, so matching could take exponential time"
            )
        return lambda value: python.search(value) is not None
    rust = validator

    def search(value: str) -> bool:
        from pydantic_core import ValidationError

        try:
            rust.validate_python(value)
        except ValidationError as exc:
            if exc.errors()[0]["type"] == "string_pattern_mismatch":
                return False
            # Rust strings cannot hold a lone surrogate; only such a string gets here.
            return python.search(value) is not None
        return True

    return search
