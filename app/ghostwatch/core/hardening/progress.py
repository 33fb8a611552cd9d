"""The hardening wizard's progress, kept across restarts: choices, confirmed steps and the last check's results."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .audit import AuditResult, StepResult
from .checklist import Step
from .findings import Finding, Status, worst


@dataclass
class Progress:
    config_dir: str = ""
    pbx: str = ""                       # checklist PBX key: asterisk_pjsip, asterisk_chan_sip, freeswitch, freepbx
    phone_brand: str = ""               # checklist phone key: yealink, grandstream, ...
    confirmed: set[str] = field(default_factory=set)   # steps the user marked "I did this"
    audit: dict[str, Any] | None = None                # the last AuditResult.to_json()
    page: str = ""                      # the step the user was on

    def to_json(self) -> dict[str, Any]:
        return {"version": 1, "config_dir": self.config_dir, "pbx": self.pbx, "phone_brand": self.phone_brand,
                "confirmed": sorted(self.confirmed), "audit": self.audit, "page": self.page}


def load_progress(path: Path) -> Progress:
    """The saved progress; a missing or damaged file gives a fresh start (never an error)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Progress()
    if not isinstance(data, dict):
        return Progress()
    audit = data.get("audit")
    return Progress(str(data.get("config_dir") or ""), str(data.get("pbx") or ""),
                    str(data.get("phone_brand") or ""),
                    {str(s) for s in data.get("confirmed") or [] if isinstance(s, str)},
                    audit if isinstance(audit, dict) else None, str(data.get("page") or ""))


def save_progress(path: Path, progress: Progress) -> None:
    """Atomically: a crash mid-write leaves the previous file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".hardening-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(progress.to_json(), fh, indent=1)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def step_states(steps: list[Step], audit: dict[str, Any] | None, confirmed: set[str]) -> list[StepResult]:
    """Each step's status: the automatic checks' verdict where they could tell, the user's word otherwise."""
    found: dict[str, list[Finding]] = {}
    for row in (audit or {}).get("steps", []):
        try:
            found[str(row["id"])] = [Finding.from_json(f) for f in row.get("findings", [])]
        except (KeyError, TypeError, ValueError):
            continue
    out = []
    for step in steps:
        findings = found.get(step.id, [])
        status = worst([f.status for f in findings]) if findings else Status.MANUAL
        if step.id in confirmed and status in (Status.MANUAL, Status.UNKNOWN):
            status = Status.DONE
        out.append(StepResult(step, status, findings))
    return out


def pbx_key(audit: AuditResult | dict[str, Any] | None) -> str:
    """The checklist's PBX key for an audit's result (which fix texts to show first)."""
    if audit is None:
        return ""
    data = audit.to_json() if isinstance(audit, AuditResult) else audit
    if data.get("pbx") == "freeswitch":
        return "freeswitch"
    variants = data.get("variants") or []
    return "asterisk_chan_sip" if variants == ["chan_sip"] else "asterisk_pjsip"
