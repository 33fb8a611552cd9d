"""kill -9 at random moments, log rotation in between, and permissions: every line stored exactly once."""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from .harness import lines
from .proc import wait_db, watch

TOTAL = 2400


def _stored(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute("SELECT extension FROM events ORDER BY id")]
    finally:
        conn.close()


def test_kill_9_at_random_points_loses_and_repeats_nothing(tmp_path):
    rng = random.Random(20261126)
    logs = tmp_path / "logs"
    logs.mkdir()
    live = logs / "messages"
    live.write_bytes(b"")
    db = tmp_path / "data" / "history.sqlite3"
    args = [str(logs), "--json", "--data-dir", str(tmp_path / "data"), "--retention-days", "0"]
    w = watch(args)
    wait_db(db, "SELECT COUNT(*) FROM positions", lambda n: n >= 1)  # following "from now on" has begun
    written = 0
    kills = 0
    rotations = 0
    while written < TOTAL:
        # write a few bursts while it runs, sometimes rotating the log like logrotate does at night
        for _ in range(rng.randint(1, 4)):
            n = min(TOTAL - written, rng.randint(1, 120))
            with open(live, "ab") as fh:
                fh.write(lines(written + 1, written + 1 + n))
            written += n
            if rng.random() < 0.15:
                _logrotate(logs, rotations)
                rotated = logs / "messages.1"
                with open(rotated, "ab") as fh:  # the PBX keeps writing to the old file until it reopens
                    n = min(TOTAL - written, rng.randint(0, 40))
                    fh.write(lines(written + 1, written + 1 + n))
                    written += n
                live.write_bytes(b"")
                rotations += 1
        threading.Event().wait(rng.uniform(0.0, 0.4))  # a random kill point, not a wait for something
        w.kill()
        kills += 1
        if rng.random() < 0.3 and written < TOTAL:  # lines written while GhostWatch is down
            n = min(TOTAL - written, rng.randint(1, 100))
            with open(live, "ab") as fh:
                fh.write(lines(written + 1, written + 1 + n))
            written += n
        w = watch(args)
    wait_db(db, "SELECT COUNT(*) FROM events", lambda n: n >= TOTAL, timeout=60)
    assert w.terminate() == 0
    stored = _stored(db)
    assert len(stored) == TOTAL, f"{len(stored)} stored for {TOTAL} lines after {kills} kills, {rotations} rotations"
    assert sorted(map(int, stored)) == list(range(1, TOTAL + 1))
    assert kills >= 5 and rotations >= 2, (kills, rotations)


def _logrotate(logs: Path, done: int) -> None:
    """What logrotate does (without compression): messages.N -> messages.N+1, messages -> messages.1."""
    for n in range(done, 0, -1):
        os.rename(logs / f"messages.{n}", logs / f"messages.{n + 1}")
    os.rename(logs / "messages", logs / "messages.1")


# root reads every file: take away the two capabilities that let it, so it meets permissions like an office user
NO_DAC = ("setpriv", "--bounding-set=-dac_override,-dac_read_search")


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_permission_denied_is_explained_and_recovers_without_restart(tmp_path):
    root = os.geteuid() == 0
    if root and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv (util-linux): cannot make a file unreadable to root")
    logs = tmp_path / "logs"
    logs.mkdir()
    f = logs / "messages"
    f.write_bytes(lines(1, 3))
    if root:
        os.chown(f, 65534, 4)  # owned by another user and the adm group, like Debian's /var/log files
    os.chmod(f, 0o640 if root else 0o000)
    w = watch([str(logs), "--json", "--data-dir", str(tmp_path / "data")], prefix=NO_DAC if root else ())
    try:
        line = w.expect(w.stderr, "permission denied")
        if root:
            assert "Add your user to the 'adm' group" in line and "sudo usermod -aG adm $USER" in line
        os.chmod(f, 0o644)
        w.expect(w.stderr, "Watching 1 log file")
        with open(f, "ab") as fh:
            fh.write(lines(3, 5))
        assert '"extension": "3"' in w.expect(w.stdout, '"extension": "3"')
        assert '"extension": "4"' in w.expect(w.stdout, '"extension": "4"')
    finally:
        assert w.terminate() == 0


def test_a_quiet_session_is_remembered_as_watched(rig):
    # A quiet PBX logs nothing for hours while GhostWatch watches. "It rang" at such a time must get the answer
    # "the PBX never saw it" (the call went straight to the phone), not "GhostWatch was not watching then": the
    # monitor records its sessions in the history, and each restart begins a new one.
    from ghostwatch.core.hardening.rang import explain_ring
    from ghostwatch.store.queries import HistoryReader

    rig.watching()
    rig.stop()
    reader = HistoryReader(rig.db)
    try:
        (since, until), = reader.watched()
        assert since <= until and reader.span() is None  # watched, yet not one event logged
        assert explain_ring(reader, (since + until) / 2).verdict == "pbx_never_saw_it"
        assert explain_ring(reader, since - 86400).verdict == "not_watching"
    finally:
        reader.close()
    rig.start(rig.tmp / "logs")
    rig.stop()
    reader = HistoryReader(rig.db)
    try:
        assert len(reader.watched()) == 2
    finally:
        reader.close()
