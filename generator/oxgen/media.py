"""Which request parameters are media inputs (a URL the provider downloads), decided once, here.

A media input can be given a local file in the generated client (a path, bytes or a binary file
object), which the client turns into a URL before sending. The rule, on one property of a
request schema (in standard draft 2020-12, as :func:`oxgen.normalise.to_standard` gives it):

1. **Shape.** The property accepts a string, or an array of strings (null may be allowed too),
   and the string is free text: no ``enum``/``const`` (a choice among fixed values is a setting).
2. **Not a destination.** No word of the name is one of :data:`DESTINATION_WORDS` (a webhook
   or callback URL is where the API sends something, never a file it downloads).
3. **Named so, or described so.** Either the name says which media it holds: its last word,
   after a trailing ``url``/``urls``/``uri``/``link``, is one of :data:`NAME_KINDS`
   (``input_image``, ``reference_image_urls``, ``tail_image_url``, ``input_face_videos``,
   ``audio_urls``; not ``image_size``, ``video_quality``, ``output_format``); or the string is
   declared a URL (``format: uri``, or a ``renderType`` such as ``image-url``) and the name or
   description names a media kind (:data:`TEXT_KINDS`).

The kind (``image``, ``video``, ``audio``, ``mask`` or ``file``) is recorded in the IR
(``FieldIR.media``); the client uses it to check that a local file holds that kind of media.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

KINDS = ("image", "video", "audio", "mask", "file")

#: Last word of a parameter name -> the media kind it holds.
NAME_KINDS: dict[str, str] = {
    "image": "image",
    "images": "image",
    "img": "image",
    "photo": "image",
    "photos": "image",
    "frame": "image",
    "video": "video",
    "videos": "video",
    "clip": "video",
    "audio": "audio",
    "audios": "audio",
    "mask": "mask",
    "masks": "mask",
    "file": "file",
    "files": "file",
}
#: Trailing words that only say "this is a URL" (``image_url``, ``audio_urls``).
URL_WORDS = frozenset({"url", "urls", "uri", "uris", "link", "links"})
#: Words (in a name or description) that name a media kind, for ``format: uri`` strings.
TEXT_KINDS: dict[str, str] = {
    **{w: k for w, k in NAME_KINDS.items() if w not in ("frame", "clip", "img")},
    "picture": "image",
    "frame": "image",
    "voice": "audio",
    "speech": "audio",
    "music": "audio",
    "song": "audio",
    "sound": "audio",
}
#: A parameter whose name has one of these words is a place the API sends to, not an input.
DESTINATION_WORDS = frozenset(
    {"webhook", "callback", "redirect", "notify", "notification", "output", "destination"}
)
_RENDER_KINDS = {"image-url": "image", "video-url": "video", "audio-url": "audio"}
_URI_FORMATS = frozenset({"uri", "iri", "uri-reference", "iri-reference"})
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def words(name: str) -> list[str]:
    """The lower-case words of a parameter name (snake_case, kebab-case and camelCase)."""
    return [w.lower() for w in _WORD.findall(name)]


def _types(node: Mapping[str, Any]) -> set[str]:
    t = node.get("type")
    return set(t) if isinstance(t, list) else {t} if isinstance(t, str) else set()


def _free_string(node: Any) -> bool:
    """A string (or nullable string) schema whose value is free text."""
    if not isinstance(node, Mapping) or "enum" in node or "const" in node:
        return False
    types = _types(node)
    return "string" in types and types <= {"string", "null"}


def _string_of(schema: Any) -> Mapping[str, Any] | None:
    """The string schema a media input is made of: the property itself, or its items."""
    if not isinstance(schema, Mapping):
        return None
    if _free_string(schema):
        return schema
    # A nullable property without a plain type becomes {"anyOf": [X, {"type": "null"}]}.
    alternatives = schema.get("anyOf")
    if "type" not in schema and isinstance(alternatives, list):
        rest = [a for a in alternatives if not (isinstance(a, Mapping) and _types(a) == {"null"})]
        return _string_of(rest[0]) if len(rest) == 1 else None
    types = _types(schema)
    if "array" in types and types <= {"array", "null"}:
        items = schema.get("items")
        return items if _free_string(items) else None
    return None


def _text_kind(text: str) -> str | None:
    for word in words(text):
        kind = TEXT_KINDS.get(word)
        if kind is not None:
            return kind
    return None


def media_kind(name: str, schema: Any) -> str | None:
    """The media kind of the property `name` with `schema`, or None when it is no media input."""
    string = _string_of(schema)
    if string is None:
        return None
    name_words = words(name)
    if not name_words or DESTINATION_WORDS.intersection(name_words):
        return None
    while len(name_words) > 1 and name_words[-1] in URL_WORDS:
        name_words.pop()
    kind = NAME_KINDS.get(name_words[-1])
    if kind is not None:
        return kind
    outer: Mapping[str, Any] = schema
    for node in (string, outer):
        render = node.get("renderType")
        if isinstance(render, str) and render in _RENDER_KINDS:
            return _RENDER_KINDS[render]
    if string.get("format") in _URI_FORMATS or outer.get("format") in _URI_FORMATS:
        description = outer.get("description")
        return _text_kind(name) or (
            _text_kind(description) if isinstance(description, str) else None
        )
    return None


def is_string_of_media(node: Any) -> bool:
    """Whether `node` is a string position inside a media input (where local files are accepted)."""
    return _free_string(node)
