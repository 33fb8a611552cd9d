"""A real desktop notification: Xvfb, a session D-Bus, the dunst notification daemon and a StatusNotifierWatcher;
a ghost call in a watched log makes GhostWatch send org.freedesktop.Notifications.Notify with our title and body."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..conftest import stop_process

ROOT = Path(__file__).resolve().parents[2]
NEEDED = ("Xvfb", "dbus-daemon", "dbus-monitor", "dunst")
missing = [tool for tool in NEEDED if shutil.which(tool) is None]
pytestmark = pytest.mark.skipif(bool(missing) and not os.environ.get("CI"),
                                reason=f"needs {', '.join(missing)} (installed by .ci/run)")

GHOST = (b"[2026-11-26 02:14:00] NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'INVITE' from "
         b"'\"friendly-scanner\" <sip:1001@198.51.100.10>' failed for '203.0.113.9:5060' (callid: n1) - "
         b"No matching endpoint found\n")
TITLE = "Blocked ghost call from 203.0.113.9"  # the PBX refused it: no phone rang


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)  # other processes make these conditions true; there is nothing to block on


def _free_display() -> int:
    for n in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


def test_ghost_call_sends_a_desktop_notification(tmp_path):
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
        env = dict(os.environ, DISPLAY=f":{n}", DBUS_SESSION_BUS_ADDRESS=address, PYTHONPATH=str(ROOT / "app"))
        env.pop("QT_QPA_PLATFORM", None)
        procs.append(subprocess.Popen(["dunst"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        monitor_log = tmp_path / "dbus-monitor.log"
        with open(monitor_log, "w") as fh:
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
                                str(tmp_path / "data"), "--exit-after", "60"],
                               env=dict(env, QT_QPA_PLATFORM="xcb"), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        procs.append(app)
        assert "RegisterStatusNotifierItem" in watcher.stdout.readline()  # the tray icon is up
        # the monitor starts following "from now on" a moment later; lines written before that are history,
        # so the scanner keeps calling (as scanners do) until the first call is seen
        deadline = time.monotonic() + 40
        seen = False
        while not seen and time.monotonic() < deadline:
            with open(logs / "messages", "ab") as fh:
                fh.write(GHOST)
            end = time.monotonic() + 2
            while time.monotonic() < end and not seen:
                seen = f'string "{TITLE}"' in monitor_log.read_text(errors="replace")
                time.sleep(0.05)
        if not seen:
            app.terminate()
            _out, err = app.communicate(timeout=20)
            raise AssertionError(f"no Notify; app stderr: {err[-3000:]}\nmonitor: "
                                 f"{monitor_log.read_text(errors='replace')[-2000:]}")
        text = monitor_log.read_text(errors="replace")
        call = text[text.index("member=Notify"):]
        assert f'string "{TITLE}"' in call
        # the PBX refused the INVITE: the notification says it was blocked, never that a phone rang
        assert 'string "The PBX refused a call from 203.0.113.9: no phone rang. Caller ID 1001 is what SIP ' \
               'scanners send by default; real outside callers never have it."' in call
    finally:
        for p in reversed(procs):
            stop_process(p)
