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

from collections import deque
from dataclasses import dataclass
from itertools import count
from typing import Any

from .events import Evidence, Kind, Outcome, Record
from .netaddr import is_local

ENRICH_ONLY = "enrich_only"
"""A record tag: this line only adds to a call already seen ("is ringing"); alone it is nobody's event."""

CALL_WINDOW = 3600.0
"""Seconds of log time a call stays open after its last line: its CDR row is written when it hangs up."""
ATTEMPT_WINDOW = 5.0
"""Seconds a login or probe stays open: its lines in other logs are written in the same second."""
MAX_LINES = 64
"""Lines one attempt holds at most (a call's trace, notices, security events and CDR rows are a handful): a log that
reuses an id for everything never makes one attempt of a whole night."""

_STRONG = ("ast:", "chan:", "uid:", "fs:")
_KIND_RANK = {Kind.CALL: 4, Kind.AUTH_FAILURE: 3, Kind.REGISTRATION: 2, Kind.PROBE: 1, Kind.OTHER: 0}
_OUTCOME_RANK = {None: 0, Outcome.UNKNOWN: 1, Outcome.REJECTED: 2, Outcome.RANG: 3, Outcome.ANSWERED: 4}
# Fields a later line fills when the first lines left them empty.
_FILL = ("source_ip", "source_port", "caller_id", "caller_name", "extension", "user_agent", "call_id", "time",
         "epoch", "detail", "method", "from_host", "ruri_host", "context", "channel", "external", "billsec",
         "duration")


def evidence_of(rec: Record) -> Evidence:
    return Evidence(rec.file, rec.line, rec.format, rec.raw)


_NONE: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())


def join_keys(rec: Record) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(strong keys, weak keys) of a record: its parser's `refs` and what its fields name."""
    refs, call_id, channel = rec.refs, rec.call_id, rec.channel
    if not call_id and not refs and not channel:
        return _NONE
    fmt = rec.format
    if not refs and not channel:  # the usual case: one id, one key
        if fmt == "asterisk" and call_id.startswith("C-") and len(call_id) == 10:
            return ("ast:" + call_id,), ()
        if fmt == "asterisk_cdr":
            return ("uid:" + call_id,), ()
        if fmt.startswith("freeswitch") and _is_uuid(call_id):
            return ("fs:" + call_id,), ()
        return (), ("sip:" + call_id,)
    if (refs and fmt == "asterisk" and call_id and len(call_id) == 10 and call_id.startswith("C-")
            and refs[0] == "ast:" + call_id):
        # Asterisk's usual lines: the `[C-…]` call id as ref and call id, a dialplan step's channel as ref too
        n = len(refs)
        if n == 1:
            return ((refs[0], "chan:" + channel) if channel and rec.kind is Kind.CALL else refs), ()
        if n == 2 and channel and rec.kind is Kind.CALL and refs[1] == "chan:" + channel:
            return refs, ()
    strong: list[str] = []
    weak: list[str] = []
    for ref in refs:
        (strong if ref.startswith(_STRONG) else weak).append(ref)
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
    formats: tuple[str, ...]       # formats that joined by weak keys (one line each)
    keys: tuple                    # its join keys (strings, and (account, second) tuples)
    observed: bool = False         # correlation has counted it (once, when its source address was known)
    behaviour: tuple = ()          # the correlation reasons it got then
    closed: bool = False
    event: Any = None              # its latest judgement (core/judge.py)
    pending: bool = False          # its run may still upgrade it (core/episodes.py)
    done: bool = False             # `scan` has printed it

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return tuple(map(evidence_of, self.records))

    def accepts(self, rec: Record) -> bool:
        """Whether `rec` can be one more line of this attempt: room left, and not a second line of a kind the
        attempt already has (two "rejected" notices are two calls, whatever id a log gave them). CDR rows are
        exempt: a forked dial writes several alike rows for one call, told apart by nothing but their ids."""
        if len(self.records) >= MAX_LINES:
            return False
        if ENRICH_ONLY in rec.tags or rec.format.endswith("_cdr"):
            return True
        role = (rec.format, rec.kind, rec.detail)
        return all((r.format, r.kind, r.detail) != role for r in self.records if ENRICH_ONLY not in r.tags)


def merge(records: list[Record]) -> Record:
    """One record from an attempt's lines: the first line's, with empty fields filled from the others."""
    merged = records[0]
    for rec in records[1:]:
        merged = merge_into(merged, rec)
    return merged


def merge_into(merged: Record, rec: Record) -> Record:
    """`merged` (an attempt's record so far) with one more of its lines."""
    values = merged._asdict()
    for name in _FILL:
        if values[name] is None:
            value = getattr(rec, name)
            if value is not None:
                values[name] = value
    if _KIND_RANK[rec.kind] > _KIND_RANK[merged.kind]:
        values["kind"] = rec.kind
    if _OUTCOME_RANK[rec.outcome] > _OUTCOME_RANK[merged.outcome]:
        values["outcome"] = rec.outcome
    if rec.tags:
        values["tags"] = merged.tags + tuple(t for t in rec.tags if t not in merged.tags and t != ENRICH_ONLY)
    values["raw"] = merged.raw + rec.raw
    if rec.refs:
        values["refs"] = merged.refs + tuple(r for r in rec.refs if r not in merged.refs)
    values["anonymous"] = merged.anonymous or rec.anonymous
    values["challenge"] = merged.challenge and rec.challenge
    if rec.epoch is not None and (merged.epoch is None or rec.epoch < merged.epoch):
        values["epoch"], values["time"] = rec.epoch, rec.time
    return Record(**values)


