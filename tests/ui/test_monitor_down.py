"""A dead or stuck monitor is loud everywhere: the real monitor process is killed (SIGKILL) or frozen (SIGSTOP)
under a real window. Offscreen Qt has no system tray, so the tray's state is read from the `Tray` object (its menu
is a real QMenu); tests/ui/test_notifications_dbus.py shows the real tray and notifications on a desktop bus."""

from __future__ import annotations

import os
import signal
import sys

import pytest

from ghostwatch.ui import monitor_process

from .test_app import ghost_line

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")



def _menu(c) -> list[str]:
    return [a.text() for a in c.tray.menu.actions() if a.text()]


def _assert_loud(c, why: str) -> None:
    strip = c.window.strip
    assert "not watching" in strip.headline.text()
    assert why in strip.monitoring.text() and "Restart monitoring" in strip.monitoring.text()
    c.window.refresh()  # the counts refresh, but "Quiet today." must not replace the outage
    assert "not watching" in strip.headline.text()
    assert strip.pause.text() == "Restart monitoring" and c.window.pause_action.text() == "Restart monitoring"
    assert c.tray.state == "stopped" and c.tray.icon_name == "ghostwatch-off"
    assert c.tray.tooltip.startswith("GhostWatch: NOT watching") and why in c.tray.tooltip
    assert "Restart monitoring" in _menu(c) and "Pause monitoring" not in _menu(c)


def _wait_watching_again(qtbot, c, old_pid: int) -> None:
    qtbot.waitUntil(lambda: c.monitor is not None and c.monitor.running and c.monitor.pid() != old_pid
                    and c.monitor.current.state == "live" and c.down is None, timeout=20000)
    assert "not watching" not in c.window.strip.headline.text()
    assert c.tray.state == "watching" and c.tray.icon_name != "ghostwatch-off"  # (the alert stays until read)
    assert c.tray.tooltip == "GhostWatch: watching your phone system"
    assert "Pause monitoring" in _menu(c) and "Restart monitoring" not in _menu(c)


def test_a_killed_monitor_is_loud_everywhere_and_restarts_with_backoff(qtbot, controller):
    c, log = controller
    qtbot.addWidget(c.window)
    qtbot.waitUntil(lambda: c.monitor.current.state == "live", timeout=10000)
    first = c.monitor.pid()
    os.kill(first, signal.SIGKILL)
    qtbot.waitUntil(lambda: c.down is not None, timeout=10000)
    _assert_loud(c, "killed or crashed")
    assert "restarts it in 2 seconds" in c.window.strip.monitoring.text()
    assert [n.title for n in c.notifications] == ["GhostWatch stopped watching your phone system"]  # one, urgent
    assert c.notifications[0].urgent
    assert "GhostWatch stopped watching" in c.window.strip.alert.text()  # no tray here: the alert is in the window

    _wait_watching_again(qtbot, c, first)
    with open(log, "ab") as fh:  # and it really watches again
        fh.write(ghost_line(1))
    qtbot.waitUntil(lambda: c.window.model.rowCount() == 1, timeout=10000)

    second = c.monitor.pid()
    os.kill(second, signal.SIGKILL)  # again soon after: the next wait is longer
    qtbot.waitUntil(lambda: c.down is not None, timeout=10000)
    assert "restarts it in 5 seconds" in c.window.strip.monitoring.text()
    assert len(c.notifications) == 3  # the ghost call, then one for this outage


def test_restart_monitoring_from_the_tray_menu_does_not_wait(qtbot, controller):
    c, _log = controller
    qtbot.waitUntil(lambda: c.monitor.current.state == "live", timeout=10000)
    first = c.monitor.pid()
    os.kill(first, signal.SIGKILL)
    qtbot.waitUntil(lambda: c.tray.state == "stopped", timeout=10000)
    c.restart_timer.stop()  # no automatic restart: the person clicks it
    next(a for a in c.tray.menu.actions() if a.text() == "Restart monitoring").trigger()
    _wait_watching_again(qtbot, c, first)


