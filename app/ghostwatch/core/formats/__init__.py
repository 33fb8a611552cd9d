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
MIN_SCORE = 40


def sniff(lines: list[str], name: str) -> type[Parser] | None:
    """The dialect that best recognises a file from its first lines and its name, or None."""
    best, best_score = None, 0
    for dialect in DIALECTS:
        score = dialect.sniff(lines[:SNIFF_LINES], name.lower())
        if score > best_score:
            best, best_score = dialect, score
    return best if best_score >= MIN_SCORE else None


def by_format(name: str) -> type[Parser] | None:
    return next((d for d in DIALECTS if d.format == name), None)


__all__ = ["DIALECTS", "FeedResult", "Parser", "by_format", "sniff"]
