"""Hours of the day (office hours, quiet hours): one type, validated in one place, wrapping past midnight.

`Hours(8, 18)` covers 08:00-17:59; `Hours(22, 6)` covers 22:00-05:59 (a night shift, quiet nights). The text form
is `START-END` in whole hours ("8-18", "22-6"), the same in the settings file, on the command line and in the
monitor's arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Hours:
    start: int  # first hour inside, 0-23
    end: int    # the hour after the last one inside, 0-24; smaller than start: the span wraps past midnight

    def __post_init__(self) -> None:
        for name, value, top in (("start", self.start, 23), ("end", self.end, 24)):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
                raise ValueError(f"the {name} must be a whole hour from 0 to {top}, not {value!r}")
        if self.start == self.end:
            raise ValueError(f"from {self.start} to {self.end} o'clock is no time at all; choose two different hours")

    def __contains__(self, hour: object) -> bool:
        """Whether the hour of day (0-23) falls inside."""
        if not isinstance(hour, int):
            return False
        if self.start < self.end:
            return self.start <= hour < self.end
        return hour >= self.start or hour < self.end

    def __str__(self) -> str:
        return f"{self.start}-{self.end}"

    @property
    def wraps(self) -> bool:
        return self.end < self.start

    def span_text(self) -> str:
        """`22:00-05:59 (overnight)`: the span as a person reads it."""
        last = (self.end - 1) % 24
        return f"{self.start:02d}:00\u2013{last:02d}:59" + (" (overnight)" if self.wraps else "")

    def outside_example(self) -> int:
        """An hour of the day that is not inside (the hour the span ends at)."""
        return self.end % 24


    @classmethod
    def parse(cls, text: str) -> Hours:
        """`START-END` in whole hours ("8-18", "22-6"); ValueError with a message for people otherwise."""
        start, sep, end = text.strip().partition("-")
        if not sep or not start.strip().isdigit() or not end.strip().isdigit():
            raise ValueError(f"give START-END in whole hours, e.g. 8-18 or 22-6 (not {text!r})")
        return cls(int(start), int(end))

    @classmethod
    def of(cls, value: Any) -> Hours | None:
        """From what a settings file or a caller holds: None/empty, an Hours, "22-6", [22, 6] or {start, end}."""
        if value is None or value == "" or value == () or value == []:
            return None
        if isinstance(value, Hours):
            return value
        if isinstance(value, str):
            return cls.parse(value)
        if isinstance(value, dict):
            return cls(value.get("start"), value.get("end"))
        if isinstance(value, (list, tuple)) and len(value) == 2:
            return cls(*value)
        raise ValueError(f"cannot read {value!r} as hours (give START-END, e.g. 8-18)")


def describe(kind: str, hours: Hours | None) -> str:
    """What a setting of hours means, in one sentence, with an example hour on each side: the settings dialog shows
    it under the field, so that 22 to 6 can never be read the wrong way round."""
    whole_day = hours is not None and hours.end % 24 == hours.start
    if kind == "office_hours":
        if hours is None:
            return "Off: the time of day of a call is not judged."
        if whole_day:
            return "The office is open around the clock: no call is outside office hours."
        inside = hours.start
        return (f"The office is open {hours.span_text()}. A call at {inside:02d}:00 is within office hours; one at "
                f"{hours.outside_example():02d}:00 is marked \u201coutside office hours\u201d.")
    if hours is None:
        return "Off: notifications at any hour."
    if whole_day:
        return "No notifications at any hour, except a possible break-in."
    return (f"No notifications {hours.span_text()}, except a possible break-in; at "
            f"{hours.outside_example():02d}:00 they come again.")
