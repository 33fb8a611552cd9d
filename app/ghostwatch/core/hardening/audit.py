"""Run every automatic check on a PBX configuration directory and file the findings under checklist steps."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .archive import ArchiveError, is_archive, unpack_config
from .checklist import Step, load_checklist
from .findings import Finding, Status, worst
from .fixes import Fixes

PBX_LABELS = {"asterisk": "Asterisk", "freeswitch": "FreeSWITCH"}
DEFAULT_DIRS = (Path("/etc/asterisk"), Path("/etc/freeswitch"), Path("/usr/local/freeswitch/conf"))


class AuditError(Exception):
    """The directory cannot be audited (missing, unreadable, not a PBX configuration); the message is for people."""


@dataclass
class StepResult:
    step: Step
    status: Status
    findings: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.step.id, "title": self.step.title, "status": self.status.value,
                "findings": [f.to_json() for f in self.findings]}


@dataclass
class AuditResult:
    config_dir: str
    pbx: str                              # "asterisk" or "freeswitch"
    checked_at: str
    steps: list[StepResult]
    problems: list[str] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)  # e.g. ["chan_sip", "pjsip"]
    sip_ports: list[int] = field(default_factory=list)  # where the PBX listens, for firewall rules

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in (Status.PASS, Status.FAIL, Status.UNKNOWN, Status.MANUAL)}
        for r in self.steps:
            out[r.status.value] = out.get(r.status.value, 0) + 1
        return out

    def findings(self) -> list[Finding]:
        return [f for r in self.steps for f in r.findings]

    def to_json(self) -> dict[str, Any]:
        return {"config_dir": self.config_dir, "pbx": self.pbx, "variants": self.variants, "sip_ports": self.sip_ports,
                "checked_at": self.checked_at, "summary": self.counts(), "problems": self.problems,
                "steps": [r.to_json() for r in self.steps]}


def detect(config_dir: Path) -> str:
    """'asterisk' or 'freeswitch'; raises AuditError with the reason otherwise."""
    if not config_dir.exists():
        raise AuditError(f"no such directory: {config_dir}")
    if not config_dir.is_dir():
        raise AuditError(f"not a directory: {config_dir}")
    if not os.access(config_dir, os.R_OK | os.X_OK):
        raise AuditError(f"cannot read {config_dir}: permission denied (try sudo, or add your user to the "
                         f"'asterisk' group)")
    names = {p.name for p in config_dir.iterdir()}
    if names & {"sip.conf", "pjsip.conf", "extensions.conf", "asterisk.conf"}:
        return "asterisk"
    if names & {"vars.xml", "freeswitch.xml"}:
        return "freeswitch"
    raise AuditError(f"{config_dir} does not look like an Asterisk (sip.conf, pjsip.conf, extensions.conf) or "
                     f"FreeSWITCH (vars.xml) configuration directory")


def run_audit(config_dir: Path, resources: Path, now: datetime | None = None) -> AuditResult:
    """Every check, read-only, on a configuration folder or an archive of one (.tar.gz, .zip).

    Raises AuditError for anything that cannot be audited.
    """
    if not is_archive(config_dir):
        return _audit_dir(config_dir, resources, now, str(config_dir))
    with tempfile.TemporaryDirectory(prefix="ghostwatch-audit-") as tmp:
        try:
            root = unpack_config(config_dir, Path(tmp))
        except ArchiveError as exc:
            raise AuditError(str(exc)) from exc
        inner = root.relative_to(tmp).as_posix()
        return _audit_dir(root, resources, now, str(config_dir) + (f" ({inner})" if inner != "." else ""))


def _audit_dir(config_dir: Path, resources: Path, now: datetime | None, shown_as: str) -> AuditResult:
    pbx = detect(config_dir)
    fixes = Fixes.load(resources / "hardening-fixes.toml")
    steps = load_checklist(resources / "checklist.toml")
    variants: list[str] = []
    try:
        if pbx == "asterisk":
            from .checks_asterisk import AsteriskAudit

            audit = AsteriskAudit(config_dir, fixes)
            variants = [v for v, on in (("chan_sip", audit.has_sip), ("pjsip", audit.has_pjsip)) if on]
        else:
            from .checks_freeswitch import FreeSwitchAudit

            audit = FreeSwitchAudit(config_dir, fixes)
        findings = audit.run()
    except PermissionError as exc:
        raise AuditError(f"cannot read {exc.filename or config_dir}: permission denied. Run the check as root "
                         f"(sudo ghostwatch audit {config_dir}) or on a copy of the folder") from exc
    except OSError as exc:
        raise AuditError(f"cannot read {config_dir}: {exc.strerror or exc}") from exc
    by_check: dict[str, list[Finding]] = {}
    for f in findings:
        by_check.setdefault(f.check, []).append(f)
    results = []
    for step in steps:
        found = [f for c in step.checks for f in by_check.get(c, [])]
        results.append(StepResult(step, worst([f.status for f in found]) if found else Status.MANUAL, found))
    stamp = (now or datetime.now()).astimezone().isoformat(timespec="seconds")
    problems = [p.replace(str(config_dir) + "/", "") for p in audit.problems]  # paths as inside the folder
    return AuditResult(shown_as, pbx, stamp, results, problems, variants, sorted(audit.ports))


def default_config_dir() -> Path | None:
    """The usual place of a local PBX's configuration, when there is one on this machine."""
    for d in DEFAULT_DIRS:
        if d.is_dir():
            return d
    return None
