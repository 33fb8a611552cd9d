"""What every log dialect provides, and the fast keyword scan most of them share.

A parser is fed buffers of complete lines. Instead of running regular expressions over every line, it looks for
the few literal keywords a security-relevant record must contain (`bytes.find`, in C) and parses only the lines
they hit; a busy `full` log is mostly dialplan chatter that never reaches Python code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..events import Record
from ..signatures import Signatures
from ..text import decode_line
from ..timeparse import Clock
from .fixed import LONG_LINE, decode_long, join_continuations

FOLD_BYTES = (32, 9)
"""How the line after a log line starts (its first byte: space or tab) when a folded SIP header went on over it."""
PENDING = -1
"""`handle` returns this as the next position when a multi-line record is not complete yet."""


class Deferred:
    """What `handle` returns for a line it leaves to `parse_line` in another process (see `Parser.defer`)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


@dataclass
class FeedResult:
    records: list[Record] = field(default_factory=list)
    consumed: int = 0          # bytes of the buffer fully handled; the caller feeds the rest again later
    lines: int = 0             # physical lines in the consumed bytes
    unrecognised: int = 0      # lines that looked security-relevant but matched no known wording
    samples: list[str] = field(default_factory=list)  # a few of those lines, for "your PBX's wording changed"
    sample_lines: list[int] = field(default_factory=list)  # their line numbers
    deferred: list[tuple[int, int, str]] = field(default_factory=list)  # (records before it, line, text)


