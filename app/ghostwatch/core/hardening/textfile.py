"""Configuration file bytes to text, defensively: a size cap and a refusal of binary files, noted for people."""

from __future__ import annotations

from pathlib import Path

MAX_FILE_BYTES = 4 << 20
"""Files are read up to this size; a configuration file is kilobytes."""


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
