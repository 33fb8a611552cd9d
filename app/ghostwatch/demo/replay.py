"""The demo replayer: writes the demo office's logs into a directory in accelerated real time, so the watcher,
pipeline, table, plot and tray all run for real. Plain Python (a thread), no Qt."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from .scenario import LogLine, office_day

NIGHT_STARTS = 22  # the working day is written at once; the night's attacks play live


class Replayer:
    """Writes `office_day` into `directory`: the day at once, then the night with its gaps compressed."""

    def __init__(self, directory: Path, day: datetime | None = None, night_seconds: float = 90.0,
                 max_gap: float = 4.0, on_done: Callable[[], None] | None = None) -> None:
        self.directory = Path(directory)
        if day is None:  # yesterday, so the night ends this morning and sits inside the "24 hours" plot
            day = (datetime.now() - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        self.lines = office_day(day)
        cut = day.replace(hour=NIGHT_STARTS)
        self.day = [ln for ln in self.lines if ln.at < cut]
        self.night = [ln for ln in self.lines if ln.at >= cut]
        span = (self.night[-1].at - self.night[0].at).total_seconds() if len(self.night) > 1 else 1.0
        self.factor = max(span / night_seconds, 1.0)
        self.max_gap = max_gap
        self.on_done = on_done
        self.written = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._run, name="ghostwatch-demo", daemon=False)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    @property
    def total(self) -> int:
        return len(self.lines)

    def _run(self) -> None:
        self._write(self.day)
        previous = self.night[0].at if self.night else None
        group: list[LogLine] = []
        for line in self.night:
            gap = (line.at - previous).total_seconds() / self.factor if previous else 0.0
            if gap > 0.02 and group:
                self._write(group)
                group = []
                if self._stop.wait(min(gap, self.max_gap)):
                    return
            group.append(line)
            previous = line.at
        if group and not self._stop.is_set():
            self._write(group)
        if self.on_done is not None and not self._stop.is_set():
            self.on_done()

    def _write(self, lines: list[LogLine]) -> None:
        by_file: dict[str, list[str]] = {}
        for line in lines:
            by_file.setdefault(line.file, []).append(line.text)
        for name, texts in by_file.items():
            path = self.directory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as fh:
                fh.write("\n".join(texts) + "\n")
        self.written += len(lines)
