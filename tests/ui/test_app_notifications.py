"""Notifications around the demo office and a second launch, with the real app, monitor process and history."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtNetwork import QLocalServer

from ghostwatch.ui.app import Controller, LaunchOptions, _answer_raise

from .test_app import ROOT, ghost_line


def test_the_demo_waits_for_the_welcome_choice(qtbot, qapp, tmp_path, monkeypatch):
    asked = []
    # the Welcome dialog is modal (exec) and would wait for a person: record that it was asked for instead
    monkeypatch.setattr(Controller, "first_run", lambda self: asked.append(True))
    c = Controller(qapp, LaunchOptions(data_dir=str(tmp_path / "data"), interactive=True, demo_seconds=2))
    try:
        c.start()
        assert c.mode == "demo" and c.demo_held
        qtbot.waitUntil(lambda: c.monitor.current.state == "live" and bool(asked), timeout=10000)
        qtbot.wait(1500)
        assert c.replayer is None and c.notifications == [] and c.window.model.rowCount() == 0
        c.release_demo()  # "Show me the demo office"
        assert c.replayer is not None
        qtbot.waitUntil(lambda: bool(c.notifications), timeout=20000)
    finally:
        c.shutdown()


def test_switching_from_the_demo_ends_its_alerts_and_the_next_ghost_call_is_told_at_once(qtbot, qapp, tmp_path):
    c = Controller(qapp, LaunchOptions(data_dir=str(tmp_path / "data"), interactive=False, demo_seconds=2))
    try:
        c.start()
        qtbot.waitUntil(lambda: len(c.notifications) >= 2 and bool(c.policy.sources), timeout=20000)
        logs = tmp_path / "pbx"
        logs.mkdir()
        (logs / "messages").write_bytes(b"")
        c.settings = replace(c.settings, log_dirs=(str(logs),))
        c.restart_monitoring()
        assert c.notifications == [] and not c.policy.sources and c.window.strip.alert.isHidden()
        qtbot.waitUntil(lambda: c.monitor.current.state == "live", timeout=10000)
        with open(logs / "messages", "ab") as fh:
            fh.write(ghost_line(5))
        qtbot.waitUntil(lambda: bool(c.notifications), timeout=10000)
        assert [n.title for n in c.notifications] == ["Blocked ghost call from 203.0.113.5"]  # at once
        later = c.policy.flush(time.monotonic() + 600)  # nothing of the demo is left to summarise
        assert later == []
        for n in c.notifications:
            assert "?" not in n.title + n.body
    finally:
        c.shutdown()


class _Window:
    def __init__(self) -> None:
        self.raised = 0

    def show_window(self) -> None:
        self.raised += 1


def _second_launch(name: str, wait_ms: int = 3000) -> subprocess.Popen:
    code = f"from ghostwatch.ui.app import _already_running; print(_already_running({name!r}, {wait_ms}))"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT / "app")}
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)


def test_a_second_launch_raises_the_running_window_or_knows_it_could_not(qtbot, qapp, tmp_path):
    name = f"ghostwatch-test-{os.getpid()}"
    QLocalServer.removeServer(name)
    server = QLocalServer()
    assert server.listen(name)
    running = _Window()
    server.newConnection.connect(lambda: _answer_raise(server, running))  # the running app's own handler
    try:
        proc = _second_launch(name)
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=15000)
        assert proc.stdout.read().strip() == "raised" and running.raised == 1
    finally:
        server.close()
    hung = QLocalServer()  # holds the name but never answers (a hung instance)
    assert hung.listen(name)
    try:
        proc = _second_launch(name, 1000)
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=15000)
        assert proc.stdout.read().strip() == "silent"  # run_gui then says so in a dialog
    finally:
        hung.close()
    proc = _second_launch(name)
    proc.wait(15)
    assert proc.stdout.read().strip() == ""  # nobody runs: this launch starts the app
    assert Path(ROOT / "app").is_dir()
