"""A stand-in org.kde.StatusNotifierWatcher for tests: Qt only sends tray notifications over D-Bus
(org.freedesktop.Notifications.Notify) when a watcher with a registered host exists, and Debian 12 has no small
package that provides one. Run with the session bus in DBUS_SESSION_BUS_ADDRESS."""

import sys

from PySide6.QtCore import ClassInfo, Property, QCoreApplication, QObject, Slot
from PySide6.QtDBus import QDBusConnection


@ClassInfo({"D-Bus Interface": "org.kde.StatusNotifierWatcher"})
class Watcher(QObject):
    @Slot(str)
    def RegisterStatusNotifierItem(self, service):  # noqa: N802 - the D-Bus method's name
        print("RegisterStatusNotifierItem", service, flush=True)

    @Slot(str)
    def RegisterStatusNotifierHost(self, service):  # noqa: N802
        pass

    def _true(self):
        return True

    def _zero(self):
        return 0

    IsStatusNotifierHostRegistered = Property(bool, _true)
    ProtocolVersion = Property(int, _zero)


app = QCoreApplication(sys.argv)
bus = QDBusConnection.sessionBus()
watcher = Watcher()
ok = bus.registerService("org.kde.StatusNotifierWatcher") and bus.registerObject(
    "/StatusNotifierWatcher", watcher, QDBusConnection.ExportAllSlots | QDBusConnection.ExportAllProperties)
print("watcher ready" if ok else "watcher failed", flush=True)
sys.exit(app.exec() if ok else 1)
