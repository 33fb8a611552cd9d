"""One event per real-world attempt: the log lines of one call, login or probe joined across a PBX's logs.

A PBX writes one attempt to several places: Asterisk's `full` (res_pjsip NOTICE, dialplan trace, "is ringing") and
`security` (SecurityEvent) and the CDR; FreeSWITCH's log lines by channel UUID and its CDR. Lines are joined by what
the PBX itself shares between them (join keys), and where nothing is shared, by the same source address, account
and second:

- strong keys, written by the PBX: Asterisk's call id (`ast:C-0000001a`), channel names (`chan:PJSIP/…-0000001a`),
  CDR uniqueid/linkedid (`uid:…`), FreeSWITCH channel UUIDs (`fs:…`). Any number of lines may join by them.
- weak keys, written by the caller: the SIP Call-ID (`sip:…`), and the (address, account, second) fallback. A
  scanner may reuse one Call-ID for every attempt, so a weak key joins at most one line per log format to an
  attempt (a NOTICE and its SecurityEvent, a SIP trace block and its NOTICE), and never lines of two addresses.

Joining is incremental: `add` returns the attempt a record created or enriched at once (live following shows it
immediately and updates it as its other lines arrive); an attempt stays open for joining for a window of log time
after its last line (`expire`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from itertools import count
from typing import Any

from .events import Evidence, Kind, Outcome, Record

ENRICH_ONLY = "enrich_only"
"""A record tag: this line only adds to a call already seen ("is ringing"); alone it is nobody's event."""

CALL_WINDOW = 3600.0
"""Seconds of log time a call stays open after its last line: its CDR row is written when it hangs up."""
ATTEMPT_WINDOW = 5.0
"""Seconds a login or probe stays open: its lines in other logs are written in the same second."""

_STRONG = ("ast:", "chan:", "uid:", "fs:")
_KIND_RANK = {Kind.CALL: 4, Kind.AUTH_FAILURE: 3, Kind.REGISTRATION: 2, Kind.PROBE: 1, Kind.OTHER: 0}
_OUTCOME_RANK = {None: 0, Outcome.UNKNOWN: 1, Outcome.REJECTED: 2, Outcome.RANG: 3, Outcome.ANSWERED: 4}
# Fields a later line fills when the first lines left them empty.
_FILL = ("source_ip", "source_port", "caller_id", "caller_name", "extension", "user_agent", "call_id", "time",
         "epoch", "detail", "method", "from_host", "ruri_host", "context", "channel", "external", "billsec",
         "duration")


def evidence_of(rec: Record) -> Evidence:
    return Evidence(rec.file, rec.line, rec.format, rec.raw)


def join_keys(rec: Record) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(strong keys, weak keys) of a record: its parser's `refs` and what its fields name."""
    strong: list[str] = []
    weak: list[str] = []
    for ref in rec.refs:
        (strong if ref.startswith(_STRONG) else weak).append(ref)
    fmt, call_id = rec.format, rec.call_id
    if call_id:
        if fmt == "asterisk" and call_id.startswith("C-") and len(call_id) == 10:
            strong.append("ast:" + call_id)
        elif fmt == "asterisk_cdr":
            strong.append("uid:" + call_id)
        elif fmt.startswith("freeswitch") and _is_uuid(call_id):
            strong.append("fs:" + call_id)
        else:
            weak.append("sip:" + call_id)
    if rec.channel and rec.kind is Kind.CALL:
        strong.append("chan:" + rec.channel)
    return tuple(dict.fromkeys(strong)), tuple(dict.fromkeys(weak))


def _is_uuid(text: str) -> bool:
    return len(text) == 36 and text.count("-") == 4


@dataclass(eq=False, slots=True)
class Attempt:
    """One real-world attempt being assembled: its lines, their merged fields, what joins more lines to it."""

    id: int
    records: list[Record]
    record: Record                 # the merged record (fields from whichever line had them)
    first: float                   # log time of its first line (the clock it is filed under)
    last: float                    # log time of its latest line
    formats: set[str]              # formats that joined by weak keys (one line each)
    keys: set[str]
    observed: bool = False         # correlation has counted it (once, when its source address was known)
    behaviour: tuple = ()          # the correlation reasons it got then
    closed: bool = False
    event: Any = None              # its latest judgement (core/judge.py)
    pending: bool = False          # its run may still upgrade it (core/episodes.py)
    done: bool = False             # `scan` has printed it

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return tuple(map(evidence_of, self.records))


def merge(records: list[Record]) -> Record:
    """One record from an attempt's lines: the first line's, with empty fields filled from the others."""
    first = records[0]
    if len(records) == 1:
        return first
    values = first._asdict()
    kind, outcome = first.kind, first.outcome
    tags = list(first.tags)
    raw = list(first.raw)
    refs = list(first.refs)
    anonymous, challenge = first.anonymous, first.challenge
    epoch, time = first.epoch, first.time
    for rec in records[1:]:
        for name in _FILL:
            if values[name] is None:
                value = getattr(rec, name)
                if value is not None:
                    values[name] = value
        if _KIND_RANK[rec.kind] > _KIND_RANK[kind]:
            kind = rec.kind
        if _OUTCOME_RANK[rec.outcome] > _OUTCOME_RANK[outcome]:
            outcome = rec.outcome
        tags.extend(t for t in rec.tags if t not in tags)
        raw.extend(rec.raw)
        refs.extend(r for r in rec.refs if r not in refs)
        anonymous = anonymous or rec.anonymous
        challenge = challenge and rec.challenge
        if rec.epoch is not None and (epoch is None or rec.epoch < epoch):
            epoch, time = rec.epoch, rec.time
    values.update(kind=kind, outcome=outcome, tags=tuple(t for t in tags if t != ENRICH_ONLY), raw=tuple(raw),
                  refs=tuple(refs), anonymous=anonymous, challenge=challenge, epoch=epoch, time=time)
    return Record(**values)


