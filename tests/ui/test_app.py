"""The whole desktop app on a real watched folder: lines appended -> row, plot count and notification appear."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from ghostwatch.core.app_settings import AppSettings, SettingsStore
from ghostwatch.core.hours import Hours
from ghostwatch.ui.app import Controller, LaunchOptions
from ghostwatch.ui.first_run import FirstRunDialog
from ghostwatch.ui.settings_dialog import SettingsDialog

ROOT = Path(__file__).resolve().parents[2]


def ghost_line(n: int, caller: str = "1001") -> bytes:
    """A scanner's INVITE stamped a minute ago in local time, as a live PBX writes it (the plot shows recent hours)."""
    stamp = (datetime.now() - timedelta(seconds=60 - n)).strftime("%Y-%m-%d %H:%M:%S")
    return (f"[{stamp}] NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'INVITE' from "
            f"'\"friendly-scanner\" <sip:{caller}@198.51.100.10>' failed for '203.0.113.{n}:5060' "
            f"(callid: g{n}) - No matching endpoint found\n").encode()



def test_appended_ghost_calls_reach_table_plot_and_notifications(qtbot, controller):
    c, log = controller
    qtbot.addWidget(c.window)
    qtbot.waitUntil(lambda: c.monitor.current.state == "live", timeout=10000)
    with open(log, "ab") as fh:
        fh.write(ghost_line(1) + ghost_line(2, caller="100"))
    qtbot.waitUntil(lambda: c.window.model.rowCount() == 2, timeout=10000)
    row = c.window.model.rows[0]
    assert (str(row.verdict), row.caller_id, row.source_ip) == ("ghost", "100", "203.0.113.2")
    c.window.refresh()
    assert c.window.plot.buckets.total("ghost") == 2
    titles = [n.title for n in c.notifications]
    # one per new source; the PBX refused both INVITEs ("No matching endpoint"): nothing rang, and every text says so
    assert titles == ["Blocked ghost call from 203.0.113.1", "Blocked ghost call from 203.0.113.2"]
    assert c.window.strip.alert.text().startswith(  # no tray: alerts show in the window
        "Blocked ghost call from 203.0.113.2 — The PBX refused a call from 203.0.113.2: no phone rang.")
    qtbot.waitUntil(lambda: c.window.strip.headline.text() != "Quiet today.", timeout=5000)
    assert c.window.strip.headline.text() == "2 ghost calls today, all blocked by the PBX: no phone rang."
    assert not c.tray.available


def test_pause_and_resume_from_the_window(qtbot, controller):
    c, log = controller
    qtbot.waitUntil(lambda: c.monitor.current.state == "live", timeout=10000)
    c.window.strip.pause.click()
    qtbot.waitUntil(lambda: c.window.strip.pause.text() == "Resume", timeout=5000)
    with open(log, "ab") as fh:
        fh.write(ghost_line(3))
    c.window.strip.pause.click()
    qtbot.waitUntil(lambda: c.window.model.rowCount() == 1, timeout=10000)
    assert "Watching 1 log file" in c.window.strip.monitoring.text()


def test_settings_dialog_validates_and_saves(qtbot, tmp_path):
    d = SettingsDialog(AppSettings(home_region="GB"))
    qtbot.addWidget(d)
    d.editors["trusted"].setPlainText("192.168.1.0/24\nnot-a-network")
    d.accept()
    assert d.result() == 0 and "not-a-network" in d.error.text()
    d.editors["trusted"].setPlainText("192.168.1.0/24")
    d.editors["quiet_hours"].on.setChecked(True)
    d.accept()
    assert d.settings.trusted == ("192.168.1.0/24",) and d.settings.quiet_hours == Hours(8, 18)
    store = SettingsStore(tmp_path / "settings.json")
    store.save(d.settings)
    assert store.load() == d.settings


