"""Timestamps as PBX logs write them, turned into ISO 8601 text and epoch seconds."""

from __future__ import annotations

import re
from datetime import UTC, datetime

MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                                      "Dec"), start=1)}

_ISO = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d\d)(?::(\d\d)(?:[.,](\d{1,6}))?)?"
                  r"(Z|[+-]\d\d:?\d\d)?")
_BSD = re.compile(r"([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d\d):(\d\d):(\d\d)(?:[.,](\d{1,6}))?")
_MONTH_DAY = re.compile(r"(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:[.,](\d{1,6}))?")  # `08-03 07:56:53.026292`


class Clock:
    """Infers the year of year-less dates (`Nov  5 03:00:10`) in one file, never from today's date alone.

    The reference is the file's modification time (or now, for a file being followed): no line is newer than it.
    Before any dated neighbour, a month later in the year than the reference's belongs to the year before. After
    that, the year follows the file's neighbours: a full date seen on a line (`note`, e.g. an ISO timestamp or a
    security event's EventTV) or the year given to the line before; a month that drops by more than half a year
    from its neighbour's has crossed New Year.
    """

    def __init__(self, reference: datetime) -> None:
        self.year = reference.year
        self.month = reference.month
        self._last: tuple[int, int] | None = None   # (year, month) of the nearest dated neighbour

    @property
    def neighbour(self) -> tuple[int, int] | None:
        return self._last

    def note(self, year: int, month: int) -> None:
        """A line gave its full date: year-less lines near it share its year."""
        if 1 <= month <= 12 and (year, month) <= (self.year + 1, 12):
            self._last = (year, month)

    def year_for(self, month: int) -> int:
        if self._last is None:
            year = self.year - 1 if month > self.month else self.year
        else:
            last_year, last_month = self._last
            year = last_year
            if month < last_month - 6:
                year += 1          # December, then January: New Year passed between the lines
            elif month > last_month + 6:
                year -= 1          # a line from before the neighbour's New Year (out of order, or rotated in)
            if (year, month) > (self.year, self.month):
                year -= 1          # no line is newer than the file
        self._last = (year, month)
        return year


def parse_time(text: str, clock: Clock | None = None) -> tuple[str | None, float | None]:
    """Parse an ISO-like or `%b %e %T` date at the start of `text` into (iso text, epoch seconds)."""
    m = _ISO.match(text)
    if m:
        y, mo, d, h, mi, s, frac, tz = m.groups()
        if clock is not None:
            clock.note(int(y), int(mo))
        return _build(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), frac, tz)
    m = _BSD.match(text)
    if m:
        mon, d, h, mi, s, frac = m.groups()
        month = MONTHS.get(mon)
        if month is None or clock is None:
            return None, None
        return _build(clock.year_for(month), month, int(d), int(h), int(mi), int(s), frac, None)
    m = _MONTH_DAY.match(text)
    if m and clock is not None:
        mo, d, h, mi, s, frac = m.groups()
        month = int(mo)
        if 1 <= month <= 12:
            return _build(clock.year_for(month), month, int(d), int(h), int(mi), int(s), frac, None)
    return None, None


def _build(y: int, mo: int, d: int, h: int, mi: int, s: int, frac: str | None,
           tz: str | None) -> tuple[str | None, float | None]:
    try:
        dt = datetime(y, mo, d, h, mi, s)
    except ValueError:
        return None, None
    iso = dt.isoformat()
    epoch = dt.replace(tzinfo=UTC).timestamp()
    if frac:
        iso += "." + frac
        epoch += int(frac) / 10 ** len(frac)
    if tz:
        if tz == "Z":
            iso += "Z"
        else:
            sign = 1 if tz[0] == "+" else -1
            digits = tz[1:].replace(":", "")
            offset = sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
            iso += f"{tz[0]}{digits[:2]}:{digits[2:]}"
            epoch -= offset
    return iso, epoch
