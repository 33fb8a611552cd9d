"""SIP messages that Asterisk writes into `full` when `pjsip set logger on` or chan_sip debug is on.

    <--- SIP read from UDP:1.2.3.4:5060 --->                   (chan_sip)
    <--- Received SIP request (612 bytes) from UDP:1.2.3.4:5060 --->   (res_pjsip_logger)
    INVITE sip:100@203.0.113.5 SIP/2.0
    From: "sipvicious"<sip:100@1.1.1.1>;tag=...
    User-Agent: friendly-scanner
    ...
    <------------->                                            (chan_sip; pjsip ends with a blank line)

This is the only place an Asterisk log shows the User-Agent. The source address is the socket address from the
marker line, never a header.
"""

from __future__ import annotations

import re

from ..events import Kind, Outcome, Record
from ..netaddr import split_hostport
from ..sipuri import parse_name_addr

FORMAT = "asterisk_sip_trace"
KEYWORDS = (b"<--- SIP read from ", b"<--- Received SIP request")
MAX_BLOCK_LINES = 120

START = re.compile(r"<--- (?:SIP read from|Received SIP request \(\d+ bytes\) from) (?P<addr>\S+) --->")
_REQUEST = re.compile(r"^(?P<method>[A-Z]{3,12}) (?P<uri>\S+) SIP/2\.0\s*$")
_COMPACT = {"f": "from", "t": "to", "i": "call-id", "m": "contact"}
REPORTED_METHODS = {"INVITE", "REGISTER", "OPTIONS"}


def is_end(line: str) -> bool:
    return line.startswith("<-------------") or not line.strip()


def parse_block(start_line: str, body: list[str], file: str, line_no: int, time: str | None,
                epoch: float | None) -> list[Record] | None:
    """Turn one received request into a record; [] for responses and in-dialog requests; None if garbled."""
    m = START.search(start_line)
    if not m:
        return None
    ip, port = split_hostport(m.group("addr"), port_always=True)
    if not body:
        return []
    req = _REQUEST.match(body[0].strip())
    if not req:
        return [] if body[0].startswith("SIP/2.0") else None
    method = req.group("method")
    headers: dict[str, str] = {}
    for line in body[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            continue
        key = name.strip().lower()
        key = _COMPACT.get(key, key)
        headers.setdefault(key, value.strip())
    to_nameaddr = parse_name_addr(headers.get("to"))
    if method not in REPORTED_METHODS or (method == "INVITE" and ";tag=" in headers.get("to", "")):
        return []  # in-dialog traffic (re-INVITE, ACK, BYE...) says nothing new about the caller
    frm = parse_name_addr(headers.get("from"))
    ruri = parse_name_addr(req.group("uri"))
    if method == "INVITE":
        kind, outcome = Kind.CALL, Outcome.UNKNOWN
    elif method == "REGISTER" and "authorization" in headers:
        kind, outcome = Kind.OTHER, None
    else:
        kind, outcome = Kind.PROBE, None
    return [Record(
        time=time, file=file, line=line_no, format=FORMAT, kind=kind,
        source_ip=ip, source_port=port,
        caller_id=frm.user, caller_name=frm.display,
        extension=ruri.user or to_nameaddr.user,
        user_agent=headers.get("user-agent") or None,
        call_id=headers.get("call-id") or None,
        outcome=outcome, epoch=epoch, detail=f"{method} request", method=method,
        from_host=frm.host, ruri_host=ruri.host,
        raw=tuple([start_line, *body[:40]]),
    )]
