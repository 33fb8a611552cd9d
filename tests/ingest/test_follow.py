"""Following real files with real watchdog observers: every line exactly once, whatever the PBX does to its logs."""

from __future__ import annotations

import gzip
import os
import shutil

from .harness import append, lines, probe_line


def _ext(a: int, b: int) -> list[str]:
    return [str(n) for n in range(a, b)]


def test_reports_the_observer_kind(rig, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "messages").write_bytes(b"")
    rig.start(logs)
    status = rig.monitor.status
    assert status.observer == ("polling" if rig.polling else "inotify")
    assert status.state == "live"


def test_existing_content_is_skipped_then_growth_is_followed(rig, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    f = logs / "messages"
    f.write_bytes(lines(1, 6))
    rig.start(logs)
    append(f, lines(6, 9))
    rig.collector.wait(lambda c: len(c.events) >= 3)
    append(f, lines(9, 12))
    rig.collector.wait(lambda c: len(c.events) >= 6)
    assert rig.collector.extensions() == _ext(6, 12)
    assert [e.record.line for e in rig.collector.events] == list(range(6, 12))  # line numbers count what was skipped


def test_half_written_line_waits_for_its_newline(rig, tmp_path):
    f = tmp_path / "messages"
    f.write_bytes(b"")
    rig.start(f)
    whole = probe_line(1)
    append(f, whole[:40])
    assert rig.monitor.settle()
    assert rig.collector.events == []
    append(f, whole[40:])
    rig.collector.wait(lambda c: len(c.events) == 1)
    assert rig.collector.extensions() == ["1"]


def test_copytruncate(rig, tmp_path):
    logs, f = rig.watching()
    append(f, lines(1, 5))
    rig.collector.wait(lambda c: len(c.events) == 4)
    shutil.copy(f, logs / "messages.1")
    with open(f, "r+b") as fh:
        fh.truncate(0)
    append(f, lines(5, 7))
    rig.collector.wait(lambda c: len(c.events) >= 6)
    assert rig.monitor.settle()
    assert rig.collector.extensions() == _ext(1, 7)


def test_rename_rotation_drains_the_old_file_first(rig, tmp_path):
    logs, f = rig.watching()
    append(f, lines(1, 4))
    rig.collector.wait(lambda c: len(c.events) == 3)
    os.rename(f, logs / "messages.1")
    append(logs / "messages.1", lines(4, 6))  # the PBX writes to the old file until it reopens its log
    f.write_bytes(lines(6, 9))
    rig.collector.wait(lambda c: len(c.events) >= 8)
    assert rig.monitor.settle()
    assert sorted(rig.collector.extensions(), key=int) == _ext(1, 9)
    assert rig.stored_extensions() == rig.collector.extensions()


def test_dated_rotation_name(rig, tmp_path):
    logs, f = rig.watching("full")
    append(f, lines(1, 3))
    rig.collector.wait(lambda c: len(c.events) == 2)
    os.rename(f, logs / "full-20261126")
    append(logs / "full-20261126", lines(3, 4))
    f.write_bytes(lines(4, 5))
    rig.collector.wait(lambda c: len(c.events) >= 4)
    assert sorted(rig.collector.extensions(), key=int) == _ext(1, 5)


def test_delete_and_recreate(rig, tmp_path):
    logs, f = rig.watching()
    append(f, lines(1, 3))
    rig.collector.wait(lambda c: len(c.events) == 2)
    f.unlink()
    assert rig.monitor.settle()
    f.write_bytes(lines(3, 6))
    rig.collector.wait(lambda c: len(c.events) >= 5)
    assert rig.collector.extensions() == _ext(1, 6)


def test_rewritten_file_is_read_again(rig, tmp_path):
    f = tmp_path / "messages"
    f.write_bytes(b"")
    rig.start(f)
    append(f, lines(1, 3))
    rig.collector.wait(lambda c: len(c.events) == 2)
    # same inode, bigger than before, but different content from the first byte: a rewrite, not growth
    with open(f, "r+b") as fh:
        fh.write(lines(10, 14))
    rig.collector.wait(lambda c: len(c.events) >= 6)
    assert rig.collector.extensions() == _ext(1, 3) + _ext(10, 14)


def test_directory_that_appears_later(rig, tmp_path):
    logs = tmp_path / "not-yet" / "asterisk"
    rig.start(logs)
    assert rig.monitor.status.waiting_for == (str(logs),)
    assert "Waiting for" in rig.monitor.status.message
    logs.mkdir(parents=True)
    (logs / "messages").write_bytes(lines(1, 4))  # a file born after the start is read from its first line
    rig.collector.wait(lambda c: len(c.events) == 3)
    assert rig.collector.extensions() == _ext(1, 4)
    rig.collector.wait(lambda c: c.statuses[-1].waiting_for == ())


def test_new_file_in_the_directory_is_sniffed(rig, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    rig.start(logs)
    (logs / "notes.txt").write_text("shopping list\nmilk\n")
    (logs / "security").write_text(
        '[Nov 26 10:00:00] SECURITY[77]: res_security_log.c:114 security_event_stasis_cb: '
        'SecurityEvent="InvalidAccountID",EventTV="2026-11-26T10:00:00.000+0000",Severity="Error",'
        'Service="PJSIP",EventVersion="1",AccountID="admin",SessionID="x",'
        'LocalAddress="IPV4/UDP/10.0.0.2/5060",'
        'RemoteAddress="IPV4/UDP/203.0.113.9/5070"\n')
    rig.collector.wait(lambda c: len(c.events) == 1)
    ev = rig.collector.events[0]
    assert (ev.record.format, ev.record.source_ip, ev.record.extension) == ("asterisk_security", "203.0.113.9",
                                                                            "admin")


def test_invalid_utf8_warns_once_and_keeps_the_line(rig, tmp_path):
    f = tmp_path / "messages"
    f.write_bytes(b"")
    rig.start(f)
    append(f, probe_line(1).replace(b"sip:1@", b"sip:\xff\xfe1@"))
    append(f, probe_line(2).replace(b"sip:2@", b"sip:\xff2@"))
    rig.collector.wait(lambda c: len(c.events) == 2)
    assert [e.record.extension for e in rig.collector.events] == ["\ufffd\ufffd1", "\ufffd2"]
    assert sum("not UTF-8" in w for w in rig.collector.warnings) == 1


def test_a_ten_megabyte_line_is_cut_not_fatal(rig, tmp_path):
    f = tmp_path / "messages"
    f.write_bytes(b"")
    rig.start(f)
    huge = probe_line(1)[:-1] + b"x" * (10 << 20) + b"\n"
    append(f, huge + probe_line(2))
    rig.collector.wait(lambda c: len(c.events) == 2)
    first, second = rig.collector.events
    assert first.record.extension == "1"
    assert (second.record.extension, second.record.line) == ("2", 2)
    assert any("was cut" in w for w in rig.collector.warnings)
    assert all(len(line) <= 16 << 10 for line in first.record.raw)


def test_history_import_reads_rotated_and_gz_files_oldest_first(rig, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    with gzip.open(logs / "messages.2.gz", "wb") as gz:
        gz.write(lines(1, 4))
    (logs / "messages.1").write_bytes(lines(4, 7))
    (logs / "messages").write_bytes(lines(7, 10))
    rig.start(logs, import_history=True)
    rig.collector.wait(lambda c: len(c.events) == 9)
    assert rig.collector.extensions() == _ext(1, 10)
    assert rig.collector.progress and rig.collector.progress[-1].done
    rig.stop()
    rig.start(logs, import_history=True)  # a restart neither imports again nor loses the live file's place
    append(logs / "messages", lines(10, 11))
    rig.collector.wait(lambda c: len(c.events) == 10)
    assert rig.monitor.settle()
    assert rig.stored_extensions() == _ext(1, 11)


def test_restart_resumes_exactly(rig, tmp_path):
    logs, f = rig.watching()
    append(f, lines(1, 4))
    rig.collector.wait(lambda c: len(c.events) == 3)
    rig.stop()
    append(f, lines(4, 6))          # written while GhostWatch was not running
    rig.start(logs)
    append(f, lines(6, 8))
    rig.collector.wait(lambda c: len(c.events) >= 7)
    assert rig.monitor.settle()
    assert rig.stored_extensions() == _ext(1, 8)


def test_pause_holds_lines_until_resume(rig, tmp_path):
    f = tmp_path / "messages"
    f.write_bytes(b"")
    rig.start(f)
    rig.monitor.pause()
    assert rig.monitor.status.state == "paused"
    append(f, lines(1, 3))
    rig.monitor.resume()
    rig.collector.wait(lambda c: len(c.events) == 2)
    rig.collector.wait(lambda c: c.statuses[-1].state == "live")


def test_correlation_survives_a_restart(rig, tmp_path):
    f = tmp_path / "messages"
    f.write_bytes(b"")
    rig.start(f)
    # Scattered account names (7, 14, 21, ...): consecutive ones are a hunt from the third (issue 14).
    append(f, b"".join(probe_line(7 * n, second=n) for n in range(1, 4)))  # three accounts from one address...
    rig.collector.wait(lambda c: len(c.events) == 3)
    assert not any(r.code == "enumeration" for e in rig.collector.events for r in e.reasons)
    rig.stop()
    rig.start(f)
    # ...and three more after the restart, all within a minute: the fourth different account is a hunt, which
    # only a correlation that survived the restart can see
    append(f, b"".join(probe_line(7 * n, second=n) for n in range(4, 7)))
    rig.collector.wait(lambda c: len(c.events) == 6)
    flagged = [e.record.extension for e in rig.collector.events if any(r.code == "enumeration" for r in e.reasons)]
    # the fourth account makes it a hunt; every earlier attempt of its run is upgraded with hindsight, those from
    # before the restart too
    assert flagged == ["7", "14", "21", "28", "35", "42"]
    assert set(rig.collector.updates) >= set(rig.collector.ids[:3])
    assert rig.stored_extensions() == [str(7 * n) for n in range(1, 7)]  # updated in place, never stored twice


def test_history_import_agrees_with_scan_on_the_demo_office(rig, tmp_path):
    """Importing merges the office's three logs by time exactly as `scan` does: the same attempts (joined from the
    same lines), the same verdicts, event for event."""
    from datetime import datetime

    from ghostwatch.core.settings import DetectionSettings
    from ghostwatch.demo.write import write_logs
    from ghostwatch.ingest.scan import scan

    from .harness import SIGNATURES

    logs = tmp_path / "office"
    write_logs(logs, datetime(2026, 11, 25))
    scanned = []
    scan([logs], DetectionSettings(home_region="US"), SIGNATURES, scanned.append)
    rig.start(logs, import_history=True)
    rig.collector.wait(lambda c: len(c.events) == len(scanned))
    assert rig.monitor.settle()
    live = rig.collector.events  # each attempt's latest state (updates replace it)

    def attempts(events):
        return sorted((e.record.file, e.record.line, e.verdict, e.record.outcome, e.record.caller_id,
                       tuple((x.file, x.line) for x in e.lines)) for e in events)

    assert attempts(live) == attempts(scanned)
    ghosts = [e for e in live if e.verdict == "ghost"]
    assert len(ghosts) == 3 and all(e.record.outcome == "rang" and e.record.caller_id for e in ghosts)
    # each: the dialplan line that let it in, "Nobody picked up" (joined by its [C-…] call id), and its CDR row
    # (joined by channel name), from two files
    assert all(sorted(x.format for x in e.lines) == ["asterisk", "asterisk", "asterisk_cdr"] for e in ghosts)
