"""Log dialects, one module each, and the registry that sniffs which one a file is written in."""

from __future__ import annotations

from .asterisk import AsteriskParser
from .asterisk_cdr import AsteriskCdrParser
from .base import FeedResult, Parser
from .freeswitch import FreeswitchParser
from .freeswitch_cdr import FreeswitchCdrParser
from .kamailio import KamailioParser

DIALECTS: tuple[type[Parser], ...] = (
    AsteriskParser, AsteriskCdrParser, FreeswitchParser, FreeswitchCdrParser, KamailioParser,
)
SNIFF_LINES = 40
"""Lines a dialect weighs for how much of a file's start is its own; content markers are looked for deeper."""
DEEP_LINES = 2000
MIN_SCORE = 40


def sniff(lines: list[str], name: str) -> type[Parser] | None:
    """The dialect that best recognises a file from its content (its first lines, and deeper: a console capture
    may open with shell output) and its name, or None."""
    best, best_score = None, 0
    for dialect in DIALECTS:
        score = dialect.sniff(lines[:DEEP_LINES], name.lower())
        if score > best_score:
            best, best_score = dialect, score
    return best if best_score >= MIN_SCORE else None


def why_unrecognised(lines: list[str], name: str) -> str:
    """Why no dialect took a file, for people: said loudly, since the file's attacks would go unseen."""
    if not lines:
        return "format not recognised: the file is empty or binary"
    first = lines[0].strip()
    if len(first) > 60:
        first = first[:57] + "..."
    return (f"format not recognised: none of the first {min(len(lines), DEEP_LINES)} lines is an Asterisk, "
            f"FreeSWITCH or Kamailio log line, a SIP trace marker or a CDR row (first line: {first!r}); "
            f"the file was skipped")


def by_format(name: str) -> type[Parser] | None:
    return next((d for d in DIALECTS if d.format == name), None)


__all__ = ["DIALECTS", "FeedResult", "Parser", "by_format", "sniff", "why_unrecognised"]