def test_a_frozen_monitor_is_found_ended_and_restarted(qtbot, controller, monkeypatch):
    # the app's patience with a silent monitor, 30 s, shortened; still twice the heartbeat (2 s)
    monkeypatch.setattr(monitor_process, "STUCK_SECONDS", 4.0)
    c, _log = controller
    qtbot.waitUntil(lambda: c.monitor.current.state == "live", timeout=10000)
    first = c.monitor.pid()
    os.kill(first, signal.SIGSTOP)  # alive but silent: no heartbeat
    try:
        qtbot.waitUntil(lambda: c.down is not None, timeout=20000)
    finally:
        try:
            os.kill(first, signal.SIGCONT)
        except ProcessLookupError:
            pass
    _assert_loud(c, "stopped responding")
    _wait_watching_again(qtbot, c, first)


def test_a_folder_it_cannot_read_is_loud_without_a_restart(qtbot, controller):
    """The monitor reports a folder it may not read through its status line. The tests run as root, which reads
    everything, so the status line a non-root monitor sends is fed through the real protocol decoder instead."""
    from ghostwatch.ingest import ipc
    from ghostwatch.ingest.follow import Problem
    from ghostwatch.ingest.pipeline import MonitorStatus

    c, _log = controller
    qtbot.waitUntil(lambda: c.monitor.current.state == "live", timeout=10000)
    advice = ("Cannot read /var/log/asterisk: permission denied. Add your user to the 'asterisk' group "
              "(sudo usermod -aG asterisk $USER), then log out and back in. GhostWatch retries by itself.")
    line = ipc.status_line(MonitorStatus("failing", "inotify", (), (Problem("/var/log/asterisk", advice),)))
    _kind, status = ipc.decode(line)
    c.monitor.status.emit(status)
    assert "cannot read" in c.window.strip.headline.text() and "usermod" in c.window.strip.monitoring.text()
    c.window.refresh()
    assert "cannot read" in c.window.strip.headline.text()
    assert c.tray.state == "problem" and c.tray.icon_name == "ghostwatch-off" and "NOT watching" in c.tray.tooltip
    assert [n.title for n in c.notifications] == ["GhostWatch cannot read your PBX's logs"]
    c.monitor.status.emit(status)  # the same problem again: no second notification
    assert len(c.notifications) == 1
    assert not c.restart_timer.isActive() and c.monitor.running  # a restart would not help: the monitor retries
    c.monitor.status.emit(MonitorStatus("live", "inotify", ("/var/log/asterisk/messages",)))
    assert c.down is None and c.tray.state == "watching"
    assert "cannot read" not in c.window.strip.headline.text()


def test_a_log_folder_that_does_not_exist_is_not_a_quiet_office(qtbot, qapp, tmp_path):
    """A second first-time user's walk: a mistyped log folder was saved, and the app said "Quiet today." with the
    tray "watching your phone system". The real monitor process now reports the folder it waits for, and every
    surface says that nothing is being watched; the folder appearing later is watched at once."""
    from ghostwatch.ui.app import Controller, LaunchOptions

    logs = tmp_path / "srv" / "pbx" / "logs"
    c = Controller(qapp, LaunchOptions(data_dir=str(tmp_path / "data"), logs=(str(logs),), interactive=False))
    try:
        c.start()
        qtbot.waitUntil(lambda: c.down is not None, timeout=15000)
        strip = c.window.strip
        assert "not watching" in strip.headline.text() and str(logs) in strip.monitoring.text()
        c.window.refresh()
        assert "Quiet" not in strip.headline.text() and "not watching" in strip.headline.text()
        assert c.tray.state == "problem" and "NOT watching" in c.tray.tooltip and str(logs) in c.tray.tooltip
        assert [n.title for n in c.notifications] == ["GhostWatch cannot find your PBX's logs"]
        logs.mkdir(parents=True)
        (logs / "messages").write_bytes(ghost_line(1))
        qtbot.waitUntil(lambda: c.down is None and c.tray.state == "watching", timeout=20000)
        assert "not watching" not in strip.headline.text()
    finally:
        c.shutdown()
