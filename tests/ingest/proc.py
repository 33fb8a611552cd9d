"""`ghostwatch watch` as a real subprocess, with its stderr read on a thread (tests wait on lines, not time)."""

from __future__ import annotations

import os
import queue
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def watch(args: list[str], prefix: tuple[str, ...] = ()) -> Watcher:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "app"), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([*prefix, sys.executable, "-m", "ghostwatch", "watch", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    return Watcher(proc)


class Watcher:
    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.stderr: queue.Queue[str] = queue.Queue()
        self.stdout: queue.Queue[str] = queue.Queue()
        self._threads = [threading.Thread(target=self._pump, args=(proc.stderr, self.stderr), daemon=True),
                         threading.Thread(target=self._pump, args=(proc.stdout, self.stdout), daemon=True)]
        for t in self._threads:
            t.start()

    @staticmethod
    def _pump(stream, q: queue.Queue[str]) -> None:
        for line in stream:
            q.put(line)

    def expect(self, q: queue.Queue[str], needle: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            try:
                line = q.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"{needle!r} not printed within {timeout} s; got {seen[-5:]}") from None
            seen.append(line)
            if needle in line:
                return line

    def terminate(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        rc = self.proc.wait(timeout=30)
        for t in self._threads:
            t.join(timeout=5)
        return rc

    def wait(self, timeout: float = 30.0) -> int:
        rc = self.proc.wait(timeout=timeout)
        for t in self._threads:
            t.join(timeout=5)
        return rc

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)
        for t in self._threads:
            t.join(timeout=5)


def wait_db(db: Path, sql: str, predicate: Callable[[object], bool], timeout: float = 30.0) -> object:
    """Poll a query until its first value satisfies `predicate` (the condition a subprocess makes true)."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        if db.exists():
            try:
                conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
                try:
                    value = conn.execute(sql).fetchone()[0]
                finally:
                    conn.close()
            except sqlite3.OperationalError:
                value = None
            if value is not None and predicate(value):
                return value
        threading.Event().wait(0.05)  # a subprocess changes the database: there is nothing to wait on but it
    raise AssertionError(f"{sql} never satisfied the condition (last value {value!r})")
