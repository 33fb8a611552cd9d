"""The killed monitor on a real desktop: Xvfb, a session D-Bus, dunst and a StatusNotifierWatcher. GhostWatch runs
as the user starts it; its monitor process is killed (SIGKILL); the tray icon's tooltip, picture and menu (read over
D-Bus, as a panel reads them) and the desktop notification must tell the truth, then the restarted monitor too."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

from .desktop import desktop, needs, wait_for

pytestmark = needs("gdbus")
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
    with desktop(tmp_path) as d:
        env, notes = d.env, d.notes
        logs = tmp_path / "logs"
        logs.mkdir()
        (logs / "messages").write_bytes(b"")
        app = d.start_app(logs, tmp_path / "data", 120)
        registered = d.watcher.stdout.readline()
        assert "RegisterStatusNotifierItem" in registered, registered
        item = Item(registered.split()[1], env)
        wait_for(lambda: "watching your phone system" in item.prop("ToolTip") and _monitor_of(app.pid), 40,
                 "the tray and the monitor process")
        watching_icon = item.prop("IconPixmap")
        assert "Pause monitoring" in item.menu_labels()

        first = _monitor_of(app.pid)
        os.kill(first, signal.SIGKILL)
        # while the notification shows, Qt's D-Bus tray lends it the tooltip; either way it must say so
        said = []
        wait_for(lambda: said.append(item.prop("ToolTip")) or "NOT watching" in said[-1] or STOPPED in said[-1],
                 20, "the tooltip to say so")
        assert "killed or crashed" in said[-1]
        labels = item.menu_labels()
        assert "Restart monitoring" in labels and "Pause monitoring" not in labels
        stopped_icon = item.prop("IconPixmap")
        assert stopped_icon != watching_icon  # the not-watching picture
        wait_for(lambda: f'string "{STOPPED}"' in notes.read_text(errors="replace"), 20, "the notification")

        # the app restarts its monitor (2 s backoff) and everything says "watching" again
        wait_for(lambda: (_monitor_of(app.pid) or first) != first and "Pause monitoring" in item.menu_labels(),
                 40, "the restarted monitor")
        assert item.prop("IconPixmap") != stopped_icon  # (the alert picture: a notification is unread)
        wait_for(lambda: "watching your phone system" in item.prop("ToolTip") and "NOT" not in item.prop("ToolTip"),
                 30, "the tooltip, once the notification has gone")
        assert notes.read_text(errors="replace").count(f'string "{STOPPED}"') == 1  # one notification
        assert app.poll() is None

