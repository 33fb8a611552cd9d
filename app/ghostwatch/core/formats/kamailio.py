"""Kamailio (or OpenSIPS) in front of the PBX: pike flood blocks, and GhostWatch's own request log line.

GhostWatch ships `resources/kamailio/ghostwatch-proxy.cfg`, whose xlog line writes every request as

    GHOSTWATCH ts=2026-11-26T02:14:07 method=INVITE src_ip=203.0.113.7 src_port=5070 result=unknown_user
        totag="" auth="" from_user="100" from_name="sipvicious" from_host="1.1.1.1" ruri="sip:100@198.51.100.2"
        to_user="100" ua="friendly-scanner" callid="..."

(one line). Header values pass through Kamailio's `s.escape.param` (`enc=param`: every quote, backslash, space, CR
and LF percent-encoded) or, in configs before that, `s.escape.common` (quotes and backslashes escaped). The line
counts only where it follows Kamailio's own log prefix (syslog `kamailio[pid]: LEVEL: <script>: ` or `-E`
stderr ` 0(1234) LEVEL: <script>: `): a header folded with CR/LF cannot start a line of its own that passes for
one. The fields the proxy writes (ts, method, src_ip, src_port, result) come first; each key's first occurrence
counts. `src_ip` is Kamailio's `$si`, the socket address. `result` is what the proxy decided: `challenge` (asked for a
password, as for every first REGISTER), `unknown_user` (no such account: challenged all the same, so scanners
learn nothing), `auth_failed` (wrong password), `accepted`, `answered` (OPTIONS), `refused`.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from ..events import Kind, Outcome, Record
from ..netaddr import normal_ip, port_number, split_hostport
from ..sipuri import parse_name_addr
from ..text import decode_line
from ..timeparse import parse_time
from .base import PENDING, Parser
from .fixed import decode_long

FORMAT = "kamailio"
MARK = "GHOSTWATCH "
_PAIR = re.compile(r'(?P<key>[a-z_]+)=(?:"(?P<q>(?:[^"\\]|\\.)*)"|(?P<bare>\S*))')
_UNESCAPE = re.compile(r"\\(.)")
_PIKE = re.compile(r"PIKE - BLOCKing ip (?P<ip>[0-9A-Fa-f:.]+)")
_PIKE_ALERT = re.compile(r"pike blocking (?P<method>\S+) from (?P<from>)")
_HEAD = re.compile(
    r"(?:(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-][\d:]+)?) \S+ "
    r"(?:/usr/s?bin/)?(?:kamailio|opensips)\[\d+\]: |\s*\d+\(\d+\) )"
    r"(?:DEBUG|INFO|NOTICE|WARNING|ERROR|CRITICAL|ALERT|BUG|L_[A-Z]+|[A-Z]+): (?:<script>: )?")
_STDERR = re.compile(r"\s*\d+\(\d+\) (?:DEBUG|INFO|NOTICE|WARNING|ERROR|CRITICAL|ALERT|BUG): <")
_SYSLOG = re.compile(r"(?:^|\s)(?:/usr/s?bin/)?(?:kamailio|opensips)\[\d+\]:")
KEYWORDS = (MARK.encode(), b"PIKE - BLOCKing ip", b"pike blocking ")
_RESULT_TAGS = {"auth_failed": ("auth_failure",), "unknown_user": ("no_matching_endpoint",)}


def _value(text: str | None) -> str | None:
    if text is None or text in ("", "<null>"):
        return None
    return _UNESCAPE.sub(lambda m: "\x00" if m.group(1) == "0" else m.group(1), text)


def _complete(text: str) -> bool:
    """Whether a GHOSTWATCH line got to its last field (`callid="…"`) with its quotes balanced."""
    body = _UNESCAPE.sub("", text.rstrip())
    return body.endswith('"') and ' callid="' in body and body.count('"') % 2 == 0


def _pct_value(text: str | None) -> str | None:
    if text is None or text in ("", "<null>", "%3Cnull%3E"):
        return None
    return unquote(text)


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
            if _STDERR.match(line) and "kamailio" in name.lower():
                return 70  # `kamailio -E` writes " 0(1234) INFO: <core> [...]" to stderr, redirected to a file
        return 0

    def handle(self, buf: bytes, start: int, end: int, line_no: int, final: bool):
        """A GHOSTWATCH line ends with its quoted `callid`; one that does not was split by a CR/LF inside a header
        (configs escaping with s.escape.common let them through): the lines after it are the rest of the header,
        whatever they look like, up to where the line completes."""
        text = decode_long(buf[start:end])
        head = _HEAD.match(text)
        if head is None or not text.startswith(MARK, head.end()) or _complete(text):
            return super().handle(buf, start, end, line_no, final)
        pos = end + 1
        for _ in range(4):
            if pos >= len(buf):
                if not final:
                    return None, PENDING
                break
            nl = buf.find(b"\n", pos)
            if nl < 0:
                if not final:
                    return None, PENDING
                nl = len(buf)
            text += " " + decode_line(buf[pos:nl])
            pos = nl + 1
            if _complete(text):
                break
        return self.parse_line(text, line_no), pos

    def has_prefix(self, text: str) -> bool:
        return _HEAD.match(text) is not None

    def parse_line(self, text: str, line_no: int) -> list[Record] | None:
        head = _HEAD.match(text)
        if head is None:
            return None  # not a line Kamailio wrote (a forged or folded one has no prefix of its own)
        msg = text[head.end():]
        if msg.startswith(MARK):
            return self._request(text, msg[len(MARK):], line_no)
        time, epoch = parse_time(text, self.clock)
        m = _PIKE.search(msg)
        if m:
            return [Record(time=time, file=self.file, line=line_no, format=FORMAT, kind=Kind.PROBE,
                           source_ip=normal_ip(m.group("ip")), epoch=epoch, detail="pike blocked the source",
                           tags=("flood",), raw=(text,))]
        m = _PIKE_ALERT.match(msg)
        if m:
            # `pike blocking $rm from $fu (IP:$si:$sp)`: $fu is the sender's; the socket address is the last part
            body = msg.rstrip()
            at = body.rfind(" (IP:")
            if at < m.start("from") or not body.endswith(")"):
                return None
            ip, port = split_hostport(body[at + 5:-1])
            frm = parse_name_addr(body[m.start("from"):at])
            return [Record(time=time, file=self.file, line=line_no, format=FORMAT, kind=Kind.PROBE, source_ip=ip,
                           source_port=port, caller_id=frm.user, from_host=frm.host, method=m.group("method"),
                           epoch=epoch, detail="pike blocked the source", tags=("flood",), raw=(text,))]
        return None

    def _request(self, text: str, body: str, line_no: int) -> list[Record] | None:
        pairs: dict[str, str] = {}
        for m in _PAIR.finditer(body):  # the first of each key: the proxy's own fields stand first
            pairs.setdefault(m.group("key"), m.group("q") if m.group("q") is not None else m.group("bare"))
        value = _pct_value if pairs.get("enc") == "param" else _value
        method = (pairs.get("method") or "").upper()
        ip = normal_ip(pairs.get("src_ip"))
        if not method or ip is None:
            return None
        if method not in ("INVITE", "REGISTER", "OPTIONS") or (method == "INVITE" and value(pairs.get("totag"))):
            return []
        ts = pairs.get("ts")
        time, epoch = parse_time(ts, self.clock) if ts else parse_time(text, self.clock)
        port = pairs.get("src_port", "")
        ruri = parse_name_addr(value(pairs.get("ruri")))
        authed = bool(value(pairs.get("auth")))
        result = pairs.get("result") or ""
        tags = _RESULT_TAGS.get(result, ())
        if method == "INVITE" and result == "challenge":
            # a known account's first INVITE is asked for its password; the call is the retry that follows
            kind, outcome = Kind.PROBE, None
        elif method == "INVITE":
            kind = Kind.CALL
            outcome = Outcome.REJECTED if result in ("unknown_user", "auth_failed") else Outcome.UNKNOWN
        elif result == "auth_failed":
            kind, outcome = Kind.AUTH_FAILURE, None
        elif method == "REGISTER" and (authed or result == "accepted") and result != "unknown_user":
            kind, outcome = (Kind.REGISTRATION if result == "accepted" else Kind.OTHER), None
        else:
            kind, outcome = Kind.PROBE, None
        return [Record(
            time=time, file=self.file, line=line_no, format=FORMAT, kind=kind, source_ip=ip,
            source_port=port_number(port),
            caller_id=value(pairs.get("from_user")), caller_name=value(pairs.get("from_name")),
            extension=value(pairs.get("to_user")) or ruri.user, user_agent=value(pairs.get("ua")),
            call_id=value(pairs.get("callid")), outcome=outcome, epoch=epoch,
            method=method, from_host=value(pairs.get("from_host")), ruri_host=ruri.host, raw=(text,),
            refs=(f"sip:{callid}",) if (callid := value(pairs.get("callid"))) else (),
            tags=tags, challenge=result == "challenge", detail=f"{method} request" + (f", {result}" if result else ""),
        )]
