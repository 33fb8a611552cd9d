"""The same lines give the same events whether read in one scan or followed line by line, in any chunking."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ghostwatch.cli import load_signatures
from ghostwatch.core.judge import Judge
from ghostwatch.core.settings import DetectionSettings
from ghostwatch.core.timeparse import Clock
from ghostwatch.demo.write import write_logs
from ghostwatch.ingest.reader import choose_parser
from ghostwatch.ingest.scan import scan

SETTINGS = DetectionSettings(home_region="US")


def test_line_by_line_equals_whole_scan(tmp_path: Path) -> None:
    write_logs(tmp_path, datetime(2026, 11, 25))
    full = tmp_path / "full"
    whole: list[dict] = []
    scan([full], SETTINGS, load_signatures(), lambda e: whole.append(e.to_json()))

    sigs = load_signatures()
    parser = choose_parser(full, sigs, Clock(datetime(2026, 11, 26)))
    judge = Judge(SETTINGS, sigs)  # what the live monitor does: every attempt judged as its lines arrive
    attempts: dict = {}
    data = full.read_bytes()
    pending = b""
    line_no = 1
    for raw in data.splitlines(keepends=True):  # a live follower's worst case: one line per read
        pending += raw
        res = parser.feed(pending, line_no, final=False)
        line_no += res.lines
        pending = pending[res.consumed:]
        for rec in res.records:
            attempts.update((a.id, a) for a, _new in judge.feed(rec))
    if pending:
        res = parser.feed(pending, line_no, final=True)
        for rec in res.records:
            attempts.update((a.id, a) for a, _new in judge.feed(rec))
    streamed = [a.event.to_json() for a in attempts.values()]
    assert sorted(streamed, key=_first_line) == sorted(whole, key=_first_line)
    assert any(e["format"] == "asterisk_sip_trace" for e in streamed)  # the multi-line block survived chunking


def _first_line(event: dict) -> int:
    return event["line"]
