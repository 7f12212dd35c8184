"""A batch's inputs: one JSON object per line (or a spreadsheet's row: see ``_batch_sheets``),
every line checked before anything is sent.

A line holds the model's parameters, ``"model"`` (unless the run gives one model for all), an
optional ``"id"`` (a string, unique in the file; default the line number) and an optional
``"target_namespace"``. A string ``"@PATH"`` in a media field (a parameter that takes an image,
video or audio URL) is a local file, PATH relative to the inputs file's folder (``..`` and
absolute paths are the user's own files, read as they are). Blank lines are skipped.

:func:`read_inputs` reads and checks a whole file (or a list of dicts) and returns the inputs, or
raises :class:`BatchInputError` holding one problem per bad line and field.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import _registry
from ._batch_sheets import is_sheet, sheet_rows
from ._exceptions import OxenError, ValidationError

__all__ = [
    "MAX_LINE_BYTES",
    "BatchInput",
    "BatchInputError",
    "InputProblem",
    "canonical",
    "media_fields",
    "output_stems",
    "read_inputs",
    "with_local_files",
]

MAX_LINE_BYTES = 16 * 1024 * 1024  # a line may inline a 10 MiB file as a data URI (~13.4 MiB)
MAX_ID_CHARS = 256
SHOWN_PROBLEMS = 100  # the error message lists at most this many problems


@dataclass(frozen=True, slots=True)
class InputProblem:
    """What is wrong with one line (0 for the file as a whole) and, when known, which field."""

    line: int
    field: str
    message: str

    def render(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line else source
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class BatchInputError(OxenError, ValueError):
    """The inputs cannot be run; nothing was sent. `problems` lists every one of them."""

    def __init__(self, source: str, problems: list[InputProblem]) -> None:
        self.source = source
        self.problems = problems
        lines = [p.render(source) for p in problems[:SHOWN_PROBLEMS]]
        if len(problems) > SHOWN_PROBLEMS:
            lines.append(f"{source}: ... and {len(problems) - SHOWN_PROBLEMS} more problems")
        super().__init__("\n".join(lines))


@dataclass(frozen=True, slots=True)
class BatchInput:
    """One checked input: its id, line, model, parameters as written, and `key`, the digest of
    (model, namespace, parameters) shared by identical inputs."""

    id: str
    line: int
    model: str
    params: dict[str, Any]
    namespace: str | None
    key: str


def canonical(value: Any) -> str:
    """One JSON text per value: sorted keys, no spaces, whole floats as integers."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _has_media_marker(annotation: Any) -> bool:
    from ._media import Input

    if isinstance(annotation, Input):
        return True
    return any(_has_media_marker(arg) for arg in typing.get_args(annotation))


_MEDIA_FIELDS: dict[str, frozenset[str]] = {}


def media_fields(model_id: str) -> frozenset[str]:
    """The wire names of `model_id`'s media inputs (none for a model without a schema)."""
    found = _MEDIA_FIELDS.get(model_id)
    if found is None:
        entry = _registry.get(model_id)
        names: set[str] = set()
        if entry is not None and entry.has_schema:
            from ._request import request_model

            for name, info in request_model(model_id).model_fields.items():
                if any(_has_media_marker(m) for m in info.metadata) or _has_media_marker(
                    info.annotation
                ):
                    alias = info.validation_alias
                    names.add(alias if isinstance(alias, str) else name)
        found = _MEDIA_FIELDS[model_id] = frozenset(names)
    return found


def _local(value: Any, base: Path) -> Any:
    if isinstance(value, str) and value.startswith("@") and len(value) > 1:
        return base / value[1:]
    if isinstance(value, list):
        return [_local(v, base) for v in value]
    return value


def with_local_files(model_id: str, params: Mapping[str, Any], base: Path) -> dict[str, Any]:
    """`params` with each ``"@PATH"`` of a media field (or of a list in one) made a path
    relative to `base`; every other value, ``"@..."`` strings of other fields included, as is."""
    media = media_fields(model_id)
    return {k: _local(v, base) if k in media else v for k, v in params.items()}


