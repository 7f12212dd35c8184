"""The pattern inclusion check: what it refuses to judge, and that what it proves holds on real
strings (run through the regexes the generated package uses)."""

from __future__ import annotations

import itertools
import random

import pytest

from oxgen.diff import regex

UNSUPPORTED = [
    "(a|b)",
    "^(?=a)b$",
    "\\bword\\b",
    "(a)\\1",
    "^\\p{L}+$",
    "[]",
    "a{2,1}",
    "a**",
    "[z-a]",
    "[\\d-z]",
    "^a$b",
    "\\",
    "[abc",
    "a{1",
]


@pytest.mark.parametrize("pattern", UNSUPPORTED)
def test_patterns_outside_the_simple_subset_are_not_judged(pattern: str) -> None:
    assert regex.parse(pattern) is None
    assert regex.includes(pattern, pattern + "x") is None


def test_hostile_escapes_and_classes_parse_to_the_right_sets() -> None:
    assert regex.includes("^\\d$", "^[0-9]$") and regex.includes("^[0-9]$", "^\\d$")
    assert regex.includes("^\\u0041$", "^[A-Z]$")
    assert regex.includes("^\\x41$", "^A$")
    assert regex.includes("^[\\-.]$", "^[.\\-a]$")
    assert regex.includes("^[a-]$", "^[-a]$")
    assert regex.includes("^[^a]$", "^.$") is None  # [^a] holds line terminators, . does not
    assert regex.counterexample("^[^a]$", "^.$") in ("\n", "\r", "\u2028", "\u2029")
    assert regex.includes("^a+?$", "^a+$")  # laziness does not change the strings matched


POOL = [
    "^[a-z]+$",
    "^[a-z0-9]+$",
    "^[a-z]*$",
    "[a-z]",
    "^[a-z]",
    "[a-z]$",
    "^[a-z]{2,4}$",
    "^[a-z]{1,8}$",
    "^[a-y]+$",
    "^\\w+$",
    "^\\d{1,3}$",
    "^[0-9]+$",
    "^\\S+$",
    "^[^ ]+$",
    "^.+$",
    ".*",
    "^a|^b",
    "^[ab]",
    "^img_[0-9]{1,4}$",
    "^img_\\d+$",
    "img_",
    "^[A-Za-z_][A-Za-z0-9_]*$",
    "^\\w+$|^-$",
]


def _strings(rng: random.Random) -> list[str]:
    alphabet = "abyz019_- \nAZ.é"
    out = ["", "img_1", "img_12345", "abc", "a", "b", "-", "ab cd", "0", "1234"]
    for length in range(1, 7):
        out += ["".join(rng.choice(alphabet) for _ in range(length)) for _ in range(25)]
    return out


def test_every_proved_inclusion_holds_on_sample_strings() -> None:
    rng = random.Random(3)
    strings = _strings(rng)
    proved = 0
    for old, new in itertools.permutations(POOL, 2):
        if not regex.includes(old, new):
            continue
        proved += 1
        old_re, new_re = regex.compiled(old), regex.compiled(new)
        assert old_re is not None and new_re is not None
        for alt in regex.parse(old) or ():
            strings_here = strings + list(regex._candidates(alt, None))[:20]
            for text in strings_here:
                if old_re(text):
                    assert new_re(text), (old, new, text)
    assert proved >= 40


def test_every_counterexample_is_real() -> None:
    found = 0
    for old, new in itertools.permutations(POOL, 2):
        witness = regex.counterexample(old, new)
        if witness is None:
            continue
        found += 1
        assert regex.includes(old, new) is not True
        old_re, new_re = regex.compiled(old), regex.compiled(new)
        assert old_re is not None and new_re is not None
        assert old_re(witness) and not new_re(witness)
    assert found >= 100
