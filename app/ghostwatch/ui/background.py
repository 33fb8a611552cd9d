"""Running a blocking function (reading configuration files, a network self-test) off the GUI thread.

The result comes back by a signal, delivered in the GUI thread: the window never waits on the disk or the network.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


def failure_text(exc: BaseException, expected: tuple[type[BaseException], ...] = ()) -> str:
    """How a failed job is told to people: an expected error in its own words (they are written for people), anything
    else with its type too (a bug, still shown rather than swallowed)."""
    if isinstance(exc, expected):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class Job(QObject):
    """One background call. Connect `finished` (its result) / `failed` (the exception object itself, for the slot to
    tell by its type what happened) to slots of GUI objects before `start()`."""

    finished = Signal(object)
    failed = Signal(object)

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()  # no parent: the job outlives a window closed while it runs; Qt drops the connection
        self._fn = fn
        self.running = False

    def start(self) -> None:
        self.running = True
        QThreadPool.globalInstance().start(_Runner(self))

    def _run(self) -> None:  # in a pool thread
        try:
            result = self._fn()
        except Exception as exc:  # reported to the user as a message, never a crash
            self.running = False
            self.failed.emit(exc)
        else:
            self.running = False
            self.finished.emit(result)


class _Runner(QRunnable):
    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job  # keeps the job alive until it has run

    def run(self) -> None:
        self.job._run()


def wait_for_jobs(msecs: int = 30000) -> bool:
    """Block until background jobs are done (at shutdown, so none outlives the window)."""
    return QThreadPool.globalInstance().waitForDone(msecs)
