"""What an automatic check found: a status, a sentence for people, the evidence (file and line) and the fix."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "cannot_tell"
    MANUAL = "manual"        # no automatic check: the user confirms it (phone settings, updates)
    DONE = "done"            # a manual step the user confirmed


STATUS_WORDS = {Status.PASS: "OK", Status.FAIL: "Needs fixing", Status.UNKNOWN: "Cannot tell",
                Status.MANUAL: "Check by hand", Status.DONE: "Done (you confirmed)"}

# Where a password stands in an Asterisk or FreeSWITCH line: `secret=...`, `password => ...`,
# `<param name="password" value="..."/>`, `data="default_password=..."`.
_SECRETS = (
    re.compile(r"^\s*(?:secret|md5secret|password|remotesecret)\s*=>?\s*(?P<v>[^;\s]+)", re.IGNORECASE),
    re.compile(r'name="(?:password|vm-password|default_password)"\s+value="(?P<v>[^"]+)"', re.IGNORECASE),
    re.compile(r"default_password=(?P<v>[^\"\s]+)", re.IGNORECASE),
)


@dataclass(frozen=True)
class Evidence:
    file: str
    line: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "text": self.text}

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.text}" if self.line else f"{self.file}: {self.text}"


@dataclass
class Finding:
    check: str
    status: Status
    summary: str
    evidence: list[Evidence] = field(default_factory=list)
    fix: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "status": self.status.value, "summary": self.summary,
                "evidence": [e.to_json() for e in self.evidence], "fix": self.fix}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        return cls(str(data["check"]), Status(data["status"]), str(data.get("summary", "")),
                   [Evidence(str(e["file"]), int(e["line"]), str(e["text"])) for e in data.get("evidence", [])],
                   str(data.get("fix", "")))


def masked(text: str) -> str:
    """An evidence line with any password in it replaced by asterisks (reports get handed around)."""
    for regex in _SECRETS:
        m = regex.search(text)
        if m:
            return text[:m.start("v")] + "********" + text[m.end("v"):]
    return text


def worst(statuses: list[Status]) -> Status:
    """One status for several findings: any failure fails; all passing passes; otherwise we cannot tell."""
    if not statuses:
        return Status.MANUAL
    if Status.FAIL in statuses:
        return Status.FAIL
    if all(s is Status.PASS for s in statuses):
        return Status.PASS
    return Status.UNKNOWN
