"""``key=value`` words into a model's parameters.

A value is JSON when it parses as JSON (``7``, ``true``, ``null``, ``[1, 2]``, ``{"a": 1}``,
``"quoted"``), else the text itself. Where the model's schema says what a parameter takes, a JSON
value of another type that the parameter could take as text stays text (``prompt=42`` sends
``"42"``). ``key=@PATH`` is a local file for a media input, sent as the library sends local
files; in a list of media (``reference_image_urls=@a.png``) each ``@PATH`` is one item, and a list
parameter given several times collects them all. Unknown parameter names are refused here, with a
did-you-mean; the values themselves are checked by the library, before anything is sent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .._schema_types import json_or_text, typed
from ._common import PROG, UsageError
from ._model import ModelInfo, Param

#: Queue and route controls a ``key=value`` may set besides the model's own parameters.
CONTROLS = frozenset({"target_namespace"})
#: Names the client's call takes for itself: never a parameter from the command line.
RESERVED = frozenset(
    {"model", "timeout", "extra_headers", "extra_body", "num_generations", "response_format"}
)


def split(word: str) -> tuple[str, str]:
    key, sep, value = word.partition("=")
    key = key.strip()
    if not sep or not key:
        raise UsageError(f"expected key=value, got {word!r}")
    return key, value


def _unknown(info: ModelInfo, key: str) -> UsageError:
    import difflib

    names = list(info.params or {})
    close = difflib.get_close_matches(key, [*names, *info.names], n=1)
    hint = f"; did you mean {info.names.get(close[0], close[0])!r}?" if close else ""
    return UsageError(
        f"unknown parameter {key!r} for model {info.model_id!r}{hint} "
        f"(parameters: {', '.join(names) or 'none'}; '{PROG} run {info.model_id} --help')"
    )


def describe_types(param: Param) -> str:
    if param.enum is not None:
        return "one of " + ", ".join(json.dumps(v) for v in param.enum)
    return " or ".join(sorted(param.types)) or "any value"


def _file(info: ModelInfo, key: str, param: Param | None, path: str) -> Any:
    if not path:
        raise UsageError(f"{key}=@ needs a file path after the @")
    if param is not None and param.media is None:
        media = [p.name for p in (info.params or {}).values() if p.media]
        where = f"media inputs of this model: {', '.join(media)}" if media else "it takes none"
        raise UsageError(
            f"{key} takes {describe_types(param)}, not a file; @PATH is for media inputs "
            f"({where}); for text that starts with @, quote it as JSON: {key}='\"@...\"'"
        )
    return Path(path)


def _url(key: str, text: str) -> str:
    """A media input's text must be a URL: a local path goes as @PATH."""
    if "://" in text or text.startswith("data:"):
        return text
    raise UsageError(f"{key}: {text!r} is not a URL; a local file is given as {key}=@{text}")


def value(info: ModelInfo, key: str, param: Param | None, raw: str) -> Any:
    """The value of one ``key=raw`` word, typed as described in the module docstring."""
    if raw.startswith("@"):
        return _file(info, key, param, raw[1:])
    parsed = json_or_text(raw)
    if param is not None and param.media and parsed is not None:
        items = parsed if isinstance(parsed, list) else [parsed]
        media = [_media_item(info, key, param, item) for item in items]
        return media if isinstance(parsed, list) or param.is_list else media[0]
    return parsed if param is None else typed(param.types, raw, parsed)


def _media_item(info: ModelInfo, key: str, param: Param, item: Any) -> Any:
    if not isinstance(item, str):
        return item  # the library's check names what it takes
    if item.startswith("@"):
        return _file(info, key, param, item[1:])
    return _url(key, item)


def parameters(
    info: ModelInfo, words: list[str], reserved: frozenset[str] = RESERVED
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(model parameters under their wire names, controls) from ``key=value`` words."""
    params: dict[str, Any] = {}
    controls: dict[str, Any] = {}
    for word in words:
        key, raw = split(word)
        known = info.params
        wire = info.names.get(key, key)
        param = None if known is None else known.get(wire)
        if param is None:
            if key in CONTROLS:
                controls[key] = raw
                continue
            if key in reserved:
                raise UsageError(f"{key} is set by {PROG} itself, not as a key=value parameter")
            if known is not None:
                raise _unknown(info, key)
        item = value(info, key, param, raw)
        if param is not None and param.is_list and not isinstance(item, list) and item is not None:
            item = [item]
        if wire in params:
            if param is None or not param.is_list:
                raise UsageError(f"{key} is given twice")
            item = [*params[wire], *item]
        params[wire] = item
    return params, controls
