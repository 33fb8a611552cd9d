"""Turning log bytes into safe text: decoding, colour codes, truncation, display cleaning."""

from __future__ import annotations

import html
import re
import unicodedata

MAX_LINE_CHARS = 8192
"""Longest evidence line kept. A longer line loses its middle, not its end: the PBX writes fixed words at both ends
of a line (the module and function in front, the reason and address after the attacker's Call-ID or header), so a
parser matching from both ends still reads a cut line (never fatal)."""
CUT_MARK = " …[cut]… "
"""What stands where the middle of an over-long line was removed (no newline, no quote, no markup)."""

# Real escape codes and the `#033[...m` form rsyslog writes when it escapes control characters.
_ANSI = re.compile(r"(?:\x1b|#033)\[[0-9;?]*[A-Za-z]")
# C0/C1 controls: shown as U+FFFD so the reader sees that something was there.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Line and paragraph separators, and the line breaks themselves: one line on screen.
_BREAKS = re.compile("[\t\n\u2028\u2029\x85]")
# Invisible characters an attacker uses to disguise or reorder text: every format character (Cf: soft hyphen, bidi
# marks, overrides and isolates, zero-width (non-)joiners, word joiner and invisible operators U+2060-2064, BOM,
# interlinear annotation, tags), surrogates, private use, and the blank Hangul fillers and grapheme joiner.
_INVISIBLE_EXTRA = frozenset("\u034f\u115f\u1160\u3164\uffa0")
_INVISIBLE_CATEGORIES = frozenset(("Cf", "Cs", "Co"))


def decode_line(raw: bytes) -> str:
    """Decode one log line: UTF-8 with replacement, colour codes removed, NULs dropped, length capped."""
    if len(raw) > MAX_LINE_CHARS * 4:
        half = MAX_LINE_CHARS * 2
        raw = raw[:half] + CUT_MARK.encode() + raw[-half:]
    text = raw.decode("utf-8", "replace")
    if "\x1b" in text or "#033[" in text:
        text = _ANSI.sub("", text)
    if "\x00" in text:
        text = text.replace("\x00", "")
    text = text.rstrip("\r\n")
    if len(text) > MAX_LINE_CHARS:
        half = MAX_LINE_CHARS // 2
        text = text[:half] + CUT_MARK + text[-half:]
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
    text = unicodedata.normalize("NFC", str(value))
    text = _BREAKS.sub(" ", text)
    text = _CONTROL.sub("\N{REPLACEMENT CHARACTER}", text)
    if not text.isascii():
        text = "".join(c for c in text if not _invisible(c))
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + "…"
    return text


def markup_escape(text: str) -> str:
    """`text` for a place that reads markup (a notification body, an HTML page): `&`, `<`, `>` as entities."""
    return html.escape(text, quote=False)


def rich_text_paragraph(text: str) -> str:
    """`text` as an HTML paragraph that shows it literally: for Qt places that guess the format (tooltips), so that a
    log line that looks like HTML (`<img src=/dev/zero>`) is shown, never rendered or loaded."""
    return "<p>" + html.escape(text, quote=False) + "</p>" if text else ""


def _invisible(char: str) -> bool:
    return char in _INVISIBLE_EXTRA or unicodedata.category(char) in _INVISIBLE_CATEGORIES
