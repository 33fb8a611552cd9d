"""Reading whole log files (plain or .gz) through their dialect's parser: what `scan` and history imports use."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..core.events import Record
from ..core.formats import Parser, sniff, why_unrecognised
from ..core.formats.base import FeedResult
from ..core.logfiles import ROTATED_DATE, ROTATED_NUM
from ..core.signatures import Signatures
from ..core.text import CUT_MARK, decode_line
from ..core.timeparse import Clock

CHUNK = 1 << 20
"""Bytes read per step. Larger buffers cost memory that grows with the file: after the first big buffer is freed,
glibc raises its mmap threshold and later buffers fragment the heap (4 MiB chunks: 41 -> 51 MiB peak from 100k to
1M lines; 1 MiB: 28 -> 32 MiB, at the same speed)."""
SNIFF_BYTES = 64 << 10
LINE_CAP = 64 << 10
"""Longest line handed to a parser whole. A longer one keeps its first and last LINE_CAP/2 bytes (the PBX's fixed
words sit at both ends; the attacker's field in between) and the rest is skipped up to its newline, so a line
without a newline never grows the carry buffer beyond LINE_CAP. 64 KiB: a SIP message over UDP is at most 65,507
bytes, so a line quoting one header of it fits whole; and it is well above what `decode_line` keeps
(MAX_LINE_CHARS), so cutting here never changes what the parser reads."""
SKIP_SUFFIXES = (".xz", ".bz2", ".zst", ".swp", ".tmp", ".lock", ".pid", ".db", ".sqlite", ".sqlite3")


NOT_A_LOG = "format not recognised"
"""FileStats.error of a file no dialect recognises: skipped, not a failure."""


class ScanError(Exception):
    """A path that cannot be scanned at all (missing, unreadable); the message is for people."""


@dataclass
class FileStats:
    path: str
    format: str | None = None
    lines: int = 0
    records: int = 0
    unrecognised: int = 0
    cut_lines: int = 0      # lines longer than LINE_CAP whose middle was skipped
    samples: list[str] = field(default_factory=list)
    sample_lines: list[int] = field(default_factory=list)  # the samples' line numbers, where the dialect tells them
    error: str | None = None

    @property
    def unread(self) -> bool:
        """The file (or part of it) could not be read: the scan's verdict does not cover it."""
        return self.error is not None and self.error != NOT_A_LOG

    def to_json(self) -> dict:
        return {"path": self.path, "format": self.format, "lines": self.lines, "records": self.records,
                "unrecognised": self.unrecognised, "error": self.error}


def describe_error(exc: BaseException) -> str:
    """A read error in words for a file's `error` (the same whether parsed in-process or in a child)."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}" + (f": {exc.filename}" if exc.filename else "")
    return f"{type(exc).__name__}: {exc}"


def rotation_key(path: Path) -> tuple:
    """Sort key putting rotated files (oldest first) before the live file of the same name."""
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    m = ROTATED_NUM.match(name)
    if m:
        return (str(path.parent), m.group("base"), 0, -int(m.group("n")))
    m = ROTATED_DATE.match(name)
    if m:
        return (str(path.parent), m.group("base"), 0, int(m.group("d")))
    return (str(path.parent), name, 1, 0)


def discover(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files named, and every regular file below named directories, in reading order. Raises ScanError."""
    found: list[Path] = []
    for item in paths:
        p = Path(item)
        if p.is_dir():
            if not os.access(p, os.R_OK | os.X_OK):
                raise ScanError(f"cannot read directory {p}: permission denied")
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in files:
                    if not name.startswith(".") and not name.endswith(SKIP_SUFFIXES):
                        found.append(Path(root) / name)
        elif p.is_file():
            found.append(p)
        elif p.exists():
            raise ScanError(f"not a regular file or directory: {p}")
        else:
            raise ScanError(f"no such file or directory: {p}")
    return sorted(dict.fromkeys(found), key=rotation_key)


def open_log(path: Path):
    """A binary file object for a plain or gzip-compressed log."""
    fh = open(path, "rb")
    if fh.read(2) == b"\x1f\x8b":
        fh.seek(0)
        return gzip.GzipFile(fileobj=fh, mode="rb")
    fh.seek(0)
    return fh


def head_lines(path: Path, limit: int = SNIFF_BYTES) -> list[str]:
    with open_log(path) as fh:
        data = fh.read(limit)
    if b"\x00" in data[:4096] and data.count(b"\x00") > len(data[:4096]) // 8:
        return []  # binary file
    parts = data.split(b"\n")
    if len(data) == limit and len(parts) > 1:
        parts.pop()  # the last line is cut; a single huge first line is still sniffed from its start
    return [decode_line(p) for p in parts if p.strip()]


def logical_name(path: Path) -> str:
    """The file name without rotation suffixes, for sniffing (`messages.1.gz` -> `messages`)."""
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    for regex in (ROTATED_NUM, ROTATED_DATE):
        m = regex.match(name)
        if m:
            return m.group("base")
    return name


def choose_parser(path: Path, signatures: Signatures, clock: Clock | None = None) -> Parser | None:
    lines = head_lines(path)
    dialect = sniff(lines, logical_name(path))
    if dialect is None:
        return None
    if clock is None:
        clock = Clock(datetime.fromtimestamp(path.stat().st_mtime))
    return dialect(str(path), clock, signatures)


def unrecognised_reason(path: Path) -> str:
    """Why `choose_parser` found no dialect for `path` (for FileStats.error: a skipped file is said loudly)."""
    try:
        return why_unrecognised(head_lines(path), logical_name(path))
    except (OSError, EOFError) as exc:
        return f"format not recognised: {exc}"


def iter_batches(path: Path, parser: Parser, stats: FileStats) -> Iterator[list[Record]]:
    """Record batches of the whole file, one per chunk of complete lines; counts go to `stats`."""
    for res in iter_results(path, parser, stats):
        if res.records:
            yield res.records


def iter_results(path: Path, parser: Parser, stats: FileStats) -> Iterator[FeedResult]:
    """The parser's results for the whole file, one per chunk of complete lines; counts go to `stats`."""
    line_no = 1
    carry = b""
    long = LongLine()
    with open_log(path) as fh:
        while True:
            data = fh.read(CHUNK)
            final = not data
            if long.active:
                data = long.feed(data, final)
                if data is None:
                    continue
                stats.cut_lines += 1
            buf = carry + data
            if not final:
                cut = buf.rfind(b"\n") + 1
                if cut == 0:
                    carry = long.start(buf) if len(buf) > LINE_CAP else buf
                    continue
                buf, carry = buf[:cut], buf[cut:]
                if len(carry) > LINE_CAP:
                    carry = long.start(carry)
            else:
                carry = b""
            if not buf:
                break
            res = parser.feed(buf, line_no, final)
            if res.consumed < len(buf) and not final:
                carry = buf[res.consumed:] + carry
            line_no += res.lines
            stats.lines += res.lines
            stats.records += len(res.records)
            stats.unrecognised += res.unrecognised
            room = 3 - len(stats.samples)
            stats.samples.extend(res.samples[:room])
            stats.sample_lines.extend(res.sample_lines[:room])
            if res.records or res.deferred:
                yield res
            if final:
                break


class LongLine:
    """A line longer than LINE_CAP being read: its head, its last bytes so far, and how many bytes were skipped."""

    def __init__(self) -> None:
        self.active = False
        self.head = b""
        self.tail = b""
        self.skipped = 0

    def start(self, part: bytes) -> bytes:
        """Begin cutting the line `part` starts (no newline in it); returns the new (empty) carry."""
        self.active, self.head, self.tail, self.skipped = True, part[: LINE_CAP // 2], b"", 0
        self._more(part[LINE_CAP // 2:])
        return b""

    def feed(self, data: bytes, final: bool) -> bytes | None:
        """The cut line (head, mark, tail, newline) and what follows it in `data`; None while it goes on."""
        nl = data.find(b"\n")
        if nl < 0 and not final:
            self._more(data)
            return None
        self._more(data[:nl] if nl >= 0 else data)
        line = self.head + CUT_MARK.encode() + self.tail + b"\n"
        self.active, self.head, self.tail = False, b"", b""
        return line + (data[nl + 1:] if nl >= 0 else b"")

    def _more(self, part: bytes) -> None:
        keep = LINE_CAP // 2
        self.skipped += len(part)
        self.tail = (self.tail + part)[-keep:] if len(part) < keep else part[-keep:]