class Joiner:
    """Groups records, arriving in time order, into attempts. See the module docstring. A login's lines that
    share nothing else join by (account, second) — the same second or the one before — unless their addresses
    differ; calls never join that way.

    Built for `scan`'s pace (a few microseconds a line): open attempts wait in two queues by when they were last
    touched (calls, with their long window, apart from the rest); a closed attempt leaves the key index at once (an
    index that forgot them lazily kept thousands of finished attempts and their lines alive)."""

    def __init__(self, start_id: int = 1, capacity: int = 100_000) -> None:
        self._ids = count(start_id)
        self.capacity = capacity
        self.calls: deque[Attempt] = deque()
        self.others: deque[Attempt] = deque()
        self.open = 0
        self._by_key: dict = {}
        self.now = float("-inf")
        self.joined = 0                                          # lines that joined an existing attempt

    def __len__(self) -> int:
        return self.open

    def add(self, rec: Record) -> tuple[Attempt | None, bool]:
        """The attempt `rec` belongs to and whether it was created by it; (None, False) for an enrich-only line
        that matched nothing."""
        epoch = rec.epoch
        if epoch is not None and epoch > self.now:
            self.now = epoch
        strong, weak = join_keys(rec)
        call = rec.kind is Kind.CALL
        fallback = None if call or epoch is None or not rec.extension else (rec.extension, int(epoch))
        keys = strong + weak + (fallback,) if fallback is not None else strong + weak
        attempt = self._find(rec, strong, weak, fallback) if keys else None
        by_key = self._by_key
        if attempt is None:
            if ENRICH_ONLY in rec.tags:
                return None, False
            when = epoch if epoch is not None else self.now
            attempt = Attempt(next(self._ids), [rec], rec, when, when, () if strong else (rec.format,), keys)
            self.open += 1
            (self.calls if call else self.others).append(attempt)
            if self.open > self.capacity:
                self._close(self.others[0] if self.others else self.calls[0])
            for key in keys:
                by_key[key] = attempt
            return attempt, True
        attempt.records.append(rec)
        attempt.record = merge_into(attempt.record, rec)
        if epoch is not None and epoch > attempt.last:
            attempt.last = epoch
        self.joined += 1
        if not strong:
            attempt.formats += (rec.format,)
        attempt.keys += keys
        for key in keys:
            by_key[key] = attempt
        return attempt, False

    def _find(self, rec: Record, strong: tuple[str, ...], weak: tuple[str, ...],
              fallback: tuple | None) -> Attempt | None:
        by_key = self._by_key
        ip = rec.source_ip
        for key in strong:
            found = by_key.get(key)
            if (found is not None and not found.closed and _same_source(found.record.source_ip, ip)
                    and not _conflict(found.keys, strong) and found.accepts(rec)):
                return found
        if fallback is not None:  # the same account in the same second, or the second before
            weak = (*weak, fallback, (fallback[0], fallback[1] - 1))
        for key in weak:
            found = by_key.get(key)
            if (found is not None and not found.closed and rec.format not in found.formats
                    and _same_source(found.record.source_ip, ip) and found.accepts(rec)
                    and not (ip is None and found.record.source_ip and is_local(found.record.source_ip))):
                # (a line whose address could not be trusted never lends its forged fields to an office phone)
                return found
        return None

    def expire(self, now: float | None = None) -> list[Attempt]:
        """Close the attempts whose window has passed at log time `now` (default: the latest line's time).
        Cheap: only the queues' fronts are looked at."""
        now = self.now if now is None else now
        closed: list[Attempt] = []
        others, calls = self.others, self.calls
        horizon = now - ATTEMPT_WINDOW
        by_key = self._by_key
        get = by_key.get
        while others and others[0].last < horizon:
            attempt = others.popleft()
            if attempt.closed:
                continue
            if attempt.record.kind is Kind.CALL:  # became a call when a call's line joined it: wait as one
                calls.append(attempt)
                continue
            attempt.closed = True  # `_close`, inlined: this runs for most attempts of a scan
            for key in attempt.keys:
                if get(key) is attempt:
                    del by_key[key]
            closed.append(attempt)
        horizon = now - CALL_WINDOW
        while calls and calls[0].last < horizon:
            attempt = calls.popleft()
            if not attempt.closed:
                attempt.closed = True
                for key in attempt.keys:
                    if get(key) is attempt:
                        del by_key[key]
                closed.append(attempt)
        self.open -= len(closed)
        return closed

    def drain(self) -> list[Attempt]:
        """Close every open attempt (end of a scan), oldest first."""
        closed = sorted((a for a in (*self.others, *self.calls) if not a.closed), key=lambda a: a.id)
        for attempt in closed:
            self._close(attempt)
        self.others.clear()
        self.calls.clear()
        return closed

    def _close(self, attempt: Attempt) -> None:
        if attempt.closed:
            return
        attempt.closed = True
        self.open -= 1
        by_key = self._by_key
        for key in attempt.keys:
            if by_key.get(key) is attempt:
                del by_key[key]


def _conflict(have: list, keys: tuple[str, ...]) -> bool:
    """Whether two sets of a call's keys name different calls: channel names repeat after a PBX restart, but
    uniqueids (`uid:`) and Asterisk call ids (`ast:`) never do; a row that shares none of its call's ids with an
    attempt is another call."""
    for prefix in ("uid:", "ast:"):
        ours = {k for k in keys if k.startswith(prefix)}
        if ours:
            theirs = {k for k in have if k.__class__ is str and k.startswith(prefix)}
            if theirs and theirs.isdisjoint(ours):
                return True
    return False


def _same_source(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b
