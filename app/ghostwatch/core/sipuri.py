"""Pulling display name, user and host out of SIP name-addr text (From, To, Contact, Request-URI)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import unquote

_URI = re.compile(r"(?:sips?|tel):(?:(?P<user>[^@;>?\s]*)@)?(?P<host>\[[^\]]*\]|[^:;>?\s]*)(?::(?P<port>\d+))?",
                  re.IGNORECASE)


class NameAddr(NamedTuple):
    display: str | None
    user: str | None
    host: str | None


@lru_cache(maxsize=1024)
def parse_name_addr(text: str | None) -> NameAddr:
    """Display name, user and host of a name-addr; the same few From/To values repeat, so results are kept."""
    if not text:
        return NameAddr(None, None, None)
    return _parse(text)


def _parse(text: str) -> NameAddr:
    s = text.strip()
    display: str | None = None
    if s.startswith('"'):
        end = s.find('"', 1)
        while end > 0 and s[end - 1] == "\\":
            end = s.find('"', end + 1)
        if end > 0:
            display = s[1:end].replace('\\"', '"')
            s = s[end + 1:]
    else:
        lt = s.find("<")
        if lt > 0:
            display = s[:lt].strip() or None
    m = _URI.search(s)
    if not m:
        return NameAddr(display or None, None, None)
    user = m.group("user")
    host = m.group("host")
    if host and host.startswith("["):
        host = host[1:-1]
    if user is not None:
        user = unquote(user)
    return NameAddr(display or None, user or None, host or None)
