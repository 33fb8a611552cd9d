"""The fleet parts without engines: counting once, the metrics' labels, the spool's bounds and crash safety,
the syslog message format, the options."""

from __future__ import annotations

import re

import pytest
from prometheus_client import generate_latest

from ghostwatch.core.events import Event, Kind, Outcome, Reason, Record, Verdict
from ghostwatch.fleet import FirstSeen, check_site
from ghostwatch.fleet.forward import parse_target, syslog_message
from ghostwatch.fleet.metrics import WatchMetrics, parse_address
from ghostwatch.fleet.spool import Spool

GHOST = Event(Record("2026-11-26T02:14:00", "/var/log/asterisk/cdr-csv/Master.csv", 10, "asterisk_cdr", Kind.CALL,
                     source_ip="203.0.113.9", caller_id="1001", extension="201", outcome=Outcome.RANG),
              Verdict.GHOST, (Reason("scanner_caller_id", "Caller ID 1001 ..."),))
PROBE = Event(Record(None, "/var/log/asterisk/messages", 3, "asterisk", Kind.PROBE, source_ip="203.0.113.7"),
              Verdict.ATTACK, (Reason("enumeration", "..."), Reason("made_up_code", "...")))


def sample(metrics: WatchMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, {"site": metrics.site, **labels})


def test_an_event_is_counted_once_even_when_it_comes_again_as_an_update():
    m = WatchMetrics("office-1")
    m.on_batch([GHOST, PROBE], [1, 2])
    m.on_batch([PROBE._replace(verdict=Verdict.GHOST)], [2])  # event 2 updated later: not a new event
    m.on_batch([PROBE], [3])
    assert sample(m, "ghostwatch_events_total", verdict="ghost", kind="call") == 1
    assert sample(m, "ghostwatch_events_total", verdict="attack", kind="probe") == 2
    assert sample(m, "ghostwatch_events_total", verdict="ghost", kind="probe") == 0
    assert sample(m, "ghostwatch_ghost_calls_rang_total", outcome="rang") == 1
    assert sample(m, "ghostwatch_event_reasons_total", reason="made_up_code") == 2
    assert sample(m, "ghostwatch_verdict_changes_total", **{"from": "attack", "to": "ghost"}) == 1
    assert sample(m, "ghostwatch_attacking_sources") == 2
    text = generate_latest(m.registry).decode()
    # addresses and caller IDs never become labels (only labels are looked at: a sample's value is a clock reading,
    # whose digits may hold "1001")
    labels = [line[line.index("{"):line.rindex("}") + 1] for line in text.splitlines()
              if "{" in line and not line.startswith("#")]
    assert labels and not any("203.0.113" in found or "1001" in found for found in labels)


def test_a_ghost_call_that_rings_in_a_later_update_is_counted_once():
    m = WatchMetrics("office-1")
    unknown = GHOST._replace(record=GHOST.record._replace(outcome=Outcome.UNKNOWN))
    m.on_batch([unknown], [7], [True])
    assert sample(m, "ghostwatch_ghost_calls_rang_total", outcome="rang") == 0
    m.on_batch([GHOST], [7], [False])  # its CDR row arrived: the phone rang
    m.on_batch([GHOST._replace(reasons=(*GHOST.reasons, Reason("compromise", "...")))], [7], [False])
    assert sample(m, "ghostwatch_ghost_calls_rang_total", outcome="rang") == 1
    assert sample(m, "ghostwatch_event_reasons_total", reason="compromise") == 1
    assert sample(m, "ghostwatch_event_reasons_total", reason="scanner_caller_id") == 1
    assert sample(m, "ghostwatch_events_total", verdict="ghost", kind="call") == 1


def test_first_seen_tells_updates_apart():
    f = FirstSeen()
    assert f.split([5, 6], 2) == [True, True]
    assert f.split([6, 7, 7], 3) == [False, True, False]
    assert f.split([], 2) == [True, True]  # no ids: every event is new


