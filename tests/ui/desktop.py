"""A real desktop for the tests that need one: Xvfb, a session D-Bus, the dunst notification daemon, dbus-monitor
recording every Notify call, and a StatusNotifierWatcher (the tray a panel provides); GhostWatch started in it as a
user starts it. Every process is stopped when the session ends."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ..conftest import stop_process

ROOT = Path(__file__).resolve().parents[2]
NEEDED = ("Xvfb", "dbus-daemon", "dbus-monitor", "dunst")


def needs(*extra: str) -> pytest.MarkDecorator:
    """Skip (outside CI, where .ci/run installs them) when a desktop tool is missing."""
    missing = [tool for tool in (*NEEDED, *extra) if shutil.which(tool) is None]
    return pytest.mark.skipif(bool(missing) and not os.environ.get("CI"),
                              reason=f"needs {', '.join(missing)} (installed by .ci/run)")


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)  # other processes make these conditions true; there is nothing to block on


def free_display() -> int:
    for n in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


@dataclass
class Desktop:
    env: dict[str, str]
    notes: Path                     # what dbus-monitor saw of org.freedesktop.Notifications
    watcher: subprocess.Popen       # the StatusNotifierWatcher: prints each tray icon that registers
    procs: list[subprocess.Popen] = field(default_factory=list)

    def start_app(self, logs: Path, data: Path, exit_after: int) -> subprocess.Popen:
        """GhostWatch on a real X server (xcb), watching `logs`; its output goes to a file (a pipe nobody reads
        could fill and stall it), kept for a failure message."""
        with open(self.notes.with_name("app-output.log"), "w") as out:
            app = subprocess.Popen([sys.executable, "-m", "ghostwatch", "--logs", str(logs), "--data-dir",
                                    str(data), "--exit-after", str(exit_after)],
                                   env=dict(self.env, QT_QPA_PLATFORM="xcb"), stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(app)
        return app

    def app_output(self) -> str:
        path = self.notes.with_name("app-output.log")
        return path.read_text(errors="replace") if path.exists() else ""

    def notifications(self) -> str:
        return self.notes.read_text(errors="replace")


@contextmanager
def desktop(tmp_path: Path) -> Iterator[Desktop]:
    procs: list[subprocess.Popen] = []
    try:
        n = free_display()
        procs.append(subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for(lambda: Path(f"/tmp/.X11-unix/X{n}").exists(), 20, "Xvfb")
        bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                               stdout=subprocess.PIPE, text=True)
        procs.append(bus)
        address = bus.stdout.readline().strip()
        env = dict(os.environ, DISPLAY=f":{n}", DBUS_SESSION_BUS_ADDRESS=address, PYTHONPATH=str(ROOT / "app"))
        env.pop("QT_QPA_PLATFORM", None)
        procs.append(subprocess.Popen(["dunst"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        notes = tmp_path / "dbus-monitor.log"
        with open(notes, "w") as fh:
            procs.append(subprocess.Popen(["dbus-monitor", "interface='org.freedesktop.Notifications'"],
                                          env=env, stdout=fh, stderr=subprocess.DEVNULL))
        watcher = subprocess.Popen([sys.executable, str(Path(__file__).with_name("fake_sni_watcher.py"))],
                                   env=dict(env, QT_QPA_PLATFORM="offscreen"), stdout=subprocess.PIPE, text=True)
        procs.append(watcher)
        assert watcher.stdout.readline().strip() == "watcher ready"
        yield Desktop(env, notes, watcher, procs)
    finally:
        for p in reversed(procs):
            stop_process(p)
