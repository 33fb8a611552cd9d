"""Reading the history: the queries the window needs, each answered from an index or an aggregate table."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.events import Evidence, Reason, Verdict
from .history import DAY, WATCHED_KEY, watched_sessions
from .schema import connect

VERDICTS = ("ghost", "attack", "suspicious", "normal")
_COLUMNS = ("events.id, epoch, time, file, line, format, kind, source_ip, source_port, caller_id, caller_name, "
            "extension, user_agent, call_id, outcome, verdict, reason_sets.json")
_FROM = "events {hint} JOIN reason_sets ON reason_sets.id = events.reasons_id"


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the history holds it (what the table, detail pane and exports show)."""

    id: int
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
    verdict: Verdict
    reasons: tuple[Reason, ...]
    raw: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()  # every line that reported the attempt (loaded by `event` only)

    @property
    def lines(self) -> tuple[Evidence, ...]:
        """The attempt's evidence: its lines with their files (at least the first line's)."""
        return self.evidence or (Evidence(self.file, self.line, self.format, self.raw),)

    def to_json(self) -> dict[str, Any]:
        return {"time": self.time, "file": self.file, "line": self.line, "format": self.format, "kind": self.kind,
                "source_ip": self.source_ip, "source_port": self.source_port, "caller_id": self.caller_id,
                "caller_name": self.caller_name, "extension": self.extension, "user_agent": self.user_agent,
                "call_id": self.call_id, "outcome": self.outcome, "verdict": str(self.verdict),
                "reasons": [r.to_json() for r in self.reasons],
                "evidence": [e.to_json() for e in self.lines]}


@dataclass(frozen=True)
class EventFilter:
    """What the table shows: verdicts (empty: all), a time range, a free-text search, one source."""

    verdicts: frozenset[str] = frozenset()
    start: float | None = None
    end: float | None = None
    text: str = ""
    source_ip: str | None = None


@dataclass(frozen=True)
class SourceRow:
    ip: str
    events: int
    ghost: int
    attack: int
    suspicious: int
    verdict: Verdict
    last: float


@dataclass
class Buckets:
    """Counts per bucket for the plot: `starts[i]` is the bucket's start, `counts[verdict][i]` its count."""

    size: int
    starts: list[int] = field(default_factory=list)
    counts: dict[str, list[int]] = field(default_factory=dict)

    def total(self, verdict: str) -> int:
        return sum(self.counts.get(verdict, ()))


