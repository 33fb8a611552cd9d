"""A real rsyslog collects what a live `ghostwatch watch --forward` sends: every event exactly once over TCP,
across a restart of rsyslog while events keep coming; over UDP; over TLS with rsyslog's OpenSSL driver."""

from __future__ import annotations

import collections
import json
import subprocess
import threading
import time
from pathlib import Path

import pytest

from ..ingest.harness import probe_line
from ..ingest.proc import watch
from .conftest import free_port, lacking, listening, need, wait_until

pytestmark = pytest.mark.slow

CONF = """
global(workDirectory="{work}" maxMessageSize="64k"{tls_global})
module(load="{module}"{module_options})
input(type="{module}" address="127.0.0.1" port="{port}")
template(name="msgonly" type="string" string="%app-name% %msgid% %pri-text% %msg%\\n")
action(type="omfile" file="{out}" template="msgonly" flushOnTXEnd="on")
"""


class Rsyslog:
    """rsyslogd in the foreground with its own config: one input, every message's MSG part into `out`."""

    def __init__(self, tmp: Path, engines, transport: str = "tcp", tls: dict | None = None) -> None:
        self.tmp, self.engines = tmp, engines
        self.port = free_port()
        self.out = tmp / "collected.log"
        (tmp / "work").mkdir(exist_ok=True)
        module = "imudp" if transport == "udp" else "imtcp"
        tls_global = module_options = ""
        if tls:
            tls_global = (f' defaultNetstreamDriver="ossl" defaultNetstreamDriverCAFile="{tls["ca"]}"'
                          f' defaultNetstreamDriverCertFile="{tls["cert"]}"'
                          f' defaultNetstreamDriverKeyFile="{tls["key"]}"')
            module_options = ' streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon"'
        self.conf = tmp / "rsyslog.conf"
        self.conf.write_text(CONF.format(work=tmp / "work", module=module, module_options=module_options,
                                         tls_global=tls_global, port=self.port, out=self.out))
        self.engine = None
        self.udp = transport == "udp"

    def start(self) -> None:
        self.engine = self.engines(["rsyslogd", "-n", "-f", str(self.conf), "-i", str(self.tmp / "rsyslog.pid")],
                                   self.tmp / "rsyslog.out")
        if not self.udp:
            wait_until(lambda: listening(self.port) or self.engine.proc.poll() is not None, 15, "rsyslog listening")
            assert self.engine.proc.poll() is None, self.engine.output()
        else:  # nothing to connect to over UDP: wait until the kernel lists its socket
            wait_until(lambda: udp_bound(self.port) or self.engine.proc.poll() is not None, 15, "rsyslog bound")
            assert self.engine.proc.poll() is None, self.engine.output()

    def stop(self) -> None:
        self.engine.stop()

    def events(self) -> list[dict]:
        """The events collected (first sightings, not their later updates)."""
        return [m for m in self.messages() if not m["update"]]

    def messages(self) -> list[dict]:
        """Every message collected, each with the syslog header fields rsyslog parsed (RFC 5424)."""
        if not self.out.exists():
            return []
        out = []
        for line in self.out.read_text().splitlines():
            if line.strip():
                app, msgid, pri, msg = line.split(" ", 3)
                out.append({**json.loads(msg), "_app": app, "_msgid": msgid, "_pri": pri})
        return out


def udp_bound(port: int) -> bool:
    """A UDP socket on 127.0.0.1:port exists (Linux's /proc/net/udp lists local addresses in hex)."""
    needle = f"0100007F:{port:04X}"
    return any(needle in line.split()[1] for line in Path("/proc/net/udp").read_text().splitlines()[1:])


def write(log: Path, numbers) -> None:
    with open(log, "ab") as fh:
        fh.write(b"".join(probe_line(n, second=n % 3600) for n in numbers))


def extensions(rs: Rsyslog) -> collections.Counter:
    return collections.Counter(e["extension"] for e in rs.events())