class _FF:
    def __init__(self, path: str, parser) -> None:
        self.path, self.parser = path, parser


class _Parser:
    format = "asterisk"


class _Chunk:
    def __init__(self, line: int) -> None:
        self.line = line


class _Result:
    def __init__(self, lines: int, unrecognised: int = 0) -> None:
        self.lines, self.unrecognised = lines, unrecognised


def test_lines_are_counted_once_when_a_held_chunk_is_parsed_again():
    m = WatchMetrics("office-1")
    parser = _Parser()
    ff = _FF("/var/log/asterisk/messages.1", parser)
    m.on_lines(ff, _Chunk(1), _Result(10, 2))
    m.on_lines(ff, _Chunk(1), _Result(10, 2))   # the merge held it back: parsed again
    m.on_lines(ff, _Chunk(1), _Result(14, 2))   # again, with 4 new lines
    m.on_lines(ff, _Chunk(15), _Result(5, 1))
    assert sample(m, "ghostwatch_lines_read_total", file="messages", format="asterisk") == 19
    assert sample(m, "ghostwatch_lines_skipped_total", file="messages", format="asterisk") == 3
    m.on_lines(_FF("/var/log/asterisk/messages", _Parser()), _Chunk(1), _Result(3))  # read anew: new parser
    assert sample(m, "ghostwatch_lines_read_total", file="messages", format="asterisk") == 22


def test_spool_is_bounded_and_resends_what_was_not_acknowledged(tmp_path):
    s = Spool(tmp_path, max_bytes=100)
    assert s.append([b"a" * 30, b"b" * 30, b"c" * 30, b"d" * 30]) == 3
    assert s.dropped == 1
    assert s.peek() == [b"a" * 30, b"b" * 30, b"c" * 30]
    s.ack(31)
    s.close()
    s = Spool(tmp_path, max_bytes=100)  # a restart resumes after what was delivered
    assert s.peek() == [b"b" * 30, b"c" * 30]
    s.ack(62)
    assert s.pending_bytes == 0 and (tmp_path / "events.spool").stat().st_size == 0
    s.append([b"e"])
    s.close()
    # a crash after a compaction replaced the file but before its offset was written: resend, never skip
    (tmp_path / "events.spool.pos").write_text("1 1\n")
    assert Spool(tmp_path, 100).peek() == [b"e"]


def test_a_syslog_message_is_rfc_5424_with_the_site_in_its_json():
    msg = syslog_message(GHOST, 42, False, "branch-7", "pbx1", now=0).decode()
    m = re.fullmatch(r"<84>1 1970-01-01T00:00:00Z pbx1 ghostwatch \d+ event "
                     r"\[origin software=\"GhostWatch\" swVersion=\"[^\"]+\"\] (\{.*\})", msg)
    assert m and m.group(1).startswith('{"site": "branch-7", "id": 42, "update": false, "time": ')
    assert syslog_message(PROBE, 43, True, "b", "h").split(b" ")[5] == b"update"


def test_options_are_checked():
    assert parse_address("127.0.0.1:9477") == ("127.0.0.1", 9477)
    assert parse_address("[::1]:0") == ("::1", 0)
    assert parse_target("tcp+tls://collector.example:6514").transport == "tls"
    assert parse_target("syslog://10.0.0.5").port == 514
    for bad in ("9477", "host:port"):
        with pytest.raises(ValueError):
            parse_address(bad)
    with pytest.raises(ValueError):
        parse_target("http://x:1")
    assert check_site("office-12") == "office-12"
    for bad in ("", "a b", 'x"y', "-x", "a" * 65):
        with pytest.raises(ValueError):
            check_site(bad)