class HistoryReader:
    """Read-only queries; one instance per thread that reads (SQLite connections are not shared)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            connect(self.path).close()  # create and migrate, so a reader can start before the writer
        self.conn = connect(self.path, readonly=True)

    def close(self) -> None:
        self.conn.close()

    def span(self) -> tuple[float, float] | None:
        """(oldest, newest) event time, or None when the history is empty."""
        lo = self.conn.execute("SELECT MIN(bucket) FROM counts WHERE res = 3600").fetchone()[0]
        if lo is None:
            return None
        hi = self.conn.execute("SELECT MAX(epoch) FROM events").fetchone()[0]
        return float(lo), float(hi if hi is not None else lo)

    def bucket_counts(self, start: float, end: float, size: int) -> Buckets:
        """Counts per verdict in buckets of `size` seconds (a multiple of 60) covering [start, end)."""
        res = 3600 if size % 3600 == 0 else 60
        size = max(res, size - size % res)
        first = int(start // size) * size
        n = max(1, int((end - first + size - 1) // size))
        out = Buckets(size, [first + i * size for i in range(n)], {v: [0] * n for v in VERDICTS})
        rows = self.conn.execute(
            "SELECT (bucket - ?) / ?, verdict, SUM(n) FROM counts WHERE res = ? AND bucket >= ? AND bucket < ? "
            "GROUP BY 1, 2", (first, size, res, first, first + n * size))
        for index, verdict, count in rows:
            if 0 <= index < n and verdict in out.counts:
                out.counts[verdict][index] = count
        return out

    def totals(self, start: float, end: float) -> dict[str, int]:
        """Events per verdict in [start, end) at minute precision (today's counts in the status strip)."""
        rows = self.conn.execute("SELECT verdict, SUM(n) FROM counts WHERE res = 60 AND bucket >= ? AND bucket < ? "
                                 "GROUP BY verdict", (int(start // 60) * 60, end))
        totals = dict.fromkeys(VERDICTS, 0)
        totals.update({v: n for v, n in rows})
        return totals

    def ghosts_rang(self, start: float, end: float) -> int:
        """Ghost calls in [start, end) that reached a phone: rang, answered, or let in towards one (the PBX
        refused the rest)."""
        return self.conn.execute(
            "SELECT COUNT(*) FROM events INDEXED BY events_verdict_time WHERE verdict = 'ghost' AND epoch >= ? "
            "AND epoch < ? AND (outcome IS NULL OR outcome != 'rejected')", (start, end)).fetchone()[0]

    def by_id_list(self, ids: list[int] | tuple[int, ...]) -> list[StoredEvent]:
        """The events with these ids (attempts updated in place), in id order."""
        out: list[StoredEvent] = []
        for i in range(0, len(ids), 500):
            part = list(ids[i:i + 500])
            rows = self.conn.execute(f"SELECT {_COLUMNS} FROM {_FROM.format(hint='')} WHERE events.id IN "
                                     f"({', '.join('?' * len(part))}) ORDER BY events.id", part)
            out += [_stored(row) for row in rows]
        return out

    def page(self, flt: EventFilter, before: tuple[float, int] | None = None, limit: int = 200) -> list[StoredEvent]:
        """Newest first; pass the last row's (epoch, id) as `before` for the next page."""
        where: list[str] = []
        args: list[Any] = []
        index = "events_time"
        flagged = frozenset(("ghost", "attack", "suspicious"))
        if flt.verdicts == flagged:
            where.append("rank > 0")
            index = "events_flagged_time"
        elif len(flt.verdicts) == 1:
            where.append("verdict = ?")
            args.append(next(iter(flt.verdicts)))
            index = "events_verdict_time"
        elif flt.verdicts:
            where.append(f"verdict IN ({', '.join('?' * len(flt.verdicts))})")
            args.extend(sorted(flt.verdicts))
        if flt.source_ip:
            where.append("source_ip = ?")
            args.append(flt.source_ip)
            index = "events_source_time"
        if flt.start is not None:
            where.append("epoch >= ?")
            args.append(flt.start)
        if flt.end is not None:
            where.append("epoch < ?")
            args.append(flt.end)
        if before is not None:
            where.append("(epoch < ? OR (epoch = ? AND events.id < ?))")
            args.extend((before[0], before[0], before[1]))
        if flt.text:
            like = "%" + flt.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append("(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in
                                           ("source_ip", "caller_id", "caller_name", "extension", "user_agent"))
                         + " OR reasons_id IN (SELECT id FROM reason_sets WHERE json LIKE ? ESCAPE '\\'))")
            args.extend([like] * 6)
        sql = (f"SELECT {_COLUMNS} FROM {_FROM.format(hint=f'INDEXED BY {index}')} "
               + ("WHERE " + " AND ".join(where) if where else "") + " ORDER BY epoch DESC, events.id DESC LIMIT ?")
        args.append(limit)
        try:
            rows = self.conn.execute(sql, args).fetchall()
        except sqlite3.OperationalError:  # the planner refused the hinted index for this filter combination
            rows = self.conn.execute(sql.replace(f"INDEXED BY {index} ", ""), args).fetchall()
        return [_stored(row) for row in rows]

    def event(self, event_id: int) -> StoredEvent | None:
        row = self.conn.execute(f"SELECT {_COLUMNS}, raw, evidence FROM {_FROM.format(hint='')} "
                                f"WHERE events.id = ?", (event_id,)).fetchone()
        if row is None:
            return None
        return _stored(row[:-2], tuple(row[-2].split("\n")) if row[-2] else (), _evidence(row[-1]))

    def by_ids(self, first: int, last: int, flagged_only: bool = False) -> list[StoredEvent]:
        """The events with ids first..last (one commit's batch), oldest first."""
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM {_FROM.format(hint='')} WHERE events.id BETWEEN ? AND ?"
            + (" AND rank > 0" if flagged_only else "") + " ORDER BY events.id", (first, last))
        return [_stored(row) for row in rows]

    def batch_groups(self, first: int, last: int) -> list[tuple[StoredEvent, int]]:
        """For a big batch: the first flagged event of each (source, verdict, kind) with how many it stands for,
        and every possible break-in on its own (those always notify)."""
        rows = self.conn.execute(
            "SELECT MIN(events.id), COUNT(*) FROM events WHERE id BETWEEN ? AND ? AND rank > 0 "
            "GROUP BY source_ip, CASE WHEN source_ip IS NULL THEN caller_id END, verdict, kind", (first, last))
        groups = [(eid, n) for eid, n in rows]
        broken = self.conn.execute(
            "SELECT id FROM events WHERE id BETWEEN ? AND ? AND reasons_id IN "
            "(SELECT id FROM reason_sets WHERE json LIKE '%\"compromise\"%')", (first, last)).fetchall()
        ids = {eid for eid, _ in groups}
        groups += [(eid, 1) for (eid,) in broken if eid not in ids]
        out = []
        for eid, n in groups:
            ev = self.event(eid)
            if ev is not None:
                out.append((ev, n))
        return out

    def top_sources(self, start: float, end: float, limit: int = 10) -> list[SourceRow]:
        """The addresses with the most flagged events in [start, end) (whole days), worst verdict first."""
        span = self.span()
        if span is not None and start <= span[0] and end > span[1]:  # all of history: the all-time aggregate
            rows = self.conn.execute(
                "SELECT ip, flagged, ghost, attack, suspicious, rank, last FROM sources WHERE flagged > 0 "
                "ORDER BY rank DESC, flagged DESC LIMIT ?", (limit,))
            return [SourceRow(ip, n, g, a, s, _BY_RANK[rank], last) for ip, n, g, a, s, rank, last in rows]
        rows = self.conn.execute(
            "SELECT ip, SUM(n), SUM(ghost), SUM(attack), SUM(suspicious), MAX(rank), MAX(last) FROM source_days "
            "WHERE day >= ? AND day < ? GROUP BY ip ORDER BY MAX(rank) DESC, SUM(n) DESC LIMIT ?",
            (int(start // DAY) * DAY, end, limit))
        return [SourceRow(ip, n, g, a, s, _BY_RANK[rank], last) for ip, n, g, a, s, rank, last in rows]

    def watched(self) -> list[tuple[float, float]]:
        """The live monitor's sessions, (since, until) in log time, oldest first (History.mark_watching)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (WATCHED_KEY,)).fetchone()
        return watched_sessions(row[0] if row else None)

    def count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]

    def between(self, start: float, end: float, limit: int = 2000) -> list[StoredEvent]:
        """Up to `limit` events in [start, end], newest first (what `rang` looks at around a ring)."""
        rows: list[StoredEvent] = []
        flt, before = EventFilter(start=start, end=end), None
        while len(rows) < limit:
            page = self.page(flt, before, limit=min(500, limit - len(rows)))
            rows.extend(page)
            if len(page) < 500:
                break
            before = (page[-1].epoch, page[-1].id)
        return rows


_BY_RANK = {v.rank: v for v in Verdict}


def _stored(row: tuple, raw: tuple[str, ...] = (), evidence: tuple[Evidence, ...] = ()) -> StoredEvent:
    reasons = tuple(Reason(r["code"], r["text"]) for r in json.loads(row[16]))
    return StoredEvent(*row[:15], Verdict(row[15]), reasons, raw, evidence)


def _evidence(text: str | None) -> tuple[Evidence, ...]:
    if not text:
        return ()
    try:
        return tuple(Evidence(str(f), int(n), str(fmt), tuple(map(str, raw))) for f, n, fmt, raw in json.loads(text))
    except (ValueError, TypeError):
        return ()


def matches(flt: EventFilter, ev: StoredEvent) -> bool:
    """Whether an event belongs in a table showing `flt` (the same test `page` makes in SQL)."""
    if flt.verdicts and str(ev.verdict) not in flt.verdicts:
        return False
    if flt.source_ip and ev.source_ip != flt.source_ip:
        return False
    if flt.start is not None and ev.epoch < flt.start:
        return False
    if flt.end is not None and ev.epoch >= flt.end:
        return False
    if flt.text:
        needle = flt.text.lower()
        hay = (ev.source_ip, ev.caller_id, ev.caller_name, ev.extension, ev.user_agent,
               *(r.text for r in ev.reasons), *(r.code for r in ev.reasons))
        if not any(needle in v.lower() for v in hay if v):
            return False
    return True
