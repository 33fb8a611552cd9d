"""Writing the history: events, their aggregates and the file positions that produced them, in one transaction."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from ..core.correlate import FAILURE_TAGS
from ..core.events import Event, Evidence, Kind, Outcome, Reason, Record, Verdict
from ..core.memo import Memo
from .disk import write_failure
from .schema import connect

RESOLUTIONS = (60, 3600)
DAY = 86400


@dataclass(frozen=True, slots=True)
class Position:
    """Where reading of one file stopped: the next byte, its line number, and records of the chunk at `offset`
    already stored (`skip`, non-zero only while a merged history import is part-way through a chunk)."""

    path: str
    device: int
    inode: int
    head: str           # hash of the first line: a rewritten file has a new one
    offset: int
    line: int
    skip: int = 0
    format: str | None = None
    done: bool = False  # a rotated file imported to its end


class EventRow(NamedTuple):
    """One `events` row as `commit` writes it, named column by column (the id is given apart)."""

    epoch: float
    time: str | None
    file: str
    line: int
    format: str
    kind: str
    source_ip: str | None
    source_port: int | None
    caller_id: str | None
    caller_name: str | None
    extension: str | None
    user_agent: str | None
    call_id: str | None
    outcome: str | None
    verdict: str
    rank: int
    reasons_id: int | str    # the reasons' JSON until `_with_reason_set` swaps in the id of that set
    raw: str
    channel: str | None
    tags: str
    failure: int
    evidence: str


EVENT_COLUMNS = EventRow._fields
_INSERT_EVENT = (f"INSERT INTO events (id, {', '.join(EVENT_COLUMNS)}) "
                 f"VALUES (?, {', '.join('?' * len(EVENT_COLUMNS))})")
_UPDATE_EVENT = f"UPDATE events SET {', '.join(c + ' = ?' for c in EVENT_COLUMNS)} WHERE id = ?"


class History:
    """The single writer of the history database (the pipeline thread owns it)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.conn = connect(self.path)
        self._lock = threading.Lock()
        self._reason_ids: Memo[str, int] = Memo(self._reason_set_id, 20000)  # emptied on a rollback

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def _with_reason_set(self, row: EventRow) -> EventRow:
        """Replace the reasons' JSON by the id of that set of reasons (a flood repeats a few sets millions of
        times; storing each once keeps rows small). Runs inside the commit's transaction."""
        return row._replace(reasons_id=self._reason_ids[row.reasons_id])

    def _reason_set_id(self, text: str) -> int:
        """The id of the reason set whose JSON is `text`, stored now if it is new (`_reason_ids` keeps them)."""
        found = self.conn.execute("SELECT id FROM reason_sets WHERE json = ?", (text,)).fetchone()
        return found[0] if found else self.conn.execute("INSERT INTO reason_sets (json) VALUES (?)",
                                                        (text,)).lastrowid

    # -- positions ------------------------------------------------------------------------------------------
    def positions(self) -> dict[str, Position]:
        rows = self.conn.execute("SELECT path, device, inode, head, offset, line, skip, format, done FROM positions")
        return {r[0]: Position(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8])) for r in rows}

    def forget_position(self, path: str) -> None:
        with self._lock:
            self.conn.execute("DELETE FROM positions WHERE path = ?", (path,))

    # -- the one transaction --------------------------------------------------------------------------------
    def next_id(self) -> int:
        """The id the next new event gets (the live pipeline numbers attempts itself, to update them later)."""
        return self.conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM events").fetchone()[0]

    @staticmethod
    def counted(event: Event, epoch: float) -> tuple[float, str, int, str | None]:
        """What an event's row adds to the aggregates: (epoch, verdict, rank, source address)."""
        return (epoch, str(event.verdict), event.verdict.rank, event.record.source_ip)

    def commit(self, events: Iterable[tuple], positions: Iterable[Position], now: float) -> list[int]:
        """Store events and the positions that produced them, atomically. Returns the events' ids in order.

        Each item is `(event, epoch)` (a new event, numbered here) or `(event, epoch, id, previous)`: a new event
        with its id when `previous` is None, else an update of event `id`, whose row counted `previous` (see
        `counted`) in the aggregates; the aggregates move from what it counted to what it counts now.
        """
        items = list(events)
        counts: dict[tuple[int, int, str], int] = defaultdict(int)
        days: dict[tuple[int, str], list] = {}
        sources: dict[str, list] = {}
        inserts: list[tuple] = []
        updates: list[tuple] = []
        for item in items:
            ev, epoch = item[0], item[1]
            eid, previous = (item[2], item[3]) if len(item) > 2 else (None, None)
            row = _event_row(ev, epoch)
            if previous is not None:
                updates.append((row, eid))
                _count(counts, days, sources, previous, -1, ())
            else:
                inserts.append((row, eid))
            _count(counts, days, sources, self.counted(ev, epoch), 1, ev.reasons)
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                next_id = (conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]) + 1
                ids: list[int] = []
                new_rows = []
                for row, eid in inserts:
                    if eid is None:
                        eid, next_id = next_id, next_id + 1
                    else:
                        next_id = max(next_id, eid + 1)
                    new_rows.append((eid, *self._with_reason_set(row)))
                if new_rows:
                    conn.executemany(_INSERT_EVENT, new_rows)
                if updates:
                    conn.executemany(_UPDATE_EVENT, [(*self._with_reason_set(row), eid) for row, eid in updates])
                by_row = iter(r[0] for r in new_rows)
                for item in items:
                    if len(item) > 2 and item[3] is not None:
                        ids.append(item[2])
                    else:
                        ids.append(next(by_row))
                self._store_aggregates(conn, counts, days, sources)
                conn.executemany(
                    "INSERT OR REPLACE INTO positions (path, device, inode, head, offset, line, skip, format, done, "
                    "updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(p.path, p.device, p.inode, p.head, p.offset, p.line, p.skip, p.format, int(p.done), now)
                     for p in positions])
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:  # SQLite has already rolled back after some errors (a full disk)
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass  # the original error is the one that explains
                self._reason_ids.clear()  # ids handed out inside the rolled-back transaction are gone
                failure = write_failure(exc, self.path)
                if failure is not None:
                    raise failure from exc
                raise
        return ids

    @staticmethod
    def _store_aggregates(conn, counts: dict, days: dict, sources: dict) -> None:
        conn.executemany(
            "INSERT INTO counts (res, bucket, verdict, n) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (res, bucket, verdict) DO UPDATE SET n = n + excluded.n",
            [(res, bucket, verdict, n) for (res, bucket, verdict), n in counts.items() if n])
        gone = [key for key, n in counts.items() if n < 0]
        if gone:
            conn.executemany("DELETE FROM counts WHERE res = ? AND bucket = ? AND verdict = ? AND n <= 0", gone)
        conn.executemany(
            "INSERT INTO source_days (day, ip, n, rank, last, ghost, attack, suspicious) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (day, ip) DO UPDATE SET n = n + excluded.n, "
            "rank = MAX(rank, excluded.rank), last = MAX(last, excluded.last), "
            "ghost = ghost + excluded.ghost, attack = attack + excluded.attack, "
            "suspicious = suspicious + excluded.suspicious",
            [(day, ip, *vals) for (day, ip), vals in days.items()])
        emptied = [key for key, vals in days.items() if vals[0] < 0]
        if emptied:
            conn.executemany("DELETE FROM source_days WHERE day = ? AND ip = ? AND n <= 0", emptied)
        known: dict[str, str] = {}
        ips = list(sources)
        for i in range(0, len(ips), 500):  # one query per 500 addresses, not one per address
            part = ips[i:i + 500]
            known.update(conn.execute(f"SELECT ip, reasons FROM sources WHERE ip IN "
                                      f"({', '.join('?' * len(part))})", part).fetchall())
        upserts = []
        for ip, (first_seen, last_seen, n, flagged, rank, codes, sus, att, gho) in sources.items():
            old = known.get(ip)
            if old:
                codes |= set(old.split(","))
            upserts.append((ip, first_seen, last_seen, n, flagged, rank, ",".join(sorted(codes))[:2000],
                            gho, att, sus))
        conn.executemany(
            "INSERT INTO sources (ip, first, last, events, flagged, rank, reasons, ghost, attack, "
            "suspicious) VALUES (?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT (ip) DO UPDATE SET first = MIN(first, excluded.first), "
            "last = MAX(last, excluded.last), events = events + excluded.events, "
            "flagged = flagged + excluded.flagged, rank = MAX(rank, excluded.rank), "
            "reasons = excluded.reasons, ghost = ghost + excluded.ghost, "
            "attack = attack + excluded.attack, suspicious = suspicious + excluded.suspicious", upserts)
        if any(vals[2] < 0 for vals in sources.values()):
            conn.executemany("DELETE FROM sources WHERE ip = ? AND events <= 0",
                             [(ip,) for ip, vals in sources.items() if vals[2] < 0])

    # -- maintenance ----------------------------------------------------------------------------------------
    def prune(self, before: float) -> int:
        """Delete events (and their aggregates) older than `before`; returns how many events went."""
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                n = conn.execute("DELETE FROM events WHERE epoch < ?", (before,)).rowcount
                conn.execute("DELETE FROM counts WHERE bucket + res <= ?", (before,))
                conn.execute("DELETE FROM source_days WHERE day + ? <= ?", (DAY, before))
                conn.execute("DELETE FROM sources WHERE last < ?", (before,))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return n

    def latest_epoch(self) -> float | None:
        return self.conn.execute("SELECT MAX(epoch) FROM events").fetchone()[0]

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def mark_watching(self, since: float, until: float) -> None:
        """Remember that the live monitor was watching from `since` to `until` (log-time epochs); the current
        session's entry is extended. A quiet PBX logs nothing for hours: without this, a ring in a quiet hour would
        look like a time nobody was watching (`rang`)."""
        sessions = watched_sessions(self.get_meta(WATCHED_KEY))
        if sessions and sessions[-1][0] == since:
            sessions[-1] = (since, until)
        else:
            sessions.append((since, until))
        self.set_meta(WATCHED_KEY, json.dumps(sessions[-MAX_WATCH_SESSIONS:]))

    # -- what correlation needs after a restart -------------------------------------------------------------
    def replay_records(self, since_all: float, since_failures: float) -> Iterator[Record]:
        """Records to feed the correlator on start: everything after `since_all` and failures after
        `since_failures`, oldest first, so verdicts do not change because the app restarted."""
        query = ("SELECT epoch, kind, source_ip, extension, channel, tags, file, line, format FROM events "
                 "WHERE (failure = 1 AND epoch >= ? AND epoch < ?) OR epoch >= ? ORDER BY epoch, id")
        for epoch, kind, ip, ext, channel, tags, file, line, fmt in self.conn.execute(
                query, (since_failures, since_all, since_all)):
            yield Record(None, file, line, fmt, Kind(kind), source_ip=ip, extension=ext, channel=channel,
                         epoch=epoch, tags=tuple(t for t in tags.split(",") if t))


    def flagged_since(self, since: float, limit: int = 20000) -> Iterator[tuple[int, float, Event]]:
        """(id, epoch, event) of the flagged events after `since` (the latest `limit`), oldest first, as stored:
        the runs of activity a restart continues (an attacker's earlier attempts are upgraded in place)."""
        query = ("SELECT events.id, epoch, time, file, line, format, kind, source_ip, source_port, caller_id, "
                 "caller_name, extension, user_agent, call_id, outcome, verdict, reason_sets.json, raw, channel, "
                 "tags, evidence FROM events JOIN reason_sets ON reason_sets.id = events.reasons_id "
                 "WHERE rank > 0 AND epoch >= ? AND source_ip IS NOT NULL ORDER BY epoch DESC, events.id DESC LIMIT ?")
        for (eid, epoch, time, file, line, fmt, kind, ip, port, caller, name, ext, ua, call_id, outcome, verdict,
             reasons, raw, channel, tags, evidence) in reversed(self.conn.execute(query, (since, limit)).fetchall()):
            rec = Record(time, file, line, fmt, Kind(kind), source_ip=ip, source_port=port, caller_id=caller,
                         caller_name=name, extension=ext, user_agent=ua, call_id=call_id,
                         outcome=Outcome(outcome) if outcome else None, epoch=epoch, channel=channel,
                         tags=tuple(t for t in tags.split(",") if t), raw=tuple(raw.split("\n")) if raw else ())
            lines = tuple(Evidence(str(f), int(n), str(fm), tuple(r)) for f, n, fm, r in json.loads(evidence)) \
                if evidence else ()
            yield eid, epoch, Event(rec, Verdict(verdict),
                                    tuple(Reason(r["code"], r["text"]) for r in json.loads(reasons)), lines)