def test_a_forwarder_without_its_collector_buffers_then_says_what_it_dropped(tmp_path):
    from ghostwatch.fleet.forward import Forwarder, Target

    from .conftest import free_port, wait_until

    said: list[str] = []
    size = len(syslog_message(GHOST, 1, False, "b", "h")) + 1
    f = Forwarder(Target("tcp", "127.0.0.1", free_port()), "b", tmp_path, max_bytes=2 * size + 100, warn=said.append,
                  retry=(0.05, 0.1))
    try:
        f.submit((GHOST, n, False) for n in range(1, 6))
        wait_until(lambda: any("dropped" in s for s in said), 10, "the drop reported")
        assert f.spool.pending_bytes > 0 and f.dropped == 3 and not f.connected
    finally:
        f.close(timeout=0.2)
    assert any("buffering events on disk" in s for s in said)
    assert any("3 event(s) dropped" in s for s in said)


def test_a_busy_metrics_port_is_one_clear_line(tmp_path):
    import socket

    from ..ingest.proc import watch

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        w = watch([str(tmp_path), "--data-dir", str(tmp_path / "d"), "--metrics", f"127.0.0.1:{s.getsockname()[1]}"])
        rc = w.wait()
    err = list(w.stderr.queue)
    assert rc == 2 and len(err) == 1 and "--metrics" in err[0], err


def test_what_a_collector_never_read_is_sent_again_on_the_next_connection(tmp_path):
    """A collector that takes the bytes (its TCP acknowledges them) and dies before reading them (reset): TCP's
    acknowledgement alone would call them delivered; the forwarder sends them again on the next connection."""
    import socket
    import struct

    from ghostwatch.fleet.forward import Forwarder, Target

    from .conftest import wait_until

    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(10)
    f = Forwarder(Target("tcp", "127.0.0.1", server.getsockname()[1]), "b", tmp_path, warn=lambda m: None,
                  retry=(0.05, 0.1))
    try:
        f.submit((GHOST, n, False) for n in range(1, 4))
        first, _ = server.accept()
        wait_until(lambda: f._sent_to > 0 and not f._unacknowledged(f._sock), 5, "bytes sent and acknowledged")
        first.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        first.close()  # unread: the kernel resets the connection
        second, _ = server.accept()
        second.settimeout(5)
        data = b""
        while data.count(b'"id"') < 3:
            data += second.recv(65536)
        wait_until(lambda: f.sent == 3, 5, "three events confirmed")
        second.close()
    finally:
        f.close(timeout=0.2)
        server.close()
    assert [int(x) for x in re.findall(rb'"id": (\d+)', data)] == [1, 2, 3]


def test_the_fleet_modules_never_import_qt():
    import subprocess
    import sys

    from ..ingest.proc import ROOT

    code = ("import sys, ghostwatch.fleet.hooks, ghostwatch.fleet.metrics, ghostwatch.fleet.forward; "
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60,
                         env={"PYTHONPATH": str(ROOT / "app"), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "[]"


def test_a_forwarding_watch_stops_even_when_its_output_is_gone(tmp_path):
    """stderr a closed pipe (the terminal or the service manager went away): stopping still ends the forwarder's
    thread, so the process exits instead of hanging."""
    import subprocess
    import sys

    from ..ingest.harness import probe_line
    from ..ingest.proc import ROOT
    from .conftest import free_port

    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "messages").write_bytes(probe_line(1))
    p = subprocess.Popen([sys.executable, "-m", "ghostwatch", "watch", str(tmp_path / "logs"), "--data-dir",
                          str(tmp_path / "d"), "--forward", f"tcp://127.0.0.1:{free_port()}"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={"PYTHONPATH": str(ROOT / "app"),
                                                                                "PATH": "/usr/bin:/bin"})
    try:
        while b"Watching 1 log file" not in p.stderr.readline():  # the watch is up (ends at EOF if it died)
            assert p.poll() is None
        p.stderr.close()
        p.stdout.close()
        p.terminate()
        p.wait(timeout=30)  # exits (its status says the output was lost: 120), never hangs
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
