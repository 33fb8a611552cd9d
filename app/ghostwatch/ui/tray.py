"""The tray icon, its menu, and the notifications the policy asks for. Works (quietly) where no tray exists.

The icon, its tooltip and the menu always tell the truth about monitoring: watching, paused, watching with a
problem (a folder it cannot read), or not watching at all (the monitor stopped: "Restart monitoring").
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from ..core.notify_policy import Notification
from ..core.text import markup_escape
from .main_window import add_action
from .theme import icon

TOOLTIPS = {"watching": "GhostWatch: watching your phone system",
            "paused": "GhostWatch: PAUSED — not watching your phone system (Resume in this menu)",
            "problem": "GhostWatch: NOT watching everything — {detail}",
            "stopped": "GhostWatch: NOT watching your phone system — {detail}"}
ICONS = {"watching": "ghostwatch", "paused": "ghostwatch-off", "problem": "ghostwatch-off", "stopped": "ghostwatch-off"}


class Tray(QObject):
    openRequested = Signal()
    pauseToggled = Signal()
    settingsRequested = Signal()
    checklistRequested = Signal()
    quitRequested = Signal()
    eventRequested = Signal(int)
    notified = Signal(object)  # every Notification shown (or, without a tray, shown in the window)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self.last_event_id: int | None = None
        self.state = "watching"
        self.alert = False
        self.tooltip = TOOLTIPS["watching"]
        self.icon: QSystemTrayIcon | None = None
        self.menu = QMenu()
        add_action(self.menu, "Open GhostWatch", self.openRequested)
        self.pause_action = add_action(self.menu, "Pause monitoring", self.pauseToggled)
        add_action(self.menu, "Harden my phone system…", self.checklistRequested)
        add_action(self.menu, "Settings…", self.settingsRequested)
        self.menu.addSeparator()
        add_action(self.menu, "Quit", self.quitRequested)
        if self.available:
            self.icon = QSystemTrayIcon(icon("ghostwatch"), self)
            self.icon.setToolTip(self.tooltip)
            self.icon.setContextMenu(self.menu)
            self.icon.activated.connect(self._activated)
            self.icon.messageClicked.connect(self._clicked)
            self.icon.show()

    def set_paused(self, paused: bool) -> None:
        self.set_state("paused" if paused else "watching")

    def set_state(self, state: str, detail: str = "") -> None:
        """watching | paused | problem | stopped; `detail` says what is wrong (problem, stopped)."""
        self.state = state
        self.tooltip = TOOLTIPS[state].format(detail=detail)
        self.pause_action.setText({"paused": "Resume monitoring", "stopped": "Restart monitoring"}.get(
            state, "Pause monitoring"))
        if self.icon is not None:
            self.icon.setToolTip(self.tooltip[:250])
        self._show_icon()

    @property
    def icon_name(self) -> str:
        """The icon shown: not watching beats an alert, which beats all is well."""
        if self.state != "watching":
            return ICONS[self.state]
        return "ghostwatch-alert" if self.alert else "ghostwatch"

    def set_alert(self, alert: bool) -> None:
        self.alert = alert
        self._show_icon()

    def _show_icon(self) -> None:
        if self.icon is not None:
            self.icon.setIcon(icon(self.icon_name))

    def notify(self, n: Notification) -> None:
        self.last_event_id = n.event_id or None  # 0: about GhostWatch itself, not an event
        if self.icon is not None and self.icon.supportsMessages():
            kind = QSystemTrayIcon.MessageIcon.Critical if n.urgent else QSystemTrayIcon.MessageIcon.Warning
            self.icon.showMessage(n.title, notification_body(n.body), kind, 15000)
        self.set_alert(True)
        self.notified.emit(n)

    def say_once(self, title: str, body: str) -> None:
        if self.icon is not None and self.icon.supportsMessages():
            self.icon.showMessage(title, notification_body(body), QSystemTrayIcon.MessageIcon.Information, 8000)

    @Slot(QSystemTrayIcon.ActivationReason)
    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.set_alert(False)
            self.openRequested.emit()

    @Slot()
    def _clicked(self) -> None:
        self.set_alert(False)
        if self.last_event_id is not None:
            self.eventRequested.emit(self.last_event_id)
        else:
            self.openRequested.emit()

    def hide(self) -> None:
        if self.icon is not None:
            self.icon.hide()


def notification_body(text: str, platform: str = sys.platform) -> str:
    """The body as the desktop's notification server must get it. On Linux and the BSDs Qt hands it unchanged to
    org.freedesktop.Notifications, whose servers (dunst, GNOME, KDE) read markup and links in a body: a User-Agent
    holding `<a href=...>` or `<img src=/dev/zero>` would become a link or an image, so `&`, `<`, `>` are escaped.
    Windows and macOS show the body as plain text."""
    return text if platform.startswith(("win", "darwin")) else markup_escape(text)
