"""Over-long lines: the reader's carry buffer is capped, a cut line still reaches the parser once (issue 15)."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from datetime import datetime
from pathlib import Path

from ghostwatch.core.formats.base import FeedResult, Parser
from ghostwatch.core.text import CUT_MARK, MAX_LINE_CHARS, decode_line
from ghostwatch.core.timeparse import Clock
from ghostwatch.ingest.follow import Follower
from ghostwatch.ingest.reader import CHUNK, LINE_CAP, FileStats, iter_results

from .harness import SIGNATURES


class LineRecorder(Parser):
    """A dialect that understands every line: records (line number, length, head, tail) of what it is handed.

    The reader is what is under test here; a real dialect would hide whether a line arrived cut or whole.
    """

    format = "recorder"

    def __init__(self) -> None:
        super().__init__("x", Clock(datetime(2026, 1, 1)), SIGNATURES)
        self.seen: list[tuple[int, int, bytes, bytes]] = []

    def feed(self, buf: bytes, line_no: int, final: bool) -> FeedResult:
        lines = buf.split(b"\n")
        if buf.endswith(b"\n"):
            lines.pop()
        for i, line in enumerate(lines):
            self.seen.append((line_no + i, len(line), line[:8], line[-8:]))
        return FeedResult(consumed=len(buf), lines=len(lines))


def read_all(path: Path) -> tuple[LineRecorder, FileStats]:
    parser = LineRecorder()
    stats = FileStats(str(path))
    for _ in iter_results(path, parser, stats):
        pass
    return parser, stats


def test_long_lines_are_cut_in_the_middle_and_counted_once(tmp_path):
    f = tmp_path / "log"
    within = b"HEAD" + b"a" * (LINE_CAP - 100) + b"TAIL"          # under the cap: whole
    across = b"BEGIN" + b"b" * (3 * CHUNK + 12345) + b"THE-END"      # spans chunks: cut
    f.write_bytes(b"one\n" + within + b"\n" + across + b"\n" + b"four\n" + b"C" * (2 * CHUNK) + b"LAST")
    parser, stats = read_all(f)
    nums = [s[0] for s in parser.seen]
    assert nums == [1, 2, 3, 4, 5]
    assert stats.lines == 5 and stats.cut_lines == 2
    assert parser.seen[1][1] == len(within)
    _, n, head, tail = parser.seen[2]
    assert head == b"BEGINbbb" and tail.endswith(b"THE-END")         # both ends kept
    assert n == LINE_CAP + len(CUT_MARK.encode())
    assert parser.seen[3][2] == b"four"
    assert parser.seen[4][3] == b"CCCCLAST" and parser.seen[4][1] <= LINE_CAP + 32


def test_a_huge_line_without_newline_never_grows_the_buffer(tmp_path):
    f = tmp_path / "log"
    with open(f, "wb") as fh:
        fh.write(b"first\n")
        for _ in range(24):
            fh.write(b"z" * CHUNK)
    tracemalloc.start()
    try:
        parser, stats = read_all(f)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stats.lines == 2 and [s[0] for s in parser.seen] == [1, 2]
    assert peak < 6 * CHUNK, f"peak {peak >> 20} MiB while reading a 24 MiB line"


def test_live_following_cuts_a_huge_line_and_keeps_its_end(tmp_path):
    f = tmp_path / "messages"
    pjsip = ("[Oct 10 16:29:51] NOTICE[21261]: res_pjsip/pjsip_distributor.c:649 log_failed_request: Request "
             "'REGISTER' from '<sip:100@x>' failed for '203.0.113.9:5060' (callid: {}) - Failed to authenticate\n")
    f.write_text(pjsip.format("ok"))
    fol = Follower([f], SIGNATURES, {}, import_history=True)
    fol.rescan()
    first = fol.poll()
    assert [c.data.count(b"\n") for c in first] == [1]
    ff = first[0].source
    ff.advance(first[0], len(first[0].data), 1)
    # a 5 MiB line still being written: nothing is handed over, and reading it stays in bounded blocks
    huge = pjsip.format("c" * (5 << 20)).encode()
    with open(f, "ab") as fh:
        fh.write(huge[:-200])
    tracemalloc.start()
    try:
        assert fol.poll() == []
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20
    with open(f, "ab") as fh:
        fh.write(huge[-200:] + pjsip.format("after").encode())
    chunks = fol.poll()
    assert len(chunks) == 1
    data = chunks[0].data
    assert data.count(b"\n") == 1 and len(data) <= LINE_CAP + 64
    assert data.endswith(b") - Failed to authenticate\n") and b"failed for '203.0.113.9:5060'" in data
    assert chunks[0].span == len(huge)
    ff.advance(chunks[0], len(data), 1)
    assert ff.line == 3
    chunks = fol.poll()
    assert b"(callid: after)" in chunks[0].data and chunks[0].line == 3


def test_decode_line_keeps_both_ends_of_a_long_line():
    line = b"PREFIX " + b"x" * 100_000 + b" - Wrong password"
    text = decode_line(line)
    assert text.startswith("PREFIX xxx") and text.endswith("xxx - Wrong password")
    assert len(text) <= MAX_LINE_CHARS + len(CUT_MARK)


def brute_force(n: int, callid_len: int) -> str:
    out = []
    for i in range(n):
        callid = f"{i:02d}" + "A" * callid_len
        out.append(f"[Oct 10 16:29:{10 + i:02d}] NOTICE[21261]: res_pjsip/pjsip_distributor.c:649 log_failed_request: "
                   f"Request 'REGISTER' from '<sip:10{i}@pbx.example>' failed for '198.51.100.77:5060' "
                   f"(callid: {callid}) - Failed to authenticate\n")
    return "".join(out)


def scan_json(path: Path) -> tuple[int, dict]:
    proc = subprocess.run([sys.executable, "-m", "ghostwatch", "scan", "--json", "--all", "--fail-on", "attack",
                           str(path)], capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_a_33_kb_callid_brute_force_is_still_an_attack(tmp_path):
    short, long = tmp_path / "short" , tmp_path / "long"
    short.mkdir(), long.mkdir()
    (short / "messages").write_text(brute_force(8, 20))
    (long / "messages").write_text(brute_force(8, 33_000))
    code_short, short_doc = scan_json(short / "messages")
    code_long, long_doc = scan_json(long / "messages")
    assert code_short == 1  # the same attack with short Call-IDs is found today: the baseline
    assert [f["lines"] for f in long_doc["summary"].get("files", [{"lines": 8}])] == [8]
    assert code_long == 1
    assert {s["ip"]: s["verdict"] for s in long_doc["sources"]} == {"198.51.100.77": "attack"}
    assert len(long_doc["events"]) == len(short_doc["events"])


def test_a_33_kb_callid_brute_force_is_an_attack_in_watch_too(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "messages").write_text(brute_force(8, 33_000))
    proc = subprocess.run([sys.executable, "-m", "ghostwatch", "watch", "--once", "--from-start", "--json", "--all",
                           "--data-dir", str(tmp_path / "data"), str(logs)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(events) == 8
    assert {(e["source_ip"], e["verdict"]) for e in events[-3:]} == {("198.51.100.77", "attack")}
    assert [e["line"] for e in events] == list(range(1, 9))


def test_a_rotated_file_ending_in_a_huge_unfinished_line_is_read_to_its_end(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    ok = brute_force(1, 4).encode()
    (logs / "messages.1").write_bytes(ok + b"y" * (6 << 20))  # rotated away in the middle of a line
    (logs / "messages").write_bytes(ok)
    fol = Follower([logs], SIGNATURES, {}, import_history=True)
    fol.rescan()
    rotated = []
    for _ in range(10):
        for chunk in fol.poll():
            ff = chunk.source
            if ff.rotated:
                rotated.append(chunk)
            ff.advance(chunk, len(chunk.data), chunk.data.count(b"\n"))
            if ff.done:
                fol.finished(ff)
        if not fol.draining:
            break
    assert not fol.draining, "the rotated file was never finished"
    data = b"".join(c.data for c in rotated)
    assert data.count(b"\n") == 2 and len(data) <= len(ok) + LINE_CAP + 64
    assert sum(c.span or len(c.data) for c in rotated) == len(ok) + (6 << 20)


def test_scan_says_how_many_lines_it_cut(tmp_path):
    log = tmp_path / "messages"
    log.write_text(brute_force(1, 3 << 20) + brute_force(2, 10))
    proc = subprocess.run([sys.executable, "-m", "ghostwatch", "scan", str(log)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "3 lines, " in proc.stdout and "1 over-long line cut in the middle" in proc.stdout