@lru_cache(maxsize=4096)
def _reasons_json(reasons: tuple) -> str:
    """JSON of a reasons tuple; a flood repeats the same few tuples, so they are encoded once."""
    return json.dumps([x.to_json() for x in reasons])


def _event_row(ev: Event, epoch: float) -> EventRow:
    r = ev.record
    verdict: Verdict = ev.verdict
    return EventRow(
        epoch=epoch, time=r.time, file=r.file, line=r.line, format=r.format, kind=str(r.kind), source_ip=r.source_ip,
        source_port=r.source_port, caller_id=r.caller_id, caller_name=r.caller_name, extension=r.extension,
        user_agent=r.user_agent, call_id=r.call_id, outcome=None if r.outcome is None else str(r.outcome),
        verdict=str(verdict), rank=verdict.rank, reasons_id=_reasons_json(ev.reasons), raw="\n".join(r.raw),
        channel=r.channel, tags=",".join(r.tags), failure=int(bool(FAILURE_TAGS.intersection(r.tags))),
        evidence=_evidence_json(ev.evidence))


def _evidence_json(evidence: tuple) -> str:
    """The lines of a joined attempt, `[[file, line, format, [raw lines]], ...]`; '' for a one-line event."""
    if not evidence:
        return ""
    return json.dumps([[e.file, e.line, e.format, list(e.raw)] for e in evidence])


