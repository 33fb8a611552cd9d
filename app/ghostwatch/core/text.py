"""Turning log bytes into safe text: decoding, colour codes, truncation, display cleaning."""

from __future__ import annotations

import re
import unicodedata

MAX_LINE_CHARS = 8192
"""Longest evidence line kept; the rest of a pathological line is cut off (never fatal)."""

# Real escape codes and the `#033[...m` form rsyslog writes when it escapes control characters.
_ANSI = re.compile(r"(?:\x1b|#033)\[[0-9;?]*[A-Za-z]")
# Everything that must not reach a label: C0/C1 controls, bidi overrides and isolates, zero-width joiners.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def decode_line(raw: bytes) -> str:
    """Decode one log line: UTF-8 with replacement, colour codes removed, NULs dropped, length capped."""
    if len(raw) > MAX_LINE_CHARS * 4:
        raw = raw[: MAX_LINE_CHARS * 4]
    text = raw.decode("utf-8", "replace")
    if "\x1b" in text or "#033[" in text:
        text = _ANSI.sub("", text)
    if "\x00" in text:
        text = text.replace("\x00", "")
    text = text.rstrip("\r\n")
    if len(text) > MAX_LINE_CHARS:
        text = text[:MAX_LINE_CHARS] + " …[truncated]"
    return text


def ascii_int(text: str) -> int | None:
    """`text` as an int when it is ASCII digits only, else None.

    `str.isdigit` alone is not enough for text from a log: it accepts `²` and other digits that `int` refuses.
    """
    return int(text) if text.isascii() and text.isdigit() else None


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def display_text(value: object, limit: int | None = None) -> str:
    """Text that is safe to show anywhere: no control or bidi-override characters, optionally elided."""
    if value is None:
        return ""
    text = _UNSAFE.sub("\N{REPLACEMENT CHARACTER}", unicodedata.normalize("NFC", str(value)))
    text = text.replace("\t", " ").replace("\n", " ")
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + "…"
    return text
