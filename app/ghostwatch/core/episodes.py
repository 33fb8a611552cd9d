"""Attackers judged over their run of activity (an episode), not one attempt at a time.

A source's run is its attempts with no gap longer than `gap` seconds of log time between them. Once anything in a
run makes the source an attacker (password guessing, extension hunting, a flood, a scanner's hallmarks), every
attempt of that run carries the attack verdict: the earlier ones are upgraded with hindsight (`Run.pending`), the
later ones as they come. Trusted sources are never upgraded. State is bounded: runs that ended are forgotten, and a
run remembers at most `max_pending` undecided attempts.
"""

from __future__ import annotations

import socket
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .classify import headline
from .events import Event, Reason, Verdict, make_event
from .netaddr import is_local

_NOTHING: list = []  # shared, never changed: "no earlier attempt was upgraded"
EPISODE_GAP = 3600.0
"""Seconds of silence that end a source's run at least (fail2ban's findtime is 10 minutes; slow guessers pause
longer: the judge stretches it to the slow-persistence window, a day by default)."""


@dataclass(slots=True)
class Run:
    ip: str
    began: float
    ended: float
    began_time: str | None = None
    ended_time: str | None = None
    attempts: int = 0                        # its attempts (an office phone's normal ones are not part of a run)
    attacker: Reason | None = None           # what made the source an attacker in this run
    pending: list[Any] = field(default_factory=list)  # undecided attempts (objects with `.event`)

    def to_json(self) -> dict[str, Any]:
        return {"began": self.began_time, "ended": self.ended_time, "attempts": self.attempts,
                "attacker": self.attacker is not None}


@lru_cache(maxsize=4096)
def run_key(ip: str) -> str:
    """The key of an address's run: itself, or for IPv6 its /56 (`2001:db8:4a::/56`)."""
    try:
        packed = socket.inet_pton(socket.AF_INET6, ip)
    except (OSError, ValueError):
        return ip
    return socket.inet_ntop(socket.AF_INET6, packed[:7] + bytes(9)) + "/56"


def upgraded(event: Event, reason: Reason) -> Event:
    """`event` with the attack verdict of its run, and the reason that made its source an attacker."""
    record, verdict, reasons, evidence = event
    if verdict is Verdict.ATTACK or verdict is Verdict.GHOST:
        return event
    if reason not in reasons:
        reasons = (*reasons, reason)
    return make_event((record, Verdict.ATTACK, reasons, evidence))


def attacker_reason(event: Event) -> Reason | None:
    """The reason that makes `event`'s source an attacker, or None."""
    verdict = event[1]
    if verdict is Verdict.ATTACK or verdict is Verdict.GHOST:
        return headline(event[2])
    return None


class Restored:
    """An attempt known only from the history (stored before a restart): its run can still upgrade it."""

    __slots__ = ("id", "first", "event", "pending", "closed")

    def __init__(self, eid: int, first: float, event: Event) -> None:
        self.id, self.first, self.event, self.pending, self.closed = eid, first, event, False, True


class Episodes:
    """Runs per source address; see the module docstring."""

    def __init__(self, gap: float = EPISODE_GAP, max_runs: int = 50_000, max_pending: int = 10_000) -> None:
        self.gap = gap
        self.max_runs = max_runs
        self.max_pending = max_pending
        self.runs: OrderedDict[str, Run] = OrderedDict()   # by last activity, oldest first
        self.worst: dict[str, Run] = {}                     # per source: its attacking run, else its latest
        self._done: list[Run] = []                          # runs a new run of their source replaced

    def run_of(self, ip: str | None) -> Run | None:
        return self.runs.get(ip) if ip else None

    def see(self, attempt: Any, event: Event, epoch: float, created: bool, trusted: bool) -> tuple[Event, list[Any]]:
        """Place `attempt` (whose latest judgement is `event`) in its source's run.

        Returns the event as its run judges it, and the earlier attempts of the run whose events were upgraded now
        (their `.event` already replaced)."""
        ip = event[0].source_ip
        verdict = event[1]
        if ip is None or (verdict is Verdict.NORMAL and is_local(ip)):  # an office phone's day is nobody's run
            return event, _NOTHING
        if ":" in ip:  # IPv6: one attacker rotates through its /56 (correlation watches the prefixes too)
            ip = run_key(ip)
        runs = self.runs
        run = runs.get(ip)
        if run is None or epoch - run.ended > self.gap:
            if run is not None and run.pending:
                self._done.append(run)
            run = runs[ip] = Run(ip, epoch, epoch, event[0].time, event[0].time)
            worst = self.worst.get(ip)
            if worst is None or worst.attacker is None:
                self.worst[ip] = run
        else:
            runs.move_to_end(ip)
        if created:
            run.attempts += 1
        if epoch > run.ended:
            run.ended, run.ended_time = epoch, event[0].time or run.ended_time
        if trusted:
            if attempt.pending:  # a judgement that changed its mind about the source: never upgrade it
                attempt.pending = False
            return event, _NOTHING
        if run.attacker is not None:
            return (upgraded(event, run.attacker) if verdict.rank < 2 else event), _NOTHING
        changed: list[Any] = _NOTHING
        reason = attacker_reason(event)
        if reason is not None:
            run.attacker = reason
            self.worst[ip] = run
            changed = []
            for earlier in run.pending:
                earlier.pending = False
                if earlier is not attempt and earlier.event.verdict.rank < Verdict.ATTACK.rank:
                    earlier.event = upgraded(earlier.event, reason)
                    changed.append(earlier)
            run.pending.clear()
            attempt.pending = False
        elif verdict.rank < 2 and not attempt.pending and len(run.pending) < self.max_pending:
            attempt.pending = True
            run.pending.append(attempt)
        if len(runs) > self.max_runs:
            self.forget(epoch)
        return event, changed

    def settled(self, ip: str | None, now: float) -> bool:
        """Whether nothing can upgrade the attempts of `ip`'s current run any more."""
        run = self.runs.get(ip) if ip else None
        return run is None or run.attacker is not None or now - run.ended > self.gap

    def ended(self, now: float) -> list[Run]:
        """Forget the runs that ended before `now` (oldest first) and return them (their pending attempts are
        final as they stand)."""
        out, self._done = self._done, []
        runs = self.runs
        while runs:
            run = next(iter(runs.values()))
            if now - run.ended <= self.gap:
                break
            del runs[run.ip]
            out.append(run)
        return out

    def forget(self, now: float) -> None:
        """Keep memory bounded: drop ended runs, then the oldest runs beyond the cap."""
        self.ended(now)
        while len(self.runs) > self.max_runs:
            self.runs.popitem(last=False)
        if len(self.worst) > 4 * self.max_runs:
            for ip in list(self.worst)[: len(self.worst) // 2]:
                del self.worst[ip]
