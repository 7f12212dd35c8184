"""A model's parameters as text: ``run MODEL --help`` and ``models show MODEL``."""

from __future__ import annotations

import json
import shutil
import textwrap
from typing import Any

from ._common import PROG
from ._model import NO_DEFAULT, ModelInfo, Param

HOW = {
    "queue": "Runs on the queue ({media}): waits for the job, prints the result URL; "
    "--save DIR downloads it, --no-wait returns at once.",
    "blocking": "Runs on its blocking route ({route}) and prints the answer.",
    "chat": f"A chat model: {PROG} chat {{model}} MESSAGE [key=value ...].",
    "none": "This model has no inference route.",
}
LIMITS = (
    ("minimum", ">= {}"),
    ("exclusiveMinimum", "> {}"),
    ("maximum", "<= {}"),
    ("exclusiveMaximum", "< {}"),
    ("minLength", "at least {} characters"),
    ("maxLength", "at most {} characters"),
    ("minItems", "at least {} items"),
    ("maxItems", "at most {} items"),
    ("pattern", "matching {}"),
    ("format", "format {}"),
)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def type_text(param: Param) -> str:
    """What a parameter takes, in a few words: ``integer``, ``image (URL or @PATH)``, ..."""
    if param.media:
        one = f"{param.media}: a URL or @PATH"
        return f"list of {param.media}s: URLs or @PATHs" if param.is_list else one
    if param.enum is not None:
        return "one of: " + ", ".join(_json(v) if not isinstance(v, str) else v for v in param.enum)
    if param.is_list:
        items = param.schema.get("items")
        inner = items.get("type") if isinstance(items, dict) else None
        return f"list of {inner}s" if isinstance(inner, str) else "list"
    return " or ".join(sorted(param.types, key=lambda t: (t == "null", t))) or "any JSON value"


def _facts(param: Param) -> list[str]:
    facts = [
        text.format(_json(param.schema[key]) if key == "pattern" else param.schema[key])
        for key, text in LIMITS
        if key in param.schema and not isinstance(param.schema[key], (dict, list))
    ]
    if param.default is not NO_DEFAULT:
        default = param.default
        # A required parameter has no default: what its schema gives is an example.
        label = "example" if param.required else "default"
        facts.append(f"{label}: {default if isinstance(default, str) else _json(default)}")
    return facts


def param_lines(param: Param, width: int) -> list[str]:
    head = f"  {param.name}  ({type_text(param)}{', required' if param.required else ''})"
    body = " ".join(filter(None, [param.description, "; ".join(_facts(param))]))
    lines = textwrap.wrap(head, width, subsequent_indent="      ", break_on_hyphens=False)
    if body:
        lines += textwrap.wrap(
            body, width, initial_indent="      ", subsequent_indent="      ", break_on_hyphens=False
        )
    return lines


def _width() -> int:
    return max(60, min(100, shutil.get_terminal_size((100, 24)).columns))


def parameter_lines(info: ModelInfo) -> list[str]:
    """The parameters section: one entry per parameter (or why there is none)."""
    if info.params is None:
        return ["This model publishes no parameter schema: key=value pairs are sent as given."]
    if not info.params:
        return ["This model takes no parameters."]
    lines = ["parameters:"]
    for param in info.params.values():
        lines += param_lines(param, _width())
    lines += [
        "",
        "Values are JSON when valid JSON (7, true, [1, 2]), else text; key=@PATH is a local file.",
    ]
    return lines


def model_help(info: ModelInfo) -> str:
    """The usage line, what the model does and how it runs, then each parameter."""
    width = _width()
    usage = f"usage: {PROG} run {info.model_id} [key=value ...] [--json] [--save DIR]"
    if info.kind == "queue":
        usage += " [--no-wait] [--timeout S]"
    elif info.kind == "chat":
        usage = f"usage: {PROG} chat {info.model_id} MESSAGE [key=value ...]"
    lines = [usage, ""]
    if info.summary:
        lines += [*textwrap.wrap(info.summary, width, break_on_hyphens=False), ""]
    how = HOW[info.kind].format(media=info.media, route=info.route, model=info.model_id)
    lines += [*textwrap.wrap(how, width, break_on_hyphens=False), ""]
    return "\n".join(lines + parameter_lines(info))
