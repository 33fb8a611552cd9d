"""Which events deserve a desktop notification, and in what words. Pure Python: the tray only shows the result.

- The first ghost call or attack from a source notifies at once (a compromise always does, quiet hours or not).
- Whatever else the same source does is counted; `flush` turns it into one summary per source
  ("203.0.113.7 keeps scanning: 240 more scans in 2 minutes"), at most one per source per `summary_every` seconds.
  A source whose first alert the rate limit held back is introduced by its summary, never "still at it".
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
    who: str = "an unknown caller"  # the address (or caller ID) in words, for the summary
    announced: bool = False  # the person was told about this source (a summary then says "more")
    last_notified: float = float("-inf")
    pending: int = 0
    first_pending: float = 0.0
    last_event_id: int = 0
    worst: Verdict = Verdict.NORMAL
    kinds: dict[str, int] = field(default_factory=dict)
    refused: int = 0  # pending calls the PBX refused
    toll: int = 0     # pending calls that dialled abroad without a login (toll fraud)


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
        key = _key(notice.source_ip, notice.caller_id)
        src = self.sources.get(key)
        if src is None:
            if len(self.sources) > 10000:  # a distributed scan: forget the quietest half
                for k in sorted(self.sources, key=lambda k: self.sources[k].last_notified)[:5000]:
                    del self.sources[k]
            src = self.sources[key] = _Source(who=_who(notice) if notice.source_ip else _caller(notice))
        # a ghost call (a phone rang) from a new source may use twice the minute's allowance: it is never folded
        # behind scans and failed logins
        limit = self.max_per_minute * (2 if notice.verdict is Verdict.GHOST else 1)
        if now - src.last_notified >= self.new_source_after and self._room(now, limit):
            src.last_notified = now
            src.pending = 0
            src.announced = True
            src.kinds.clear()
            src.worst = Verdict.NORMAL
            src.refused = src.toll = 0
            return [self._emit(_first(notice), now)]
        if src.pending == 0:
            src.first_pending = now
        src.pending += 1
        src.last_event_id = notice.event_id
        src.kinds[notice.kind] = src.kinds.get(notice.kind, 0) + 1
        if notice.kind == "call":
            src.refused += notice.outcome == "rejected"
            src.toll += any(r.code == "toll_fraud_attempt" for r in notice.reasons)
        if notice.verdict.rank > src.worst.rank:
            src.worst = notice.verdict
        return []

    def repeat(self, source_ip: str | None, caller_id: str | None, verdict: Verdict, kind: str, count: int,
               last_event_id: int) -> None:
        """`count` more events like one already offered from this source (counted for its next summary)."""
        src = self.sources.get(_key(source_ip, caller_id))
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
        for src in self.sources.values():
            if src.pending == 0 or now - src.last_notified < self.summary_every:
                continue
            if not self._room(now):
                break
            out.append(self._emit(_summary(src, now), now))
            src.announced = True
            src.last_notified = now
            src.pending = src.refused = src.toll = 0
            src.kinds.clear()
            src.worst = Verdict.NORMAL
        return out

    # -- limits ---------------------------------------------------------------------------------------------
    def _quiet(self, hour: int | None) -> bool:
        return self.quiet_hours is not None and hour in self.quiet_hours

    def _room(self, now: float, limit: int | None = None) -> bool:
        while self.sent and now - self.sent[0] >= 60.0:
            self.sent.popleft()
        if len(self.sent) >= (limit or self.max_per_minute):
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
               "probe": ("scan", "scans"), "registration": ("login attempt", "login attempts"),
               "other": ("event", "events")}
_DOING = {"call": "keeps calling", "auth_failure": "keeps guessing passwords", "probe": "keeps scanning",
          "registration": "keeps trying to log in", "other": "is still active"}


def _key(source_ip: str | None, caller_id: str | None) -> str:
    return source_ip or f"caller:{caller_id or ''}"


def _who(n: Notice) -> str:
    return display_text(n.source_ip, 45) or "an unknown address"


def _caller(n: Notice) -> str:
    caller = display_text(n.caller_id, 24)
    return f"caller {caller}" if caller else "an unknown caller"


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
        return Notification(title, f"{said} {_why(n)}".strip(), n.event_id)
    if n.verdict is Verdict.ATTACK:
        return Notification(title, _why(n), n.event_id)
    return Notification(f"Suspicious activity from {_who(n)}", _why(n), n.event_id)


def _compromise(n: Notice) -> Notification:
    return Notification("Possible break-in: change a password now",
                        f"{_who(n)} logged in as {display_text(n.extension, 24) or 'an account'} after failing "
                        f"before. Change that account's password and check for calls you did not make.",
                        n.event_id, urgent=True)


def _count(n: int, words: tuple[str, str]) -> str:
    return f"{n:,} {words[0] if n == 1 else words[1]}"


_TOLD = "Open GhostWatch for the details and the firewall rule that stops it."


def _summary(src: _Source, now: float) -> Notification:
    minutes = max(1, round((now - src.first_pending) / 60))
    kind = max(src.kinds.items(), key=lambda kv: kv[1])[0] if src.kinds else "other"
    words = ("ghost call", "ghost calls") if src.worst is Verdict.GHOST and kind == "call" else \
        _KIND_WORDS.get(kind, _KIND_WORDS["other"])
    span = f"{minutes} minute{'s' if minutes != 1 else ''}"
    told = _TOLD
    if kind == "call" and src.toll == src.pending:  # say what the calls were after, and whether they got through
        words = ("toll-fraud attempt", "toll-fraud attempts")
    if kind == "call" and src.refused == src.pending:
        told = "The PBX refused every one: nothing rang, nothing was dialled. " + told
    if not src.announced:  # its first alert was held back: introduce it, do not say "still"
        return Notification(f"{_count(src.pending, words).capitalize()} from {src.who} in {span}", told,
                            src.last_event_id)
    more = f"{src.pending:,} more {words[0] if src.pending == 1 else words[1]}"
    who = src.who[:1].upper() + src.who[1:]
    refused = "The PBX refused every one: nothing rang, nothing was dialled. " if told != _TOLD else ""
    return Notification(f"{who} {_DOING.get(kind, _DOING['other'])}: {more} in {span}",
                        refused + "GhostWatch records every one. Open it for the details and the firewall rule that "
                                  "stops it.", src.last_event_id)
