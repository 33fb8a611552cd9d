"""SIP messages that Asterisk writes into `full` when `pjsip set logger on` or chan_sip debug is on.

    <--- SIP read from UDP:1.2.3.4:5060 --->                   (chan_sip)
    <--- Received SIP request (612 bytes) from UDP:1.2.3.4:5060 --->   (res_pjsip_logger)
    INVITE sip:100@203.0.113.5 SIP/2.0
    From: "sipvicious"<sip:100@1.1.1.1>
    User-Agent: friendly-scanner
    Content-Length: 0
    <blank line>
    [body of Content-Length bytes]
    <------------->                                            (chan_sip; pjsip ends with a blank line)

This is the only place an Asterisk log shows the User-Agent. The source address is the socket address from the
marker line, never a header. A message is framed the way SIP frames it: headers up to the blank line, then exactly
Content-Length bytes of body (never more than the marker's byte count). Body lines are the sender's text, so they
are consumed here and never read as log lines, whatever they look like.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..events import Kind, Outcome, Record
from ..netaddr import split_hostport
from ..sipuri import parse_name_addr
from ..text import ascii_int, decode_line

FORMAT = "asterisk_sip_trace"
KEYWORDS = (b"<--- SIP read from ", b"<--- Received SIP request")
MAX_BLOCK_LINES = 120
MAX_BODY_BYTES = 65536

_MARKER = re.compile(
    r"<--- (?:(?P<read>SIP read from)|Received SIP (?P<rr>request|response) \((?P<size>\d+) bytes\) from"
    r"|Transmitting SIP (?:request|response) \(\d+ bytes\) to|(?:Reliably )?Transmitting(?: \((?:no )?NAT\))? to)"
    r" (?P<addr>\S+?) --->")
START = _MARKER  # kept for sniffing
_REQUEST = re.compile(r"^(?P<method>[A-Z]{3,12}) (?P<uri>\S+) SIP/2\.0\s*$")
_COMPACT = {"f": "from", "t": "to", "i": "call-id", "m": "contact", "l": "content-length"}
REPORTED_METHODS = {"INVITE", "REGISTER", "OPTIONS"}


class Marker(NamedTuple):
    received: bool        # a message the PBX received (read from the network)
    request: bool         # a request rather than a response (chan_sip's marker does not say: True)
    size: int | None      # the message's size in bytes, when the marker gives it (res_pjsip_logger)
    addr: str             # the socket address it came from or went to


def marker(text: str) -> Marker | None:
    """The trace marker a line opens with (alone, or after the logger's prefix), or None."""
    m = _MARKER.search(text)
    if not m:
        return None
    before = text[:m.start()]
    if before.strip() and (any(c in before for c in "'\"<(") or not before.rstrip().endswith(":")):
        return None  # a marker inside some other message's text: the sender's, not a trace
    received = bool(m.group("read") or m.group("rr"))
    size = ascii_int(m.group("size")) if m.group("size") else None
    return Marker(received, m.group("rr") != "response", size, m.group("addr"))


def is_end(line: str) -> bool:
    return line.startswith("<-------------") or not line.strip()


def read_block(buf: bytes, pos: int, final: bool, mark: Marker) -> tuple[list[str], list[str], int] | None:
    """(header lines, body lines, position after the block) of the message starting at `pos`; None when the
    buffer ends inside it and more may come."""
    size = len(buf)
    head: list[str] = []
    head_bytes = 0
    crlf = False
    ended = False
    while True:
        if pos >= size:
            if not final:
                return None
            return head, [], size
        nl = buf.find(b"\n", pos)
        if nl < 0:
            if not final:
                return None
            nl = size
        raw = buf[pos:nl]
        pos = nl + 1
        if not head:
            crlf = raw.endswith(b"\r")
        head_bytes += len(raw) + (1 if crlf else 2)
        if raw.startswith(b"<-------------"):
            return head, [], pos
        if not raw.strip():
            break
        head.append(decode_line(raw))
        if len(head) >= MAX_BLOCK_LINES:
            ended = True
            break
    body: list[str] = []
    length = _content_length(head)
    if mark.size is not None:
        length = min(length if length is not None else MAX_BODY_BYTES, max(mark.size - head_bytes, 0))
    length = min(length or 0, MAX_BODY_BYTES)
    got = 0
    while got < length and not ended:
        if pos >= size:
            if not final:
                return None
            return head, body, size
        nl = buf.find(b"\n", pos)
        if nl < 0:
            if not final:
                return None
            nl = size
        raw = buf[pos:nl]
        pos = nl + 1
        got += len(raw) + (1 if crlf or raw.endswith(b"\r") else 2)
        if len(body) < MAX_BLOCK_LINES:
            body.append(decode_line(raw))
    # the logger's own end of the block: chan_sip's marker, or the blank line res_pjsip_logger adds
    if pos < size:
        nl = buf.find(b"\n", pos)
        if nl < 0 and not final:
            return None
        raw = buf[pos:nl if nl >= 0 else size]
        if raw.startswith(b"<-------------") or (not raw.strip() and nl >= 0):
            pos = (nl if nl >= 0 else size) + 1
    elif not final:
        return None
    return head, body, min(pos, size)


def _content_length(head: list[str]) -> int | None:
    for line in head[1:]:
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() in ("content-length", "l"):
            return ascii_int(value.strip())
    return None


def parse_block(start_line: str, mark: Marker, head: list[str], body: list[str], file: str, line_no: int,
                time: str | None, epoch: float | None, signatures: object | None = None) -> list[Record] | None:
    """Turn one received request into a record; [] for responses and in-dialog requests; None if garbled."""
    ip, port = split_hostport(mark.addr, port_always=True)
    if not head or not mark.request:
        return []
    req = _REQUEST.match(head[0].strip())
    if not req:
        return [] if head[0].startswith("SIP/2.0") else None
    method = req.group("method")
    headers: dict[str, str] = {}
    for line in head[1:]:
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
    uri = req.group("uri")
    ruri = parse_name_addr(uri)
    external = None
    tags: list[str] = []
    if method == "INVITE":
        kind, outcome = Kind.CALL, Outcome.UNKNOWN
        if ";line=" in uri.lower():
            # Asterisk's `line=` parameter: the office's own registration with its provider, i.e. a call the
            # carrier delivers on the registered trunk, not someone dialling the PBX's address directly.
            external = False
            tags.append("registered_trunk")
    elif method == "REGISTER" and "authorization" in headers:
        kind, outcome = Kind.OTHER, None
    else:
        kind, outcome = Kind.PROBE, None
    tags.extend(body_signatures(body, frm.user, signatures))
    callid = headers.get("call-id") or None
    return [Record(
        time=time, file=file, line=line_no, format=FORMAT, kind=kind,
        source_ip=ip, source_port=port,
        caller_id=frm.user, caller_name=frm.display,
        extension=ruri.user or to_nameaddr.user,
        user_agent=headers.get("user-agent") or None,
        call_id=callid,
        outcome=outcome, epoch=epoch, detail=f"{method} request", method=method,
        from_host=frm.host, ruri_host=ruri.host, external=external, tags=tuple(tags),
        raw=tuple([start_line, *head[:40], *([""] + body[:20] if body else [])]),
        refs=(f"sip:{callid}",) if callid else (),
    )]


def body_signatures(body: list[str], from_user: str | None, signatures: object | None) -> list[str]:
    """Tags for attack tools that announce themselves in the SDP, and SQL injection in the From user."""
    tags = []
    tools = getattr(signatures, "sdp_tools", ()) if signatures is not None else ()
    for line in body[:40]:
        if line[:2] in ("s=", "o=") and any(tool in line.lower() for tool in tools):
            tags.append("scanner_sdp")
            break
    markers = getattr(signatures, "injection_markers", ()) if signatures is not None else ()
    if from_user and any(m in from_user.lower() for m in markers):
        tags.append("sql_injection")
    return tags
