"""The rule book of `oxgen diff`: every kind of change it reports, with a stable id and a level.

A rule's *level* says how a user of the generated client feels the change:

- ``breaking``: code that worked before can fail now (an import, a keyword argument, a value that
  validated before and no longer does);
- ``warning``: nothing fails, but behaviour may change silently (a default) or the change could
  not be judged automatically and needs a human;
- ``info``: additive or cosmetic; nothing existing can break.

A rule's *kind* feeds the semantic-version suggestion: ``docs`` rules alone make a patch release,
``additive`` info makes a minor one, anything breaking a major one. Ids never change once
released: allow-lists and CI scripts refer to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Level = Literal["breaking", "warning", "info"]
Kind = Literal["breaking", "behaviour", "additive", "docs", "meta"]

LEVELS: Final[tuple[Level, ...]] = ("breaking", "warning", "info")


def level_rank(level: str) -> int:
    """0 for breaking, 1 for warning, 2 for info: the order reports list them in."""
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


@dataclass(frozen=True)
class Rule:
    """One kind of change: its id, its level, its kind and what it means for a Python user."""

    id: str
    level: Level
    kind: Kind
    meaning: str


_TABLE: tuple[tuple[str, Level, Kind, str], ...] = (
    # Models
    (
        "model-removed",
        "breaking",
        "breaking",
        "A model left the catalog: its request class and client methods disappear.",
    ),
    ("model-added", "info", "additive", "A new model: a new request class and new client methods."),
    (
        "model-schema-removed",
        "breaking",
        "breaking",
        "A model's `request_schema` became null: its typed parameters disappear.",
    ),
    (
        "model-schema-added",
        "info",
        "additive",
        "A model's `request_schema` went from null to a schema: typed parameters appear.",
    ),
    (
        "model-python-name-changed",
        "breaking",
        "breaking",
        "The model's generated module, request class or method names changed (ids collide differently): imports and calls break.",
    ),
    (
        "route-changed",
        "breaking",
        "breaking",
        "The resolved inference route changed the kind of result, lost queue support or went away.",
    ),
    (
        "route-moved",
        "warning",
        "behaviour",
        "The resolved route changed but returns the same kind of result (e.g. image generate -> edit).",
    ),
    ("route-added", "info", "additive", "A model without an inference route gained one."),
    (
        "model-metadata-changed",
        "info",
        "docs",
        "`endpoint` or `capabilities` changed without changing the resolved route.",
    ),
    (
        "model-description-changed",
        "info",
        "docs",
        "The model's `display_name`, `description` or `summary` changed (docstrings only).",
    ),
    (
        "model-pricing-changed",
        "warning",
        "behaviour",
        "The model's `pricing` changed, appeared or went away: the client's cost estimates change.",
    ),
    # Properties
    (
        "property-removed",
        "breaking",
        "breaking",
        "A property disappeared: its keyword argument / field is gone.",
    ),
    (
        "property-added-required",
        "breaking",
        "breaking",
        "A new required property: calls without it now fail validation.",
    ),
    (
        "property-added-optional",
        "info",
        "additive",
        "A new optional property: a new optional keyword argument.",
    ),
    (
        "property-became-required",
        "breaking",
        "breaking",
        "An optional property became required: calls that omit it now fail.",
    ),
    ("property-became-optional", "info", "additive", "A required property became optional."),
    (
        "property-renamed",
        "breaking",
        "breaking",
        "A property was removed and one of the same type and constraints, with a similar name or the same description, added: most likely a rename. Code passing the old name breaks.",
    ),
    (
        "properties-reordered",
        "info",
        "docs",
        "The order of an object's properties (`x-order`) changed: one line per object; every generated argument is keyword-only, so no call changes.",
    ),
    (
        "property-python-name-changed",
        "breaking",
        "breaking",
        "A property kept its wire name but its generated Python field name changed (names collide differently).",
    ),
    (
        "property-deprecated",
        "warning",
        "behaviour",
        "A property (or schema) was marked `deprecated`.",
    ),
    # Values
    (
        "type-changed",
        "breaking",
        "breaking",
        "The accepted JSON types changed incompatibly (neither a subset nor a superset).",
    ),
    (
        "type-narrowed",
        "breaking",
        "breaking",
        "Fewer JSON types are accepted (e.g. number -> integer, nullable true -> false).",
    ),
    (
        "type-widened",
        "info",
        "additive",
        "More JSON types are accepted (e.g. integer -> number, nullable false -> true).",
    ),
    (
        "enum-value-removed",
        "breaking",
        "breaking",
        "An allowed value was removed: its `Literal` member is gone.",
    ),
    ("enum-value-added", "info", "additive", "A new allowed value."),
    ("enum-added", "breaking", "breaking", "A free value became restricted to an `enum`."),
    ("enum-removed", "info", "additive", "An `enum` restriction was lifted."),
    (
        "lower-bound-raised",
        "breaking",
        "breaking",
        "`minimum`/`exclusiveMinimum`/`minLength`/`minItems`/`minProperties` raised or added.",
    ),
    ("lower-bound-lowered", "info", "additive", "A lower bound was lowered or removed."),
    (
        "upper-bound-lowered",
        "breaking",
        "breaking",
        "`maximum`/`exclusiveMaximum`/`maxLength`/`maxItems`/`maxProperties` lowered or added.",
    ),
    ("upper-bound-raised", "info", "additive", "An upper bound was raised or removed."),
    (
        "multiple-of-tightened",
        "breaking",
        "breaking",
        "`multipleOf` added or changed so that fewer numbers are accepted.",
    ),
    (
        "multiple-of-loosened",
        "info",
        "additive",
        "`multipleOf` removed or relaxed to a divisor of the old value.",
    ),
    (
        "unique-items-added",
        "breaking",
        "breaking",
        "`uniqueItems: true` added: lists with repeats now fail.",
    ),
    ("unique-items-removed", "info", "additive", "`uniqueItems` dropped."),
    ("pattern-added", "breaking", "breaking", "A `pattern` now constrains a string."),
    (
        "pattern-narrowed",
        "breaking",
        "breaking",
        "The `pattern` changed and a string it matched no longer matches (the message shows one).",
    ),
    (
        "pattern-widened",
        "info",
        "additive",
        "The `pattern` changed and provably matches every string the old one did (e.g. `^[a-z]+$` -> `^[a-z0-9]+$`).",
    ),
    (
        "pattern-changed",
        "warning",
        "behaviour",
        "The `pattern` changed and oxgen could not decide whether every string that matched still does; review by hand.",
    ),
    ("pattern-removed", "info", "additive", "A `pattern` was dropped."),
    (
        "format-added",
        "breaking",
        "breaking",
        "A `format` was added: the server may now refuse values not in that format (the client only documents it).",
    ),
    (
        "format-changed",
        "breaking",
        "breaking",
        "The `format` changed: values in the old format may now be refused.",
    ),
    ("format-removed", "info", "additive", "A `format` was dropped."),
    (
        "default-changed",
        "warning",
        "behaviour",
        "The default changed: calls that omit the argument behave differently, silently.",
    ),
    (
        "default-removed",
        "warning",
        "behaviour",
        "The documented default was dropped: what an omitted argument means is no longer stated.",
    ),
    ("default-added", "info", "additive", "A default is now documented."),
    (
        "default-changed-required",
        "info",
        "docs",
        "The default of a property required on both sides changed: every call passes it, so none changes (docstrings only).",
    ),
    (
        "default-removed-required",
        "info",
        "docs",
        "The default of a property required on both sides was dropped: every call passes it, so none changes (docstrings only).",
    ),
    (
        "additional-properties-restricted",
        "breaking",
        "breaking",
        "`additionalProperties` went from allowed to false (or to a schema): extra keys (`extra_body`) are refused.",
    ),
    (
        "additional-properties-allowed",
        "info",
        "additive",
        "`additionalProperties` now admits keys it refused.",
    ),
    (
        "composition-narrowed",
        "breaking",
        "breaking",
        "An `anyOf`/`oneOf` alternative was removed or an `allOf` member added.",
    ),
    (
        "composition-widened",
        "info",
        "additive",
        "An `anyOf`/`oneOf` alternative was added or an `allOf` member removed.",
    ),
    (
        "all-of-annotation-added",
        "info",
        "docs",
        "An `allOf` member that refuses nothing (annotations only: descriptions, titles, examples) was added.",
    ),
    (
        "constraint-added",
        "breaking",
        "breaking",
        "A keyword that only restricts was added: `const`, `if`/`then`/`else`, `contains`, `dependentRequired`, a `dependentSchemas` or `patternProperties` entry, `propertyNames`, `unevaluatedProperties`/`unevaluatedItems`, a `prefixItems` member or `not`.",
    ),
    (
        "constraint-removed",
        "info",
        "additive",
        "One of those restricting keywords was removed: a restriction is lifted.",
    ),
    (
        "constraint-changed",
        "warning",
        "behaviour",
        "Another validation keyword changed (`$ref`, a changed `const`, `if`, `not` or `contains`, ...) in a way oxgen does not decide; review by hand.",
    ),
    # Documentation only
    ("description-changed", "info", "docs", "A `description` changed (docstrings only)."),
    ("title-changed", "info", "docs", "A `title` changed (docstrings only)."),
    (
        "annotation-changed",
        "info",
        "docs",
        "An annotation-only key changed (`x-order`, `x-*`, `basic`, `renderType`, `examples`, ...).",
    ),
    # About the allow-list itself, not the schemas
    (
        "allow-entry-stale",
        "warning",
        "meta",
        "An allow-list entry matched no change: remove it or fix it.",
    ),
)

# Rules that leave the judgement to a human: a report holding one has not decided compatibility.
UNDECIDED: Final[frozenset[str]] = frozenset({"constraint-changed", "pattern-changed"})

RULES: Final[dict[str, Rule]] = {
    rid: Rule(rid, level, kind, meaning) for rid, level, kind, meaning in _TABLE
}


@dataclass(frozen=True)
class Change:
    """One judged change. `pointer` is a JSON pointer into the model's `request_schema` ("" for
    the model as a whole). `accepted` holds the allow-list reason when an entry accepted it."""

    model: str
    pointer: str
    rule: str
    level: Level
    message: str
    accepted: str | None = None

    @property
    def counts(self) -> bool:
        """Whether the change counts toward ``--fail-on`` (accepted changes do not)."""
        return self.accepted is None

    def sort_key(self) -> tuple[int, str, int, str, str, str]:
        stale = 1 if self.rule == "allow-entry-stale" else 0
        return (stale, self.model, level_rank(self.level), self.pointer, self.rule, self.message)


def change(rule_id: str, model: str, pointer: str, what: str) -> Change:
    """A change under rule `rule_id`; the message names the model and the pointer, then `what`."""
    rule = RULES[rule_id]
    where = f"{model} at {pointer}" if pointer else model
    return Change(model, pointer, rule_id, rule.level, f"{where}: {what}")
