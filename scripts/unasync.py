#!/usr/bin/env python3
"""Check the client runtime's blocking half against its asyncio source (run by scripts/check).

The blocking twins (``generated/oxen_inference/_sync/*.py``, and ``testing/_sync/*.py`` for the
test kit's transports) are made by ``oxgen generate`` from the files of each ``_async`` folder of
``templates/oxen_inference/`` with the rewrite rules of ``oxgen.unasync``. This fails
(exit 1) when a rule is used by no source (the list must say what the sources need), when a
twin still says something asynchronous, or when a committed twin is not what the rules and the
formatter make of its source today (regenerate with ``oxgen generate``).

    python scripts/unasync.py --check               # the checks
    python scripts/unasync.py testing/_async/NAME   # print the twin of that file, unformatted
"""

from __future__ import annotations

import sys
from pathlib import Path

from oxgen import render, unasync
from oxgen.format import format_files

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "templates" / "oxen_inference"
GENERATED = ROOT / "generated" / "oxen_inference"


def folders(package: Path = PACKAGE, generated: Path = GENERATED) -> list[tuple[str, Path, Path]]:
    """(where, sources, twins) for each ``_async`` folder of the runtime: where is the folder's
    path in the package (``_async``, ``testing/_async``)."""
    found = []
    for sources in sorted(package.rglob(unasync.ASYNC_DIR)):
        where = sources.relative_to(package).as_posix()
        twins = generated / sources.relative_to(package).parent / unasync.SYNC_DIR
        found.append((where, sources, twins))
    return found


def check(pairs: list[tuple[str, Path, Path]] | None = None) -> list[str]:
    """What is wrong with the rules, and with the twins of each (where, sources, twins) folder."""
    pairs = folders() if pairs is None else pairs
    problems = []
    texts = {
        (where, p.name): p.read_text(encoding="utf-8")
        for where, sources, _ in pairs
        for p in sorted(sources.glob("*.py"))
    }
    for rule in unasync.unused_rules(texts.values()):
        problems.append(f"rule {rule.pattern!r} -> {rule.replacement!r} is used by no source")
    for where, _sources, twin_dir in pairs:
        mine = {name: text for (place, name), text in texts.items() if place == where}
        problems += _check_twins(where, mine, twin_dir)
    return problems


def _check_twins(where: str, sources: dict[str, str], twin_dir: Path) -> list[str]:
    problems = []
    twins_at = where.removesuffix(unasync.ASYNC_DIR) + unasync.SYNC_DIR
    expected = {}
    for name, text in sources.items():
        for number, line in unasync.leftovers(unasync.unasync(text)):
            problems.append(f"{twins_at}/{name}:{number} is still asynchronous: {line.strip()}")
        expected[name] = render.twin_text(f"{where}/{name}", text)
    for name, text in format_files(expected).items():
        twin = twin_dir / name
        if not twin.is_file() or twin.read_text(encoding="utf-8") != text:
            problems.append(f"{twin} is not made from its source: run oxgen generate")
    strays = {p.name for p in twin_dir.glob("*.py")} - set(sources)
    problems += [f"{twins_at}/{name} has no source in {where}/" for name in sorted(strays)]
    return problems


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        problems = check()
        for problem in problems:
            print(problem)
        if not problems:
            count = sum(len(list(sources.glob("*.py"))) for _, sources, _ in folders())
            print(
                f"unasync: {count} sources, {len(unasync.RULES)} rules, all used; twins up to date"
            )
        return 1 if problems else 0
    source = PACKAGE / f"{argv[0]}.py" if len(argv) == 1 else None
    if source is not None and source.parent.name == unasync.ASYNC_DIR and source.is_file():
        print(unasync.unasync(source.read_text(encoding="utf-8")), end="")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