class Parser:
    """Base parser: per-file state, keyword scan, line handling by subclasses."""

    format: str = ""
    keywords: tuple[bytes, ...] = ()
    hit_patterns: tuple[re.Pattern[bytes], ...] = ()  # for literal families, one regex beats many finds
    max_samples = 3
    defer = 0
    """Out of every 8 lines that `parse_line` alone can handle (no state of this parser involved), how many `handle`
    leaves to the caller as `Deferred`: a parsing child process hands them back to its parent, which has time to
    spare (see ingest/parse_worker.py). 0 everywhere else."""

    def __init__(self, file: str, clock: Clock, signatures: Signatures) -> None:
        self.file = file
        self.clock = clock
        self.signatures = signatures

    @classmethod
    def sniff(cls, lines: list[str], name: str) -> int:
        """How sure (0-100) this dialect is that a file starting with `lines`, named `name`, is its own."""
        raise NotImplementedError

    def feed(self, buf: bytes, line_no: int, final: bool) -> FeedResult:
        """Parse `buf` (complete lines; at EOF, `final`) whose first line is physical line `line_no`."""
        result = FeedResult()
        hits = self._hits(buf)
        prev = 0
        ln = line_no
        skip_until = 0
        count, handle, records = buf.count, self.handle, result.records
        for start, end in sorted(hits.items()):
            if start < skip_until:
                continue
            ln += count(b"\n", prev, start)
            prev = start
            recs, nxt = handle(buf, start, end, ln, final)
            if nxt == PENDING:
                result.consumed = start
                result.lines = ln - line_no
                return result
            if recs is None:
                result.unrecognised += 1
                if len(result.samples) < self.max_samples:
                    result.samples.append(decode_line(buf[start:end]))
                    result.sample_lines.append(ln)
            elif recs.__class__ is Deferred:
                result.deferred.append((len(records), ln, recs.text))
            else:
                records += recs
            skip_until = nxt
        result.consumed = len(buf)
        result.lines = ln - line_no + count_lines(buf, final, prev)  # lines before the last hit are counted already
        return result

    def _hits(self, buf: bytes) -> dict[int, int]:
        """{start: end} of every line holding a keyword (end: its newline, or the buffer's end)."""
        lines: dict[int, int] = {}
        find, rfind = buf.find, buf.rfind
        size = len(buf)
        for kw in self.keywords:
            pos = find(kw)
            while pos >= 0:
                end = find(b"\n", pos)
                lines[rfind(b"\n", 0, pos) + 1] = end if end >= 0 else size
                if end < 0:
                    break
                pos = find(kw, end + 1)
        for pattern in self.hit_patterns:
            for m in pattern.finditer(buf):
                pos = m.start()
                end = find(b"\n", pos)
                lines[rfind(b"\n", 0, pos) + 1] = end if end >= 0 else size
        return lines

    def handle(self, buf: bytes, start: int, end: int, line_no: int,
               final: bool) -> tuple[list[Record] | None, int]:
        """Parse the record starting at `buf[start:end]` (one line); return (records or None, next position)."""
        raw = buf[start:end]
        text = decode_line(raw) if len(raw) <= LONG_LINE else decode_long(raw, self.anchors)
        if self.prefixed and end + 1 < len(buf) and buf[end + 1] in FOLD_BYTES and self.has_prefix(text):
            return self.parse_folded(text, buf, end, line_no, final)
        recs = self.parse_line(text, line_no)
        if recs is None:
            if self.has_prefix(text):
                return self.retry_joined(text, buf, end, line_no, final)
            return self.join_back(text, buf, start, end, line_no, final)
        return recs, end + 1

    anchors: tuple[bytes, ...] = ()
    """Fixed words between two attacker fields, kept when an over-long line is cut (see `fixed.decode_long`)."""

    def has_prefix(self, text: str) -> bool:
        """Whether `text` starts with this dialect's own log prefix (False: no dialect-specific knowledge)."""
        return False

    def parse_folded(self, text: str, buf: bytes, end: int, line_no: int, final: bool):
        """A line whose next line starts with a space or tab: a header folded with CR/LF went on there (SIP allows
        it), so the line's true end is on that next line and only the two together are the PBX's line; the first
        part alone may end in a tail the attacker wrote."""
        joined = join_continuations(buf, end, final, self.has_prefix)
        if joined is None:
            return None, PENDING
        more, nxt = joined
        return self.parse_line(text + " " + more if more else text, line_no), nxt

    def join_back(self, text: str, buf: bytes, start: int, end: int, line_no: int, final: bool):
        """An unprefixed line holding a keyword: the rest of the prefixed line before it, split by a CR/LF."""
        if start == 0 or not self.prefixed:
            return None, end + 1
        prev_start = buf.rfind(b"\n", 0, start - 1) + 1
        prev = decode_long(buf[prev_start:start - 1], self.anchors)
        if not self.has_prefix(prev):
            return None, end + 1
        if self.parse_line(prev, line_no - 1) is not None:
            return [], end + 1  # the line before was whole: this is the rest of one of its fields, nobody's line
        # the line before is in this buffer, and must not be waited for again: take what follows as it stands
        more, nxt = join_continuations(buf, end, True, self.has_prefix) or ("", end + 1)
        recs = self.parse_line(" ".join(p for p in (prev, text, more) if p), line_no - 1)
        return (recs, nxt) if recs is not None else (None, end + 1)

    prefixed = False
    """Whether this dialect's lines carry a prefix `has_prefix` knows (then a CR/LF-split line is put together)."""

    def retry_joined(self, text: str, buf: bytes, end: int, line_no: int, final: bool):
        """A prefixed line that did not parse, tried again with the unprefixed lines after it: a CR/LF inside a
        header splits one log line into several, and the fixed tail then stands on a line of its own."""
        joined = join_continuations(buf, end, final, self.has_prefix)
        if joined is None:
            return None, PENDING
        more, nxt = joined
        if more:
            recs = self.parse_line(text + " " + more, line_no)
            if recs is not None:
                return recs, nxt
        return None, end + 1

    def parse_line(self, text: str, line_no: int) -> list[Record] | None:
        """Records from one line: a list (possibly empty: understood, nothing to report) or None (not understood)."""
        raise NotImplementedError


def count_lines(buf: bytes, final: bool, start: int = 0) -> int:
    """Physical lines in `buf[start:]` (at EOF, `final`, a last line without a newline counts too)."""
    n = buf.count(b"\n", start)
    if final and buf and not buf.endswith(b"\n"):
        n += 1
    return n