class Joiner:
    """Groups records, arriving in time order, into attempts. See the module docstring."""

    def __init__(self, start_id: int = 1, capacity: int = 100_000) -> None:
        self._ids = count(start_id)
        self.capacity = capacity
        # open attempts by last activity, oldest first: calls (long window) apart from the rest (short window)
        self.calls: OrderedDict[int, Attempt] = OrderedDict()
        self.others: OrderedDict[int, Attempt] = OrderedDict()
        self._by_key: dict[str, Attempt] = {}
        self.now = float("-inf")
        self.joined = 0                                          # lines that joined an existing attempt

    def __len__(self) -> int:
        return len(self.calls) + len(self.others)

    def add(self, rec: Record) -> tuple[Attempt | None, bool]:
        """The attempt `rec` belongs to and whether it was created by it; (None, False) for an enrich-only line
        that matched nothing."""
        epoch = rec.epoch
        if epoch is not None and epoch > self.now:
            self.now = epoch
        strong, weak = join_keys(rec)
        fallbacks = _fallback_keys(rec)
        attempt = self._find(rec, strong, weak, fallbacks)
        if attempt is None:
            if ENRICH_ONLY in rec.tags:
                return None, False
            when = epoch if epoch is not None else self.now
            attempt = Attempt(next(self._ids), [rec], rec, when, when, set(), set())
            created = True
        else:
            (self.calls if attempt.record.kind is Kind.CALL else self.others).pop(attempt.id, None)
            attempt.records.append(rec)
            attempt.record = merge(attempt.records)
            if epoch is not None and epoch > attempt.last:
                attempt.last = epoch
            self.joined += 1
            created = False
        if not strong:
            attempt.formats.add(rec.format)
        by_key = self._by_key
        for key in (*strong, *weak, *fallbacks[:2]):
            attempt.keys.add(key)
            by_key[key] = attempt
        opened = self.calls if attempt.record.kind is Kind.CALL else self.others
        opened[attempt.id] = attempt
        if len(opened) > self.capacity:
            self._close(next(iter(opened.values())))
        return attempt, created

    def _find(self, rec: Record, strong: tuple[str, ...], weak: tuple[str, ...],
              fallbacks: tuple[str, ...]) -> Attempt | None:
        by_key = self._by_key
        for key in strong:
            found = by_key.get(key)
            if found is not None and not _conflict(found.keys, strong):
                return found
        for key in (*weak, *fallbacks):
            found = by_key.get(key)
            if (found is not None and rec.format not in found.formats
                    and _same_source(found.record.source_ip, rec.source_ip)):
                return found
        return None

    def expire(self, now: float | None = None) -> list[Attempt]:
        """Close the attempts whose window has passed at log time `now` (default: the latest line's time).
        Cheap: only the oldest attempts of each kind are looked at."""
        now = self.now if now is None else now
        closed: list[Attempt] = []
        for opened, window in ((self.others, ATTEMPT_WINDOW), (self.calls, CALL_WINDOW)):
            while opened:
                attempt = next(iter(opened.values()))
                if attempt.last + window >= now:
                    break
                self._close(attempt)
                closed.append(attempt)
        return closed

    def drain(self) -> list[Attempt]:
        """Close every open attempt (end of a scan), oldest first."""
        closed = sorted([*self.others.values(), *self.calls.values()], key=lambda a: a.id)
        for attempt in closed:
            self._close(attempt)
        return closed

    def _close(self, attempt: Attempt) -> None:
        attempt.closed = True
        self.calls.pop(attempt.id, None)
        self.others.pop(attempt.id, None)
        by_key = self._by_key
        for key in attempt.keys:
            if by_key.get(key) is attempt:
                del by_key[key]


def _fallback_keys(rec: Record) -> tuple[str, ...]:
    """Address + account + second, for the lines of one login that share nothing else (chan_sip and its
    SecurityEvent; a line whose address could not be trusted joins by account + second alone). The first two are
    registered; the others, the second before, are only looked up. Calls never join this way."""
    if rec.kind is Kind.CALL or rec.epoch is None or not rec.extension:
        return ()
    sec = int(rec.epoch)
    ext = rec.extension
    ip = rec.source_ip or ""
    return (f"at:{ip}|{ext}|{sec}", f"acct:{ext}|{sec}", f"at:{ip}|{ext}|{sec - 1}", f"acct:{ext}|{sec - 1}")


def _conflict(have: set[str], keys: tuple[str, ...]) -> bool:
    """Whether two sets of a call's keys name different calls: channel names repeat after a PBX restart, but
    uniqueids (`uid:`) and Asterisk call ids (`ast:`) never do; a row that shares none of its call's ids with an
    attempt is another call."""
    for prefix in ("uid:", "ast:"):
        ours = {k for k in keys if k.startswith(prefix)}
        if ours:
            theirs = {k for k in have if k.startswith(prefix)}
            if theirs and theirs.isdisjoint(ours):
                return True
    return False


def _same_source(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b
