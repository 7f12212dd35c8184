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

The generator loads this same file to check the patterns it is given, so a pattern it accepts is
one this module translates.
"""

from __future__ import annotations

from functools import cache

__all__ = ["translate"]

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
            else:
                out.append(ch + nxt)
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        elif ch == "$" and not in_class:
            ch = r"\Z"
        out.append(ch)
        i += 1
    return "".join(out)
