"""Pattern matching: the linear-time route (`_ecma.compile`) against the backtracking baseline.

The baseline is what the generated package did before: Python's `re` on the translated pattern.
Both run in this process, on the same strings. Prints seconds per call and the ratio.

    python bench/bench_patterns.py [--max-n 25]
"""

from __future__ import annotations

import argparse
import functools
import re
import time
from collections.abc import Callable

from oxgen.templates import runtime_module

_ecma = runtime_module("_ecma")


def _time(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _many(fn: Callable[[str], object], text: str) -> None:
    for _ in range(10_000):
        fn(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-n", type=int, default=24, help="longest hostile input for re")
    args = parser.parse_args()

    print("catastrophic pattern ^(a+)+$ on 'a'*n + '!' (no match)")
    print(f"{'n':>8} {'re (baseline) s':>16} {'linear route s':>16} {'ratio':>10}")
    pattern = r"^(a+)+$"
    baseline = re.compile(_ecma.translate(pattern))
    linear = _ecma.compile(pattern)
    for n in range(args.max_n - 6, args.max_n + 1, 2):
        text = "a" * n + "!"
        slow = _time(functools.partial(baseline.search, text), 1)
        fast = _time(functools.partial(linear, text), 5)
        print(f"{n:>8} {slow:>16.4f} {fast:>16.6f} {slow / fast:>10.0f}x")
    for n in (1_000, 100_000, 1_000_000):
        text = "a" * n + "!"
        fast = _time(functools.partial(linear, text), 3)
        print(f"{n:>8} {'(hours)':>16} {fast:>16.6f}")

    print("\ntypical patterns, 10,000 calls each on a matching string")
    print(f"{'pattern':<44} {'re s':>8} {'linear s':>9} {'ratio':>7}")
    typical = [
        (r"^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$", "someone.else@example.com"),
        (r"^https?://", "https://example.com/a.png"),
        (r"^\p{Lu}\p{Ll}+$", "Élodie"),
        (r"^\d{4}-\d{2}-\d{2}$", "2026-12-01"),
    ]
    for pat, text in typical:
        rx = re.compile(_ecma.translate(pat))
        fn = _ecma.compile(pat)
        slow = _time(functools.partial(_many, rx.search, text), 3)
        fast = _time(functools.partial(_many, fn, text), 3)
        print(f"{pat[:44]:<44} {slow:>8.4f} {fast:>9.4f} {slow / fast:>6.2f}x")


if __name__ == "__main__":
    main()
