"""Text from schemas reaches generated code only through these functions.

The models endpoint is untrusted input: a description may hold quotes, backslashes, newlines,
NUL bytes, lone surrogates or Jinja delimiters. Values become Python literals built by `repr`
(which always yields a closed, escaped literal); prose becomes docstrings or comments that cannot
be broken out of.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any


def py_literal(value: Any) -> str:
    """Python source for a JSON value (dicts keep their order; floats round-trip exactly)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        if math.isinf(value):
            return 'float("inf")' if value > 0 else '-float("inf")'
        return repr(value)
    if isinstance(value, str):
        return _str_literal(value)
    if isinstance(value, list):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{_str_literal(str(k))}: {py_literal(v)}" for k, v in value.items())
            + "}"
        )
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def _str_literal(text: str) -> str:
    # repr() escapes quotes, backslashes and non-printables, but keeps lone surrogates (which
    # cannot be written as UTF-8) only as escapes too; double quotes match the formatter's style.
    out = repr(text)
    if out.startswith("'") and '"' not in text:
        out = '"' + out[1:-1].replace("\\'", "'") + '"'
    return out


# Every character `_safe_char` changes: backslash, C0/C1 controls except \n and \t, DEL, line and
# paragraph separators, lone surrogates.
_NEEDS_ESCAPE = re.compile("[\\\\\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_QUOTES = re.compile('"+')


def _safe_char(ch: str) -> str:
    code = ord(ch)
    if ch == "\\":
        return "\\\\"
    if ch in "\n\t":
        return ch
    if 0xD800 <= code <= 0xDFFF:
        # Shown as its escape, not turned back into the character: a lone surrogate in a
        # docstring cannot be encoded (pydantic, help() and pydoc would fail on it).
        return f"\\\\u{code:04x}"
    if code < 0x20 or code == 0x7F or unicodedata.category(ch) in ("Cs", "Cc", "Zl", "Zp"):
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return ch


def docstring_body(text: str) -> str:
    """Text that is safe between triple double quotes (a non-raw docstring).

    Backslashes and control characters are escaped, ``\"\"\"`` is broken up, and the text never ends
    in a quote, so the literal always closes where the generator closes it.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Fast paths (most prose needs no escaping at all): same result as the loops, far cheaper.
    if _NEEDS_ESCAPE.search(text):
        text = "".join(_safe_char(ch) for ch in text)
    body = text.rstrip()
    if '"' not in body:
        return body
    end = len(body)

    def quotes(run: re.Match[str]) -> str:
        # In each run of quotes every third one is escaped (so no three stay adjacent), and so is
        # a quote that ends the text (the generator's closing quotes follow it).
        out, unescaped = [], 0
        last = run.end() - run.start() - 1
        for i in range(last + 1):
            if unescaped == 2 or (i == last and run.end() == end):
                out.append('\\"')
                unescaped = 0
            else:
                out.append('"')
                unescaped += 1
        return "".join(out)

    return _QUOTES.sub(quotes, body)


def docstring(text: str, indent: str = "") -> str:
    """A complete, closed docstring literal for `text` (indented continuation lines)."""
    lines = [line.rstrip() for line in docstring_body(text).split("\n")]
    if len(lines) == 1:
        return f'"""{lines[0]}"""'
    joined = "\n".join((indent + line) if line else "" for line in lines)
    return f'"""{joined.removeprefix(indent)}\n{indent}"""'


def comment(text: str, limit: int = 120) -> str:
    """One line of text safe inside a `#` comment: no line breaks or control characters."""
    flat = " ".join(text.split())
    flat = "".join(ch if ch.isprintable() else "?" for ch in flat)
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def plain(text: Any) -> str:
    """Schema prose as plain text (non-strings, e.g. a numeric 'description', become empty)."""
    return text.strip() if isinstance(text, str) else ""


def table_row(fields: Any) -> str:
    """A Python literal of one line of the client's catalog tables: the fields (None as empty)
    joined by tabs, each with backslash, tab and newline escaped (as ``_registry._escape`` does),
    and a newline at the end."""
    parts = []
    for value in fields:
        text = "" if value is None else str(value)
        parts.append(text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n"))
    return py_literal("\t".join(parts) + "\n")
