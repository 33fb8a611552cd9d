"""The history database: one transaction per batch, aggregates, the window's queries, migrations, retention."""

from __future__ import annotations

import sqlite3

import pytest

from ghostwatch.core.events import Event, Kind, Reason, Record, Verdict
from ghostwatch.store.history import History, Position
from ghostwatch.store.queries import EventFilter, HistoryReader
from ghostwatch.store.schema import VERSION, StoreError

T0 = 1_795_651_200.0  # 2026-11-26 00:00 in the log's clock


def ev(n: int, verdict: Verdict, ip: str | None = "203.0.113.7", at: float = T0, caller: str | None = None,
       raw: tuple[str, ...] = ()) -> tuple[Event, float]:
    rec = Record(None, "/var/log/asterisk/full", n, "asterisk", Kind.CALL, source_ip=ip, caller_id=caller,
                 extension=str(n), raw=raw or (f"line {n}",))
    reasons = () if verdict is Verdict.NORMAL else (Reason("scanner_caller_id", f"reason {n}"),)
    return Event(rec, verdict, reasons), at


def test_events_and_positions_commit_together(tmp_path):
    h = History(tmp_path / "h.db")
    pos = Position("/var/log/asterisk/full", 1, 2, "abc", 100, 5)
    ids = h.commit([ev(1, Verdict.GHOST), ev(2, Verdict.NORMAL)], [pos], now=T0)
    assert len(ids) == 2 and ids[1] == ids[0] + 1
    assert h.positions()["/var/log/asterisk/full"] == pos
    # a failing transaction stores neither the events nor the position
    bad = Position("/x", 1, 2, "h", 1, 1)
    with pytest.raises(sqlite3.Error):
        h.commit([ev(3, Verdict.GHOST)], [bad, Position(None, 1, 2, "h", 1, 1)], now=T0)  # type: ignore[arg-type]
    r = HistoryReader(tmp_path / "h.db")
    assert r.count() == 2
    assert "/x" not in h.positions()
    h.close()
    r.close()


def test_queries_for_the_window(tmp_path):
    h = History(tmp_path / "h.db")
    batch = [ev(i, Verdict.GHOST if i % 10 == 0 else Verdict.NORMAL, ip=f"203.0.113.{i % 3}", at=T0 + i * 60)
             for i in range(1, 301)]
    batch.append(ev(999, Verdict.ATTACK, ip="198.51.100.5", at=T0 + 3600, caller='<b>evil</b>\u202e',
                    raw=("first evidence", "second evidence")))
    ids = h.commit(batch, [], now=T0)
    r = HistoryReader(tmp_path / "h.db")

    b = r.bucket_counts(T0, T0 + 6 * 3600, 3600)
    assert b.starts[:2] == [T0, T0 + 3600] and len(b.starts) == 6
    assert b.counts["ghost"][:5] == [5, 6, 6, 6, 6] and b.counts["attack"][1] == 1
    assert b.total("normal") == 270
    fine = r.bucket_counts(T0, T0 + 3600, 600)
    assert sum(fine.counts["ghost"]) == 5 and fine.size == 600

    flagged = frozenset({"ghost", "attack", "suspicious"})
    page1 = r.page(EventFilter(verdicts=flagged), limit=20)
    assert [e.verdict for e in page1[:1]] == [Verdict.GHOST] and page1[0].extension == "300"
    page2 = r.page(EventFilter(verdicts=flagged), before=(page1[-1].epoch, page1[-1].id), limit=20)
    seen = [e.id for e in page1 + page2]
    assert len(seen) == len(set(seen)) == 31
    assert all(e.verdict is not Verdict.NORMAL for e in page1 + page2)
    assert [e.extension for e in r.page(EventFilter(text="evil"))] == ["999"]
    assert [e.extension for e in r.page(EventFilter(text="100%"))] == []  # LIKE wildcards are literal
    assert {e.source_ip for e in r.page(EventFilter(source_ip="203.0.113.1"), limit=500)} == {"203.0.113.1"}
    only_attack = r.page(EventFilter(verdicts=frozenset({"attack"})))
    assert [e.extension for e in only_attack] == ["999"]
    in_range = r.page(EventFilter(start=T0 + 60, end=T0 + 121), limit=10)
    assert sorted(e.extension for e in in_range) == ["1", "2"]

    full = r.event(ids[-1])
    assert full.raw == ("first evidence", "second evidence") and full.caller_id == '<b>evil</b>\u202e'
    assert full.reasons == (Reason("scanner_caller_id", "reason 999"),)

    top = r.top_sources(T0, T0 + 86400)
    # worst verdict first (ghost calls outrank attacks), then most events
    assert {t.ip: t.ghost for t in top[:3]} == {"203.0.113.0": 10, "203.0.113.1": 10, "203.0.113.2": 10}
    assert (top[3].ip, top[3].verdict, top[3].events) == ("198.51.100.5", Verdict.ATTACK, 1)
    assert r.totals(T0, T0 + 86400) == {"ghost": 30, "attack": 1, "suspicious": 0, "normal": 270}
    assert r.span()[0] == T0
    h.close()
    r.close()


