"""Detection settings: home region, trusted networks, thresholds. Plain data, with defaults from the field."""

from __future__ import annotations

import locale
from dataclasses import dataclass, field

from .hours import Hours
from .netaddr import Networks


@dataclass(frozen=True)
class Thresholds:
    """Correlation windows. Defaults follow the tools offices already trust (see docs/detection.md)."""

    # CrowdSec crowdsecurity/asterisk_bf: leaky bucket, capacity 5, leak 10 s (about 6 failures faster than 1/10 s).
    brute_force_capacity: int = 5
    brute_force_leak_seconds: float = 10.0
    # CrowdSec crowdsecurity/asterisk_user_enum: more than 5 distinct account names from one address.
    enumeration_distinct: int = 5
    enumeration_window_seconds: float = 60.0
    # Kamailio pike defaults: 16 requests per 2 s sampling unit.
    flood_requests: int = 16
    flood_window_seconds: float = 2.0
    # A successful login after this many failures from the same outside address (within the window) is a compromise.
    compromise_failures: int = 3
    compromise_window_seconds: float = 7 * 86400.0
    # A rejected unauthenticated call to a number this long (or dialled with 00/011/+) is a toll-fraud attempt.
    toll_fraud_digits: int = 11


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
    thresholds: Thresholds = field(default_factory=Thresholds)
    office_hours: Hours | None = None  # local time of the log; may wrap past midnight (22-6)

    def __post_init__(self) -> None:
        object.__setattr__(self, "office_hours", Hours.of(self.office_hours))  # (8, 18) or "22-6" from callers
