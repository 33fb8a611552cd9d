""""It rang but nobody was there": did the PBX see that call? If not, the phone itself is reachable.

A ghost call that never passed the PBX leaves no line in its logs: a scanner sent its INVITE straight to the
phone's own address. Then no PBX setting helps; the phone must accept calls only from the PBX and the router must
not forward SIP to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ..text import display_text


class History(Protocol):
    """What this needs of the history (store.queries.HistoryReader); core never opens or imports the store."""

    def span(self) -> tuple[float, float] | None: ...

    def between(self, start: float, end: float, limit: int = 2000) -> list[Any]: ...

    def watched(self) -> list[tuple[float, float]]: ...


StoredEvent = Any  # store.queries.StoredEvent: kind, epoch, verdict, caller_id, source_ip, extension, time, to_json()

WINDOW_SECONDS = 300.0
"""How far around the time the user gives to look: people remember a ring to within a few minutes."""
PHONE_STEPS = ("restrict-to-proxy", "block-direct-ip", "check-invite-user", "register-lan")
PBX_STEPS = ("validate-incoming", "trusted-sources", "block-direct-ip")


@dataclass
class RingAnswer:
    verdict: str                    # pbx_saw_it | pbx_never_saw_it | not_watching
    explanation: str
    steps: tuple[str, ...] = ()     # checklist steps to open, in order
    calls: list[StoredEvent] = field(default_factory=list)
    other_nearby: int = 0           # probes and failed logins around that time

    def to_json(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "explanation": self.explanation, "steps": list(self.steps),
                "calls": [c.to_json() for c in self.calls], "other_nearby": self.other_nearby}


def explain_ring(reader: History, when: float, window: float = WINDOW_SECONDS) -> RingAnswer:
    """What the history says about a ring at `when` (epoch seconds)."""
    try:
        stamp = datetime.fromtimestamp(when).strftime("%d %b %Y %H:%M")
    except (OverflowError, ValueError, OSError):  # year 1 or 10000 from a typo: nothing was logged then
        return RingAnswer("not_watching", "That is not a time GhostWatch can have seen: give a date between 1970 "
                          "and 9998.")
    span = reader.span()
    logged = span is not None and span[0] - window <= when <= span[1] + window
    # a quiet PBX logs nothing for hours while the monitor watches: its sessions count as seen time too
    watching = any(since - window <= when <= until + window for since, until in reader.watched())
    if not (logged or watching):
        return RingAnswer("not_watching", f"GhostWatch has no log records from around {stamp}: it was not reading "
                          "your phone system's logs then (or the logs do not go back that far), so it cannot tell "
                          "whether the call passed the phone system.")
    rows = reader.between(when - window, when + window)
    # only a call the phone system let through can have rung a phone: a refused one (a blocked toll-fraud attempt,
    # a scanner's INVITE) rang nothing and counts with the other refused requests
    calls = sorted((r for r in rows if r.kind == "call" and r.outcome != "rejected"), key=lambda r: abs(r.epoch - when))
    others = len(rows) - len(calls)
    if calls:
        flagged = [c for c in calls if str(c.verdict) in ("ghost", "attack", "suspicious")]
        if flagged:
            text = (f"Your phone system saw {len(calls)} call(s) around {stamp}; {len(flagged)} of them look like "
                    f"ghost or attack calls (the closest: {_describe(flagged[0])}). The call came through the "
                    "phone system: these steps stop it there.")
        else:
            text = (f"Your phone system saw {len(calls)} call(s) around {stamp} and none looked like a scanner "
                    f"(the closest: {_describe(calls[0])}). It may have been a real caller who hung up early.")
        return RingAnswer("pbx_saw_it", text, PBX_STEPS if flagged else (), calls[:20], others)
    knocking = (f" Scanners were knocking on the phone system at that time ({others} refused requests), so "
                "they were around." if others else "")
    return RingAnswer("pbx_never_saw_it", f"Your phone system logged no call around {stamp}. So the call never went "
                      "through it: it went straight to the phone, which means the phone itself can be reached from "
                      "the internet (a port forwarded to it, or a public address)." + knocking
                      + " Change these settings on the phone, and remove any port forwarding to phones on the "
                        "router.", PHONE_STEPS, [], others)


def _describe(ev: StoredEvent) -> str:
    """One call in words; caller ID and extension come from the log (attacker-controlled): cleaned and cut."""
    who = display_text(ev.caller_id or ev.source_ip or "unknown caller", 40)
    to = f" to {display_text(ev.extension, 40)}" if ev.extension else ""
    how = {"rang": ", it rang and nobody answered", "answered": ", answered"}.get(ev.outcome or "", "")
    return f"{display_text(ev.time or '?', 25)} from {who}{to}{how}, {ev.verdict}"
