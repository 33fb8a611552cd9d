"""A full disk and read-only media under a live monitor (issue 15): one clear line, no traceback, the monitor says
it stopped, nothing half-written, and after space is freed a restart stores every line exactly once.

The full disk is real: a tmpfs of a few hundred KB mounted for the test (needs root, as in CI); SQLite's
max_page_count is used only for the in-process check, which runs everywhere."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from ghostwatch.core.events import Event, Kind, Reason, Record, Verdict
from ghostwatch.store.disk import WriteFailed
from ghostwatch.store.history import History, Position

LINE = ("[Oct 10 16:{:02d}:{:02d}] NOTICE[21261]: res_pjsip/pjsip_distributor.c:649 log_failed_request: Request "
        "'REGISTER' from '<sip:{}@pbx.example>' failed for '198.51.100.{}:5060' (callid: {}) - "
        "Failed to authenticate\n")


def log_lines(n: int) -> str:
    return "".join(LINE.format(i // 60 % 60, i % 60, 100 + i % 50, 1 + i % 200, f"{i:06d}-" + "x" * 400)
                   for i in range(n))


@pytest.fixture
def tiny_disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mnt)], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def watch(data: Path, logs: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ghostwatch", "watch", "--from-start", "--once", "--all",
                           "--data-dir", str(data), str(logs)], capture_output=True, text=True, timeout=300)


def stored(db: Path, log: Path) -> tuple[int, int, int]:
    """(events stored, lines before the stored position, distinct call ids) of the history at `db`."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        events = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        distinct = conn.execute("SELECT COUNT(DISTINCT call_id) FROM events").fetchone()[0]
        row = conn.execute("SELECT offset FROM positions WHERE path = ?", (str(log),)).fetchone()
    finally:
        conn.close()
    offset = row[0] if row else 0
    return events, log.read_bytes()[:offset].count(b"\n"), distinct


def test_a_full_disk_is_one_clear_line_and_nothing_half_written(tmp_path, tiny_disk):
    logs = tmp_path / "logs"
    logs.mkdir()
    log = logs / "messages"
    log.write_text(log_lines(3000))  # ~1.5 MB of evidence for a 400 KB disk
    data = tiny_disk / "data"
    proc = watch(data, logs)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "cannot rollback" not in proc.stderr, proc.stderr[-3000:]
    assert "the disk is full: cannot store events in" in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith("ghostwatch: the disk is full"), proc.stderr[-2000:]
    assert sum("disk is full" in line for line in lines) == 1, proc.stderr[-2000:]
    events, lines, distinct = stored(data / "history.sqlite3", log)
    assert events == lines == distinct < 3000  # the stored position covers exactly the stored events
    # free space (a bigger disk) and start again: every line stored exactly once
    subprocess.run(["mount", "-o", "remount,size=64m", str(tiny_disk)], check=True)
    again = watch(data, logs)
    assert again.returncode == 0, again.stderr[-3000:]
    assert stored(data / "history.sqlite3", log) == (3000, 3000, 3000)


def test_read_only_media_is_one_clear_line(tmp_path, tiny_disk):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "messages").write_text(log_lines(5))
    data = tiny_disk / "data"
    assert watch(data, logs).returncode == 0
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    (logs / "messages").write_text(log_lines(10))
    proc = watch(data, logs)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "read-only" in lines[0].lower() and "Traceback" not in proc.stderr, proc.stderr


def event(n: int) -> tuple[Event, float]:
    rec = Record(None, "/var/log/asterisk/full", n, "asterisk", Kind.AUTH_FAILURE, source_ip=f"203.0.113.{n % 250}",
                 call_id=uuid.uuid4().hex, raw=("x" * 2000,))
    return Event(rec, Verdict.ATTACK, (Reason("auth_failure", "failed"),)), 1.78e9 + n


def test_a_failed_commit_rolls_back_whole_and_says_the_disk_is_full(tmp_path):
    """SQLite's max_page_count makes the database "full" without a small file system (runs without root)."""
    db = tmp_path / "h.sqlite3"
    history = History(db)
    history.conn.execute(f"PRAGMA max_page_count = {history.conn.execute('PRAGMA page_count').fetchone()[0] + 40}")
    committed = 0
    with pytest.raises(WriteFailed, match=r"^the disk is full: "):
        for batch in range(1000):
            pos = Position("/var/log/messages", 1, 2, "h", (batch + 1) * 100, (batch + 1) * 10 + 1, 0, "asterisk")
            history.commit([event(batch * 10 + i) for i in range(10)], [pos], now=1.78e9)
            committed = batch + 1
    assert committed > 0
    history.close()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == committed * 10
    assert conn.execute("SELECT offset FROM positions").fetchone()[0] == committed * 100
    conn.close()
