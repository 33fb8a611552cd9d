"""Reading attacker-written fields from between the fixed words a PBX writes around them.

Every value a SIP request carries (From, To, Call-ID, User-Agent, the dialled number, a body) is the attacker's
text and may itself contain the words that delimit it. These helpers take a field only where the fixed parts
pin it: an address is accepted only when it is a valid host[:port] followed by the literal that must follow it,
and a field whose end is the end of the line is matched from the end.
"""

from __future__ import annotations

from ..netaddr import split_hostport
from ..text import CUT_MARK, decode_line

TRUNCATED = " …[truncated]"
"""What `decode_line` appends to a line it cut."""
SYSLOG_HEAD = (r"(?:(?:[A-Z][a-z]{2} )?[A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d(?: \d{4})?"
               r"|\d{4}-\d\d-\d\d[T ][\d:.]+(?:Z|[+-][\d:]+)?) \S+ [\w./-]+\[\d+\]: ")
"""A syslog/journald/logread header (`Sep 25 20:55:21 host prog[pid]: `, RFC 3339 stamps, OpenWrt's
`Sat Jul  9 12:06:57 2022 daemon.info prog[pid]: `) before a PBX's own line: written by the logging system."""
HEAD_BYTES = 6144
TAIL_BYTES = 2048
# A line longer than the evidence cap keeps its head and its tail, where every format's fixed parts stand; what is
# cut is the middle (marked CUT_MARK), which only an attacker's field (a 33 KB Call-ID) can make that long.


LONG_LINE = HEAD_BYTES + TAIL_BYTES
"""Lines up to this many bytes are decoded whole (`decode_line`); longer ones by `decode_long`."""
WINDOW = 192
MAX_WINDOWS = 8


def decode_long(raw: bytes, anchors: tuple[bytes, ...] = ()) -> str:
    """`decode_line`, except that an over-long line keeps both its ends and a window around each of the first few
    `anchors` (the fixed words a format writes between two attacker fields), joined by `CUT_MARK`."""
    if len(raw) <= LONG_LINE:
        return decode_line(raw)
    head_end, tail_start = HEAD_BYTES, len(raw) - TAIL_BYTES
    spans: list[tuple[int, int]] = []
    for anchor in anchors:
        pos = raw.find(anchor, head_end - WINDOW, tail_start)
        while pos >= 0 and len(spans) < MAX_WINDOWS:
            spans.append((max(pos - 16, head_end), min(pos + WINDOW, tail_start)))
            pos = raw.find(anchor, pos + len(anchor), tail_start)
    parts = [decode_line(raw[:head_end])]
    last = head_end
    for a, b in sorted(spans):
        if b <= last:
            continue
        a = max(a, last)
        parts.append(("" if a == last else CUT_MARK) + decode_line(raw[a:b]))
        last = b
    parts.append(("" if last == tail_start else CUT_MARK) + decode_line(raw[tail_start:]))
    return "".join(parts)


def join_continuations(buf: bytes, end: int, final: bool, has_prefix, limit: int = 3) -> tuple[str, int] | None:
    """The text of up to `limit` lines after `end` that carry no log prefix of their own (what a CR/LF in a header
    made of one line), joined by spaces, and where they end; ("", end + 1) if none; None when the buffer ends first
    and more may come."""
    parts: list[str] = []
    pos = end + 1
    nxt = end + 1
    size = len(buf)
    while len(parts) < limit:
        if pos >= size:
            if not final:
                return None
            break
        nl = buf.find(b"\n", pos)
        if nl < 0:
            if not final:
                return None
            nl = size
        text = decode_line(buf[pos:nl])
        if not text or has_prefix(text):  # (a line of blanks is a folded header's too)
            break
        parts.append(text)
        pos = nxt = nl + 1
    return " ".join(parts), nxt


def addr_between(text: str, opener: str, closer: str, start: int = 0, end: int | None = None,
                 *, port_always: bool = False) -> list[tuple[int, str | None, int | None]]:
    """Every `opener ADDR closer` in `text[start:end]` whose ADDR is a valid address: (position, ip, port)."""
    found: list[tuple[int, str | None, int | None]] = []
    stop = len(text) if end is None else end
    at = text.find(opener, start, stop)
    while at >= 0:
        a = at + len(opener)
        b = text.find(closer, a, stop)
        if b < 0:
            break
        value = text[a:b]
        if value and len(value) <= 64 and " " not in value and "'" not in value:
            ip, port = split_hostport(value, port_always=port_always)
            if ip is not None:
                found.append((at, ip, port))
        at = text.find(opener, at + 1, stop)
    return found


def first_addr_between(text: str, opener: str, closer: str, start: int = 0, end: int | None = None,
                       *, port_always: bool = False) -> tuple[int, str | None, int | None] | None:
    """The first `opener ADDR closer` in `text[start:end]` whose ADDR is a valid address, or None."""
    stop = len(text) if end is None else end
    at = text.find(opener, start, stop)
    while at >= 0:
        a = at + len(opener)
        b = text.find(closer, a, min(stop, a + 80))
        if b >= 0:
            value = text[a:b]
            if value and " " not in value and "'" not in value:
                ip, port = split_hostport(value, port_always=port_always)
                if ip is not None:
                    return at, ip, port
        at = text.find(opener, at + 1, stop)
    return None


def ends_with_any(text: str, words: dict[str, object] | tuple[str, ...]) -> str | None:
    """The entry of `words` that `text` (right-stripped) ends with, longest first."""
    t = text.rstrip()
    best = None
    for w in words:
        if t.endswith(w) and (best is None or len(w) > len(best)):
            best = w
    return best
