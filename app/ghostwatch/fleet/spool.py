"""The forwarder's disk buffer: messages wait here until the collector has them; bounded, survives restarts.

One append-only file of messages, one per line (a syslog message of GhostWatch's never holds a newline), and the
offset up to which the collector has them (`.pos`: the spool file's inode and the offset, replaced atomically; a
compaction makes a new file, so a crash between the two writes resends rather than skips). A message leaves the
spool only after it was delivered (`ack`), so a collector outage or a restart of either side resends instead of
losing. When the file would grow past `max_bytes`, new messages are refused and counted as dropped.
"""

from __future__ import annotations

import os
from pathlib import Path


class Spool:
    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "events.spool"
        self.pos_path = directory / "events.spool.pos"
        self._fh = open(self.path, "a+b")  # noqa: SIM115 - kept open for appends, closed by close()
        self.size = self._fh.seek(0, os.SEEK_END)
        self.pos = min(self._read_pos(), self.size)
        if self.pos < self.size:  # a message cut by a crash while it was appended is completed by its newline
            self._fh.seek(self.size - 1)
            if self._fh.read(1) != b"\n":
                self._fh.write(b"\n")
                self.size += 1
        self.dropped = 0

    def _read_pos(self) -> int:
        try:
            inode, pos = (int(x) for x in self.pos_path.read_text().split())
        except (OSError, ValueError):
            return 0
        return max(0, pos) if inode == os.fstat(self._fh.fileno()).st_ino else 0

    def _write_pos(self) -> None:
        tmp = self.pos_path.with_suffix(".tmp")
        tmp.write_text(f"{os.fstat(self._fh.fileno()).st_ino} {self.pos}\n")
        os.replace(tmp, self.pos_path)

    # -- producer -------------------------------------------------------------------------------------------
    def append(self, messages: list[bytes]) -> int:
        """Add messages at the end (each without a newline); returns how many fit (the rest are dropped)."""
        self._compact()
        data = bytearray()
        kept = 0
        for msg in messages:
            if self.size + len(data) + len(msg) + 1 > self.max_bytes:
                self.dropped += len(messages) - kept
                break
            data += msg + b"\n"
            kept += 1
        if data:
            self._fh.seek(0, os.SEEK_END)
            self._fh.write(data)
            self._fh.flush()
            self.size += len(data)
        return kept

    # -- consumer -------------------------------------------------------------------------------------------
    @property
    def pending_bytes(self) -> int:
        return self.size - self.pos

    def peek(self, max_bytes: int = 256 << 10, start: int | None = None) -> list[bytes]:
        """Undelivered messages from `start` (default: the delivered offset), up to about `max_bytes`."""
        at = self.pos if start is None else start
        if at >= self.size:
            return []
        self._fh.seek(at)
        data = self._fh.read(min(max_bytes, self.size - at))
        end = data.rfind(b"\n")
        if end < 0:  # one message longer than max_bytes
            self._fh.seek(at)
            data = self._fh.readline()
            end = len(data) - 1
        return data[:end].split(b"\n")

    def ack(self, nbytes: int) -> None:
        """The collector has the next `nbytes` bytes of messages (newlines included)."""
        self.pos = min(self.size, self.pos + nbytes)
        self._write_pos()
        self._compact()

    def _compact(self) -> None:
        if self.pos == 0 or (self.pos < self.size and self.pos < self.max_bytes // 2):
            return
        self._fh.seek(self.pos)
        rest = self._fh.read()
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(rest)
        os.replace(tmp, self.path)
        self._fh.close()
        self._fh = open(self.path, "a+b")  # noqa: SIM115
        self.size, self.pos = len(rest), 0
        self._write_pos()

    def close(self) -> None:
        self._fh.close()
