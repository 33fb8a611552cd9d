"""Events to a central syslog collector (`watch --forward URL`): RFC 5424 messages, one JSON event each.

`syslog://HOST:PORT` or `udp://` sends datagrams (RFC 5426; best effort, like all UDP syslog); `tcp://` uses
octet-counting framing (RFC 6587); `tcp+tls://` the same over TLS (RFC 5425, the standard library's `ssl`).
The monitor only puts messages on a bounded in-memory queue; a sender thread appends them to the disk spool and
sends from there. A message leaves the spool once the collector's TCP has acknowledged its bytes and the
connection then stayed up for a moment or was closed cleanly (a collector that closes with unread data resets the
connection instead, and everything not yet confirmed is sent again on the next connection). Whatever cannot be
kept (queue or spool full) is counted and reported, never silently lost.
"""

from __future__ import annotations

import logging
import os
import select
import socket
import ssl
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from .. import __version__
from ..core.event_json import event_json
from ..core.events import Event, Verdict
from .spool import Spool

try:  # the kernel's send queue (TIOCOUTQ) is asked through these; Windows has neither
    import fcntl
    import termios
except ImportError:
    fcntl = termios = None

log = logging.getLogger(__name__)

SCHEMES = {"syslog": "udp", "udp": "udp", "tcp": "tcp", "tcp+tls": "tls", "syslog+tls": "tls"}
DEFAULT_PORTS = {"udp": 514, "tcp": 514, "tls": 6514}
FACILITY = 10                 # authpriv: security and authorisation messages
SEVERITY = {Verdict.GHOST: 4, Verdict.ATTACK: 4, Verdict.SUSPICIOUS: 5, Verdict.NORMAL: 6}  # warning/notice/info
COMPROMISE_SEVERITY = 2       # crit: someone logged in after failing
QUEUE_LIMIT = 20_000          # messages waiting for the sender thread
CONFIRM_SECONDS = 0.5         # an acknowledged message is delivered once the connection stays up this long
ACK_TIMEOUT = 10.0            # the collector's TCP must acknowledge a batch within this
RETRY_SECONDS = (0.2, 5.0)    # first and longest wait between connection attempts


@dataclass(frozen=True)
class Target:
    transport: str   # udp | tcp | tls
    host: str
    port: int

    def __str__(self) -> str:
        scheme = {"udp": "syslog", "tcp": "tcp", "tls": "tcp+tls"}[self.transport]
        return f"{scheme}://{self.host}:{self.port}"


def parse_target(url: str) -> Target:
    parts = urlsplit(url)
    transport = SCHEMES.get(parts.scheme.lower())
    if transport is None or not parts.hostname:
        raise ValueError(f"give syslog://HOST:PORT (UDP), tcp://HOST:PORT or tcp+tls://HOST:PORT (got {url!r})")
    try:
        port = parts.port or DEFAULT_PORTS[transport]
    except ValueError as exc:
        raise ValueError(f"bad port in {url!r}") from exc
    return Target(transport, parts.hostname, port)


def syslog_message(event: Event, event_id: int, update: bool, site: str, hostname: str,
                   now: float | None = None) -> bytes:
    """One RFC 5424 message: the event's JSON (ASCII, so no BOM) with `site`, `id` (the history id `watch --json`
    prints) and `update` first."""
    return _Formatter(site, hostname).message(event, event_id, update, now)


class _Formatter:
    """Builds messages fast: the header's fixed part once, the timestamp once a second."""

    def __init__(self, site: str, hostname: str) -> None:
        self.site = site
        self.rest = f" {hostname} ghostwatch {os.getpid()} "
        self.sd = f' [origin software="GhostWatch" swVersion="{__version__}"] {{"site": "{site}", "id": '
        self._second = -1
        self._stamp = ""

    def message(self, event: Event, event_id: int, update: bool, now: float | None = None) -> bytes:
        second = int(time.time() if now is None else now)
        if second != self._second:
            self._second = second
            self._stamp = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        severity = SEVERITY.get(event.verdict, 5)
        for r in event.reasons:
            if r.code == "compromise":
                severity = COMPROMISE_SEVERITY
        return (f"<{FACILITY * 8 + severity}>1 {self._stamp}{self.rest}{'update' if update else 'event'}{self.sd}"
                f"{int(event_id)}, \"update\": {'true' if update else 'false'}, {event_json(event)[1:]}"
                ).encode("ascii")


