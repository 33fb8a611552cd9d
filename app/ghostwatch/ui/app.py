"""The desktop app's composition root: settings, history, monitor, window, tray and notifications wired once."""

from __future__ import annotations

import gc
import getpass
import logging
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication, QMessageBox

from ..core.app_settings import AppSettings, SettingsStore
from ..core.autostart import set_autostart
from ..core.hardening.checklist import load_checklist
from ..core.notify_policy import Notice, Notification, NotifyPolicy
from ..core.signatures import Signatures
from ..core.text import display_text
from ..demo.replay import Replayer
from ..ingest.pipeline import MonitorStatus
from ..paths import AppPaths, resources_dir
from ..store.history import History
from ..store.queries import HistoryReader
from ..store.schema import StoreError
from .event_model import LIVE_INSERT_LIMIT
from .main_window import MainWindow
from .monitor_process import MonitorProcess
from .settings_dialog import SettingsDialog
from .tray import Tray

log = logging.getLogger(__name__)
FLUSH_MS = 5000
RESTART_BACKOFF = (2, 5, 15, 30, 60)  # seconds before restarting a monitor that stopped, one after another
STABLE_SECONDS = 120.0                # a monitor that ran this long before stopping starts the backoff afresh


@dataclass
class LaunchOptions:
    data_dir: str | None = None
    demo: bool = False
    logs: tuple[str, ...] = ()
    screenshot: str | None = None
    exit_after: float | None = None
    minimized: bool = False
    demo_seconds: float = 90.0
    import_history: bool = False  # with `logs`: read what the files already hold first
    interactive: bool = True  # may ask questions (first run); off for screenshots and tests