def start_watch(tmp: Path, url: str, *extra: str):
    logs = tmp / "logs"
    logs.mkdir()
    log = logs / "messages"
    log.write_bytes(probe_line(0))  # already there: its dialect is known, the line is not reported ("from now on")
    w = watch([str(logs), "--data-dir", str(tmp / "data"), "--region", "US", "--site", "branch-7",
               "--forward", url, *extra])
    try:
        w.expect(w.stderr, "Watching 1 log file")
    except BaseException:
        w.terminate()
        raise
    return w, log


def test_every_event_exactly_once_across_an_rsyslog_restart(tmp_path, engines):
    need("rsyslogd")
    rs = Rsyslog(tmp_path, engines)
    rs.start()
    w, log = start_watch(tmp_path, f"tcp://127.0.0.1:{rs.port}")
    try:
        write(log, range(1, 41))
        wait_until(lambda: len(rs.events()) >= 40, 20, "the first 40 events at rsyslog")

        # events keep coming while rsyslog stops, stays down and starts again
        stop_writing = threading.Event()
        written = [40]

        def writer() -> None:
            while not stop_writing.is_set():
                n = written[0]
                write(log, range(n + 1, n + 6))
                written[0] = n + 5
                stop_writing.wait(0.005)

        t = threading.Thread(target=writer)
        t.start()
        try:
            time.sleep(0.5)
            rs.stop()
            w.expect(w.stderr, "buffering events on disk", timeout=20)
            time.sleep(1.0)
            rs.start()
            w.expect(w.stderr, "connected again", timeout=20)
            time.sleep(0.5)
        finally:
            stop_writing.set()
            t.join()
        total = written[0]
        wait_until(lambda: len(rs.events()) >= total, 30, f"{total} events at rsyslog")
        time.sleep(1.0)  # anything sent twice would arrive now
    finally:
        assert w.terminate() == 0
    got = extensions(rs)
    assert set(got) == {str(n) for n in range(1, total + 1)}
    assert [k for k, c in got.items() if c > 1] == []
    events, messages = rs.events(), rs.messages()
    assert all(e["site"] == "branch-7" and e["source_ip"] == "203.0.113.20" for e in messages)
    assert {(e["_app"], e["_msgid"], e["_pri"]) for e in events} <= {("ghostwatch", "event", "authpriv.notice"),
                                                                     ("ghostwatch", "event", "authpriv.warning")}
    updates = [m for m in messages if m["update"]]  # an attempt re-judged later: same id, MSGID "update"
    assert all(m["_msgid"] == "update" for m in updates) and {m["id"] for m in updates} <= {e["id"] for e in events}
    assert len({e["id"] for e in events}) == total
    assert (tmp_path / "data" / "forward-spool" / "events.spool").stat().st_size == 0  # all delivered


def test_events_over_udp(tmp_path, engines):
    need("rsyslogd")
    rs = Rsyslog(tmp_path, engines, transport="udp")
    rs.start()
    w, log = start_watch(tmp_path, f"syslog://127.0.0.1:{rs.port}")
    try:
        write(log, range(1, 21))
        wait_until(lambda: len(rs.events()) >= 20, 20, "20 events over UDP")
    finally:
        assert w.terminate() == 0
    assert sorted(int(x) for x in extensions(rs)) == list(range(1, 21))


def _certificate(tmp: Path) -> dict:
    key, cert = tmp / "collector.key", tmp / "collector.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return {"ca": cert, "cert": cert, "key": key}


def test_events_over_tls(tmp_path, engines):
    need("rsyslogd", "openssl")
    if not list(Path("/usr/lib").glob("*/rsyslog/lmnsd_ossl.so")):
        lacking("needs rsyslog's OpenSSL driver (Debian: apt-get install rsyslog-openssl; installed by .ci/run)")
    tls = _certificate(tmp_path)
    rs = Rsyslog(tmp_path, engines, tls=tls)
    rs.start()
    w, log = start_watch(tmp_path, f"tcp+tls://127.0.0.1:{rs.port}", "--forward-ca", str(tls["ca"]))
    try:
        write(log, range(1, 11))
        wait_until(lambda: len(rs.events()) >= 10, 20, "10 events over TLS")
    finally:
        assert w.terminate() == 0
    assert sorted(int(x) for x in extensions(rs)) == list(range(1, 11))
