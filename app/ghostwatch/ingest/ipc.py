"""The line protocol between the desktop app and its monitor process (`ghostwatch watch --ipc`).

The monitor runs in its own process so that parsing a flood never competes with the window for the Python
interpreter. It writes one JSON object per line on stdout; the events themselves go to the shared history and
only their ids travel: the range of the new ones, and the ids of those updated in place (more lines joined
the attempt, or its source's run turned out to be an attack); past `MAX_UPDATED` only their count. A heartbeat
(`alive`, every ~2 s while the pipeline cycles) lets the app tell a stuck monitor from a quiet one. Commands
arrive on stdin, one word per line: `pause`, `resume`, `stop`; end of input (the app went away) also stops the
monitor.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from .follow import Problem
from .pipeline import Batch, MonitorStatus, Progress

MAX_UPDATED = 500


def batch_line(batch: Batch) -> str:
    new = [eid for i, eid in enumerate(batch.ids) if batch.is_new(i)]
    updated = [eid for i, eid in enumerate(batch.ids) if not batch.is_new(i)]
    msg: dict[str, Any] = {"t": "batch", "first": new[0] if new else 0, "last": new[-1] if new else -1,
                           "n": len(new)}
    if updated:
        msg["updated"] = updated if len(updated) <= MAX_UPDATED else len(updated)
    return json.dumps(msg)


def status_line(status: MonitorStatus) -> str:
    return json.dumps({"t": "status", "state": status.state, "observer": status.observer, "files": status.files,
                       "problems": [[p.path, p.message] for p in status.problems],
                       "waiting_for": status.waiting_for})


def progress_line(progress: Progress) -> str:
    return json.dumps({"t": "progress", **asdict(progress)})


def warning_line(message: str) -> str:
    return json.dumps({"t": "warning", "message": message})


def alive_line() -> str:
    """The monitor's heartbeat: its pipeline has looked at the files since the last one (a stuck one stays silent)."""
    return '{"t": "alive"}'


def decode(line: str) -> tuple[str, Any] | None:
    """(kind, payload) for one protocol line; None for anything else (never raises on garbage)."""
    try:
        msg = json.loads(line)
        kind = msg["t"]
        if kind == "batch":
            updated = msg.get("updated", [])
            updated = int(updated) if isinstance(updated, int) else tuple(int(i) for i in updated)
            return kind, (int(msg["first"]), int(msg["last"]), int(msg["n"]), updated)
        if kind == "status":
            return kind, MonitorStatus(str(msg["state"]), str(msg["observer"]), tuple(msg["files"]),
                                       tuple(Problem(str(p), str(m)) for p, m in msg["problems"]),
                                       tuple(msg["waiting_for"]))
        if kind == "progress":
            return kind, Progress(**{k: v for k, v in msg.items() if k != "t"})
        if kind == "warning":
            return kind, str(msg["message"])
        if kind == "alive":
            return kind, None
    except (ValueError, KeyError, TypeError):
        return None
    return None
