"""Configuration file bytes to text, defensively: a size cap and a refusal of binary files, noted for people."""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_FILE_BYTES = 4 << 20
"""Files are read up to this size; a configuration file is kilobytes."""
MAX_TOTAL_BYTES = 16 << 20
"""Text parsed across all files and includes of one audit. A real configuration is well under 1 MiB; an archive
that includes one big file hundreds of times stops here instead of costing gigabytes."""
ASTERISK_ETC = "/etc/asterisk/"
"""Where Asterisk's own absolute includes point; inside a copy they mean the copy's folder."""


class ConfigFiles:
    """The files of one configuration folder, read for an audit: only regular files inside the folder (links
    resolved; no /dev/stdin, no FIFO, nothing of the auditor's own /etc), each read from disk once, and all the
    text handed out (a file included twice counts twice) within MAX_TOTAL_BYTES."""

    def __init__(self, root: Path, budget: int = MAX_TOTAL_BYTES) -> None:
        self.root = root.resolve()
        self.budget = budget
        self.used = 0
        self.opened: list[Path] = []          # every file opened, in order (each once)
        self._text: dict[Path, str | None] = {}
        self.spent = False

    def locate(self, arg: str, base: Path | None = None) -> Path | None:
        """Where an include argument points inside the folder (absolute `/etc/asterisk/...` means the folder)."""
        if arg.startswith(ASTERISK_ETC):
            arg = arg[len(ASTERISK_ETC):]
        path = Path(arg)
        if path.is_absolute():
            return path if self.inside(path) else None
        return (base or self.root) / path

    def inside(self, path: Path) -> Path | None:
        """`path` with links resolved when it lies inside the folder, else None."""
        try:
            real = path.resolve()
        except (OSError, RuntimeError):
            return None
        return real if real == self.root or self.root in real.parents else None

    def text(self, path: Path, problems: list[str]) -> str | None:
        """The text of `path` (None: outside, not a regular file, binary, or the budget is spent; noted)."""
        real = self.inside(path)
        if real is None:
            problems.append(f"{path}: outside the configuration folder; not read")
            return None
        if real not in self._text:
            if self.used >= self.budget:
                return self._spend(path, problems)
            self._text[real] = self._read(real, path, problems)
        text = self._text[real]
        if text is None:
            return None
        if self.used + len(text) > self.budget:
            return self._spend(path, problems)
        self.used += len(text)
        return text

    def _read(self, real: Path, shown: Path, problems: list[str]) -> str | None:
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                problems.append(f"{shown}: not a regular file; not read")
                return None
            self.opened.append(real)
            with os.fdopen(fd, "rb", closefd=False) as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
        finally:
            os.close(fd)
        return config_text(shown, data, problems)

    def _spend(self, path: Path, problems: list[str]) -> None:
        if not self.spent:
            problems.append(f"{path.name}: the configuration's files and includes add up to more than "
                            f"{self.budget >> 20} MiB; the rest was not read")
        self.spent = True
        return None


def read_capped(path: Path) -> bytes:
    """Up to MAX_FILE_BYTES + 1 bytes of `path` (one more than allowed, so `config_text` can tell it was cut)."""
    with open(path, "rb") as fh:
        return fh.read(MAX_FILE_BYTES + 1)


def config_text(path: Path, data: bytes, problems: list[str]) -> str | None:
    """The text of `data`, or None for a binary file; a cut or refused file is noted in `problems`."""
    if len(data) > MAX_FILE_BYTES:
        problems.append(f"{path.name}: larger than {MAX_FILE_BYTES >> 20} MiB; only the start was read")
        data = data[:MAX_FILE_BYTES]
    if looks_binary(data):
        problems.append(f"{path.name}: not a text file; ignored")
        return None
    return data.decode("utf-8", "replace")


def looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if not head:
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls * 20 > len(head)
