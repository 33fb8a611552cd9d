"""One writer per history (issue 15): two real `ghostwatch watch` processes on one data directory; the second
exits at once with one line naming the first (pid, command); a killed holder leaves no stale lock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ghostwatch.store.lock import HistoryLocked, WriterLock

from ..conftest import stop_process

LINE = ("[Oct 10 16:29:{:02d}] NOTICE[21261]: res_pjsip/pjsip_distributor.c:649 log_failed_request: Request "
        "'REGISTER' from '<sip:100@pbx.example>' failed for '198.51.100.77:5060' (callid: c{}) - "
        "Failed to authenticate\n")


def watch(data: Path, logs: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ghostwatch", "watch", "--data-dir", str(data), *extra, str(logs)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def holder_pid(lock: Path, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return int(json.loads(lock.read_text())["pid"])
        except (OSError, ValueError, KeyError):
            time.sleep(0.05)  # another process writes the note; nothing to block on
    raise AssertionError(f"no holder note in {lock}")


def test_a_second_watch_on_the_same_history_is_refused(tmp_path):
    logs, data = tmp_path / "logs", tmp_path / "data"
    logs.mkdir()
    (logs / "messages").write_text("".join(LINE.format(i, i) for i in range(3)))
    first = watch(data, logs, "--from-start")
    try:
        pid = holder_pid(data / "history.sqlite3.lock")
        assert pid == first.pid
        second = watch(data, logs, "--from-start")
        try:
            _out, err = second.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            stop_process(second)
            raise AssertionError("the second watch kept running on the same history") from None
        assert second.returncode == 2, err
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert f"process {first.pid} (ghostwatch watch --data-dir {data}" in lines[0] and "Traceback" not in err
        assert first.poll() is None  # the holder goes on
    finally:
        stop_process(first)


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    logs, data = tmp_path / "logs", tmp_path / "data"
    logs.mkdir()
    (logs / "messages").write_text(LINE.format(1, 1))
    first = watch(data, logs)
    try:
        holder_pid(data / "history.sqlite3.lock")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        stop_process(first)
    again = watch(data, logs, "--once")
    _out, err = again.communicate(timeout=60)
    assert again.returncode == 0, err


def test_the_lock_names_its_holder_in_process(tmp_path):
    db = tmp_path / "history.sqlite3"
    with WriterLock(db, ["ghostwatch", "watch", "/var/log/asterisk"]):
        with pytest.raises(HistoryLocked, match=rf"process {os.getpid()} \(ghostwatch watch /var/log/asterisk\)"):
            WriterLock(db).acquire()  # flock locks per open file: a second open in one process is refused too
    with WriterLock(db):  # released: free again
        pass
