"""The monitor in its own process (`ghostwatch watch --ipc`), driven by QProcess: the window's thread never
competes with a flood's parsing for the interpreter, and a crash in parsing cannot take the window down."""

from __future__ import annotations

import sys
import time

from PySide6.QtCore import QObject, QProcess, QTimer, Signal, Slot

from ..core.app_settings import AppSettings
from ..ingest import ipc
from ..ingest.pipeline import MonitorStatus

STUCK_SECONDS = 30.0     # no heartbeat, batch or progress for this long: the monitor is stuck (killed, restarted)
STARTUP_SECONDS = 300.0  # before its first word (pruning and replaying a big history): patience


def monitor_command() -> list[str]:
    """How to run this GhostWatch's `watch`: the bundle's own executable, or this Python with the module."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "watch"]
    return [sys.executable, "-m", "ghostwatch", "watch"]


class MonitorProcess(QObject):
    batch = Signal(int, int, int)   # first id, last id, count of new events (they are in the history)
    updated = Signal(object)        # ids of events updated in place (tuple), or how many when too many (int)
    status = Signal(object)         # MonitorStatus
    progress = Signal(object)       # Progress
    warning = Signal(str)
    failed = Signal(str)            # the monitor stopped (exited, crashed, was killed, or got stuck): why, in words

    def __init__(self, folders: list[str], settings: AppSettings, data_dir: str, import_history: bool,
                 retention_days: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folders = folders
        self.current = MonitorStatus("starting", "polling" if settings.polling else "native")
        args = settings.monitor_args(folders, data_dir, import_history, retention_days)
        self.process = QProcess(self)
        self.process.setProgram(monitor_command()[0])
        self.process.setArguments([*monitor_command()[1:-1], *args])
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        self.process.readyReadStandardOutput.connect(self._read)
        self.process.readyReadStandardError.connect(self._stderr)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._error)
        self._stopping = False
        self._failed = False
        self._stuck = False
        self._heard = False
        self._stderr_tail = b""
        self.last_alive = time.monotonic()
        self.started_at = time.monotonic()
        self.watchdog = QTimer(self)
        self.watchdog.setInterval(int(min(5.0, STUCK_SECONDS / 3) * 1000))
        self.watchdog.timeout.connect(self._check_alive)

    def start(self) -> None:
        self.last_alive = self.started_at = time.monotonic()
        self.process.start()
        self.watchdog.start()

    @property
    def running(self) -> bool:
        return self.process.state() != QProcess.ProcessState.NotRunning and not self._failed

    def pid(self) -> int:
        return int(self.process.processId())

    def pause(self) -> None:
        self.process.write(ipc.command_line(ipc.PAUSE))

    def resume(self) -> None:
        self.process.write(ipc.command_line(ipc.RESUME))

    def stop(self, timeout_ms: int = 15000) -> None:
        """Ask the monitor to finish its batch and exit; it commits nothing half-way, so a kill is safe too."""
        self._stopping = True
        self.watchdog.stop()
        if self.process.state() == QProcess.ProcessState.NotRunning:
            return
        self.process.write(ipc.command_line(ipc.STOP))
        self.process.closeWriteChannel()
        if not self.process.waitForFinished(timeout_ms):
            self.process.kill()
            self.process.waitForFinished(5000)

    @Slot()
    def _read(self) -> None:
        while self.process.canReadLine():
            line = bytes(self.process.readLine()).decode("utf-8", "replace")
            msg = ipc.decode(line)
            if msg is None:
                continue
            kind, payload = msg
            self.last_alive = time.monotonic()
            self._heard = True
            if kind == "batch":
                first, last, count, updated = payload
                if count:
                    self.batch.emit(first, last, count)
                if updated:
                    self.updated.emit(updated)
            elif kind == "status":
                self.current = payload
                self.status.emit(payload)
            elif kind == "progress":
                self.progress.emit(payload)
            elif kind == "warning":
                self.warning.emit(payload)

    @Slot()
    def _stderr(self) -> None:
        self._stderr_tail = (self._stderr_tail + bytes(self.process.readAllStandardError()))[-4000:]

    @Slot()
    def _check_alive(self) -> None:
        if self._stopping or self._failed or self.process.state() != QProcess.ProcessState.Running:
            return
        if time.monotonic() - self.last_alive > (STUCK_SECONDS if self._heard else STARTUP_SECONDS):
            self._stuck = True
            self.process.kill()  # it commits nothing half-way: killing loses nothing; _finished reports it

    @Slot(int, QProcess.ExitStatus)
    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self.watchdog.stop()
        if self._stopping:
            return
        tail = self._stderr_tail.decode("utf-8", "replace").strip().splitlines()
        if self._stuck:
            quiet = STUCK_SECONDS if self._heard else STARTUP_SECONDS
            why = f"the monitor stopped responding for {quiet:.0f} seconds and was ended"
        elif status == QProcess.ExitStatus.CrashExit:
            why = "the monitor process was killed or crashed"
        else:
            why = f"the monitor stopped (exit {code}): {tail[-1] if tail else 'no message'}"
        self._fail(why)

    @Slot(QProcess.ProcessError)
    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._fail(f"cannot start the monitor: {self.process.errorString()}")

    def _fail(self, why: str) -> None:
        if not self._failed:  # once per process life
            self._failed = True
            self.failed.emit(why)
