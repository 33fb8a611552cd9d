"""One writer per history: a lock file next to the database, taken by every monitor (`ghostwatch watch`, and the
app's monitor process, which is a `watch --ipc`); a second one is refused with who holds it.

The operating system's own lock (`fcntl.flock` on POSIX, `msvcrt.locking` on Windows) is released when the holder
exits however it ends (kill -9, a crash), so a stale lock never blocks the next start. The stdlib suffices and,
unlike the `filelock` package, lets the file say who holds it (pid and command), which the refusal names.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl

_WIN_LOCK_AT = 1 << 30
"""Windows locks byte ranges, and a locked byte cannot be read: lock one far beyond the holder's note."""


class HistoryLocked(Exception):
    """Another monitor writes this history; the message (one line) names it."""


class WriterLock:
    """The history's writer lock; `acquire` raises HistoryLocked when another process holds it."""

    def __init__(self, database: Path, command: list[str] | None = None) -> None:
        self.path = Path(str(database) + ".lock")
        self.command = " ".join(command if command is not None else sys.argv)[:300]
        self._fh = None

    def acquire(self) -> WriterLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+b")  # noqa: SIM115 - held open for as long as the lock is held
        try:
            _lock(fh)
        except OSError:
            holder = _describe(fh)
            fh.close()
            raise HistoryLocked(f"another GhostWatch monitor is already writing to {self.path.parent}: {holder}; "
                                "stop it first (one writer per history)") from None
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(), "command": self.command}).encode() + b"\n")
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        if self._fh is not None:
            try:
                self._fh.seek(0)
                self._fh.truncate()
            except OSError:
                pass
            _unlock(self._fh)
            self._fh.close()
            self._fh = None

    def __enter__(self) -> WriterLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _lock(fh) -> None:
    if sys.platform == "win32":
        fh.seek(_WIN_LOCK_AT)
        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _unlock(fh) -> None:
    try:
        if sys.platform == "win32":
            fh.seek(_WIN_LOCK_AT)
            msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    except OSError:
        pass


def _describe(fh) -> str:
    """Who holds the lock, from the note the holder wrote (it may be starting and not have written it yet)."""
    try:
        fh.seek(0)
        note = json.loads(fh.read(4096).decode("utf-8", "replace") or "{}")
        return f"process {int(note['pid'])} ({str(note['command'])[:200]})"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that is just starting"