def _count(counts: dict, days: dict, sources: dict, counted: tuple, sign: int, reasons: tuple) -> None:
    """Add (`sign` 1) or take away (-1) what one event row counts in the plot, per-day and per-source aggregates."""
    epoch, verdict, rank, ip = counted
    for res in RESOLUTIONS:
        counts[(res, int(epoch // res) * res, verdict)] += sign
    if ip is None:
        return
    flagged = sign if rank > 0 else 0
    src = sources.get(ip)
    if src is None:
        src = sources[ip] = [epoch, epoch, 0, 0, 0, set(), 0, 0, 0]
    else:
        src[0] = min(src[0], epoch)
        src[1] = max(src[1], epoch)
    src[2] += sign
    src[3] += flagged
    if sign > 0:
        src[4] = max(src[4], rank)
        src[5].update(r.code for r in reasons)
    if rank > 0:
        src[5 + rank] += sign  # suspicious (1), attack (2), ghost (3) -> columns 6, 7, 8
        key = (int(epoch // DAY) * DAY, ip)
        d = days.get(key)
        if d is None:
            d = days[key] = [0, 0, 0.0, 0, 0, 0]
        d[0] += sign
        if sign > 0:
            d[1] = max(d[1], rank)
            d[2] = max(d[2], epoch)
        d[3 + ("ghost", "attack", "suspicious").index(verdict)] += sign


WATCHED_KEY = "watched"
MAX_WATCH_SESSIONS = 200
"""Monitoring sessions remembered (a restart begins one; a year of daily restarts is more than `rang` looks at)."""


def watched_sessions(text: str | None) -> list[tuple[float, float]]:
    """The (since, until) sessions stored under `WATCHED_KEY`; [] for nothing or anything unreadable."""
    try:
        items = json.loads(text) if text else []
        return [(float(a), float(b)) for a, b in items]
    except (ValueError, TypeError):
        return []
