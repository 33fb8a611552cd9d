"""Benchmark: the window's history queries on 10 million stored events (target: each under 100 ms).

    python bench/store_queries.py [--events 10000000]

The database is filled once by SQL (a year of events: mostly normal traffic, attacks, some ghost calls, 5,000
outside addresses) into bench/data/, with the same schema and aggregate tables the app writes, then each query
runs 5 times on a fresh read-only connection; the table shows the median and the slowest run.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "app"))

from ghostwatch.store.history import History  # noqa: E402
from ghostwatch.store.queries import EventFilter, HistoryReader  # noqa: E402

END = 1_795_737_600  # 2026-11-27 00:00 (log clock)
YEAR = 365 * 86400


def build(path: Path, n: int) -> None:
    History(path).close()  # schema via the app's own migrations
    conn = sqlite3.connect(path)
    conn.executescript(f"""
    PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
    INSERT INTO reason_sets (id, json)
        WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < 20)
        SELECT value, '[{{"code": "r' || value || '", "text": "reason ' || value || ' in words"}}]' FROM s;
    INSERT INTO events (epoch, time, file, line, format, kind, source_ip, source_port, caller_id, caller_name,
                        extension, user_agent, call_id, outcome, verdict, rank, reasons_id, raw, channel, tags,
                        failure)
    WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < {n})
    SELECT {END - YEAR} + (value * {YEAR}.0 / {n}), NULL, '/var/log/asterisk/full', value, 'asterisk',
           CASE WHEN value % 7 = 0 THEN 'auth_failure' ELSE 'call' END,
           CASE WHEN value % 100 < 85 THEN '192.168.1.' || (value % 20)
                ELSE '203.0.' || ((value / 7) % 20) || '.' || (value % 250) END, 5060,
           CAST(1000 + value % 9000 AS TEXT), NULL, CAST(200 + value % 50 AS TEXT), 'friendly-scanner',
           'c' || value, NULL,
           CASE WHEN value % 100 < 85 THEN 'normal' WHEN value % 100 < 95 THEN 'attack'
                WHEN value % 100 < 99 THEN 'suspicious' ELSE 'ghost' END,
           CASE WHEN value % 100 < 85 THEN 0 WHEN value % 100 < 95 THEN 2 WHEN value % 100 < 99 THEN 1 ELSE 3 END,
           1 + value % 20,
           '[2026-11-26 10:00:00] NOTICE[1] chan_sip.c: Registration from ''<sip:201@h>'' failed for '
           || '''203.0.113.9:5060'' - Wrong password',
           NULL, '', value % 7 = 0
    FROM s;
    INSERT INTO counts (res, bucket, verdict, n)
        SELECT 60, CAST(epoch / 60 AS INTEGER) * 60, verdict, COUNT(*) FROM events GROUP BY 2, 3;
    INSERT INTO counts (res, bucket, verdict, n)
        SELECT 3600, CAST(epoch / 3600 AS INTEGER) * 3600, verdict, COUNT(*) FROM events GROUP BY 2, 3;
    INSERT INTO source_days (day, ip, n, rank, last, ghost, attack, suspicious)
        SELECT CAST(epoch / 86400 AS INTEGER) * 86400, source_ip, COUNT(*), MAX(rank), MAX(epoch),
               SUM(verdict = 'ghost'), SUM(verdict = 'attack'), SUM(verdict = 'suspicious')
        FROM events WHERE rank > 0 GROUP BY 1, 2;
    INSERT INTO sources (ip, first, last, events, flagged, rank, reasons, ghost, attack, suspicious)
        SELECT source_ip, MIN(epoch), MAX(epoch), COUNT(*), SUM(rank > 0), MAX(rank), '', SUM(verdict = 'ghost'),
               SUM(verdict = 'attack'), SUM(verdict = 'suspicious') FROM events GROUP BY 1;
    ANALYZE;
    """)
    conn.close()


def timed(fn) -> tuple[float, float, object]:
    runs = []
    result = None
    for _ in range(5):
        t0 = time.perf_counter()
        result = fn()
        runs.append((time.perf_counter() - t0) * 1000)
    return statistics.median(runs), max(runs), result


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=10_000_000)
    args = ap.parse_args()
    path = HERE / "data" / f"history-{args.events}.sqlite3"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        t0 = time.perf_counter()
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        build(partial, args.events)
        partial.rename(path)
        print(f"built {path.name} ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t0:.0f} s")
    r = HistoryReader(path)
    flagged = frozenset({"ghost", "attack", "suspicious"})
    last = r.page(EventFilter(verdicts=flagged), limit=200)[-1]
    queries = {
        "plot, 24 hours in 15-minute buckets": lambda: r.bucket_counts(END - 86400, END, 900),
        "plot, 7 days in hours": lambda: r.bucket_counts(END - 7 * 86400, END, 3600),
        "plot, 30 days in 6 hours": lambda: r.bucket_counts(END - 30 * 86400, END, 6 * 3600),
        "plot, all (a year) in days": lambda: r.bucket_counts(END - YEAR, END, 86400),
        "today's counts": lambda: r.totals(END - 86400, END),
        "newest 200 events": lambda: r.page(EventFilter(), limit=200),
        "newest 200 flagged": lambda: r.page(EventFilter(verdicts=flagged), limit=200),
        "next page of flagged (keyset)": lambda: r.page(EventFilter(verdicts=flagged), (last.epoch, last.id), 200),
        "newest 200 ghost calls": lambda: r.page(EventFilter(verdicts=frozenset({"ghost"})), limit=200),
        "one source's events": lambda: r.page(EventFilter(source_ip=last.source_ip), limit=200),
        "search '203.0.7.1' within 7 days": lambda: r.page(EventFilter(text="203.0.7.1", start=END - 7 * 86400),
                                                           limit=200),
        "bucket click: flagged in one hour": lambda: r.page(EventFilter(verdicts=flagged, start=END - 7200,
                                                                        end=END - 3600), limit=200),
        "top sources, 24 hours": lambda: r.top_sources(END - 86400, END),
        "top sources, 30 days": lambda: r.top_sources(END - 30 * 86400, END),
        "top sources, 300 days": lambda: r.top_sources(END - 300 * 86400, END),
        "top sources, all (a year)": lambda: r.top_sources(END - YEAR - 86400, END + 86400),
        "one event with its evidence": lambda: r.event(last.id),
    }
    print(f"{r.count():,} events\n")
    print("| query | median ms | slowest ms | rows |")
    print("|---|---:|---:|---:|")
    worst = 0.0
    for name, fn in queries.items():
        med, mx, res = timed(fn)
        worst = max(worst, mx)
        rows = len(res.starts) if hasattr(res, "starts") else (len(res) if hasattr(res, "__len__") else 1)
        print(f"| {name} | {med:.1f} | {mx:.1f} | {rows} |", flush=True)
    print(f"\nSlowest of all: {worst:.1f} ms (target: each under 100 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
