"""`python -m ghostwatch.demo.write DIR`: write the demo office's logs into DIR at once (for `make run`, tests)."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

from .scenario import office_day


def write_logs(directory: Path, day: datetime) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    handles: dict[str, list[str]] = {}
    for line in office_day(day):
        handles.setdefault(line.file, []).append(line.text)
    written = []
    for name, lines in handles.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        stamp = (day + timedelta(days=1)).timestamp()
        os.utime(path, (stamp, stamp))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m ghostwatch.demo.write DIR", file=sys.stderr)
        return 2
    yesterday = (datetime.now() - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    for path in write_logs(Path(args[0]), yesterday):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
