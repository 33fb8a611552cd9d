"""The hardening checklist, loaded from `resources/checklist.toml` (texts are data, not code)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

PBX_NAMES = {"asterisk_pjsip": "Asterisk (PJSIP)", "asterisk_chan_sip": "Asterisk (chan_sip)",
             "freeswitch": "FreeSWITCH", "freepbx": "FreePBX"}
PHONE_NAMES = {"yealink": "Yealink", "grandstream": "Grandstream", "poly": "Poly", "cisco_spa": "Cisco/Linksys SPA",
               "snom": "Snom", "fanvil": "Fanvil"}


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    why: str
    checks: tuple[str, ...] = ()
    pbx: dict[str, str] = field(default_factory=dict)
    phones: dict[str, str] = field(default_factory=dict)
    caution: str = ""

    def as_text(self) -> str:
        """The whole step in plain words (for a dialog or a report)."""
        parts = [self.title, "", self.why]
        if self.pbx:
            parts += ["", "On the phone system:"] + [f"  {PBX_NAMES.get(k, k)}: {v}" for k, v in self.pbx.items()]
        if self.phones:
            parts += ["", "On the phones:"] + [f"  {PHONE_NAMES.get(k, k)}: {v}" for k, v in self.phones.items()]
        if self.caution:
            parts += ["", f"Watch out: {self.caution}"]
        return "\n".join(parts)


def load_checklist(path: Path) -> list[Step]:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    steps = []
    for s in data["step"]:
        check = s.get("check", ())
        checks = (check,) if isinstance(check, str) else tuple(check)
        steps.append(Step(s["id"], s["title"], s["why"], tuple(c for c in checks if c), dict(s.get("pbx", {})),
                          dict(s.get("phones", {})), s.get("caution", "")))
    ids = [s.id for s in steps]
    if len(ids) != len(set(ids)):
        raise ValueError("checklist: step ids must be unique")
    return steps
