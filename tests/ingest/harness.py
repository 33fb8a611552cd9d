"""A real monitor on real files for the ingest tests: lines with a serial number, and a collector of batches."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from ghostwatch.core.settings import DetectionSettings
from ghostwatch.core.signatures import Signatures
from ghostwatch.ingest.pipeline import Batch, Monitor, MonitorStatus
from ghostwatch.paths import resources_dir
from ghostwatch.store.history import History

SIGNATURES = Signatures.load(resources_dir() / "signatures.toml")


def probe_line(n: int, ip: str = "203.0.113.20", second: int = 0, caller: str | None = None) -> bytes:
    """One Asterisk PJSIP line that GhostWatch turns into exactly one event for account `n`."""
    user = caller if caller is not None else str(n)
    return (f"[2026-11-26 10:{(second // 60) % 60:02d}:{second % 60:02d}] NOTICE[1] res_pjsip/pjsip_distributor.c: "
            f"Request 'REGISTER' from '<sip:{user}@pbx.example>' failed for '{ip}:5060' (callid: c{n}) - "
            f"No matching endpoint found\n").encode()


def lines(start: int, stop: int) -> bytes:
    return b"".join(probe_line(n, second=n) for n in range(start, stop))


class Collector:
    """Receives the monitor's callbacks on the pipeline thread; tests wait on conditions, never sleep."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.events: list = []
        self.ids: list[int] = []
        self.updates: list[int] = []  # ids of attempts updated after they were first stored
        self.statuses: list[MonitorStatus] = []
        self.warnings: list[str] = []
        self.progress: list = []

    def on_batch(self, batch: Batch) -> None:
        """New attempts are appended; an update replaces its attempt's event where it stands."""
        with self.cond:
            for i, (event, eid) in enumerate(zip(batch.events, batch.ids, strict=True)):
                if batch.is_new(i):
                    self.events.append(event)
                    self.ids.append(eid)
                else:
                    self.updates.append(eid)
                    self.events[self.ids.index(eid)] = event
            self.cond.notify_all()

    def on_status(self, status: MonitorStatus) -> None:
        with self.cond:
            self.statuses.append(status)
            self.cond.notify_all()

    def on_warning(self, message: str) -> None:
        with self.cond:
            self.warnings.append(message)
            self.cond.notify_all()

    def on_progress(self, progress) -> None:
        with self.cond:
            self.progress.append(progress)
            self.cond.notify_all()

    def wait(self, predicate: Callable[[Collector], bool], timeout: float = 15.0) -> None:
        with self.cond:
            ok = self.cond.wait_for(lambda: predicate(self), timeout)
        assert ok, f"condition not met within {timeout} s; events={len(self.events)} statuses=" \
                   f"{[s.message for s in self.statuses[-3:]]} warnings={self.warnings[-3:]}"

    def extensions(self) -> list[str]:
        with self.cond:
            return [e.record.extension for e in self.events]


class Rig:
    """Monitor + history + collector in a temporary directory; restartable like the real app."""

    def __init__(self, tmp: Path, polling: bool) -> None:
        self.tmp = tmp
        self.polling = polling
        self.db = tmp / "data" / "history.sqlite3"
        self.monitor: Monitor | None = None
        self.history: History | None = None
        self.collector = Collector()

    def start(self, *paths: Path, import_history: bool = False) -> Monitor:
        self.history = History(self.db)
        c = self.collector
        self.monitor = Monitor(paths, DetectionSettings(home_region="US"), SIGNATURES, self.history, c.on_batch,
                               polling=self.polling, import_history=import_history, on_status=c.on_status,
                               on_warning=c.on_warning, on_progress=c.on_progress,
                               retention_days=0)  # the lines are dated 2026-11-26: no pruning by today's date
        self.monitor.start()
        assert self.monitor.settle()
        return self.monitor

    def watching(self, name: str = "messages") -> tuple[Path, Path]:
        """An empty log `name` in a new folder, followed from now on: (folder, file)."""
        logs = self.tmp / "logs"
        logs.mkdir()
        log = logs / name
        log.write_bytes(b"")
        self.start(logs)
        return logs, log

    def stop(self) -> None:
        if self.monitor is not None:
            self.monitor.stop()
            self.monitor = None
        if self.history is not None:
            self.history.close()
            self.history = None

    def stored_extensions(self) -> list[str]:
        import sqlite3

        conn = sqlite3.connect(self.db)
        try:
            return [r[0] for r in conn.execute("SELECT extension FROM events ORDER BY id")]
        finally:
            conn.close()


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as fh:
        fh.write(data)
