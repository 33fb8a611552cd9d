"""The desktop app's settings: declared as data (each field's label and help), stored as JSON in the config
directory, validated on load so a hand-edited file cannot crash the app."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .hours import Hours
from .netaddr import Networks
from .notify_policy import LEVELS
from .settings import DetectionSettings, default_region

log = logging.getLogger(__name__)

COMMON_LOG_DIRS = ("/var/log/asterisk", "/var/log/freeswitch", "/usr/local/freeswitch/log", "/var/log/kamailio",
                   "/var/log/pbx", "C:/Program Files/Asterisk/log")


def _meta(label: str, help: str, kind: str) -> dict[str, str]:
    return {"label": label, "help": help, "kind": kind}


@dataclass(frozen=True)
class AppSettings:
    log_dirs: tuple[str, ...] = field(default=(), metadata=_meta(
        "PBX log folders", "Where your phone system writes its logs (one folder per line).", "paths"))
    polling: bool = field(default=False, metadata=_meta(
        "The logs are on a network share", "Check for changes every second instead of waiting for file-change "
        "notifications, which network shares do not deliver.", "bool"))
    trusted: tuple[str, ...] = field(default=(), metadata=_meta(
        "Trusted networks", "Your provider's SIP servers and your office network (e.g. 192.168.1.0/24), one per "
        "line. Calls from anywhere else are checked more strictly.", "networks"))
    home_region: str = field(default_factory=default_region, metadata=_meta(
        "Home country", "Used to tell real phone numbers from made-up caller IDs.", "region"))
    office_hours: Hours | None = field(default=None, metadata=_meta(
        "Office hours", "Calls outside these hours are marked (leave empty to ignore the time of day). "
        "A span past midnight, such as 22 to 6, is a night shift.", "hours"))
    notify_level: str = field(default="attack", metadata=_meta(
        "Notify me about", "Which events raise a desktop notification.", "level"))
    quiet_hours: Hours | None = field(default=None, metadata=_meta(
        "Quiet hours", "No notifications in these hours, except a possible break-in.", "hours"))
    start_at_login: bool = field(default=False, metadata=_meta(
        "Start GhostWatch when I log in", "Keeps watching in the tray from the moment you log in.", "bool"))
    retention_days: int = field(default=400, metadata=_meta(
        "Keep history for (days)", "Older events are removed when GhostWatch starts.", "days"))
    first_run_done: bool = False
    close_hint_shown: bool = False

    # -- derived ------------------------------------------------------------------------------------------------
    def detection(self) -> DetectionSettings:
        return DetectionSettings(home_region=self.home_region, trusted=Networks.parse(self.trusted),
                                 office_hours=self.office_hours)

    def to_json(self) -> dict[str, Any]:
        """The settings file's form: hours as their text ("22-6"), lists for tuples."""
        out = asdict(self)
        for name in ("office_hours", "quiet_hours"):
            value = getattr(self, name)
            out[name] = None if value is None else str(value)
        return out

    def monitor_args(self, folders: list[str], data_dir: str, import_history: bool = False,
                     retention_days: int | None = None) -> list[str]:
        """The one place settings become the monitor's `watch --ipc` arguments (parsed back by cli/options.py; a test
        round-trips every value the settings dialog accepts)."""
        args = ["watch", "--ipc", "--data-dir", data_dir, "--region", self.home_region, "--retention-days",
                str(self.retention_days if retention_days is None else retention_days)]
        for net in self.trusted:
            args += ["--trusted", net]
        if self.office_hours is not None:
            args.append(f"--office-hours={self.office_hours}")
        if self.polling:
            args.append("--polling")
        if import_history:
            args.append("--from-start")
        return [*args, "--", *folders]

    @staticmethod
    def editable() -> list:
        """The fields the settings dialog shows, in order, with their metadata."""
        return [f for f in fields(AppSettings) if f.metadata]

    # -- validation ---------------------------------------------------------------------------------------------
    def validated(self) -> AppSettings:
        """A copy with every value made sane; raises ValueError with a message for people on bad networks."""
        import phonenumbers

        Networks.parse(self.trusted)  # raises ValueError naming the bad entry
        region = self.home_region.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown country code {self.home_region!r}")
        level = self.notify_level if self.notify_level in LEVELS else "attack"
        return replace(self, home_region=region, notify_level=level,
                       office_hours=Hours.of(self.office_hours), quiet_hours=Hours.of(self.quiet_hours),
                       retention_days=max(0, int(self.retention_days)),
                       log_dirs=tuple(dict.fromkeys(str(p).strip() for p in self.log_dirs if str(p).strip())),
                       trusted=tuple(t.strip() for t in self.trusted if t.strip()))


class SettingsStore:
    """settings.json in the config directory; writes are atomic (a crash never leaves half a file)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> AppSettings:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return AppSettings()
        except (OSError, ValueError) as exc:
            log.warning("settings file %s unreadable (%s); using defaults", self.path, exc)
            return AppSettings()
        known = {f.name: f for f in fields(AppSettings)}
        values: dict[str, Any] = {}
        for name, value in raw.items() if isinstance(raw, dict) else ():
            if name not in known:
                continue
            if isinstance(value, list):
                value = tuple(value)
            values[name] = value
        try:
            return AppSettings(**values).validated()
        except (TypeError, ValueError) as exc:
            log.warning("settings file %s has bad values (%s); using defaults for them", self.path, exc)
            settings = AppSettings()
            for name, value in values.items():
                try:
                    settings = replace(settings, **{name: value}).validated()
                except (TypeError, ValueError):
                    continue
            return settings

    def save(self, settings: AppSettings) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(settings.to_json(), indent=2), encoding="utf-8")
        os.replace(tmp, self.path)


def find_log_dirs(candidates: tuple[str, ...] = COMMON_LOG_DIRS) -> list[Path]:
    """The usual PBX log folders that exist on this machine."""
    return [Path(c) for c in candidates if Path(c).is_dir()]
