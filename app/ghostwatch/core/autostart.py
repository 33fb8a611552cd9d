"""Start at login: an XDG autostart entry on Linux, the Run key on Windows."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

ENTRY_NAME = "ghostwatch.desktop"


def autostart_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autostart" / ENTRY_NAME


def launch_command() -> list[str]:
    """How to start this GhostWatch again: the bundle's executable, or this Python with the module."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--minimized"]
    return [sys.executable, "-m", "ghostwatch", "--minimized"]


def desktop_entry(command: list[str]) -> str:
    return ("[Desktop Entry]\nType=Application\nName=GhostWatch\n"
            "Comment=Watches your phone system for ghost calls and SIP attacks\n"
            f"Exec={shlex.join(command)}\nIcon=ghostwatch\nTerminal=false\nCategories=Network;Security;\n"
            "X-GNOME-Autostart-enabled=true\n")


def set_autostart(enabled: bool) -> None:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import winreg

        key = winreg.OpenKey(winreg.HKEY_CURRENT_USER, r"Software\Microsoft\Windows\CurrentVersion\Run", 0,
                             winreg.KEY_SET_VALUE)
        with key:
            if enabled:
                winreg.SetValueEx(key, "GhostWatch", 0, winreg.REG_SZ, " ".join(f'"{c}"' for c in launch_command()))
            else:
                try:
                    winreg.DeleteValue(key, "GhostWatch")
                except FileNotFoundError:
                    pass
        return
    path = autostart_path()
    if enabled:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(desktop_entry(launch_command()), encoding="utf-8")
    else:
        path.unlink(missing_ok=True)


def autostart_enabled() -> bool:
    return autostart_path().exists()
