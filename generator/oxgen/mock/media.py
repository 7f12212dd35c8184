"""Tiny but real result files (PNG, MP4, WAV): the protocol core's, for tests and benchmarks."""

from __future__ import annotations

from .protocol import media as _media

CONTENT_TYPES = _media.CONTENT_TYPES
EXTENSION_FOR_MEDIA = _media.EXTENSION_FOR_MEDIA
content = _media.content
mp4 = _media.mp4
png = _media.png
wav = _media.wav

__all__ = ["CONTENT_TYPES", "EXTENSION_FOR_MEDIA", "content", "mp4", "png", "wav"]
