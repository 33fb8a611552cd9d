"""The tray icon, its menu, and the notifications the policy asks for. Works (quietly) where no tray exists."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from ..core.notify_policy import Notification
from ..core.text import markup_escape
from .main_window import add_action
from .theme import icon


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
            self.icon.setToolTip("GhostWatch: watching your phone system")
            self.icon.setContextMenu(self.menu)
            self.icon.activated.connect(self._activated)
            self.icon.messageClicked.connect(self._clicked)
            self.icon.show()

    def set_paused(self, paused: bool) -> None:
        self.pause_action.setText("Resume monitoring" if paused else "Pause monitoring")
        if self.icon is not None:
            self.icon.setToolTip("GhostWatch: PAUSED — not watching your phone system (Resume in this menu)"
                                 if paused else "GhostWatch: watching your phone system")

    def set_alert(self, alert: bool) -> None:
        if self.icon is not None:
            self.icon.setIcon(icon("ghostwatch-alert" if alert else "ghostwatch"))

    def notify(self, n: Notification) -> None:
        self.last_event_id = n.event_id
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
