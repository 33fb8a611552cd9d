"""The event contract: what a parsed log record is, and what GhostWatch decided about it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Any, NamedTuple


class Kind(StrEnum):
    CALL = "call"
    AUTH_FAILURE = "auth_failure"
    PROBE = "probe"
    REGISTRATION = "registration"
    OTHER = "other"


class Verdict(StrEnum):
    GHOST = "ghost"
    ATTACK = "attack"
    SUSPICIOUS = "suspicious"
    NORMAL = "normal"

    rank: int
    """Severity for ordering: ghost and attack outrank suspicious, which outranks normal (a plain attribute of each
    member, set below: read for every event of a scan)."""


_RANK = {Verdict.NORMAL: 0, Verdict.SUSPICIOUS: 1, Verdict.ATTACK: 2, Verdict.GHOST: 3}
for _member, _rank in _RANK.items():
    _member.rank = _rank


class Outcome(StrEnum):
    REJECTED = "rejected"
    RANG = "rang"
    ANSWERED = "answered"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    text: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "text": self.text}


class Record(NamedTuple):
    """One meaningful log record as a dialect parsed it, before classification; immutable.

    Fields past `outcome` are hints the classifier uses; they are not part of the JSON contract. A tuple, because
    a scan makes hundreds of thousands of them: built and read at C speed, and moved between processes as
    columns (see `ingest/parse_worker.py`).
    """

    time: str | None
    file: str
    line: int
    format: str
    kind: Kind
    source_ip: str | None = None
    source_port: int | None = None
    caller_id: str | None = None
    caller_name: str | None = None
    extension: str | None = None
    user_agent: str | None = None
    call_id: str | None = None
    outcome: Outcome | None = None
    # classifier hints
    epoch: float | None = None          # seconds, from `time`; None when the log gave no time
    detail: str | None = None           # the PBX's own words, e.g. "Wrong password"
    method: str | None = None           # SIP method when known
    from_host: str | None = None        # host part of the From URI (attacker-controlled)
    ruri_host: str | None = None        # host part of the Request-URI
    context: str | None = None          # Asterisk dialplan context / FreeSWITCH profile
    channel: str | None = None
    anonymous: bool = False             # the PBX accepted it without authentication (guest/anonymous)
    external: bool | None = None        # the parser knows the call came from outside (True) or inside (False)
    challenge: bool = False             # only a 401 challenge was sent (normal for every first REGISTER)
    billsec: int | None = None
    duration: int | None = None
    tags: tuple[str, ...] = ()          # extra reason codes the parser itself can vouch for
    raw: tuple[str, ...] = ()           # the evidence lines, as written (ANSI codes removed)
    refs: tuple[str, ...] = ()          # join keys the PBX itself shares between a call's lines (see core/join.py):
    #                                     "ast:C-0000001a", "chan:PJSIP/101-00000002", "uid:1700000000.12",
    #                                     "fs:<channel uuid>", "sip:<SIP Call-ID>"


FIELDS: tuple[str, ...] = Record._fields
make_record = partial(tuple.__new__, Record)
"""`make_record(values)`: a Record from all its fields in order, without keyword handling (hot paths only)."""


class Evidence(NamedTuple):
    """One log line (or SIP trace block) that reported an attempt."""

    file: str
    line: int
    format: str
    raw: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "format": self.format}


class Event(NamedTuple):
    """A classified attempt: the unit stored, shown, notified and printed. Immutable (a tuple, cheap to make).

    `record` holds the attempt's fields merged from all its lines (see core/join.py); `evidence` lists those lines,
    empty when the attempt is its record's one line.
    """

    record: Record
    verdict: Verdict
    reasons: tuple[Reason, ...] = ()
    evidence: tuple[Evidence, ...] = ()

    def __getattr__(self, name: str) -> Any:  # convenient read access to the record's fields
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.record, name)

    @property
    def lines(self) -> tuple[Evidence, ...]:
        """Every line that reported this attempt (at least its record's own)."""
        if self.evidence:
            return self.evidence
        r = self.record
        return (Evidence(r.file, r.line, r.format, r.raw),)

    def to_json(self) -> dict[str, Any]:
        r = self.record
        return {
            "time": r.time,
            "file": r.file,
            "line": r.line,
            "format": r.format,
            "kind": str(r.kind),
            "source_ip": r.source_ip,
            "source_port": r.source_port,
            "caller_id": r.caller_id,
            "caller_name": r.caller_name,
            "extension": r.extension,
            "user_agent": r.user_agent,
            "call_id": r.call_id,
            "outcome": str(r.outcome) if r.outcome is not None else None,
            "verdict": str(self.verdict),
            "reasons": [reason.to_json() for reason in self.reasons],
            "evidence": [e.to_json() for e in self.lines],
        }


make_event = partial(tuple.__new__, Event)
"""`make_event((record, verdict, reasons, evidence))`: an Event without keyword handling (hot paths only)."""