def test_retention_prunes_events_and_aggregates(tmp_path):
    h = History(tmp_path / "h.db")
    h.commit([ev(1, Verdict.GHOST, at=T0 - 500 * 86400), ev(2, Verdict.GHOST, at=T0)], [], now=T0)
    assert h.prune(T0 - 400 * 86400) == 1
    r = HistoryReader(tmp_path / "h.db")
    assert r.count() == 1
    assert r.totals(T0 - 600 * 86400, T0 + 86400)["ghost"] == 1
    assert len(r.top_sources(T0 - 600 * 86400, T0 + 86400)) == 1
    h.close()
    r.close()


def test_migration_copies_the_old_file_and_refuses_a_newer_one(tmp_path):
    path = tmp_path / "h.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE leftover (x)")  # a pre-release database at version 0 with something in it
    conn.execute("PRAGMA user_version = 0")
    conn.commit()
    conn.close()
    History(path).close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == VERSION
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer GhostWatch"):
        History(path)


def test_migration_backup_is_made_before_upgrading(tmp_path, monkeypatch):
    import ghostwatch.store.schema as schema

    path = tmp_path / "h.db"
    History(path).close()
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS + ("CREATE TABLE extra (x INTEGER)",))
    monkeypatch.setattr(schema, "VERSION", len(schema.MIGRATIONS))
    schema.connect(path).close()
    backup = tmp_path / f"h.db.v{VERSION}.bak"
    assert backup.exists()
    assert sqlite3.connect(backup).execute("PRAGMA user_version").fetchone()[0] == VERSION
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == VERSION + 1


def test_a_history_written_by_the_first_release_upgrades_in_place(tmp_path):
    """Schema 1 (one event per log line, no evidence column), as release 1 wrote it, opens and keeps its events."""
    from ghostwatch.store.schema import MIGRATIONS, _statements

    path = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in _statements(MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO reason_sets (id, json) VALUES (1, ?)", ('[{"code": "scanner_caller_id", "text": "t"}]',))
    conn.execute("INSERT INTO events (epoch, time, file, line, format, kind, source_ip, source_port, caller_id, "
                 "caller_name, extension, user_agent, call_id, outcome, verdict, rank, reasons_id, raw, channel, tags, "
                 "failure) VALUES (?, NULL, '/var/log/asterisk/full', 12, 'asterisk', 'call', '203.0.113.7', 5060, "
                 "'1001', NULL, '201', NULL, NULL, 'rejected', 'ghost', 3, 1, 'the old line', NULL, '', 0)", (T0,))
    conn.execute("INSERT INTO counts VALUES (60, ?, 'ghost', 1)", (T0,))
    conn.close()

    h = History(path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == VERSION >= 2
    assert (tmp_path / "history.sqlite3.v1.bak").exists()
    reader = HistoryReader(path)
    try:
        old = reader.event(1)
        assert (old.caller_id, str(old.verdict), old.raw) == ("1001", "ghost", ("the old line",))
        assert [(e.file, e.line, e.format) for e in old.lines] == [("/var/log/asterisk/full", 12, "asterisk")]
        # the new release goes on numbering after the old rows and stores joined evidence
        new_event, at = ev(2, Verdict.GHOST, at=T0 + 60)
        ids = h.commit([(new_event, at, h.next_id(), None)], [], now=T0)
        assert ids == [2] and reader.totals(T0, T0 + 86400)["ghost"] == 2
    finally:
        reader.close()
        h.close()


def test_an_update_moves_the_aggregates_from_the_old_verdict_to_the_new(tmp_path):
    h = History(tmp_path / "h.db")
    reader = HistoryReader(tmp_path / "h.db")
    try:
        first, at = ev(1, Verdict.SUSPICIOUS)
        [eid] = h.commit([(first, at, 1, None)], [], now=T0)
        upgraded = first._replace(verdict=Verdict.ATTACK, reasons=(Reason("brute_force", "guessing"),))
        assert h.commit([(upgraded, at, eid, History.counted(first, at))], [], now=T0) == [eid]
        assert reader.totals(T0, T0 + 86400) == {"ghost": 0, "attack": 1, "suspicious": 0, "normal": 0}
        assert [(s.ip, s.events, s.attack, s.suspicious) for s in reader.top_sources(T0, T0 + 86400)] == \
            [("203.0.113.7", 1, 1, 0)]
        assert reader.count() == 1 and str(reader.event(eid).verdict) == "attack"
    finally:
        reader.close()
        h.close()
