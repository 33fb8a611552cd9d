"""Shared reading of CSV call-detail files whose quoted fields may hold raw newlines."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator

from ..events import Record
from ..text import ascii_int, decode_line
from .base import FeedResult, count_lines

MAX_RECORD_LINES = 20


def feed_csv(buf: bytes, line_no: int, final: bool,
             on_row: Callable[[list[str], int, str], list[Record] | None], max_samples: int = 3) -> FeedResult:
    """Split `buf` into CSV records (a record ends where its quotes balance) and hand each row to `on_row`."""
    result = FeedResult()
    lines = buf.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    i = 0
    pos = 0
    while i < len(lines):
        j = i
        chunk = [lines[i]]
        quotes = lines[i].count(b'"')
        while quotes % 2 and j + 1 < len(lines) and j - i < MAX_RECORD_LINES:
            j += 1
            chunk.append(lines[j])
            quotes += lines[j].count(b'"')
        if quotes % 2 and j + 1 >= len(lines) and not final and j - i < MAX_RECORD_LINES:
            result.consumed = pos
            result.lines = i
            return result
        text = "\n".join(decode_line(part) for part in chunk)
        if text.strip():
            row = _row(text)
            recs = on_row(row, line_no + i, text) if row is not None else None
            if recs is None:
                result.unrecognised += 1
                if len(result.samples) < max_samples:
                    result.samples.append(text)
            else:
                result.records.extend(recs)
        for part in chunk:
            pos += len(part) + 1
        i = j + 1
    result.consumed = len(buf)
    result.lines = count_lines(buf, final)
    return result


def _row(text: str) -> list[str] | None:
    try:
        rows: Iterator[list[str]] = csv.reader([text], strict=False)
        return next(rows)
    except (csv.Error, StopIteration):
        return None


def to_int(value: str) -> int | None:
    value = value.strip()
    return ascii_int(value)
