"""A real desktop notification: Xvfb, a session D-Bus, the dunst notification daemon and a StatusNotifierWatcher;
a ghost call in a watched log makes GhostWatch send org.freedesktop.Notifications.Notify with our title and body."""

from __future__ import annotations

import time

from .desktop import desktop, needs

pytestmark = needs()

GHOST = (b"[2026-11-26 02:14:00] NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'INVITE' from "
         b"'\"friendly-scanner\" <sip:1001@198.51.100.10>' failed for '203.0.113.9:5060' (callid: n1) - "
         b"No matching endpoint found\n")
TITLE = "Blocked ghost call from 203.0.113.9"  # the PBX refused it: no phone rang


def test_ghost_call_sends_a_desktop_notification(tmp_path):
    with desktop(tmp_path) as d:
        logs = tmp_path / "logs"
        logs.mkdir()
        (logs / "messages").write_bytes(b"")
        app = d.start_app(logs, tmp_path / "data", 60)
        assert "RegisterStatusNotifierItem" in d.watcher.stdout.readline()  # the tray icon is up
        # the monitor starts following "from now on" a moment later; lines written before that are history,
        # so the scanner keeps calling (as scanners do) until the first call is seen
        deadline = time.monotonic() + 40
        seen = False
        while not seen and time.monotonic() < deadline:
            with open(logs / "messages", "ab") as fh:
                fh.write(GHOST)
            end = time.monotonic() + 2
            while time.monotonic() < end and not seen:
                seen = f'string "{TITLE}"' in d.notifications()
                time.sleep(0.05)
        if not seen:
            app.terminate()
            app.wait(timeout=20)
            raise AssertionError(f"no Notify; app stderr: {d.app_output()[-3000:]}\n"
                                 f"monitor: {d.notifications()[-2000:]}")
        text = d.notifications()
        call = text[text.index("member=Notify"):]
        assert f'string "{TITLE}"' in call
        # the PBX refused the INVITE: the notification says it was blocked, never that a phone rang
        assert 'string "The PBX refused a call from 203.0.113.9: no phone rang. Caller ID 1001 is what SIP ' \
               'scanners send by default; real outside callers never have it."' in call
