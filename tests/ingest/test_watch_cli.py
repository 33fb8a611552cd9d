"""`ghostwatch watch` as users run it: JSON Lines that follow the contract, readable lines, clean stop."""

from __future__ import annotations

import json

import jsonschema
import pytest

from .harness import lines, probe_line
from .proc import watch


def test_watch_json_lines_follow_the_contract(tmp_path, schema):
    logs = tmp_path / "logs"
    logs.mkdir()
    f = logs / "messages"
    f.write_bytes(lines(1, 3))  # already there: not reported ("from now on")
    w = watch([str(logs), "--json", "--data-dir", str(tmp_path / "data"), "--region", "US"])
    try:
        w.expect(w.stderr, "Watching 1 log file.")  # in words, not the name of the kernel interface
        hostile = probe_line(7, caller='<img src=x>\u202e"\x1b[31m').replace(b"(callid: c7)", b"(callid: \x00x)")
        with open(f, "ab") as fh:
            fh.write(lines(3, 5) + hostile)
        got = [json.loads(w.expect(w.stdout, '"extension"')) for _ in range(3)]
    finally:
        assert w.terminate() == 0
    validator = jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/event"})
    for event in got:
        validator.validate(event)
    assert [e["extension"] for e in got[:2]] == ["3", "4"]
    assert [e["line"] for e in got] == [3, 4, 5]
    assert all(e["source_ip"] == "203.0.113.20" and e["verdict"] == "suspicious" for e in got)


def test_watch_readable_output_and_from_start(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "messages").write_bytes(lines(1, 8))
    w = watch([str(logs), "--from-start", "--data-dir", str(tmp_path / "data")])
    try:
        first = w.expect(w.stdout, "probe to 1 ")
        seventh = w.expect(w.stdout, "to 7 ")
    finally:
        assert w.terminate() == 0
    # read together, the sixth account shows the run was extension hunting: its first attempts say so too
    assert "ATTACK" in first and "[203.0.113.20:5060]" in first and "Extension hunting" in first
    assert "ATTACK" in seventh and "Extension hunting" in seventh


def test_watch_rejects_bad_options_with_one_line(tmp_path):
    w = watch([str(tmp_path), "--region", "XX", "--data-dir", str(tmp_path / "d")])
    rc = w.wait()
    err = list(w.stderr.queue)
    assert rc == 2 and len(err) == 1 and "--region" in err[0]


def test_ipc_protocol_round_trips_and_ignores_garbage():
    from ghostwatch.ingest import ipc
    from ghostwatch.ingest.follow import Problem
    from ghostwatch.ingest.pipeline import MonitorStatus

    status = MonitorStatus("failing", "inotify", ("/var/log/asterisk/full",),
                           (Problem("/var/log/asterisk/security", "Cannot read it"),), ("/mnt/share",))
    assert ipc.decode(ipc.status_line(status)) == ("status", status)
    assert ipc.decode(ipc.warning_line("w")) == ("warning", "w")
    for junk in ("", "not json", '{"t": "batch"}', '{"t": "status", "state": 1}', "[1, 2]", '{"t": "other"}'):
        assert ipc.decode(junk) is None


def test_ipc_commands_round_trip_and_ignore_garbage():
    """The app's half writes what the monitor's half reads; anything else on stdin is no command."""
    from ghostwatch.ingest import ipc

    for command in (ipc.PAUSE, ipc.RESUME, ipc.STOP):
        assert ipc.read_command(ipc.command_line(command).decode()) == command
    for junk in ("", "\n", "Pause\n", "stop now\n", "quit\n"):
        assert ipc.read_command(junk) is None
    with pytest.raises(ValueError):
        ipc.command_line("reboot")


def test_a_broken_history_database_is_one_clear_line(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "history.sqlite3").write_text("this is not a database\n")
    w = watch([str(tmp_path), "--once", "--data-dir", str(tmp_path / "data")])
    rc = w.wait()
    err = list(w.stderr.queue)
    assert rc == 2 and len(err) == 1 and "cannot use the history database" in err[0] and "move it aside" in err[0]


def test_watch_json_prints_an_attempt_once_then_its_updates(tmp_path, schema):
    """A ghost call's dialplan lines print it at once; its CDR row, seconds later in another file, prints it again
    with the same id and `"update": true` (README: "watch --json")."""
    from .test_joining_live import CDR, DIALPLAN, RINGING

    logs = tmp_path / "logs"
    (logs / "cdr-csv").mkdir(parents=True)
    (logs / "full").write_bytes(b"")
    (logs / "cdr-csv" / "Master.csv").write_bytes(b"")
    w = watch([str(logs), "--json", "--data-dir", str(tmp_path / "data"), "--region", "US"])
    try:
        w.expect(w.stderr, "Watching")  # the empty logs are recognised once they hold lines
        with open(logs / "full", "a") as fh:
            fh.write(DIALPLAN + RINGING)
        first = json.loads(w.expect(w.stdout, '"verdict": "ghost"'))
        with open(logs / "cdr-csv" / "Master.csv", "a") as fh:
            fh.write(CDR)
        update = json.loads(w.expect(w.stdout, '"caller_id": "1001"'))
    finally:
        assert w.terminate() == 0
    validator = jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/event"})
    validator.validate(first)
    validator.validate(update)
    assert "update" not in first and update["id"] == first["id"] and update["update"] is True
    assert (update["caller_id"], update["outcome"], update["verdict"]) == ("1001", "rang", "ghost")
    assert [e["format"] for e in update["evidence"]] == ["asterisk", "asterisk", "asterisk_cdr"]


def test_watchdogs_stop_race_is_not_printed_under_the_reason_the_monitor_stopped(caplog):
    """watchdog logs an error when a change arrives while its inotify thread stops; after "the disk is full" it was
    the last line on stderr. Other watchdog errors still show."""
    import logging

    import ghostwatch.ingest.pipeline  # noqa: F401 - installs the filter

    inotify = logging.getLogger("watchdog.observers.inotify")
    inotify.error("InotifyEmitter.queue_events() called when the thread is inactive")
    inotify.error("inotify watch limit reached")
    said = [r.getMessage() for r in caplog.records]
    assert said == ["inotify watch limit reached"]
