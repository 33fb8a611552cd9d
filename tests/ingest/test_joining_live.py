"""Joining live: a call's lines arrive over seconds and from different files; its stored event is created at once
and enriched in place (table row, history and aggregates follow), never duplicated."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ghostwatch.core.events import Verdict

from .harness import Rig

DIALPLAN = ('[2026-11-26 02:14:00] VERBOSE[2500][C-000001a5] pbx.c: Executing [201@from-sip-external:1] '
            'NoOp("PJSIP/anonymous-00000045", "Received incoming SIP connection from unknown peer to 201") in new '
            'stack\n'
            '[2026-11-26 02:14:00] VERBOSE[2500][C-000001a5] pbx.c: Executing [201@from-sip-external:2] '
            'Dial("PJSIP/anonymous-00000045", "PJSIP/201,20") in new stack\n')
RINGING = ('[2026-11-26 02:14:01] VERBOSE[2500][C-000001a5] app_dial.c: PJSIP/201-00000046 is ringing\n'
           '[2026-11-26 02:14:21] VERBOSE[2500][C-000001a5] app_dial.c: Nobody picked up in 20000 ms\n')
CDR = ('"","1001","201","from-sip-external","""1001"" <1001>","PJSIP/anonymous-00000045","PJSIP/201-00000046",'
       '"Dial","PJSIP/201,20","2026-11-26 02:14:00",,"2026-11-26 02:14:04",4,0,"NO ANSWER","DOCUMENTATION",'
       '"1795658040.69",""\n')


def rows(db: Path) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT id, verdict, caller_id, outcome, evidence != '' FROM events").fetchall()
    finally:
        conn.close()


def counts(db: Path) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT res, verdict, n FROM counts ORDER BY res, verdict").fetchall()
    finally:
        conn.close()


def test_a_calls_cdr_row_arriving_later_enriches_its_event(rig: Rig, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    (logs / "cdr-csv").mkdir(parents=True)
    full, cdr = logs / "full", logs / "cdr-csv" / "Master.csv"
    full.write_bytes(b"")
    cdr.write_bytes(b"")
    rig.start(logs)
    with open(full, "a") as fh:
        fh.write(DIALPLAN)
    rig.collector.wait(lambda c: len(c.events) == 1)
    first = rig.collector.events[0]
    assert first.verdict is Verdict.GHOST and first.record.caller_id is None  # the dialplan does not name the caller
    with open(full, "a") as fh:
        fh.write(RINGING)
    rig.collector.wait(lambda c: str(c.events[0].record.outcome) == "rang")
    with open(cdr, "a") as fh:  # the CDR is written when the call hangs up, seconds later, in another file
        fh.write(CDR)
    rig.collector.wait(lambda c: c.events[0].record.caller_id == "1001")
    assert rig.monitor.settle()
    assert len(rig.collector.events) == 1 and len(rig.collector.updates) == 2
    event = rig.collector.events[0]
    assert sorted(x.format for x in event.lines) == ["asterisk", "asterisk", "asterisk_cdr"]  # not "is ringing"
    stored = rows(rig.db)
    assert stored == [(rig.collector.ids[0], "ghost", "1001", "rang", 1)]  # one row, enriched in place
    assert counts(rig.db) == [(60, "ghost", 1), (3600, "ghost", 1)]  # the plot counts one ghost call


def test_a_run_that_turns_out_to_be_an_attack_updates_its_earlier_attempts(rig: Rig) -> None:
    _logs, log = rig.watching("security")
    line = ('[2026-11-26 02:20:{s:02d}] SECURITY[2290] res_security_log.c: SecurityEvent="ChallengeResponseFailed",'
            'EventTV="2026-11-26T02:20:{s:02d}.120+0000",Severity="Error",Service="PJSIP",EventVersion="1",'
            'AccountID="201",SessionID="s{s}",LocalAddress="IPV4/UDP/192.168.1.10/5060",'
            'RemoteAddress="IPV4/UDP/203.0.113.66/5070"\n')
    with open(log, "a") as fh:
        fh.write("".join(line.format(s=s) for s in range(3)))
    rig.collector.wait(lambda c: len(c.events) == 3)
    assert {e.verdict for e in rig.collector.events} == {Verdict.SUSPICIOUS}
    with open(log, "a") as fh:
        fh.write("".join(line.format(s=s) for s in range(3, 8)))
    rig.collector.wait(lambda c: len(c.events) == 8 and {e.verdict for e in c.events} == {Verdict.ATTACK})
    assert set(rig.collector.updates) >= set(rig.collector.ids[:3])
    assert rig.monitor.settle()
    conn = sqlite3.connect(rig.db)
    try:
        assert conn.execute("SELECT verdict, COUNT(*) FROM events GROUP BY verdict").fetchall() == [("attack", 8)]
        assert conn.execute("SELECT n FROM counts WHERE res = 60 AND verdict = 'suspicious'").fetchall() == []
        assert conn.execute("SELECT events, flagged, attack, suspicious FROM sources").fetchall() == [(8, 8, 8, 0)]
    finally:
        conn.close()


def test_an_empty_log_counts_as_watched_and_is_read_when_lines_come(rig: Rig, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "messages").write_bytes(b"")  # the PBX has not written yet: still one log GhostWatch watches
    rig.start(logs)
    rig.collector.wait(lambda c: c.statuses and c.statuses[-1].message.startswith("Watching 1 log file"))
    with open(logs / "messages", "a") as fh:
        fh.write(DIALPLAN)
    rig.collector.wait(lambda c: len(c.events) == 1)
