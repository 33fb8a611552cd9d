"""A User-Agent holding a link and an image reaches the real desktop notification (dunst, which advertises
body-markup and body-hyperlinks) escaped: Xvfb, a session D-Bus, dunst and a StatusNotifierWatcher, the app
following a Kamailio log, and dbus-monitor recording the Notify call (issue 15)."""

from __future__ import annotations

import time

from .desktop import desktop, needs

pytestmark = needs()

PAYLOAD = "friendly-scanner <a href=https://evil.example/reset>click to secure</a><img src=/dev/zero>"
ESCAPED = "friendly-scanner &lt;a href=https://evil.example/reset&gt;click to secure&lt;/a&gt;&lt;img src=/dev/zero&gt;"


def line(n: int) -> bytes:
    return (f'Nov 26 02:14:{n % 60:02d} proxy kamailio[2301]: NOTICE: <script>: GHOSTWATCH ts=2026-11-26T02:14:'
            f'{n % 60:02d} method=INVITE src_ip=203.0.113.70 src_port=5070 totag="" auth="" from_user="2{n:03d}" '
            f'from_name="<null>" from_host="203.0.113.70" ruri="sip:200@198.51.100.10" to_user="200" '
            f'ua="{PAYLOAD}" callid="c{n}"\n').encode()


def test_a_hostile_user_agent_reaches_dunst_escaped(tmp_path):
    with desktop(tmp_path) as d:
        logs = tmp_path / "logs"
        logs.mkdir()
        (logs / "kamailio.log").write_bytes(line(0))
        d.start_app(logs, tmp_path / "data", 60)
        assert "RegisterStatusNotifierItem" in d.watcher.stdout.readline()
        deadline = time.monotonic() + 40
        seen = False
        i = 1
        while not seen and time.monotonic() < deadline:
            with open(logs / "kamailio.log", "ab") as fh:
                fh.write(line(i))
            i += 1
            end = time.monotonic() + 2
            while time.monotonic() < end and not seen:
                seen = "member=Notify" in d.notifications()
                time.sleep(0.05)  # dbus-monitor writes the call; nothing to block on
        time.sleep(0.5)  # let dbus-monitor finish writing the call's arguments
        text = d.notifications()
        assert seen, f"no Notify; monitor: {text[-2000:]}"
        call = text[text.index("member=Notify"):]
        assert ESCAPED in call, call[:3000]
        assert "<a href" not in call and "<img" not in call
