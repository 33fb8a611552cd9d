"""Reading attacker-written fields from between the fixed words a PBX writes around them.

Every value a SIP request carries (From, To, Call-ID, User-Agent, the dialled number, a body) is the attacker's
text and may itself contain the words that delimit it. These helpers take a field only where the fixed parts
pin it: an address is accepted only when it is a valid host[:port] followed by the literal that must follow it,
and a field whose end is the end of the line is matched from the end.
"""

from __future__ import annotations

from ..netaddr import split_hostport
from ..text import decode_line

TRUNCATED = " …[truncated]"
"""What `decode_line` appends to a line it cut."""
SYSLOG_HEAD = (r"(?:(?:[A-Z][a-z]{2} )?[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?: \d{4})?"
               r"|\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-][\d:]+)?) \S+ [\w./-]+\[\d+\]: ")
"""A syslog/journald/logread header (`Sep 25 20:55:21 host prog[pid]: `, RFC 3339 stamps, OpenWrt's
`Sat Jul  9 12:06:57 2022 daemon.info prog[pid]: `) before a PBX's own line: written by the logging system."""
HEAD_BYTES = 6144
TAIL_BYTES = 2048
CUT_MARK = " …[cut]… "
"""A line longer than the evidence cap keeps its head and its tail, where every format's fixed parts stand; what is
cut is the middle, which only an attacker's field (a 33 KB Call-ID) can make that long."""


def decode_long(raw: bytes) -> str:
    """`decode_line`, except that an over-long line keeps both its ends (see `CUT_MARK`)."""
    if len(raw) <= HEAD_BYTES + TAIL_BYTES:
        return decode_line(raw)
    return decode_line(raw[:HEAD_BYTES]) + CUT_MARK + decode_line(raw[-TAIL_BYTES:])


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


def ends_with_any(text: str, words: dict[str, object] | tuple[str, ...]) -> str | None:
    """The entry of `words` that `text` (right-stripped) ends with, longest first."""
    t = text.rstrip()
    best = None
    for w in words:
        if t.endswith(w) and (best is None or len(w) > len(best)):
            best = w
    return best
