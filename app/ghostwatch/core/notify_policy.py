"""Which events deserve a desktop notification, and in what words. Pure Python: the tray only shows the result.

- The first ghost call or attack from a source notifies at once (a compromise always does, quiet hours or not).
- Whatever else the same source does is counted; `flush` turns it into one summary per source
  ("Scanner 203.0.113.7: 240 probes in 2 minutes"), at most one per source per `summary_every` seconds.
- Never more than `max_per_minute` notifications in any minute, whatever the flood: the rest are folded into the
  next summary. Quiet hours hold back everything but a compromise.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from .classify import headline
from .events import Reason, Verdict
from .hours import Hours
from .summary_words import attempt_title, rang
from .text import display_text

LEVELS = {
    "off": frozenset(),
    "ghost": frozenset({Verdict.GHOST}),
    "attack": frozenset({Verdict.GHOST, Verdict.ATTACK}),
    "suspicious": frozenset({Verdict.GHOST, Verdict.ATTACK, Verdict.SUSPICIOUS}),
}
LEVEL_LABELS = {"off": "Never", "ghost": "Ghost calls only", "attack": "Ghost calls and attacks",
                "suspicious": "Everything suspicious"}


@dataclass(frozen=True)
class Notice:
    """What the policy needs to know about one stored event."""

    event_id: int
    verdict: Verdict
    kind: str
    source_ip: str | None
    caller_id: str | None
    extension: str | None
    reasons: tuple[Reason, ...]
    hour: int | None = None  # the event's hour of day, for quiet hours
    outcome: str | None = None  # for calls: rang / answered / rejected / unknown
    user_agent: str | None = None

    @property
    def compromise(self) -> bool:
        return any(r.code == "compromise" for r in self.reasons)


@dataclass(frozen=True)
class Notification:
    title: str
    body: str
    event_id: int
    urgent: bool = False


@dataclass
class _Source:
    last_notified: float = float("-inf")
    pending: int = 0
    first_pending: float = 0.0
    last_event_id: int = 0
    worst: Verdict = Verdict.NORMAL
    kinds: dict[str, int] = field(default_factory=dict)


class NotifyPolicy:
    def __init__(self, level: str = "attack", quiet_hours: Hours | None = None, max_per_minute: int = 4,
                 new_source_after: float = 6 * 3600.0, summary_every: float = 120.0) -> None:
        if level not in LEVELS:
            raise ValueError(f"unknown notification level {level!r}")
        self.level = level
        self.quiet_hours = Hours.of(quiet_hours)
        self.max_per_minute = max_per_minute
        self.new_source_after = new_source_after
        self.summary_every = summary_every
        self.sources: dict[str, _Source] = {}
        self.sent: deque[float] = deque()
        self.folded = 0  # notifications held back by the rate limit, to mention in the next one

    # -- input ----------------------------------------------------------------------------------------------
    def offer(self, notice: Notice, now: float) -> list[Notification]:
        """An event arrived (`now` is the wall clock, monotonic seconds); returns what to show at once."""
        if notice.compromise:
            return [self._emit(_compromise(notice), now, force=True)]
        if notice.verdict not in LEVELS[self.level] or self._quiet(notice.hour):
            return []
        key = notice.source_ip or f"caller:{notice.caller_id or '?'}"
        src = self.sources.get(key)
        if src is None:
            if len(self.sources) > 10000:  # a distributed scan: forget the quietest half
                for k in sorted(self.sources, key=lambda k: self.sources[k].last_notified)[:5000]:
                    del self.sources[k]
            src = self.sources[key] = _Source()
        if now - src.last_notified >= self.new_source_after and self._room(now):
            src.last_notified = now
            src.pending = 0
            return [self._emit(_first(notice), now)]
        if src.pending == 0:
            src.first_pending = now
        src.pending += 1
        src.last_event_id = notice.event_id
        src.kinds[notice.kind] = src.kinds.get(notice.kind, 0) + 1
        if notice.verdict.rank > src.worst.rank:
            src.worst = notice.verdict
        return []

    def repeat(self, source_ip: str | None, caller_id: str | None, verdict: Verdict, kind: str, count: int,
               last_event_id: int) -> None:
        """`count` more events like one already offered from this source (counted for its next summary)."""
        src = self.sources.get(source_ip or f"caller:{caller_id or '?'}")
        if src is None or count <= 0:
            return
        if src.pending == 0:
            src.first_pending = src.last_notified if src.last_notified != float("-inf") else 0.0
        src.pending += count
        src.kinds[kind] = src.kinds.get(kind, 0) + count
        src.last_event_id = max(src.last_event_id, last_event_id)
        if verdict.rank > src.worst.rank:
            src.worst = verdict

    def flush(self, now: float) -> list[Notification]:
        """Summaries of what sources did since they were last mentioned (call every few seconds)."""
        out: list[Notification] = []
        for key, src in self.sources.items():
            if src.pending == 0 or now - src.last_notified < self.summary_every:
                continue
            if not self._room(now):
                break
            out.append(self._emit(_summary(key, src, now), now))
            src.last_notified = now
            src.pending = 0
            src.kinds.clear()
            src.worst = Verdict.NORMAL
        return out

    # -- limits ---------------------------------------------------------------------------------------------
    def _quiet(self, hour: int | None) -> bool:
        return self.quiet_hours is not None and hour in self.quiet_hours

    def _room(self, now: float) -> bool:
        while self.sent and now - self.sent[0] >= 60.0:
            self.sent.popleft()
        if len(self.sent) >= self.max_per_minute:
            self.folded += 1
            return False
        return True

    def _emit(self, n: Notification, now: float, force: bool = False) -> Notification:
        self.sent.append(now)
        if self.folded and not force:
            n = Notification(n.title, n.body + f"\n({self.folded} more alerts were folded to keep things calm; "
                                              f"see the window.)", n.event_id, n.urgent)
            self.folded = 0
        return n


# -- the words ----------------------------------------------------------------------------------------------
_KIND_WORDS = {"call": ("call", "calls"), "auth_failure": ("failed login", "failed logins"),
               "probe": ("probe", "probes"), "registration": ("registration", "registrations"),
               "other": ("event", "events")}


def _who(n: Notice) -> str:
    return display_text(n.source_ip or "an unknown address", 45)


def _why(n: Notice) -> str:
    top = headline(n.reasons)
    return display_text(top.text, 200) if top else ""


def _first(n: Notice) -> Notification:
    title = attempt_title(n.verdict, n.kind, n.outcome, n.source_ip, n.caller_id, n.extension,
                          [r.code for r in n.reasons], n.user_agent)
    if n.verdict is Verdict.GHOST:
        to = f" to extension {display_text(n.extension, 16)}" if n.extension else ""
        if rang(n.outcome):
            said = f"A call{to} from {_who(n)} rang and nobody was there."
        elif n.outcome == "rejected":
            said = f"The PBX refused a call{to} from {_who(n)}: no phone rang."
        else:
            said = f"A call{to} came from {_who(n)}."
        return Notification(title, f"{said} {_why(n)}", n.event_id)
    if n.verdict is Verdict.ATTACK:
        return Notification(title, _why(n), n.event_id)
    return Notification(f"Suspicious activity from {_who(n)}", _why(n), n.event_id)


def _compromise(n: Notice) -> Notification:
    return Notification("Possible break-in: change a password now",
                        f"{_who(n)} logged in as {display_text(n.extension, 24) or 'an account'} after failing "
                        f"before. Change that account's password and check for calls you did not make.",
                        n.event_id, urgent=True)


def _summary(key: str, src: _Source, now: float) -> Notification:
    minutes = max(1, round((now - src.first_pending) / 60))
    kind, count = max(src.kinds.items(), key=lambda kv: kv[1]) if src.kinds else ("other", src.pending)
    words = _KIND_WORDS.get(kind, _KIND_WORDS["other"])
    what = words[0] if src.pending == 1 else words[1]
    label = "Ghost calls" if src.worst is Verdict.GHOST else "Scanner" if src.worst is Verdict.ATTACK else "Source"
    who = display_text(key.removeprefix("caller:"), 45)
    span = f"{minutes} minute{'s' if minutes != 1 else ''}"
    return Notification(f"{label} {who}: {src.pending} {what} in {span}",
                        f"{who} is still at it. GhostWatch keeps recording every event; open the window for "
                        f"details and the firewall rule that stops it.", src.last_event_id)