class Controller(QObject):
    def __init__(self, app: QApplication, opts: LaunchOptions) -> None:
        super().__init__()
        self.app = app
        self.opts = opts
        self.paths = AppPaths.default(opts.data_dir)
        self.settings_store = SettingsStore(self.paths.config_dir / "settings.json")
        self.settings = self.settings_store.load()
        self.signatures = Signatures.load(resources_dir() / "signatures.toml")
        self.monitor: MonitorProcess | None = None
        self.replayer: Replayer | None = None
        self.demo_dir: Path | None = None
        self.reader: HistoryReader | None = None
        self.window: MainWindow | None = None
        self.tray: Tray | None = None
        self.policy = NotifyPolicy(self.settings.notify_level, self.settings.quiet_hours)
        self._offered: dict[int, None] = {}  # events already offered to the policy: an update never notifies twice
        self.notifications: list[Notification] = []
        self.checklist = load_checklist(resources_dir() / "checklist.toml")
        self.wizard = None
        self.mode = "watch"
        self.folders: list[str] = []
        self.down: str | None = None       # why monitoring is not (fully) working, in words; None while it is
        self.restarts = 0                  # restarts since the monitor last ran stably
        self.restart_timer = QTimer(self)
        self.restart_timer.setSingleShot(True)
        self.restart_timer.timeout.connect(self._restart_stopped_monitor)
        self._closing = False
        self.demo_held = False  # the demo office waits until the Welcome dialog's choice (no alerts behind it)

    # -- start ----------------------------------------------------------------------------------------------
    def start(self) -> None:
        folders, import_history = self._choose_sources()
        if self.mode == "demo":
            self.demo_dir = Path(tempfile.mkdtemp(prefix="ghostwatch-demo-"))
            self.data_dir = self.demo_dir
            folders = [str(self.demo_dir / "logs")]
            (self.demo_dir / "logs").mkdir()
        else:
            self.data_dir = self.paths.data_dir
        db = self.data_dir / "history.sqlite3"
        History(db).close()  # create or migrate it before reading (the monitor process is its only writer)
        self.reader = HistoryReader(db)
        self.window = MainWindow(self.reader)
        self.tray = Tray(self)
        self.window.keep_in_tray = self.tray.available
        if self.mode == "demo":
            self.window.setWindowTitle("GhostWatch — demo office (File → Find my PBX's logs… to watch yours)")
        self._wire()
        self._start_monitor(folders, import_history)
        self.flush_timer = QTimer(self)
        self.flush_timer.setInterval(FLUSH_MS)
        self.flush_timer.timeout.connect(self._flush)
        self.flush_timer.start()
        if not (self.opts.minimized and self.tray.available):
            self.window.show()
        # The window's own objects (Qt wrappers, pyqtgraph, the loaded modules: ~73,000) live as long as the app;
        # frozen, the collector stops walking them, and its occasional full pass no longer stalls the event loop
        # for ~40 ms. Thawed by shutdown().
        gc.freeze()
        if self.opts.exit_after is not None:
            QTimer.singleShot(int(self.opts.exit_after * 1000), self._screenshot_and_quit)
        elif self.mode == "demo" and not self.opts.demo and self.opts.interactive \
                and not self.settings.first_run_done:
            self.demo_held = True
            QTimer.singleShot(800, self.first_run)

    def _choose_sources(self) -> tuple[list[str], bool]:
        opts = self.opts
        if opts.demo:
            self.mode = "demo"
            return [], False
        if opts.logs:
            return list(opts.logs), opts.import_history
        if self.settings.log_dirs:
            return list(self.settings.log_dirs), False
        self.mode = "demo"  # nothing configured: the demo office runs while the user sets up (see first_run)
        return [], False

    @Slot()
    def first_run(self) -> None:
        """Guided setup over the running demo: find the PBX's logs; switch to them when chosen."""
        from .first_run import FirstRunDialog

        dialog = FirstRunDialog(self.window)
        dialog.exec()
        kind, folders, import_history = dialog.choice
        self.settings = replace(self.settings, first_run_done=True,
                                log_dirs=tuple(folders) if kind == "watch" else self.settings.log_dirs)
        self.settings_store.save(self.settings)
        if kind == "watch":
            self.restart_monitoring(import_history)
            if dialog.harden.isChecked():
                self.show_step("")
        else:
            self.release_demo()

    def release_demo(self) -> None:
        """The user chose (or closed the Welcome dialog): the demo office may start its day."""
        self.demo_held = False
        if self.monitor is not None:
            self.on_status(self.monitor.current)

    def _wire(self) -> None:
        w, t = self.window, self.tray
        assert w is not None and t is not None
        w.pauseToggled.connect(self.toggle_pause)
        w.settingsRequested.connect(self.open_settings)
        w.setupRequested.connect(self.first_run)
        w.quitRequested.connect(self.quit)
        w.stepRequested.connect(self.show_step)
        w.checklistRequested.connect(lambda: self.show_step(""))
        w.detail.step_button.setEnabled(True)
        t.checklistRequested.connect(lambda: self.show_step(""))
        t.openRequested.connect(self.show_window)
        t.pauseToggled.connect(self.toggle_pause)
        t.settingsRequested.connect(self.open_settings)
        t.quitRequested.connect(self.quit)
        t.eventRequested.connect(w.open_event)
        t.notified.connect(self.on_notified)
        w.installEventFilter(self)

    def _start_monitor(self, folders: list[str], import_history: bool) -> None:
        """The monitor runs as `ghostwatch watch --ipc` in its own process, writing the shared history."""
        assert self.window is not None
        self.folders = list(folders)
        m = MonitorProcess(folders, self.settings, str(self.data_dir), import_history,
                           0 if self.mode == "demo" else self.settings.retention_days, self)
        m.batch.connect(self.window.on_ids)
        m.batch.connect(self.on_batch)
        m.updated.connect(self.window.on_updated)
        m.updated.connect(self.on_updated)
        m.status.connect(self.window.on_status)
        m.progress.connect(self.window.strip.show_progress)
        m.status.connect(self.on_status)
        m.warning.connect(self.on_warning)
        m.failed.connect(self.on_failed)
        self.monitor = m
        m.start()

    # -- events ---------------------------------------------------------------------------------------------
    @Slot(str)
    def on_failed(self, message: str) -> None:
        """The monitor process is gone: say so everywhere, once notify, and restart it with a backoff."""
        if self._closing or self.window is None or self.tray is None:
            return
        if self.monitor is not None and time.monotonic() - self.monitor.started_at > STABLE_SECONDS:
            self.restarts = 0
        delay = RESTART_BACKOFF[self.restarts] if self.restarts < len(RESTART_BACKOFF) else None
        if delay is not None:
            then = f"GhostWatch restarts it in {delay} seconds; or click Restart monitoring now."
            self.restart_timer.start(delay * 1000)
        else:
            then = (f"It stopped {len(RESTART_BACKOFF) + 1} times in a row, so GhostWatch has stopped restarting "
                    f"it: check the log folders in Settings, then click Restart monitoring.")
        self.window.strip.show_down("GhostWatch is not watching your phone system: its monitor stopped.",
                                    f"Why: {message}. {then}", restartable=True)
        self.window.pause_action.setText("Restart monitoring")
        self.tray.set_state("stopped", message)
        self._notify_down("GhostWatch stopped watching your phone system", f"{message}. {then}")

    def _notify_down(self, title: str, body: str) -> None:
        """One notification per outage: the first cause is sent; repeats while it lasts are not."""
        if self.down is None:
            self.down = title
            assert self.tray is not None
            self.tray.notify(Notification(title, body, 0, urgent=True))

    @Slot()
    def _restart_stopped_monitor(self) -> None:
        if self._closing or (self.monitor is not None and self.monitor.running):
            return
        self.restarts += 1
        self._respawn()

    def _respawn(self) -> None:
        """A new monitor process on the same folders; it resumes from the positions the old one committed."""
        self._drop_monitor()
        self._start_monitor(self.folders, False)

    def _drop_monitor(self) -> None:
        """Stop the monitor process (if it still runs) and forget it; none of its signals reach us any more."""
        self.restart_timer.stop()
        if self.monitor is not None:
            m = self.monitor
            for signal in (m.batch, m.updated, m.status, m.progress, m.warning, m.failed):
                signal.disconnect()
            m.stop()
            m.deleteLater()
            self.monitor = None

    @Slot(int, int, int)
    def on_batch(self, first: int, last: int, count: int) -> None:
        if self._closing or self.reader is None:
            return
        now = time.monotonic()
        if count > LIVE_INSERT_LIMIT:  # a flood: one event per source and kind, with how many it stands for
            groups = self.reader.batch_groups(first, last)
        else:
            groups = [(ev, 1) for ev in self.reader.by_ids(first, last, flagged_only=True)]
        seen: set[tuple] = set()
        for ev, n in groups:
            key = (ev.source_ip, ev.caller_id if ev.source_ip is None else None, ev.verdict, ev.kind)
            compromise = any(r.code == "compromise" for r in ev.reasons)
            if key in seen and not compromise:
                self.policy.repeat(ev.source_ip, ev.caller_id, ev.verdict, ev.kind, n, ev.id)
                continue
            seen.add(key)
            self._offer(ev, now)
            if n > 1:
                self.policy.repeat(ev.source_ip, ev.caller_id, ev.verdict, ev.kind, n - 1, last)

    @Slot(object)
    def on_updated(self, ids: object) -> None:
        """An attempt updated in place is news only when more lines turned it into a ghost call (its CDR row named
        the caller) or a break-in; upgrades of a run's earlier attempts were told by the attempt that decided."""
        if self._closing or self.reader is None or isinstance(ids, int):
            return
        now = time.monotonic()
        for ev in self.reader.by_id_list(list(ids)):
            if ev.id in self._offered:
                continue
            compromise = any(r.code == "compromise" for r in ev.reasons)
            if not (compromise or (ev.verdict == "ghost" and ev.kind == "call")):
                continue
            self._offer(ev, now)

    def _offer(self, ev, now: float) -> None:
        self._offered[ev.id] = None
        if len(self._offered) > 10000:
            for key in list(self._offered)[:5000]:
                del self._offered[key]
        notice = Notice(ev.id, ev.verdict, ev.kind, ev.source_ip, ev.caller_id, ev.extension, ev.reasons,
                        int(ev.epoch % 86400 // 3600), ev.outcome, ev.user_agent)
        for note in self.policy.offer(notice, now):
            self.tray.notify(note)

    @Slot()
    def _flush(self) -> None:
        for n in self.policy.flush(time.monotonic()):
            self.tray.notify(n)

    @Slot(object)
    def on_notified(self, n: Notification) -> None:
        self.notifications.append(n)
        if self._closing:  # a notification queued before shutdown: the window is going, nothing to show it in
            return
        if self.tray is not None and not self.tray.available and self.window is not None:
            self.window.strip.show_alert(f"{n.title} — {n.body}")  # no tray: alerts show in the window

    @Slot(object)
    def on_status(self, status: MonitorStatus) -> None:
        if self.tray is not None and self.window is not None and not self._closing:
            if status.problems:  # e.g. a folder it may not read: the monitor retries by itself
                problem = status.problems[0].message
                self.window.strip.show_down("GhostWatch cannot read all of your phone system's logs.", problem,
                                            restartable=False)
                self.tray.set_state("problem", problem)
                self._notify_down("GhostWatch cannot read your PBX's logs", problem)
            elif status.waiting_for and status.state == "live":  # a folder that does not exist watches nothing
                folder = display_text(status.waiting_for[0], 200)
                problem = (f"The log folder {folder} does not exist. Check it in Settings \u2192 PBX log folders "
                           f"(a network share may not be mounted); GhostWatch starts reading it as soon as it "
                           f"appears.")
                headline = ("GhostWatch cannot read all of your phone system's logs." if status.files else
                            "GhostWatch is not watching: your PBX's log folder is missing.")
                self.window.strip.show_down(headline, problem, restartable=False)
                self.tray.set_state("problem", problem)
                self._notify_down("GhostWatch cannot find your PBX's logs", problem)
            elif status.state in ("live", "paused"):
                if self.down is not None:  # working again
                    self.down = None
                    self.window.strip.clear_down()
                    self.window.refresh()
                self.tray.set_state("paused" if status.state == "paused" else "watching")
        if status.state == "live" and self.mode == "demo" and self.replayer is None and self.demo_dir is not None \
                and not self._closing and not self.demo_held:
            self.replayer = Replayer(self.demo_dir / "logs", night_seconds=self.opts.demo_seconds)
            self.replayer.start()

    @Slot(str)
    def on_warning(self, message: str) -> None:
        if self.window is not None:
            self.window.statusBar().showMessage(message, 15000)

    # -- user actions ---------------------------------------------------------------------------------------
    @Slot(str)
    def show_step(self, step_id: str) -> None:
        """The hardening wizard, opened at one step (from the detail pane), or where the user left it."""
        from .hardening import HardeningWizard

        if self.wizard is None:
            self.wizard = HardeningWizard(self.checklist, self.paths.data_dir / "hardening.json", resources_dir(),
                                          trusted=tuple(self.settings.trusted),
                                          history_path=self.data_dir / "history.sqlite3", parent=self.window)
            if not step_id:
                self.wizard.resume()
        self.wizard.trusted = tuple(self.settings.trusted)
        if step_id:
            self.wizard.open_step(step_id)
        self.wizard.show()
        self.wizard.raise_()
        self.wizard.activateWindow()

    @Slot()
    def toggle_pause(self) -> None:
        if self.monitor is None or not self.monitor.running:  # "Restart monitoring"
            self.restarts = 0
            self._respawn()
            return
        if self.monitor.current.state == "paused":
            self.monitor.resume()
        else:
            self.monitor.pause()

    @Slot()
    def show_window(self) -> None:
        if self.window is not None:
            self.window.showNormal()
            self.window.raise_()
            self.window.activateWindow()

    @Slot()
    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self.window)
        if not dialog.exec():
            return
        old, new = self.settings, dialog.settings
        self.settings = new
        self.settings_store.save(new)
        self.policy = NotifyPolicy(new.notify_level, new.quiet_hours)
        if new.start_at_login != old.start_at_login:
            try:
                set_autostart(new.start_at_login)
            except OSError as exc:
                QMessageBox.warning(self.window, "GhostWatch", f"Could not change start at login: {exc}")
        watched = (old.log_dirs, old.polling, old.trusted, old.home_region, old.office_hours)
        if watched != (new.log_dirs, new.polling, new.trusted, new.home_region, new.office_hours):
            self.restart_monitoring()

    def restart_monitoring(self, import_history: bool = False) -> None:
        """Apply new sources or detection settings: real logs replace the demo when folders were added."""
        if self.mode == "demo" and not self.settings.log_dirs:
            # the demo office goes on where it was: only the monitor restarts (a new replayer would write the whole
            # day into the logs again, and every count would double)
            self._drop_monitor()
        else:
            self._stop_sources()
        if self.mode == "demo" and self.settings.log_dirs:
            self.mode = "watch"
            assert self.reader is not None and self.window is not None
            self.reader.close()
            self.data_dir = self.paths.data_dir
            History(self.paths.database).close()
            self.reader = HistoryReader(self.paths.database)
            self.window.reader = self.reader
            self.window.model.reader = self.reader
            self.window.setWindowTitle("GhostWatch")
            # the demo's alerts end with it: no summary of demo sources, no red tray icon in a quiet office
            self.policy = NotifyPolicy(self.settings.notify_level, self.settings.quiet_hours)
            self.notifications.clear()
            if self.tray is not None:
                self.tray.set_alert(False)
                self.tray.last_event_id = None
            self.window.strip.show_alert("")
            self.window.apply_filter()
            self.window.refresh()
            self._remove_demo()
        folders = list(self.settings.log_dirs) if self.mode == "watch" else [str(self.demo_dir / "logs")]
        self._start_monitor(folders, import_history)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        from PySide6.QtCore import QEvent

        if obj is self.window and event.type() == QEvent.Type.Close and self.window.keep_in_tray \
                and self.down is not None and not self._closing:
            self.tray.say_once("GhostWatch is NOT watching", f"{self.down}. It stays in the tray; open it from "
                                                             f"there to see why and to restart monitoring.")
        elif obj is self.window and event.type() == QEvent.Type.Close and self.window.keep_in_tray \
                and not self.settings.close_hint_shown and not self._closing:
            self.tray.say_once("GhostWatch keeps watching", "It is still running in the tray and will tell you "
                                                            "about ghost calls. Use Quit in its menu to stop it.")
            self.settings = replace(self.settings, close_hint_shown=True)
            self.settings_store.save(self.settings)
        return False

    # -- stop -----------------------------------------------------------------------------------------------
    @Slot()
    def _screenshot_and_quit(self) -> None:
        if self.opts.screenshot and self.window is not None:
            self.window.refresh()
            self.window.select_worst()
            QTimer.singleShot(400, self._grab_and_quit)  # let the layout settle around the new detail text
        else:
            self.quit()

    @Slot()
    def _grab_and_quit(self) -> None:
        if self.window is not None and self.opts.screenshot:
            if not self.window.grab().save(self.opts.screenshot):
                log.error("could not save the screenshot to %s", self.opts.screenshot)
        self.quit()

    @Slot()
    def quit(self) -> None:
        self._closing = True
        self.app.quit()

    def _stop_sources(self) -> None:
        if self.replayer is not None:
            self.replayer.stop()
            self.replayer = None
        self._drop_monitor()

    def _remove_demo(self) -> None:
        if self.demo_dir is not None:
            shutil.rmtree(self.demo_dir, ignore_errors=True)
            self.demo_dir = None

    def shutdown(self) -> None:
        """Observer and pipeline stop first, then the database closes, then the windows go."""
        self._closing = True
        for timer in (getattr(self, "flush_timer", None), getattr(self, "restart_timer", None)):
            if timer is not None:  # a start that failed early (a broken history) made none
                timer.stop()
        if self.window is not None:
            self.window.closed = True
        if self.wizard is not None:
            self.wizard.close()
        from .background import wait_for_jobs

        wait_for_jobs(15000)  # a configuration check or self-test in flight ends before the app does
        self._stop_sources()
        if self.reader is not None:
            self.reader.close()
        if self.tray is not None:
            self.tray.hide()
        if self.window is not None:
            self.window.closed = True
            self.window.timer.stop()
            self.window.hide()
            self.window.deleteLater()
        self._remove_demo()
        gc.unfreeze()


def _already_running(name: str, wait_ms: int = 3000) -> str:
    """Ask a running GhostWatch to show its window: "" when none runs, "raised" when it answered, "silent" when one
    holds the name but did not answer (busy or hung)."""
    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(300):
        return ""
    sock.write(b"raise\n")
    sock.waitForBytesWritten(300)
    deadline = time.monotonic() + wait_ms / 1000
    # the answer may already be in (read while the request was written): waitForReadyRead waits for more only
    while sock.bytesAvailable() < 3 and time.monotonic() < deadline:
        sock.waitForReadyRead(max(1, int((deadline - time.monotonic()) * 1000)))
    answered = sock.readAll().data().startswith(b"ok")
    sock.disconnectFromServer()
    return "raised" if answered else "silent"


def _answer_raise(server: QLocalServer, controller: Controller) -> None:
    """A second launch asked: bring the window up, then say so (the second launch waits for this)."""
    conn = server.nextPendingConnection()
    controller.show_window()
    if conn is not None:
        conn.write(b"ok\n")
        conn.flush()
        conn.disconnected.connect(conn.deleteLater)


def _say_already_running(interactive: bool) -> None:
    """Nobody sees a terminal when GhostWatch starts from a menu: a second launch that got no answer says so."""
    text = ("GhostWatch is already running, but its window did not come up. Look for its icon in the tray, or "
            "quit it there (or log out and back in) and start GhostWatch again.")
    print(f"ghostwatch: {text}", file=sys.stderr)
    if interactive:
        box = QMessageBox(QMessageBox.Icon.Information, "GhostWatch is already running", text)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.exec()


def run_gui(opts: LaunchOptions) -> int:
    sys.setswitchinterval(0.002)  # the GUI thread gets the interpreter back sooner from busy pipeline threads
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("GhostWatch")
    app.setDesktopFileName("ghostwatch")
    app.setQuitOnLastWindowClosed(False)
    server = None
    single = not opts.demo and opts.screenshot is None and opts.exit_after is None
    name = f"ghostwatch-{getpass.getuser()}"
    if single:
        running = _already_running(name)
        if running == "raised":
            print("ghostwatch: already running; brought its window to the front", file=sys.stderr)
            return 0
        if running == "silent":
            _say_already_running(opts.interactive)
            return 0
        QLocalServer.removeServer(name)  # a stale socket left by a crash
        server = QLocalServer()
        server.listen(name)
    controller = Controller(app, opts)
    if server is not None:
        server.newConnection.connect(lambda: _answer_raise(server, controller))
    try:
        try:
            controller.start()
        except StoreError as exc:  # a broken history database: say so, once, and stop
            print(f"ghostwatch: {exc}", file=sys.stderr)
            if opts.interactive:
                box = QMessageBox(QMessageBox.Icon.Critical, "GhostWatch cannot start", str(exc))
                box.setTextFormat(Qt.TextFormat.PlainText)
                box.exec()
            return 2
        return app.exec()
    finally:
        controller.shutdown()
        if server is not None:
            server.close()


__all__ = ["AppSettings", "Controller", "LaunchOptions", "run_gui"]
