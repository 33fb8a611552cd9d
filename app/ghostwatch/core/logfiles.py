"""Conventions of PBX log files that every layer shares: rotated file names and the log's clock."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

ROTATED_NUM = re.compile(r"^(?P<base>.+?)\.(?P<n>\d{1,3})$")                  # messages.1
ROTATED_DATE = re.compile(r"^(?P<base>.+?)[-.](?P<d>\d{8}(?:\d{2})?)$")       # messages-20261126


def is_rotated_name(name: str) -> bool:
    """`messages.1`, `full-20261126`, anything `.gz`: a rotated file, not the live log."""
    base = name[:-3] if name.endswith(".gz") else name
    return name.endswith(".gz") or bool(ROTATED_NUM.match(base) or ROTATED_DATE.match(base))


def now_epoch(clock: Callable[[], datetime]) -> float:
    """The clock's local wall time as an epoch in the log's convention (local time read as UTC)."""
    return clock().replace(tzinfo=UTC).timestamp()
