"""`oxgen diff`: what changed between two schema snapshots, judged as a user of the generated
client feels it, in the spirit of oasdiff's breaking-change checks.

Pipeline (pure in the middle, I/O at the edges)::

    sources.load (folder | catalog | git:REV[:PATH])  ->  compare.compare (rules.Change list)
      ->  allow.apply (accepted / stale)  ->  report.RENDERERS[fmt], report.exit_code

Modules: :mod:`~oxgen.diff.rules` (the rule book), :mod:`~oxgen.diff.sources`,
:mod:`~oxgen.diff.compare` (models), :mod:`~oxgen.diff.schemas` (request schemas, recursively),
:mod:`~oxgen.diff.values` (what one level accepts, judged as a whole),
:mod:`~oxgen.diff.regex` (whether one pattern accepts all another does),
:mod:`~oxgen.diff.keywords` (readers),
:mod:`~oxgen.diff.allow`, :mod:`~oxgen.diff.report`.
Exit codes: 0 nothing at or above ``--fail-on``; 1 something is; 2 bad input (a one-line
``oxgen: error: ...`` on stderr, never a traceback).
"""

from __future__ import annotations

import click

from . import allow, report, sources
from .compare import compare
from .rules import RULES, Change, Rule
from .sources import DiffError

__all__ = ["RULES", "Change", "DiffError", "Rule", "compare", "main", "run"]


def run(old: str, new: str, allow_file: str | None = None) -> report.Report:
    """Load both sides, compare them and apply the allow-list. Raises :class:`DiffError`."""
    entries = allow.load(allow_file) if allow_file else []
    old_spec, new_spec = sources.resolve_pair(old, new)
    before, after = sources.load(old_spec), sources.load(new_spec)
    changes = compare(before.snapshot, after.snapshot)
    if allow_file:
        changes = allow.apply(changes, entries, allow_file)
    return report.Report(changes, before.label, after.label, after.files)


def main(
    *,
    old: str,
    new: str,
    fmt: str = "text",
    fail_on: str = "breaking",
    allow_file: str | None = None,
) -> int:
    """The `oxgen diff` command: print the report in `fmt` and return the exit code."""
    try:
        result = run(old, new, allow_file)
    except DiffError as exc:
        click.echo(f"oxgen: error: {exc}", err=True)
        return 2
    except RecursionError:
        click.echo("oxgen: error: a schema is nested too deeply to compare", err=True)
        return 2
    click.echo(report.RENDERERS[fmt](result), nl=False)
    return report.exit_code(result.changes, fail_on)
