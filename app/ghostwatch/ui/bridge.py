"""The monitor's callbacks (on its threads) turned into Qt signals (queued to the GUI thread)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ..ingest.pipeline import Batch, MonitorStatus, Progress


class MonitorBridge(QObject):
    batch = Signal(object)       # Batch
    status = Signal(object)      # MonitorStatus
    progress = Signal(object)    # Progress
    warning = Signal(str)
    started = Signal()
    failed = Signal(str)

    # Called on the monitor's threads: only emit (Qt queues the delivery to the receivers' thread).
    def on_batch(self, batch: Batch) -> None:
        self.batch.emit(batch)

    def on_status(self, status: MonitorStatus) -> None:
        self.status.emit(status)

    def on_progress(self, progress: Progress) -> None:
        self.progress.emit(progress)

    def on_warning(self, message: str) -> None:
        self.warning.emit(message)