def _lines(path: Path, limit: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes without the line break) per line; None for a line over `limit`."""
    with path.open("rb") as f:
        number = 0
        while True:
            raw = f.readline(limit + 1)
            if not raw:
                return
            number += 1
            if len(raw) > limit and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # skip the rest of the long line
                    raw = f.readline(1024 * 1024)
                yield number, None
                continue
            yield number, raw.rstrip(b"\r\n")


def _decode(number: int, raw: bytes, problems: list[InputProblem]) -> Any:
    try:
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        problems.append(InputProblem(number, "", f"not UTF-8 text (byte {exc.start + 1})"))
        return None
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.append(InputProblem(number, "", f"not JSON: {exc.msg} (column {exc.colno})"))
        return None
    except RecursionError:
        problems.append(InputProblem(number, "", "not JSON: nested too deeply"))
        return None
    if not isinstance(value, dict):
        problems.append(
            InputProblem(number, "", f"expected a JSON object, got {_json_kind(value)}")
        )
        return None
    return value


def _json_kind(value: Any) -> str:
    kinds = {list: "an array", str: "a string", bool: "true/false", type(None): "null"}
    return kinds.get(type(value), "a number")


def _take_id(number: int, row: dict[str, Any], problems: list[InputProblem]) -> str | None:
    raw = row.pop("id", None)
    if raw is None:
        return str(number)
    if not isinstance(raw, str):
        problems.append(InputProblem(number, "id", f"must be a string, got {_json_kind(raw)}"))
        return None
    if not raw.strip() or len(raw) > MAX_ID_CHARS or any(ord(c) < 32 for c in raw):
        problems.append(
            InputProblem(
                number,
                "id",
                f"must be 1 to {MAX_ID_CHARS} characters, not blank, no control characters",
            )
        )
        return None
    return raw


def _take_model(
    number: int, row: dict[str, Any], model: str | None, problems: list[InputProblem]
) -> str | None:
    given = row.pop("model", None)
    if given is not None and not isinstance(given, str):
        problems.append(InputProblem(number, "model", f"must be a string, got {_json_kind(given)}"))
        return None
    if model is not None and given is not None and given != model:
        problems.append(
            InputProblem(number, "model", f"the line says {given!r}, the run says {model!r}")
        )
        return None
    chosen = model if model is not None else given
    if chosen is None:
        problems.append(InputProblem(number, "model", 'missing (give "model" or --model)'))
        return None
    return chosen


def model_problem(model_id: str) -> str | None:
    """Why the queue cannot run `model_id` (None when it can)."""
    entry = _registry.get(model_id)
    if entry is None:
        close = _registry.close_matches(model_id)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        return f"unknown model {model_id!r}{hint}"
    if entry.media is None:
        kind = (
            "a chat model"
            if entry.route == "/ai/chat/completions"
            else "not an image or video model"
        )
        return (
            f"{model_id!r} is {kind}; batch runs go through the queue, which runs image and "
            "video models only"
        )
    return None


def _take_namespace(number: int, row: dict[str, Any], problems: list[InputProblem]) -> str | None:
    raw = row.pop("target_namespace", None)
    if raw is not None and (not isinstance(raw, str) or not raw):
        problems.append(InputProblem(number, "target_namespace", "must be a non-empty string"))
    return raw if isinstance(raw, str) and raw else None


def check_params(
    number: int, model: str, params: dict[str, Any], base: Path, problems: list[InputProblem]
) -> None:
    """Append a problem for each parameter `model` refuses (local files opened and sniffed)."""
    from ._params import body_for

    if "num_generations" in params:
        problems.append(
            InputProblem(
                number,
                "num_generations",
                "not taken in batch inputs: a line is one generation (repeat the line instead)",
            )
        )
        return
    try:
        body_for(model, with_local_files(model, params, base), extra_body=None)
    except ValidationError as exc:
        problems.extend(InputProblem(number, f, m) for f, m in exc.errors)


def _check_line(
    number: int,
    row: dict[str, Any],
    model: str | None,
    base: Path,
    problems: list[InputProblem],
) -> BatchInput | None:
    before = len(problems)
    input_id = _take_id(number, row, problems)
    chosen = _take_model(number, row, model, problems)
    namespace = _take_namespace(number, row, problems)
    if chosen is not None:
        wrong = model_problem(chosen)
        if wrong is not None:
            problems.append(InputProblem(number, "model", wrong))
        else:
            check_params(number, chosen, row, base, problems)
    if len(problems) > before or input_id is None or chosen is None:
        return None
    key = hashlib.sha256(canonical([chosen, namespace, row]).encode()).hexdigest()
    return BatchInput(input_id, number, chosen, row, namespace, key)


def _rows(
    source: str | os.PathLike[str] | Iterable[Mapping[str, Any]],
    model: str | None,
    problems: list[InputProblem],
    limit: int,
) -> Iterator[tuple[int, dict[str, Any]]]:
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if is_sheet(path):

            def report(line: int, field: str, message: str) -> None:
                problems.append(InputProblem(line, field, message))

            yield from sheet_rows(path, model, report, limit)
            return
        for number, raw in _lines(path, limit):
            if raw is None:
                problems.append(InputProblem(number, "", f"longer than {limit:,} bytes"))
                continue
            row = _decode(number, raw, problems)
            if row is not None:
                yield number, row
        return
    for number, row in enumerate(source, 1):
        if isinstance(row, Mapping):
            yield number, dict(row)
        else:
            problems.append(
                InputProblem(number, "", f"expected a mapping, got {type(row).__name__}")
            )


def _open_problem(source: str | os.PathLike[str]) -> str | None:
    path = Path(source)
    try:
        if path.is_dir():
            return "is a directory, not a file"
        with path.open("rb"):
            return None
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}"


def read_inputs(
    source: str | os.PathLike[str] | Iterable[Mapping[str, Any]],
    *,
    model: str | None = None,
    base: str | os.PathLike[str] | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> list[BatchInput]:
    """Every input of `source` (a JSONL file, a ``.csv``/``.tsv`` file with a header row, or
    mappings shaped like JSONL lines), checked.

    `base` is the folder ``@PATH`` values are relative to (default: the file's folder, or the
    current directory for mappings). Raises BatchInputError listing every problem found.
    """
    label = os.fspath(source) if isinstance(source, (str, os.PathLike)) else "inputs"
    problems: list[InputProblem] = []
    if isinstance(source, (str, os.PathLike)):
        wrong = _open_problem(source)
        if wrong is not None:
            raise BatchInputError(label, [InputProblem(0, "", wrong)])
        folder = Path(base) if base is not None else Path(source).parent
    else:
        folder = Path(base) if base is not None else Path.cwd()
    if model is not None:
        wrong = model_problem(model)
        if wrong is not None:
            raise BatchInputError(label, [InputProblem(0, "--model", wrong)])
    inputs: list[BatchInput] = []
    lines_of: dict[str, int] = {}
    for number, row in _rows(source, model, problems, max_line_bytes):
        item = _check_line(number, row, model, folder, problems)
        if item is None:
            continue
        first = lines_of.setdefault(item.id, number)
        if first != number:
            problems.append(
                InputProblem(number, "id", f"{item.id!r} is also the id of line {first}")
            )
            continue
        inputs.append(item)
    if not inputs and not problems:
        what = "rows below the first" if is_sheet(source) else "lines with a JSON object"
        problems.append(InputProblem(0, "", f"no inputs (the file has no {what})"))
    if problems:
        problems.sort(key=lambda p: p.line)
        raise BatchInputError(label, problems)
    return inputs


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def output_stems(ids: Iterable[str]) -> dict[str, str]:
    """A file name stem per input id: the id itself when it is a safe name, else its safe
    characters and a short hash; unique even on case-insensitive file systems."""
    ids = list(ids)
    folded: dict[str, int] = {}
    for input_id in ids:
        folded[input_id.casefold()] = folded.get(input_id.casefold(), 0) + 1
    stems: dict[str, str] = {}
    taken: set[str] = set()
    for input_id in ids:
        stem = _UNSAFE.sub("_", input_id).lstrip(".")[:80]
        digest = hashlib.sha256(input_id.encode("utf-8", "surrogatepass")).hexdigest()
        if stem != input_id or folded[input_id.casefold()] > 1 or not stem:
            stem = f"{stem}-{digest[:10]}" if stem else digest[:10]
        if stem.casefold() in taken:  # only an id made to look like another's hashed name
            stem = f"{stem}-{digest}"
        taken.add(stem.casefold())
        stems[input_id] = stem
    return stems
