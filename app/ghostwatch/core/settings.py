"""Detection settings: home region, trusted networks, thresholds. Plain data, with defaults from the field."""

from __future__ import annotations

import locale
import tomllib
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from .hours import Hours
from .netaddr import Networks


@dataclass(frozen=True)
class Thresholds:
    """Correlation windows. Defaults are resources/thresholds.toml's (a test keeps the two equal), each with its
    source there; see docs/detection.md for how they were chosen."""

    # CrowdSec crowdsecurity/asterisk_bf: leaky bucket, capacity 5, leak 10 s (about 6 failures faster than 1/10 s).
    brute_force_capacity: int = 5
    brute_force_leak_seconds: float = 10.0
    # CrowdSec crowdsecurity/asterisk_user_enum: more than 5 distinct account names from one address.
    enumeration_distinct: int = 5
    enumeration_window_seconds: float = 60.0
    # svwar's short hunts: 3 scanner-typical or adjacent names within a minute; 4 accounts in 5 minutes, never let in.
    hunt_distinct: int = 3
    hunt_window_seconds: float = 60.0
    hunt_names: frozenset[str] = frozenset({
        "100", "101", "102", "1000", "1001", "1002", "2000", "3000", "admin", "administrator", "test", "webmaster",
        "root", "guest", "user", "sip", "support", "info", "operator", "manager", "voip", "asterisk", "sipvicious",
        "netadmin"})
    # One digit repeated this many times or more (11111, 1111111): a made-up name scanners try, no office's numbering.
    hunt_repeated_digits: int = 5
    slow_hunt_distinct: int = 4
    slow_hunt_window_seconds: float = 300.0
    # fail2ban's stock jail: maxretry 5 within findtime 10 minutes.
    jail_failures: int = 5
    jail_window_seconds: float = 600.0
    # Slow persistence: failures in 3 bursts an hour or more apart within a day.
    persistence_bursts: int = 3
    persistence_gap_seconds: float = 3600.0
    persistence_window_seconds: float = 86400.0
    # Kamailio pike defaults: 16 requests per 2 s sampling unit.
    flood_requests: int = 16
    flood_window_seconds: float = 2.0
    # A successful login after this many failures from the same outside address (within the window) is a compromise.
    compromise_failures: int = 3
    compromise_window_seconds: float = 7 * 86400.0
    # A rejected unauthenticated call to a number this long (or dialled with 00/011/+) is a toll-fraud attempt.
    toll_fraud_digits: int = 11
    # IPv6 sources are also judged per prefix of these lengths (one LAN, one end site).
    ipv6_prefixes: tuple[int, ...] = (64, 56)
    # Memory bound: addresses and prefixes remembered at most (least recently active forgotten first).
    max_states: int = 20000

    @classmethod
    def from_toml(cls, data: dict[str, Any]) -> Thresholds:
        """Thresholds from resources/thresholds.toml's layout: sections of field names (plus a `source` text each)."""
        names = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for section in data.values():
            if not isinstance(section, dict):
                continue
            for key, value in section.items():
                if key in names:
                    values[key] = value
        return cls.from_dict(values)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Thresholds:
        """Thresholds from flat field values (settings overrides); unknown keys are ignored."""
        names = {f.name for f in fields(cls)}
        clean: dict[str, Any] = {}
        for key, value in values.items():
            if key not in names:
                continue
            if key == "hunt_names":
                value = frozenset(str(v).lower() for v in value)
            elif key == "ipv6_prefixes":
                value = tuple(int(v) for v in value if 0 < int(v) < 128)
            clean[key] = value
        return replace(cls(), **clean)

    @classmethod
    def load(cls, path: Path) -> Thresholds:
        with open(path, "rb") as fh:
            return cls.from_toml(tomllib.load(fh))


@lru_cache(maxsize=1)
def default_thresholds() -> Thresholds:
    """resources/thresholds.toml, or the built-in defaults (equal to it) when the resources cannot be found."""
    from ..paths import resources_dir  # pure path logic, no Qt; imported late so core loads without resources

    try:
        return Thresholds.load(resources_dir() / "thresholds.toml")
    except (OSError, ValueError, TypeError, tomllib.TOMLDecodeError):
        return Thresholds()


def default_region() -> str:
    """Two-letter region from the user's locale (en_US -> US), else US."""
    try:
        name = locale.getlocale()[0] or ""
    except ValueError:
        name = ""
    region = name.partition("_")[2][:2].upper()
    return region if len(region) == 2 and region.isalpha() else "US"


@dataclass(frozen=True)
class DetectionSettings:
    home_region: str = field(default_factory=default_region)
    trusted: Networks = field(default_factory=Networks)
    blocklist: Networks = field(default_factory=Networks)
    thresholds: Thresholds = field(default_factory=default_thresholds)
    office_hours: Hours | None = None  # local time of the log; may wrap past midnight (22-6)

    def __post_init__(self) -> None:
        object.__setattr__(self, "office_hours", Hours.of(self.office_hours))  # (8, 18) or "22-6" from callers
