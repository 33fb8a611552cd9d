"""What a failed write to the history means, in one line for people: a full disk, read-only media, an I/O error."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

_SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 8, 10, 13, 14
_AFTER = ("nothing was half-written; GhostWatch stopped storing and goes on from where it stopped once it is "
          "started again")


class WriteFailed(Exception):
    """The history could not be written; the message is one line for people."""


def write_failure(exc: BaseException, path: Path) -> WriteFailed | None:
    """A WriteFailed for a storage failure (SQLite's or the operating system's), None for anything else."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    err = getattr(exc, "errno", None)
    text = str(exc).lower()
    folder = path.parent
    if primary == _SQLITE_FULL or err in (errno.ENOSPC, errno.EDQUOT) or "disk is full" in text:
        return WriteFailed(f"the disk is full: cannot store events in {path} ({_AFTER}). Free some space on the "
                           f"disk holding {folder}.")
    if primary == _SQLITE_READONLY or err == errno.EROFS or "readonly" in text or "read-only" in text:
        return WriteFailed(f"the history is on read-only storage: cannot store events in {path} ({_AFTER}). "
                           "Choose a data directory on writable storage (--data-dir).")
    if primary in (_SQLITE_IOERR, _SQLITE_CANTOPEN) or err == errno.EIO or isinstance(exc, OSError):
        return WriteFailed(f"the disk failed: cannot store events in {path}: {exc} ({_AFTER}). Check the disk "
                           f"holding {folder}.")
    if isinstance(exc, sqlite3.OperationalError) and "locked" in text:
        return WriteFailed(f"the history {path} stayed locked by another program: {exc} ({_AFTER}).")
    return None
