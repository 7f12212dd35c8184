"""Whether one `pattern` accepts every string another one does: a sound, conservative check for
simple ECMA-262 patterns, and a search for a string that proves the opposite.

A *simple* pattern is a top-level alternation of sequences of atoms (a literal, an escape such as
``\\d``, ``.`` or a character class) each with a quantifier, optionally anchored with ``^`` and
``$``. Groups, lookarounds, back-references and word boundaries are not simple: for those the
answer is "unknown" (None), never a guess.

Inclusion is proved structurally: after merging runs of identical atoms (``[a-z][a-z]*`` is
``[a-z]+``), every old alternative must have a new alternative of the same length whose atoms
accept a superset of characters with a wider quantifier range, and which is anchored only where
the old one is. Any string the old alternative matches then decomposes atom by atom into a match
of the new one, so the proof holds whatever the strings are. JSON Schema patterns are searched,
not anchored: an anchor the new pattern drops only admits more.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice, product

from .. import patterns

MAX_CODE_POINT = 0x10FFFF
Ranges = tuple[tuple[int, int], ...]


def _normalise(ranges: list[tuple[int, int]]) -> Ranges:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return tuple(merged)


def _complement(ranges: Ranges) -> Ranges:
    out: list[tuple[int, int]] = []
    start = 0
    for lo, hi in ranges:
        if lo > start:
            out.append((start, lo - 1))
        start = hi + 1
    if start <= MAX_CODE_POINT:
        out.append((start, MAX_CODE_POINT))
    return tuple(out)


def _subset(a: Ranges, b: Ranges) -> bool:
    """Whether every code point in `a` is in `b` (both normalised)."""
    return all(any(blo <= lo and hi <= bhi for blo, bhi in b) for lo, hi in a)


_DIGIT: Ranges = ((0x30, 0x39),)
_WORD: Ranges = _normalise([(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)])
# ECMA-262 WhiteSpace and LineTerminator code points.
_SPACE: Ranges = _normalise(
    [
        *((0x09, 0x0D), (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A)),
        *((0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000)),
        (0xFEFF, 0xFEFF),
    ]
)
_LINE_TERMINATORS: Ranges = _normalise([(0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029)])
_DOT = _complement(_LINE_TERMINATORS)
_CLASS_ESCAPES: dict[str, Ranges] = {
    "d": _DIGIT,
    "D": _complement(_DIGIT),
    "w": _WORD,
    "W": _complement(_WORD),
    "s": _SPACE,
    "S": _complement(_SPACE),
}
_CONTROL_ESCAPES = {"n": 0x0A, "t": 0x09, "r": 0x0D, "f": 0x0C, "v": 0x0B, "0": 0x00}
_SYNTAX = set("^$\\.*+?()[]{}|/-")


@dataclass(frozen=True)
class Atom:
    """One character set with a quantifier: between `low` and `high` (None: no limit) characters."""

    chars: Ranges
    low: int
    high: int | None


@dataclass(frozen=True)
class Alternative:
    """One top-level alternative: anchored at the start/end or not, and its atoms in order."""

    start: bool
    atoms: tuple[Atom, ...]
    end: bool


class _Unsupported(Exception):
    pass


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    def peek(self) -> str | None:
        return self.text[self.i] if self.i < len(self.text) else None

    def take(self) -> str:
        if self.i >= len(self.text):
            raise _Unsupported
        ch = self.text[self.i]
        self.i += 1
        return ch

    def alternatives(self) -> list[Alternative]:
        out = [self.alternative()]
        while self.peek() == "|":
            self.i += 1
            out.append(self.alternative())
        if self.i != len(self.text):
            raise _Unsupported
        return out

    def alternative(self) -> Alternative:
        start = end = False
        if self.peek() == "^":
            self.i += 1
            start = True
        atoms: list[Atom] = []
        while (ch := self.peek()) is not None and ch != "|":
            if ch == "$":
                self.i += 1
                if self.peek() not in (None, "|"):
                    raise _Unsupported
                end = True
                break
            chars = self.atom()
            low, high = self.quantifier()
            atoms.append(Atom(chars, low, high))
        return Alternative(start, _merge(atoms), end)

    def atom(self) -> Ranges:
        ch = self.take()
        if ch == ".":
            return _DOT
        if ch == "[":
            return self.char_class()
        if ch == "\\":
            return self.escape(in_class=False)
        if ch in "()*+?{}]^$|":
            raise _Unsupported
        return ((ord(ch), ord(ch)),)

    def escape(self, in_class: bool) -> Ranges:
        ch = self.take()
        if ch in _CLASS_ESCAPES:
            return _CLASS_ESCAPES[ch]
        if ch in _CONTROL_ESCAPES and (ch != "0" or not (self.peek() or "").isdigit()):
            code = _CONTROL_ESCAPES[ch]
            return ((code, code),)
        if ch in "xu":
            digits = 2 if ch == "x" else 4
            hex_text = self.text[self.i : self.i + digits]
            if len(hex_text) != digits or not all(c in "0123456789abcdefABCDEF" for c in hex_text):
                raise _Unsupported
            self.i += digits
            code = int(hex_text, 16)
            return ((code, code),)
        if ch == "b" and in_class:
            return ((0x08, 0x08),)
        if ch in _SYNTAX:
            return ((ord(ch), ord(ch)),)
        raise _Unsupported  # \b, \B, back-references, \p{..}, \c.., unknown escapes

    def char_class(self) -> Ranges:
        negated = self.peek() == "^"
        if negated:
            self.i += 1
        ranges: list[tuple[int, int]] = []
        first = True
        while True:
            ch = self.take()
            if ch == "]" and not first:
                break
            if ch == "]":  # ECMA: "[]" matches nothing and "[^]" anything; keep it out of scope
                raise _Unsupported
            first = False
            item = self.escape(in_class=True) if ch == "\\" else ((ord(ch), ord(ch)),)
            if self.peek() == "-" and self.text[self.i + 1 : self.i + 2] not in ("]", ""):
                self.i += 1
                nxt = self.take()
                upper = self.escape(in_class=True) if nxt == "\\" else ((ord(nxt), ord(nxt)),)
                if len(item) != 1 or len(upper) != 1 or item[0][0] != item[0][1]:
                    raise _Unsupported  # a range between class escapes
                if upper[0][0] != upper[0][1] or upper[0][0] < item[0][0]:
                    raise _Unsupported
                ranges.append((item[0][0], upper[0][0]))
            else:
                ranges.extend(item)
        result = _normalise(ranges)
        return _complement(result) if negated else result

    def quantifier(self) -> tuple[int, int | None]:
        ch = self.peek()
        if ch == "?":
            low, high = 0, 1
        elif ch == "*":
            low, high = 0, None
        elif ch == "+":
            low, high = 1, None
        elif ch == "{":
            match = re.compile(r"\{(\d+)(,(\d*))?\}").match(self.text, self.i)
            if match is None:
                raise _Unsupported
            low = int(match.group(1))
            high = (
                low if match.group(2) is None else (int(match.group(3)) if match.group(3) else None)
            )
            if high is not None and high < low:
                raise _Unsupported
            self.i = match.end()
            self._lazy()
            return low, high
        else:
            return 1, 1
        self.i += 1
        self._lazy()
        return low, high

    def _lazy(self) -> None:
        if self.peek() in ("?", "+", "*", "{"):
            if self.peek() != "?":
                raise _Unsupported  # a quantified quantifier
            self.i += 1  # lazy: the same strings match


def _merge(atoms: list[Atom]) -> tuple[Atom, ...]:
    """Runs of atoms over the same characters merged: X{a,b}X{c,d} is X{a+c,b+d}."""
    out: list[Atom] = []
    for atom in atoms:
        if out and out[-1].chars == atom.chars:
            prev = out[-1]
            high = None if prev.high is None or atom.high is None else prev.high + atom.high
            out[-1] = Atom(atom.chars, prev.low + atom.low, high)
        else:
            out.append(atom)
    return tuple(out)


@lru_cache(maxsize=512)
def parse(pattern: str) -> tuple[Alternative, ...] | None:
    """The alternatives of a simple pattern, or None when the pattern is not simple."""
    try:
        return tuple(_Parser(pattern).alternatives())
    except (_Unsupported, IndexError):
        return None


def _universal(alt: Alternative) -> bool:
    """Whether the alternative matches (part of) every string."""
    return not (alt.start and alt.end) and all(a.low == 0 for a in alt.atoms)


def _alternative_includes(old: Alternative, new: Alternative) -> bool:
    if _universal(new):
        return True
    if (new.start and not old.start) or (new.end and not old.end):
        return False
    if len(old.atoms) != len(new.atoms):
        return False
    for a, b in zip(old.atoms, new.atoms, strict=True):
        if not _subset(a.chars, b.chars) or b.low > a.low:
            return False
        if b.high is not None and (a.high is None or a.high > b.high):
            return False
    return True


def includes(old: str, new: str) -> bool | None:
    """True when every string `old` matches is matched by `new` (proved); None when unknown."""
    if old == new:
        return True
    old_alts, new_alts = parse(old), parse(new)
    if old_alts is None or new_alts is None:
        return None
    if all(any(_alternative_includes(a, b) for b in new_alts) for a in old_alts):
        return True
    return None


def compiled(pattern: str) -> Callable[[str], bool] | None:
    """Whether the pattern matches somewhere in a string, as the generated package decides (in
    linear time where the pattern allows, so a hostile pattern cannot hang the diff), or None
    when it cannot be used."""
    try:
        return patterns.compile_pattern(pattern)
    except ValueError:
        return None


def _intersect(a: Ranges, b: Ranges) -> Ranges:
    out = [(max(lo, blo), min(hi, bhi)) for lo, hi in a for blo, bhi in b]
    return _normalise([(lo, hi) for lo, hi in out if lo <= hi])


def _samples(chars: Ranges, avoid: Ranges) -> list[str]:
    """A few characters of `chars`, those outside `avoid` first."""
    picks: list[int] = []
    for lo, hi in _intersect(chars, _complement(avoid)):
        for code in (lo, hi, (lo + hi) // 2):
            if code not in picks:
                picks.append(code)
    for lo, hi in chars:
        for code in (lo, hi):
            if code not in picks:
                picks.append(code)
    return [chr(c) for c in picks if not 0xD800 <= c <= 0xDFFF][:4]


_LONGEST = 64  # repetitions tried per atom when looking for a counterexample


def _candidates(old: Alternative, new: tuple[Alternative, ...] | None) -> Iterator[str]:
    avoid: Ranges = ()
    if new is not None:
        avoid = _normalise([r for alt in new for atom in alt.atoms for r in atom.chars])
    choices: list[list[str]] = []
    if any(atom.low > _LONGEST for atom in old.atoms):
        return
    for atom in old.atoms:
        counts = {atom.low, atom.low + 1, atom.low + 4}
        if atom.high is not None:
            counts = {c for c in counts if c <= atom.high} | {atom.high}
        counts = {c for c in counts if c <= _LONGEST}
        options = [
            ch * count
            for ch in _samples(atom.chars, avoid) or [""]
            for count in counts
            if ch or count == 0
        ]
        choices.append(sorted(set(options), key=len)[:6])
    for combo in islice(product(*choices), 400):
        text = "".join(combo)
        yield text
        if not old.start:
            yield "#" + text
        if not old.end:
            yield text + "#"


def counterexample(
    old: str, new: str, admissible: Callable[[str], bool] = lambda text: True
) -> str | None:
    """A string `old` matches and `new` does not (checked with the real regexes), or None.

    Only strings `admissible` says yes to are offered (the old schema's other string keywords)."""
    old_re, new_re = compiled(old), compiled(new)
    old_alts, new_alts = parse(old), parse(new)
    # Both simple: no nested quantifiers, so running them on short strings cannot backtrack
    # catastrophically.
    if old_re is None or new_re is None or old_alts is None or new_alts is None:
        return None
    for alt in old_alts:
        for text in _candidates(alt, new_alts):
            if old_re(text) and not new_re(text) and admissible(text):
                return text
    return None
