"""Many offices, one view: what `ghostwatch watch` exports to a fleet's monitoring stack (no Qt).

- `metrics`: Prometheus metrics served by `prometheus_client` (`watch --metrics HOST:PORT`).
- `forward`: events as RFC 5424 syslog messages to a collector (`watch --forward syslog://HOST:PORT`), with a
  bounded disk spool (`spool`) so an unreachable collector loses nothing it does not say it lost.
- `hooks`: the glue `watch` subscribes with (its callbacks, the site name).
Both are off unless asked for; nothing here runs in the desktop app.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

SITE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_site(name: str) -> str:
    """A site name as given by `--site`: letters, digits, `.`, `_`, `-` (a label value and a JSON string)."""
    if not SITE_PATTERN.fullmatch(name):
        raise ValueError("use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return name


class FirstSeen:
    """Tells a first sighting from an update by history id (ids grow with every stored event)."""

    def __init__(self) -> None:
        self._max = 0
        self._lock = threading.Lock()

    def split(self, ids: Iterable[int], count: int) -> list[bool]:
        """For each of `count` events (ids where known): True when first seen."""
        ids = list(ids)
        out: list[bool] = []
        with self._lock:
            start, seen = self._max, set()
            for i in range(count):
                eid = ids[i] if i < len(ids) else 0
                fresh = not eid or (eid > start and eid not in seen)
                if eid:
                    seen.add(eid)
                    self._max = max(self._max, eid)
                out.append(fresh)
        return out
