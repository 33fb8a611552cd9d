"""Command-line edges an attacker or a broken system reaches (issue 15): extreme dates, unreadable logs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ghostwatch.core.events import Event, Kind, Reason, Record, Verdict
from ghostwatch.store.history import History

from .test_cli import NO_DAC, run

ATTACK = ("[Oct 10 16:29:{:02d}] NOTICE[21261]: res_pjsip/pjsip_distributor.c:649 log_failed_request: Request "
          "'REGISTER' from '<sip:10{}@pbx.example>' failed for '198.51.100.77:5060' (callid: c{}) - "
          "Failed to authenticate\n")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory with a real history holding one event (rang only looks dates up when there is one)."""
    rec = Record(None, "/var/log/asterisk/full", 1, "asterisk", Kind.CALL, source_ip="203.0.113.7")
    history = History(tmp_path / "data" / "history.sqlite3")
    history.commit([(Event(rec, Verdict.GHOST, (Reason("scanner_caller_id", "fake"),)), 1.78e9)], [], now=1.78e9)
    history.close()
    return tmp_path / "data"


@pytest.mark.parametrize("when", ["0001-01-01 00:00", "0001-01-01T00:00", "9999-12-31 23:59", "1000-06-15 12:00",
                                  "1969-07-20 20:17"])
def test_rang_with_an_extreme_date_is_one_clear_line(data_dir: Path, when: str) -> None:
    proc = run("rang", "--data-dir", str(data_dir), when)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "ghostwatch rang:" in lines[0] and "1970" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("when", ["2026-02-30 10:00", "99:99", "2026-13-01 00:00", "yesterday", "", "\u202e12:00"])
def test_rang_with_a_malformed_date_is_one_clear_line(data_dir: Path, when: str) -> None:
    proc = run("rang", "--data-dir", str(data_dir), when)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def unreadable(path: Path) -> tuple[str, ...]:
    """Make `path` unreadable; the command prefix that drops root's right to read it anyway."""
    root = os.geteuid() == 0
    if root and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv (util-linux): cannot make a file unreadable to root")
    if root:
        os.chown(path, 65534, 65534)
    path.chmod(0)
    return NO_DAC if root else ()


def test_an_unreadable_log_is_never_a_clean_scan(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "full").write_text("".join(ATTACK.format(i, i, i) for i in range(1)))
    bad = logs / "messages"
    bad.write_text("".join(ATTACK.format(i, i, i) for i in range(10)))
    prefix = unreadable(bad)
    proc = run("scan", "--fail-on", "attack", str(logs), prefix=prefix)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Nothing suspicious found.\n" not in proc.stdout
    assert f"Could not read {bad}" in proc.stdout
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and str(bad) in err[0] and "Permission denied" in err[0] and "Traceback" not in proc.stderr


def test_a_readable_scan_still_exits_0_or_1(tmp_path: Path) -> None:
    log = tmp_path / "messages"
    log.write_text(ATTACK.format(1, 1, 1))
    assert run("scan", "--fail-on", "attack", str(log)).returncode == 0
    log.write_text("".join(ATTACK.format(i, i, i) for i in range(10)))
    assert run("scan", "--fail-on", "attack", str(log)).returncode == 1


@pytest.mark.parametrize("when", [-62135596800.0, 253402300800.0, 1e300, float("-inf")])
def test_explain_ring_survives_any_epoch(data_dir: Path, when: float) -> None:
    """The app's "it rang" dialog calls explain_ring directly: no date the user types may raise there."""
    from ghostwatch.core.hardening.rang import explain_ring
    from ghostwatch.store.queries import HistoryReader

    reader = HistoryReader(data_dir / "history.sqlite3")
    try:
        answer = explain_ring(reader, when)
    finally:
        reader.close()
    assert answer.verdict == "not_watching"
