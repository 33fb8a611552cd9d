"""Writing the history: events, their aggregates and the file positions that produced them, in one transaction."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..core.correlate import FAILURE_TAGS
from ..core.events import Event, Kind, Record, Verdict
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


EVENT_COLUMNS = ("epoch", "time", "file", "line", "format", "kind", "source_ip", "source_port", "caller_id",
                 "caller_name", "extension", "user_agent", "call_id", "outcome", "verdict", "rank", "reasons_id", "raw",
                 "channel", "tags", "failure")
_INSERT_EVENT = f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"


class History:
    """The single writer of the history database (the pipeline thread owns it)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.conn = connect(self.path)
        self._lock = threading.Lock()
        self._reason_ids: dict[str, int] = {}

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def _with_reason_set(self, row: tuple) -> tuple:
        """Replace the reasons' JSON by the id of that set of reasons (a flood repeats a few sets millions of
        times; storing each once keeps rows small). Runs inside the commit's transaction."""
        text = row[16]
        rid = self._reason_ids.get(text)
        if rid is None:
            found = self.conn.execute("SELECT id FROM reason_sets WHERE json = ?", (text,)).fetchone()
            rid = found[0] if found else self.conn.execute("INSERT INTO reason_sets (json) VALUES (?)",
                                                           (text,)).lastrowid
            if len(self._reason_ids) > 20000:
                self._reason_ids.clear()
            self._reason_ids[text] = rid
        return (*row[:16], rid, *row[17:])

    # -- positions ------------------------------------------------------------------------------------------
    def positions(self) -> dict[str, Position]:
        rows = self.conn.execute("SELECT path, device, inode, head, offset, line, skip, format, done FROM positions")
        return {r[0]: Position(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8])) for r in rows}

    def forget_position(self, path: str) -> None:
        with self._lock:
            self.conn.execute("DELETE FROM positions WHERE path = ?", (path,))

    # -- the one transaction --------------------------------------------------------------------------------
    def commit(self, events: Iterable[tuple[Event, float]], positions: Iterable[Position], now: float) -> list[int]:
        """Store events (each with the epoch to file it under) and the positions that produced them, atomically.

        Returns the new events' ids in order.
        """
        events = list(events)
        rows = [_event_row(ev, epoch) for ev, epoch in events]
        counts: dict[tuple[int, int, str], int] = defaultdict(int)
        days: dict[tuple[int, str], list] = {}
        sources: dict[str, list] = {}
        for (ev, epoch), row in zip(events, rows, strict=True):
            verdict = row[14]
            for res in RESOLUTIONS:
                counts[(res, int(epoch // res) * res, verdict)] += 1
            ip = ev.record.source_ip
            if ip is None:
                continue
            rank = row[15]
            src = sources.get(ip)
            if src is None:
                src = sources[ip] = [epoch, epoch, 1, int(rank > 0), rank, set(r.code for r in ev.reasons), 0, 0, 0]
            else:
                src[0] = min(src[0], epoch)
                src[1] = max(src[1], epoch)
                src[2] += 1
                src[3] += rank > 0
                src[4] = max(src[4], rank)
                src[5].update(r.code for r in ev.reasons)
            if rank > 0:
                src[5 + rank] += 1  # suspicious (1), attack (2), ghost (3) -> columns 6, 7, 8
            if rank > 0:
                key = (int(epoch // DAY) * DAY, ip)
                d = days.get(key)
                if d is None:
                    d = days[key] = [0, 0, 0.0, 0, 0, 0]
                d[0] += 1
                d[1] = max(d[1], rank)
                d[2] = max(d[2], epoch)
                d[3 + ("ghost", "attack", "suspicious").index(verdict)] += 1
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                ids: list[int] = []
                if rows:
                    first = (conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]) + 1
                    rows = [self._with_reason_set(row) for row in rows]
                    conn.executemany(_INSERT_EVENT, rows)
                    ids = list(range(first, first + len(rows)))
                conn.executemany(
                    "INSERT INTO counts (res, bucket, verdict, n) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (res, bucket, verdict) DO UPDATE SET n = n + excluded.n",
                    [(res, bucket, verdict, n) for (res, bucket, verdict), n in counts.items()])
                conn.executemany(
                    "INSERT INTO source_days (day, ip, n, rank, last, ghost, attack, suspicious) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (day, ip) DO UPDATE SET n = n + excluded.n, "
                    "rank = MAX(rank, excluded.rank), last = MAX(last, excluded.last), "
                    "ghost = ghost + excluded.ghost, attack = attack + excluded.attack, "
                    "suspicious = suspicious + excluded.suspicious",
                    [(day, ip, *vals) for (day, ip), vals in days.items()])
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


_JSON_CACHE: dict[tuple, str] = {}


def _reasons_json(reasons: tuple) -> str:
    """JSON of a reasons tuple; a flood repeats the same few tuples, so they are encoded once."""
    text = _JSON_CACHE.get(reasons)
    if text is None:
        text = json.dumps([x.to_json() for x in reasons])
        if len(_JSON_CACHE) > 4096:
            _JSON_CACHE.clear()
        _JSON_CACHE[reasons] = text
    return text


def _event_row(ev: Event, epoch: float) -> tuple:
    r = ev.record
    verdict: Verdict = ev.verdict
    failure = int(bool(FAILURE_TAGS.intersection(r.tags)))
    return (epoch, r.time, r.file, r.line, r.format, str(r.kind), r.source_ip, r.source_port, r.caller_id,
            r.caller_name, r.extension, r.user_agent, r.call_id, None if r.outcome is None else str(r.outcome),
            str(verdict), verdict.rank, _reasons_json(ev.reasons), "\n".join(r.raw),
            r.channel, ",".join(r.tags), failure)


