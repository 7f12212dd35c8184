"""`oxgen diff`: what changed between two schema snapshots, judged as a user of the generated
client feels it, in the spirit of oasdiff's breaking-change checks.

Pipeline (pure in the middle, I/O at the edges)::

    sources.load (folder | catalog | git:REV[:PATH])  ->  compare.compare (rules.Change list)
      ->  allow.apply (accepted / stale)  ->  report.RENDERERS[fmt], report.exit_code

Modules: :mod:`~oxgen.diff.rules` (the rule book), :mod:`~oxgen.diff.sources`,
:mod:`~oxgen.diff.compare` (models), :mod:`~oxgen.diff.schemas` (request schemas, recursively),
:mod:`~oxgen.diff.properties` (an object's properties), :mod:`~oxgen.diff.values` (what one level
accepts, judged as a whole), :mod:`~oxgen.diff.restrictions` (keywords that only refuse),
:mod:`~oxgen.diff.annotations` (defaults, docs, and any keyword no rule judges),
:mod:`~oxgen.diff.regex` (whether one pattern accepts all another does),
:mod:`~oxgen.diff.keywords` (readers and keyword families), :mod:`~oxgen.diff.context` (where a
comparison is, in Python terms), :mod:`~oxgen.diff.allow`, :mod:`~oxgen.diff.report`.
The command line (:mod:`oxgen.cli`) prints the report and chooses the exit code: 0 nothing at or
above ``--fail-on``; 1 something is; 2 bad input (a one-line ``oxgen: error: ...`` on stderr,
never a traceback).
"""

from __future__ import annotations

from . import allow, report, sources
from .compare import compare
from .rules import RULES, Change, Rule
from .sources import DiffError

__all__ = ["RULES", "Change", "DiffError", "Rule", "compare", "run"]


def run(old: str, new: str, allow_file: str | None = None) -> report.Report:
    """Load both sides, compare them and apply the allow-list. Raises :class:`DiffError`."""
    entries = allow.load(allow_file) if allow_file else []
    old_spec, new_spec = sources.resolve_pair(old, new)
    before, after = sources.load(old_spec), sources.load(new_spec)
    changes = compare(before.snapshot, after.snapshot)
    if allow_file:
        changes = allow.apply(changes, entries, allow_file)
    return report.Report(changes, before.label, after.label, after.files)
