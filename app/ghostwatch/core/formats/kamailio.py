"""Kamailio (or OpenSIPS) in front of the PBX: pike flood blocks, and GhostWatch's own request log line.

GhostWatch ships `resources/kamailio/ghostwatch-logging.cfg`, whose xlog line writes every request as

    GHOSTWATCH ts=2026-11-26T02:14:07 method=INVITE src_ip=203.0.113.7 src_port=5070 totag="" auth=""
        from_user="100" from_name="sipvicious" from_host="1.1.1.1" ruri="sip:100@198.51.100.2" to_user="100"
        ua="friendly-scanner" callid="..."

(one line). Header values pass through Kamailio's `s.escape.common`, so quotes and backslashes arrive escaped;
`src_ip` is Kamailio's `$si`, the socket address.
"""

from __future__ import annotations

import re

from ..events import Kind, Outcome, Record
from ..netaddr import normal_ip, split_hostport
from ..sipuri import parse_name_addr
from ..timeparse import parse_time
from .base import Parser

FORMAT = "kamailio"
MARK = "GHOSTWATCH "
_PAIR = re.compile(r'(?P<key>[a-z_]+)=(?:"(?P<q>(?:[^"\\]|\\.)*)"|(?P<bare>\S*))')
_UNESCAPE = re.compile(r"\\(.)")
_PIKE = re.compile(r"PIKE - BLOCKing ip (?P<ip>[0-9A-Fa-f:.]+)")
_PIKE_ALERT = re.compile(r"pike blocking (?P<method>\S+) from (?P<from>\S+) \(IP:(?P<addr>[^)]+)\)")
_SYSLOG = re.compile(r"(?:^|\s)(?:/usr/s?bin/)?(?:kamailio|opensips)\[\d+\]:")
KEYWORDS = (MARK.encode(), b"PIKE - BLOCKing ip", b"pike blocking ")


def _value(text: str | None) -> str | None:
    if text is None or text in ("", "<null>"):
        return None
    return _UNESCAPE.sub(lambda m: "\x00" if m.group(1) == "0" else m.group(1), text)


class KamailioParser(Parser):
    format = FORMAT
    keywords = KEYWORDS

    @classmethod
    def sniff(cls, lines: list[str], name: str) -> int:
        for line in lines:
            if MARK in line:
                return 95
            if "PIKE - " in line or "pike blocking" in line or _SYSLOG.search(line):
                return 80
        return 0

    def parse_line(self, text: str, line_no: int) -> list[Record] | None:
        at = text.find(MARK)
        if at >= 0:
            return self._request(text, text[at + len(MARK):], line_no)
        time, epoch = parse_time(text, self.clock)
        m = _PIKE.search(text)
        if m:
            return [Record(time=time, file=self.file, line=line_no, format=FORMAT, kind=Kind.PROBE,
                           source_ip=normal_ip(m.group("ip")), epoch=epoch, detail="pike blocked the source",
                           tags=("flood",), raw=(text,))]
        m = _PIKE_ALERT.search(text)
        if m:
            ip, port = split_hostport(m.group("addr"))
            frm = parse_name_addr(m.group("from"))
            return [Record(time=time, file=self.file, line=line_no, format=FORMAT, kind=Kind.PROBE, source_ip=ip,
                           source_port=port, caller_id=frm.user, from_host=frm.host, method=m.group("method"),
                           epoch=epoch, detail="pike blocked the source", tags=("flood",), raw=(text,))]
        return None

    def _request(self, text: str, body: str, line_no: int) -> list[Record] | None:
        pairs = {m.group("key"): (m.group("q") if m.group("q") is not None else m.group("bare"))
                 for m in _PAIR.finditer(body)}
        method = (pairs.get("method") or "").upper()
        ip = normal_ip(pairs.get("src_ip"))
        if not method or ip is None:
            return None
        if method not in ("INVITE", "REGISTER", "OPTIONS") or (method == "INVITE" and _value(pairs.get("totag"))):
            return []
        ts = pairs.get("ts")
        time, epoch = parse_time(ts, self.clock) if ts else parse_time(text, self.clock)
        port = pairs.get("src_port", "")
        ruri = parse_name_addr(_value(pairs.get("ruri")))
        authed = bool(_value(pairs.get("auth")))
        if method == "INVITE":
            kind, outcome = Kind.CALL, Outcome.UNKNOWN
        elif method == "REGISTER" and authed:
            kind, outcome = Kind.OTHER, None
        else:
            kind, outcome = Kind.PROBE, None
        return [Record(
            time=time, file=self.file, line=line_no, format=FORMAT, kind=kind, source_ip=ip,
            source_port=int(port) if port.isdigit() and int(port) < 65536 else None,
            caller_id=_value(pairs.get("from_user")), caller_name=_value(pairs.get("from_name")),
            extension=_value(pairs.get("to_user")) or ruri.user, user_agent=_value(pairs.get("ua")),
            call_id=_value(pairs.get("callid")), outcome=outcome, epoch=epoch, detail=f"{method} request",
            method=method, from_host=_value(pairs.get("from_host")), ruri_host=ruri.host, raw=(text,),
        )]
