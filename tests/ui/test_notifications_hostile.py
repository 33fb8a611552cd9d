"""A User-Agent holding a link and an image reaches the real desktop notification (dunst, which advertises
body-markup and body-hyperlinks) escaped: Xvfb, a session D-Bus, dunst and a StatusNotifierWatcher, the app
following a Kamailio log, and dbus-monitor recording the Notify call (issue 15)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from ..conftest import stop_process
from .test_notifications_dbus import ROOT, _free_display, _wait_for, pytestmark  # noqa: F401 - same skip rule

PAYLOAD = "friendly-scanner <a href=https://evil.example/reset>click to secure</a><img src=/dev/zero>"
ESCAPED = "friendly-scanner &lt;a href=https://evil.example/reset&gt;click to secure&lt;/a&gt;&lt;img src=/dev/zero&gt;"


def line(n: int) -> bytes:
    return (f'Nov 26 02:14:{n % 60:02d} proxy kamailio[2301]: NOTICE: <script>: GHOSTWATCH ts=2026-11-26T02:14:'
            f'{n % 60:02d} method=INVITE src_ip=203.0.113.70 src_port=5070 totag="" auth="" from_user="2{n:03d}" '
            f'from_name="<null>" from_host="203.0.113.70" ruri="sip:200@198.51.100.10" to_user="200" '
            f'ua="{PAYLOAD}" callid="c{n}"\n').encode()


def test_a_hostile_user_agent_reaches_dunst_escaped(tmp_path):
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
        (logs / "kamailio.log").write_bytes(line(0))
        app = subprocess.Popen([sys.executable, "-m", "ghostwatch", "--logs", str(logs), "--data-dir",
                                str(tmp_path / "data"), "--exit-after", "60"],
                               env=dict(env, QT_QPA_PLATFORM="xcb"), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        procs.append(app)
        assert "RegisterStatusNotifierItem" in watcher.stdout.readline()
        deadline = time.monotonic() + 40
        seen = False
        i = 1
        while not seen and time.monotonic() < deadline:
            with open(logs / "kamailio.log", "ab") as fh:
                fh.write(line(i))
            i += 1
            end = time.monotonic() + 2
            while time.monotonic() < end and not seen:
                seen = "member=Notify" in monitor_log.read_text(errors="replace")
                time.sleep(0.05)  # dbus-monitor writes the call; nothing to block on
        time.sleep(0.5)  # let dbus-monitor finish writing the call's arguments
        text = monitor_log.read_text(errors="replace")
        assert seen, f"no Notify; monitor: {text[-2000:]}"
        call = text[text.index("member=Notify"):]
        assert ESCAPED in call, call[:3000]
        assert "<a href" not in call and "<img" not in call
    finally:
        for p in reversed(procs):
            stop_process(p)