def _hostname() -> str:
    name = socket.gethostname() or "-"
    return "".join(c for c in name if 33 <= ord(c) <= 126)[:255] or "-"


class Forwarder:
    """Sends events to one collector from its own thread; `submit` never blocks."""

    def __init__(self, target: Target, site: str, spool_dir: Path, *, max_bytes: int = 64 << 20,
                 ca_file: str | None = None, warn: Callable[[str], None] | None = None,
                 retry: tuple[float, float] = RETRY_SECONDS) -> None:
        self.target = target
        self.site = site
        self.hostname = _hostname()
        self.spool = Spool(spool_dir, max_bytes)
        self.ca_file = ca_file
        self.warn = warn or (lambda msg: log.warning("%s", msg))
        self.retry = retry
        self._format = _Formatter(site, self.hostname)
        self._batches: deque[list[tuple[Event, int, bool]]] = deque()
        self._queued = 0           # events in `_batches`
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._sent_to = 0          # bytes after spool.pos sent on this connection, not yet confirmed
        self._checkpoints: deque[tuple[int, int, float]] = deque()  # (sent_to after a send, messages, when)
        self.sent = 0              # messages confirmed delivered
        self.dropped_queue = 0     # the sender could not keep up (memory queue full)
        self.connected = False
        self._reported_drops = 0
        self._down_since: float | None = None
        self._flush_deadline = float("inf")
        self._thread = threading.Thread(target=self._run, name="ghostwatch-forward", daemon=False)
        self._thread.start()

    # -- the monitor's side ---------------------------------------------------------------------------------
    def submit(self, items: Iterable[tuple[Event, int, bool]]) -> None:
        """(event, history id, is an update) for each event to forward; formatted and sent by the sender thread."""
        batch = list(items)
        if not batch:
            return
        with self._lock:
            room = QUEUE_LIMIT - self._queued
            if len(batch) > room:
                self.dropped_queue += len(batch) - max(0, room)
                batch = batch[: max(0, room)]
            if batch:
                self._batches.append(batch)
                self._queued += len(batch)
        self._wake.set()

    @property
    def dropped(self) -> int:
        return self.dropped_queue + self.spool.dropped

    def close(self, timeout: float = 2.0) -> None:
        """Stop; what the collector has not confirmed within `timeout` stays in the spool for the next start."""
        self._flush_deadline = time.monotonic() + timeout
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=timeout + ACK_TIMEOUT)
        self.spool.close()

    # -- the sender thread ----------------------------------------------------------------------------------
    def _run(self) -> None:
        wait = self.retry[0]
        next_try = 0.0
        while True:
            self._drain_queue()
            if self._stop.is_set() and (self.spool.pending_bytes == 0 or time.monotonic() > self._flush_deadline):
                break
            try:
                self._check_peer()
                if self.spool.pending_bytes > self._sent_to or self._due():
                    if self._sock is None and time.monotonic() >= next_try:
                        self._connect()
                        wait = self.retry[0]
                    if self._sock is not None:
                        self._send_some()
                        continue
            except Exception as exc:  # noqa: BLE001 - OSError, TLS: the collector is away; else a bug, said once
                if not isinstance(exc, OSError):
                    log.exception("forwarding failed")
                    exc = OSError(f"internal error: {exc}")
                self._lost(exc)
                next_try = time.monotonic() + wait
                wait = min(wait * 2, self.retry[1])
            self._wake.wait(0.1)
            self._wake.clear()
        self._disconnect()

    def _drain_queue(self) -> None:
        with self._lock:
            batches, self._batches = self._batches, deque()
            self._queued = 0
        message = self._format.message
        for batch in batches:
            try:
                self.spool.append([message(e, i, u) for e, i, u in batch])
            except OSError as exc:  # the disk is full or read-only: these cannot be kept
                self.dropped_queue += len(batch)
                log.warning("forward spool: %s", exc)
        if self.dropped > self._reported_drops:
            self.warn(f"forwarding to {self.target}: {self.dropped - self._reported_drops} event(s) dropped "
                      f"(the {self.spool.max_bytes >> 20} MB buffer is full or cannot be written; "
                      f"{self.dropped} in all)")
            self._reported_drops = self.dropped

    def _connect(self) -> None:
        t = self.target
        kind = socket.SOCK_DGRAM if t.transport == "udp" else socket.SOCK_STREAM
        info = socket.getaddrinfo(t.host, t.port, type=kind)[0]
        sock = socket.socket(info[0], kind)
        try:
            sock.settimeout(ACK_TIMEOUT)
            sock.connect(info[4])
            if t.transport == "tls":
                context = ssl.create_default_context(cafile=self.ca_file)
                sock = context.wrap_socket(sock, server_hostname=t.host)
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self._sent_to = 0
        self._checkpoints.clear()
        self.connected = True
        if self._down_since is not None:
            self.warn(f"forwarding to {self.target}: connected again after "
                      f"{time.monotonic() - self._down_since:.0f} s; sending what was buffered")
            self._down_since = None

    def _send_some(self) -> None:
        sock = self._sock
        assert sock is not None
        if self.target.transport == "udp":  # best effort: a datagram sent is a datagram delivered
            sent: list[bytes] = []
            try:
                for msg in self.spool.peek():
                    sock.send(msg)
                    sent.append(msg)
            finally:
                if sent:
                    self._delivered(sent, sum(len(m) + 1 for m in sent))
            return
        messages = self.spool.peek(start=self.spool.pos + self._sent_to)
        if messages:
            sock.sendall(b"".join(b"%d %s" % (len(m), m) for m in messages))  # RFC 6587 octet counting
            self._sent_to += sum(len(m) + 1 for m in messages)
            self._checkpoints.append((self._sent_to, len(messages), time.monotonic()))
        self._wait_acknowledged()  # at most one read of the spool in flight
        if self._due():
            self._confirm_due()

    def _due(self) -> bool:
        return bool(self._checkpoints) and time.monotonic() - self._checkpoints[0][2] >= CONFIRM_SECONDS

    def _confirm_due(self) -> None:
        """What was sent CONFIRM_SECONDS ago, acknowledged since, on a connection that still holds: delivered."""
        self._check_peer()
        now, upto, count = time.monotonic(), 0, 0
        while self._checkpoints and now - self._checkpoints[0][2] >= CONFIRM_SECONDS:
            upto, n, _ = self._checkpoints.popleft()
            count += n
        self._deliver(upto, count)

    def _deliver(self, upto: int, count: int) -> None:
        if not upto:
            return
        self.spool.ack(upto)
        self.sent += count
        self._sent_to -= upto
        self._checkpoints = deque((o - upto, n, t) for o, n, t in self._checkpoints)

    def _delivered(self, messages: list[bytes], nbytes: int) -> None:
        self.spool.ack(nbytes)
        self.sent += len(messages)

    def _wait_acknowledged(self) -> None:
        """Until the collector's TCP has acknowledged every byte sent (Linux: the send queue is empty)."""
        sock = self._sock
        assert sock is not None
        deadline = time.monotonic() + ACK_TIMEOUT
        while self._unacknowledged(sock):
            if time.monotonic() > deadline:
                raise TimeoutError("the collector does not acknowledge what was sent")
            self._check_peer()
            time.sleep(0.005)

    @staticmethod
    def _unacknowledged(sock: socket.socket) -> int:
        if fcntl is None or not hasattr(termios, "TIOCOUTQ"):
            return 0  # cannot ask this system: what was sent counts as delivered
        buf = bytearray(4)
        fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, buf)
        return struct.unpack("i", buf)[0]

    def _check_peer(self) -> None:
        """Raise if the collector closed or reset the connection (it never sends us anything)."""
        sock = self._sock
        if sock is None or self.target.transport == "udp":
            return
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return
        sock.setblocking(False)
        try:
            data = sock.recv(1)
        except (ssl.SSLWantReadError, BlockingIOError):
            return
        finally:
            if self._sock is not None:
                sock.settimeout(ACK_TIMEOUT)
        if data:
            return  # a collector that talks back: ignore it
        # closed cleanly (FIN): a collector that closes with unread data resets instead, so all it acknowledged
        # was read; deliver that, then reconnect
        if self._sent_to and not self._unacknowledged(sock):
            self._deliver(self._sent_to, sum(n for _, n, _ in self._checkpoints))
        raise ConnectionResetError("the collector closed the connection")

    def _lost(self, exc: OSError) -> None:
        if self._down_since is None:
            self._down_since = time.monotonic()
            self.warn(f"forwarding to {self.target}: {exc}; buffering events on disk (up to "
                      f"{self.spool.max_bytes >> 20} MB) until it is back")
        self._disconnect()

    def _disconnect(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
        self._sock = None
        self._sent_to = 0  # unconfirmed messages are sent again on the next connection
        self._checkpoints.clear()
        self.connected = False
