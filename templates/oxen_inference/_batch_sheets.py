"""Batch inputs from a spreadsheet: a CSV (``.csv``) or tab-separated (``.tsv``) file.

The first row names the columns: the model's parameters (under their wire names), and the same
``model``, ``id`` and ``target_namespace`` a JSONL line may hold. Each further row is one input,
numbered by the line it starts on. Cells are separated by commas, or by semicolons when the first
row holds no comma (as spreadsheets save CSV where the decimal mark is a comma; there ``2,5`` in a
number column is 2.5). A cell is text, typed by the parameter's schema:

- an empty cell is a parameter left out (its default applies);
- for a parameter that takes text, the cell is that text (``1984`` stays ``"1984"``);
- otherwise the cell is JSON when it parses (``5``, ``true``, ``[1, 2]``), else the text itself,
  and a single value in a column that takes a list is a list of one (a URL, or ``@PATH``);
- ``@PATH`` in a media column is a local file, as in a JSONL line; ``id``, ``model`` and
  ``target_namespace`` are text as written.

What the schema refuses is reported by the same checks as a JSONL line's.
"""

from __future__ import annotations

import csv
import itertools
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ._schema_types import is_list, json_or_text, schema_types, typed

__all__ = ["SHEET_DELIMITERS", "Report", "cell_value", "is_sheet", "sheet_rows"]

#: How problems are told: (line, field, message).
Report = Callable[[int, str, str], None]

SHEET_DELIMITERS = {".csv": ",", ".tsv": "\t"}  # by the file's suffix, in any case
TEXT_COLUMNS = frozenset({"id", "model", "target_namespace"})


def is_sheet(source: object) -> bool:
    """Whether `source` names a file read as a sheet (by its suffix)."""
    return (
        isinstance(source, (str, os.PathLike)) and Path(source).suffix.lower() in SHEET_DELIMITERS
    )


_DECIMAL_COMMA = re.compile(r"-?\d+,\d+")


def cell_value(types: frozenset[str] | None, raw: str, decimal_comma: bool = False) -> Any:
    """The value of a non-empty cell for a parameter that takes `types` (None or empty: any),
    typed as a ``key=value`` word of the command line is; with `decimal_comma`, ``2,5`` for a
    number is 2.5."""
    types = types or frozenset()
    if decimal_comma and "number" in types and _DECIMAL_COMMA.fullmatch(raw.strip()):
        raw = raw.replace(",", ".")
    if raw.startswith("@"):  # a local file in a media column, text elsewhere (as in JSONL)
        return [raw] if is_list(types) else raw
    return typed(types, raw, json_or_text(raw))


def field_types(model_id: str) -> dict[str, frozenset[str]] | None:
    """The JSON types each parameter of `model_id` takes, by wire name (an empty set: any);
    None when the model is unknown or publishes no schema."""
    from . import _registry
    from ._request import request_model

    entry = _registry.get(model_id)
    if entry is None or entry.class_name is None:
        return None
    schema = request_model(model_id).model_json_schema()
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return {}
    return {name: frozenset(schema_types(node, schema)) for name, node in properties.items()}


def _header(cells: list[str], report: Report) -> list[str] | None:
    names = [cell.strip() for cell in cells]
    if not any(names):
        report(1, "", "the first row must name the columns")
        return None
    twice = sorted({name for name in names if name and names.count(name) > 1})
    for name in twice:
        report(1, name, "names two columns")
    return None if twice else names


def _typed(
    number: int,
    names: list[str],
    cells: list[str],
    run_model: str | None,
    types_of: dict[str, dict[str, frozenset[str]] | None],
    report: Report,
    decimal_comma: bool,
) -> dict[str, Any] | None:
    if len(cells) > len(names):
        report(number, "", f"{len(cells)} cells, the first row names {len(names)}")
        return None
    text = {name: cell for name, cell in zip(names, cells, strict=False) if cell.strip()}
    if "" in text:
        report(number, "", "a value in a column the first row does not name")
        return None
    model = run_model if run_model is not None else text.get("model")
    if model is not None and model not in types_of:
        types_of[model] = field_types(model)
    known = (types_of.get(model) if model is not None else None) or {}
    return {
        name: raw if name in TEXT_COLUMNS else cell_value(known.get(name), raw, decimal_comma)
        for name, raw in text.items()
    }


def _text_lines(path: Path, report: Report, limit: int) -> Iterator[str]:
    """The file's lines, decoded, line ends kept; a line that is not UTF-8 or is longer than
    `limit` is reported and ends the reading."""
    with path.open("rb") as f:
        for number, raw in enumerate(iter(lambda: f.readline(limit + 1), b""), 1):
            if len(raw) > limit:
                report(number, "", f"longer than {limit:,} bytes")
                return
            try:
                yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                report(
                    number,
                    "",
                    f"not UTF-8 text (byte {exc.start + 1}; save the sheet as CSV UTF-8)",
                )
                return


def sheet_rows(
    path: Path, run_model: str | None, report: Report, limit: int
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line the row starts on, its parameters typed) for each row with a value; problems are
    reported as they are found (a line that is not UTF-8, or not CSV, ends the reading)."""
    lines = _text_lines(path, report, limit)
    first = next(lines, None)
    if first is None:
        return
    delimiter = SHEET_DELIMITERS[path.suffix.lower()]
    if delimiter == "," and ";" in first and "," not in first:
        delimiter = ";"  # as spreadsheets save CSV where the decimal mark is a comma
    types_of: dict[str, dict[str, frozenset[str]] | None] = {}
    reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter, strict=True)
    names: list[str] | None = None
    end = 0
    while True:
        start = end + 1
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            report(start, "", _why(exc))
            return
        end = reader.line_num
        if cells is None:
            return
        if names is None:
            names = _header(cells, report)
            if names is None:
                return
        elif any(c.strip() for c in cells):
            row = _typed(start, names, cells, run_model, types_of, report, delimiter == ";")
            if row is not None:
                yield start, row


def _why(exc: csv.Error) -> str:
    message = str(exc)
    if "field larger than field limit" in message:
        return f"a cell longer than {csv.field_size_limit():,} characters (give a file as @PATH)"
    return f"not CSV: {message}"