def test_settings_file_with_garbage_falls_back_per_value(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{"home_region": "ZZ", "retention_days": 30, "trusted": ["10.0.0.0/8"], "bogus": 1}')
    s = SettingsStore(path).load()
    assert (s.retention_days, s.trusted) == (30, ("10.0.0.0/8",)) and s.home_region != "ZZ"


def test_first_run_finds_and_explains_log_files(qtbot, tmp_path):
    folder = tmp_path / "asterisk"
    folder.mkdir()
    (folder / "messages").write_bytes(ghost_line(1))
    (folder / "notes.txt").write_text("hello\n")
    d = FirstRunDialog(candidates=[folder])
    qtbot.addWidget(d)
    texts = [d.list.item(i).text() for i in range(d.list.count())]
    assert any("messages" in t and "Asterisk log" in t for t in texts)
    assert not any("notes.txt" in t for t in texts)
    d.watch.click()
    assert d.choice == ("watch", [str(folder)], True)


def test_demo_screenshot_and_exit(tmp_path):
    shot = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT / "app"))
    proc = subprocess.run([sys.executable, "-m", "ghostwatch", "demo", "--exit-after", "4", "--screenshot",
                           str(shot), "--night-seconds", "3", "--data-dir", str(tmp_path / "d")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert shot.stat().st_size > 20000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_display_is_one_clear_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(ROOT / "app")
    proc = subprocess.run([sys.executable, "-m", "ghostwatch", "--data-dir", str(tmp_path)], capture_output=True,
                          text=True, env=env, timeout=60)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "no display found" in proc.stderr


def test_unconfigured_app_runs_the_demo_then_switches_to_real_logs(qtbot, qapp, tmp_path):
    from dataclasses import replace

    c = Controller(qapp, LaunchOptions(data_dir=str(tmp_path / "data"), interactive=False, demo_seconds=2))
    try:
        c.start()
        assert c.mode == "demo" and "demo office" in c.window.windowTitle()
        qtbot.waitUntil(lambda: c.window.model.rowCount() > 20, timeout=20000)  # the replayed office day
        demo_dir = c.demo_dir
        logs = tmp_path / "pbx"
        logs.mkdir()
        (logs / "messages").write_bytes(b"")
        c.settings = replace(c.settings, log_dirs=(str(logs),))
        c.restart_monitoring()
        assert c.mode == "watch" and c.window.windowTitle() == "GhostWatch" and not demo_dir.exists()
        assert c.window.model.rowCount() == 0  # the real history starts empty
        qtbot.waitUntil(lambda: c.monitor.current.state == "live", timeout=10000)
        with open(logs / "messages", "ab") as fh:
            fh.write(ghost_line(4))
        qtbot.waitUntil(lambda: c.window.model.rowCount() == 1, timeout=10000)
    finally:
        c.shutdown()


def stable_count(qtbot, reader, quiet_ms: int = 1500) -> int:
    """The history's event count once it has not changed for `quiet_ms` (the monitor has caught up)."""
    seen = [-1]

    def settled() -> bool:
        now = reader.count()
        same, seen[0] = now == seen[0], now
        return same and now > 0

    qtbot.waitUntil(settled, timeout=30000)  # polled every few ms: a first equal pair proves nothing yet
    qtbot.wait(quiet_ms)
    qtbot.waitUntil(settled, timeout=30000)
    return seen[0]


def test_changing_settings_in_the_demo_goes_on_with_the_same_office_day(qtbot, qapp, tmp_path):
    # A first-time user saved office hours in the demo: the monitor restarted, and a new replayer wrote the whole day
    # into the logs again, so every count doubled. Only the monitor restarts now; the office day goes on.
    from dataclasses import replace

    from ghostwatch.core.hours import Hours

    c = Controller(qapp, LaunchOptions(data_dir=str(tmp_path / "data"), interactive=False, demo_seconds=2))
    try:
        c.start()
        qtbot.waitUntil(lambda: c.replayer is not None and c.replayer.written == c.replayer.total, timeout=30000)
        replayer = c.replayer
        before = stable_count(qtbot, c.reader)
        c.settings = replace(c.settings, office_hours=Hours(22, 6))
        c.restart_monitoring()
        qtbot.waitUntil(lambda: c.monitor is not None and c.monitor.current.state == "live", timeout=10000)
        assert c.replayer is replayer and c.mode == "demo"
        assert stable_count(qtbot, c.reader) == before  # nothing written twice, nothing counted twice
    finally:
        c.shutdown()


def test_a_flood_is_one_notification_and_a_counted_summary(qtbot, controller):
    c, log = controller
    qtbot.waitUntil(lambda: c.monitor.current.state == "live", timeout=10000)
    flood = b"".join(ghost_line(7, caller=str(1000 + i)).replace(b"(callid: g7)", f"(callid: f{i})".encode())
                     for i in range(2000))
    with open(log, "ab") as fh:
        fh.write(flood)
    qtbot.waitUntil(lambda: c.reader.count() == 2000, timeout=30000)
    qtbot.waitUntil(lambda: c.policy.sources.get("203.0.113.7") is not None
                    and c.policy.sources["203.0.113.7"].pending == 1999, timeout=10000)
    assert [n.title for n in c.notifications] == ["Blocked ghost call from 203.0.113.7"]
    summary = c.policy.flush(now=c.policy.sources["203.0.113.7"].last_notified + 121)
    assert [n.title for n in summary] == ["203.0.113.7 keeps calling: 1,999 more ghost calls in 2 minutes"]


def test_history_import_shows_progress_then_hides_it(qtbot, qapp, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "messages.1").write_bytes(b"".join(ghost_line(i % 9 + 1) for i in range(20000)))
    (logs / "messages").write_bytes(ghost_line(5))
    c = Controller(qapp, LaunchOptions(data_dir=str(tmp_path / "data"), logs=(str(logs),), import_history=True,
                                       interactive=False))
    seen: list = []
    try:
        c.start()
        c.monitor.progress.connect(seen.append)
        qtbot.waitUntil(lambda: c.reader.count() == 20001, timeout=60000)
        qtbot.waitUntil(lambda: any(p.done for p in seen), timeout=10000)
        assert c.window.strip.progress.isHidden()
        assert seen[-1].files == seen[-1].files_total == 1 and seen[-1].events == 20001
    finally:
        c.shutdown()


def test_detail_pane_opens_the_matching_hardening_step(qtbot, controller):
    c, log = controller
    qtbot.waitUntil(lambda: c.monitor.current.state == "live", timeout=10000)
    with open(log, "ab") as fh:
        fh.write(ghost_line(6))
    qtbot.waitUntil(lambda: c.window.model.rowCount() == 1, timeout=10000)
    c.window.table.selectRow(0)
    button = c.window.detail.step_button
    assert button.isEnabled() and not button.isHidden()
    button.click()
    wizard = c.wizard
    assert wizard is not None and wizard.isVisible()
    page = wizard.currentPage()
    assert page.step.id == "block-direct-ip"  # the advice for a scanner's caller ID (1001)
    assert page.title() == "Block calls straight to an IP address"
    page.others.setChecked(True)
    assert "features.direct_ip_call_enable = 0" in page.phone_block.plain_text()
    wizard.close()


def test_broken_history_database_stops_the_app_with_a_message(tmp_path):
    (tmp_path / "history.sqlite3").write_text("this is not a database\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT / "app"))
    proc = subprocess.run([sys.executable, "-m", "ghostwatch", "--data-dir", str(tmp_path), "--logs", str(tmp_path),
                           "--exit-after", "5"], capture_output=True, text=True, env=env, timeout=60)
    lines = [ln for ln in proc.stderr.splitlines() if "propagateSizeHints" not in ln]
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(lines) == 1 and "cannot use the history database" in lines[0]


def test_the_running_app_keeps_its_own_objects_out_of_the_collector(qapp, tmp_path):
    """A full garbage collection walked the window's ~73,000 objects (~40 ms, a visible stall); frozen, it walks
    only what the app creates while running. Shutdown thaws them, so a process that outlives the app leaks nothing."""
    import gc

    logs = tmp_path / "logs"
    logs.mkdir()
    c = Controller(qapp, LaunchOptions(data_dir=str(tmp_path / "data"), logs=(str(logs),), interactive=False))
    c.start()
    try:
        assert gc.get_freeze_count() > 10_000
        assert len(gc.get_objects()) < gc.get_freeze_count() // 10
    finally:
        c.shutdown()
    assert gc.get_freeze_count() == 0


def test_a_call_enriched_by_its_cdr_row_updates_its_row_and_notifies_once(qtbot, qapp, tmp_path):
    """The call's dialplan lines make its row at once; the CDR row written when it hangs up fills in the caller and
    that it rang: the same row changes in place (table, detail pane), and no second notification is sent."""
    logs = tmp_path / "logs"
    (logs / "cdr-csv").mkdir(parents=True)
    (logs / "full").write_bytes(b"")
    (logs / "cdr-csv" / "Master.csv").write_bytes(b"")
    stamp = datetime.now() - timedelta(seconds=60)
    day, time_ = stamp.strftime("%Y-%m-%d"), stamp.strftime("%H:%M:%S")
    dialplan = (f'[{day} {time_}] VERBOSE[2500][C-000001a5] pbx.c: Executing [201@from-sip-external:1] '
                f'NoOp("PJSIP/anonymous-00000045", "Received incoming SIP connection from unknown peer to 201") in '
                f'new stack\n')
    cdr = (f'"","1001","201","from-sip-external","""1001"" <1001>","PJSIP/anonymous-00000045","PJSIP/201-00000046",'
           f'"Dial","PJSIP/201,20","{day} {time_}",,"{day} {time_}",4,0,"NO ANSWER","DOCUMENTATION",'
           f'"1795658040.69",""\n')
    c = Controller(qapp, LaunchOptions(data_dir=str(tmp_path / "data"), logs=(str(logs),), interactive=False))
    c.start()
    try:
        qtbot.waitUntil(lambda: c.monitor.current.state == "live", timeout=10000)
        with open(logs / "full", "a") as fh:
            fh.write(dialplan)
        qtbot.waitUntil(lambda: c.window.model.rowCount() == 1, timeout=10000)
        row = c.window.model.rows[0]
        assert (str(row.verdict), row.caller_id, row.outcome) == ("ghost", None, "unknown")
        c.window.table.selectRow(0)
        qtbot.waitUntil(lambda: len(c.notifications) == 1, timeout=5000)
        with open(logs / "cdr-csv" / "Master.csv", "a") as fh:
            fh.write(cdr)
        qtbot.waitUntil(lambda: c.window.model.rows[0].caller_id == "1001", timeout=10000)
        assert c.window.model.rowCount() == 1 and c.window.model.rows[0].outcome == "rang"
        qtbot.waitUntil(lambda: c.window.detail.title.text() == "Ghost call from 1001 rang extension 201",
                        timeout=5000)
        assert "Master.csv" in c.window.detail.evidence.toPlainText()
        c._flush()
        assert len(c.notifications) == 1  # the same call is never notified twice
    finally:
        c.shutdown()
