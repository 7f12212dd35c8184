#!/usr/bin/env python3
"""Check the client runtime's blocking half against its asyncio source (run by scripts/check).

The blocking twins (``generated/oxen_inference/_sync/*.py``) are made by ``oxgen generate`` from
``templates/oxen_inference/_async/*.py`` with the rewrite rules of ``oxgen.unasync``. This fails
(exit 1) when a rule is used by no source (the list must say what the sources need), when a
twin still says something asynchronous, or when a committed twin is not what the rules and the
formatter make of its source today (regenerate with ``oxgen generate``).

    python scripts/unasync.py --check      # the checks
    python scripts/unasync.py NAME          # print the blocking twin of _async/NAME.py, unformatted
"""

from __future__ import annotations

import sys
from pathlib import Path

from oxgen import render, unasync
from oxgen.format import format_files

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "templates" / "oxen_inference" / unasync.ASYNC_DIR
TWINS = ROOT / "generated" / "oxen_inference" / unasync.SYNC_DIR


def check(source_dir: Path = SOURCES, twin_dir: Path = TWINS) -> list[str]:
    """What is wrong with the rules and the twins in `twin_dir` of the sources in `source_dir`."""
    problems = []
    sources = {p.name: p.read_text(encoding="utf-8") for p in sorted(source_dir.glob("*.py"))}
    for rule in unasync.unused_rules(sources.values()):
        problems.append(f"rule {rule.pattern!r} -> {rule.replacement!r} is used by no source")
    expected = {}
    for name, text in sources.items():
        for number, line in unasync.leftovers(unasync.unasync(text)):
            problems.append(f"_sync/{name}:{number} is still asynchronous: {line.strip()}")
        expected[name] = render.twin_text(f"{unasync.ASYNC_DIR}/{name}", text)
    for name, text in format_files(expected).items():
        twin = twin_dir / name
        if not twin.is_file() or twin.read_text(encoding="utf-8") != text:
            problems.append(f"{twin} is not made from its source: run oxgen generate")
    strays = {p.name for p in twin_dir.glob("*.py")} - set(sources)
    problems += [
        f"{unasync.SYNC_DIR}/{name} has no source in {unasync.ASYNC_DIR}/"
        for name in sorted(strays)
    ]
    return problems


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        problems = check()
        for problem in problems:
            print(problem)
        if not problems:
            print(
                f"unasync: {len(list(SOURCES.glob('*.py')))} sources, {len(unasync.RULES)} rules, all used; twins up to date"
            )
        return 1 if problems else 0
    if len(argv) == 1 and (SOURCES / f"{argv[0]}.py").is_file():
        print(unasync.unasync((SOURCES / f"{argv[0]}.py").read_text(encoding="utf-8")), end="")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
