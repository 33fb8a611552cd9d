"""The killed monitor on a real desktop: Xvfb, a session D-Bus, dunst and a StatusNotifierWatcher. GhostWatch runs
as the user starts it; its monitor process is killed (SIGKILL); the tray icon's tooltip, picture and menu (read over
D-Bus, as a panel reads them) and the desktop notification must tell the truth, then the restarted monitor too."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import stop_process
from .test_notifications_dbus import NEEDED, _free_display, _wait_for

missing = [tool for tool in (*NEEDED, "gdbus") if shutil.which(tool) is None]
pytestmark = pytest.mark.skipif(bool(missing) and not os.environ.get("CI"),
                                reason=f"needs {', '.join(missing)} (installed by .ci/run)")
STOPPED = "GhostWatch stopped watching your phone system"


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def _monitor_of(app_pid: int) -> int | None:
    for pid in _children(app_pid):
        try:
            if b"--ipc" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
        except OSError:
            continue
    return None


class Item:
    """The tray icon as a panel sees it: a StatusNotifierItem on the session bus."""

    def __init__(self, service: str, env: dict[str, str]) -> None:
        self.service, self.env = service, env

    def _call(self, path: str, method: str, *args: str) -> str:
        proc = subprocess.run(["gdbus", "call", "--session", "--dest", self.service, "--object-path", path,
                               "--method", method, *args], env=self.env, capture_output=True, text=True, timeout=10)
        return proc.stdout + proc.stderr

    def prop(self, name: str) -> str:
        return self._call("/StatusNotifierItem", "org.freedesktop.DBus.Properties.Get",
                          "org.kde.StatusNotifierItem", name)

    def menu_labels(self) -> list[str]:
        path = re.search(r"objectpath '([^']+)'", self.prop("Menu"))
        assert path, self.prop("Menu")
        # the whole tree (depth "int32 -1": a bare -1 would read as an option), all properties
        layout = self._call(path.group(1), "com.canonical.dbusmenu.GetLayout", "0", "int32 -1", "@as []")
        return re.findall(r"'label': <'([^']*)'>", layout)


def test_killed_monitor_on_a_real_desktop(tmp_path):
    procs: list[subprocess.Popen] = []
    try:
        n = _free_display()
        procs.append(subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _wait_for(lambda: Path(f"/tmp/.X11-unix/X{n}").exists(), 20, "Xvfb")
        bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                               stdout=subprocess.PIPE, text=True)
        procs.append(bus)
        address = bus.stdout.readline().strip()
        root = Path(__file__).resolve().parents[2]
        env = dict(os.environ, DISPLAY=f":{n}", DBUS_SESSION_BUS_ADDRESS=address, PYTHONPATH=str(root / "app"))
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
        logs = tmp_path / "logs"
        logs.mkdir()
        (logs / "messages").write_bytes(b"")
        app = subprocess.Popen([sys.executable, "-m", "ghostwatch", "--logs", str(logs), "--data-dir",
                                str(tmp_path / "data"), "--exit-after", "120"],
                               env=dict(env, QT_QPA_PLATFORM="xcb"), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, text=True)
        procs.append(app)
        registered = watcher.stdout.readline()
        assert "RegisterStatusNotifierItem" in registered, registered
        item = Item(registered.split()[1], env)
        _wait_for(lambda: "watching your phone system" in item.prop("ToolTip") and _monitor_of(app.pid), 40,
                  "the tray and the monitor process")
        watching_icon = item.prop("IconPixmap")
        assert "Pause monitoring" in item.menu_labels()

        first = _monitor_of(app.pid)
        os.kill(first, signal.SIGKILL)
        # while the notification shows, Qt's D-Bus tray lends it the tooltip; either way it must say so
        said = []
        _wait_for(lambda: said.append(item.prop("ToolTip")) or "NOT watching" in said[-1] or STOPPED in said[-1],
                  20, "the tooltip to say so")
        assert "killed or crashed" in said[-1]
        labels = item.menu_labels()
        assert "Restart monitoring" in labels and "Pause monitoring" not in labels
        stopped_icon = item.prop("IconPixmap")
        assert stopped_icon != watching_icon  # the not-watching picture
        _wait_for(lambda: f'string "{STOPPED}"' in notes.read_text(errors="replace"), 20, "the notification")

        # the app restarts its monitor (2 s backoff) and everything says "watching" again
        _wait_for(lambda: (_monitor_of(app.pid) or first) != first and "Pause monitoring" in item.menu_labels(),
                  40, "the restarted monitor")
        assert item.prop("IconPixmap") != stopped_icon  # (the alert picture: a notification is unread)
        _wait_for(lambda: "watching your phone system" in item.prop("ToolTip") and "NOT" not in item.prop("ToolTip"),
                  30, "the tooltip, once the notification has gone")
        assert notes.read_text(errors="replace").count(f'string "{STOPPED}"') == 1  # one notification
        assert app.poll() is None
    finally:
        for p in reversed(procs):
            stop_process(p)
