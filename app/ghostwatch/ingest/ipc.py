"""The line protocol between the desktop app and its monitor process (`ghostwatch watch --ipc`).

The monitor runs in its own process so that parsing a flood never competes with the window for the Python
interpreter. It writes one JSON object per line on stdout; the events themselves go to the shared history and
only their ids travel: the range of the new ones, and the ids of those updated in place (more lines joined
the attempt, or its source's run turned out to be an attack); past `MAX_UPDATED` only their count. A heartbeat
(`alive`, every ~2 s while the pipeline cycles) lets the app tell a stuck monitor from a quiet one. Commands
arrive on stdin, one word per line: `pause`, `resume`, `stop`; end of input (the app went away) also stops the
monitor. Both halves live here: the monitor's (`cli/watch.py`) writes messages with the `*_line` functions and reads
commands with `read_command`; the app's (`ui/monitor_process.py`) writes commands with `command_line` and reads
messages with `decode`.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from .follow import Problem
from .pipeline import Batch, MonitorStatus, Progress

MAX_UPDATED = 500
HEARTBEAT_SECONDS = 2.0  # the monitor says `alive` this often while its pipeline cycles
PAUSE, RESUME, STOP = "pause", "resume", "stop"  # the app's commands
COMMANDS = frozenset({PAUSE, RESUME, STOP})


# -- the monitor's half: messages out, commands in -------------------------------------------------------------
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


def read_command(line: str) -> str | None:
    """The command on one line of the monitor's stdin (PAUSE, RESUME or STOP); None for anything else."""
    word = line.strip()
    return word if word in COMMANDS else None


# -- the app's half: commands out, messages in -----------------------------------------------------------------
def command_line(command: str) -> bytes:
    """One command for the monitor's stdin."""
    if command not in COMMANDS:
        raise ValueError(f"not a monitor command: {command!r}")
    return f"{command}\n".encode()


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
