"""Asterisk `messages` / `full` / `security` files, in every prefix style Asterisk 11-22 writes.

Prefixes: `[DATE] LEVEL[LWP][C-id] file.c: msg` (default), `[DATE] LEVEL[LWP]: file.c:123 func: msg` ([plain] and
console), `Mmm dd hh:mm:ss host asterisk[pid]: LEVEL[LWP]: file.c:123 in func: msg` (syslog), with or without call
ids, `%b %e %T` or ISO dates, and ANSI colours (raw or escaped as `#033[..m`). The messages are matched wherever
they stand in the line, so an unknown prefix does not blind the detectors. Security-log lines and SIP traces that
share the file are handed to their own modules (`asterisk_security`, `asterisk_sip_trace`).
"""

from __future__ import annotations

import re
from collections import OrderedDict

from ..events import FIELDS, Kind, Outcome, Record, make_record
from ..join import ENRICH_ONLY
from ..netaddr import is_ip_literal, normal_ip, split_hostport
from ..sipuri import parse_name_addr
from ..text import decode_line
from ..timeparse import parse_time
from . import asterisk_security, asterisk_sip_trace
from .base import PENDING, Deferred, Parser

_RECORD_ORDER = ("time", "file", "line", "format", "kind", "source_ip", "source_port", "caller_id", "caller_name",
                 "extension", "user_agent", "call_id", "outcome", "epoch", "detail", "method", "from_host",
                 "ruri_host", "context", "channel", "anonymous", "external", "challenge", "billsec", "duration",
                 "tags", "raw", "refs")
if FIELDS != _RECORD_ORDER:  # `_record` builds records positionally
    raise ImportError("Record's fields changed: update AsteriskParser._record")

FORMAT = "asterisk"
SEEN_CHANNELS = 4096
"""Calls remembered so that their later dialplan steps are not reported again: far more than run at once."""

_BRACKET_DATE = re.compile(r"\[(\d{4}-\d\d-\d\d[ T][\d:.,]+|[A-Z][a-z]{2} [ \d]?\d [\d:]{8}(?:[.,]\d+)?)\]")
_CALLID = re.compile(r"\[(C-[0-9a-f]{8})\]")
_VERBOSE = re.compile(r"^(?:\[[^\]]+\])?\s+(?:--|==) ")
_LEVEL = re.compile(r"(?:^|[\]:] ?)(?:VERBOSE|NOTICE|WARNING|ERROR|SECURITY|DEBUG|DTMF)\[\d+\]")

_REG_FAIL = re.compile(r"Registration from '(?P<to>.*)' failed for '(?P<addr>[^']*)' - (?P<why>.+?)\s*$")
_CALL_FROM = re.compile(r"Call from '(?P<user>.*?)' (?:\((?P<addr>[^)]*)\) )?to extension '(?P<exten>.*)' rejected "
                        r"because extension not found(?: in context '(?P<ctx>[^']*)')?")
_CALL_NEW = re.compile(r"(?P<name>\S+): Call \((?P<addr>[^)]*)\) to extension '(?P<exten>.*)' rejected because "
                       r"extension not found in context '(?P<ctx>[^']*)'")
_REQ_FAIL = re.compile(r"Request (?:'(?P<method>[^']*)' )?from '(?P<from>.*)' failed for '(?P<addr>[^']*)' "
                       r"\(callid: (?P<callid>.*?)\) - (?P<why>.+?)(?: after \d+ tries in [\d.]+ ms)?\s*$")
_AUTH_AS = re.compile(r"(?:Host )?(?P<addr>[0-9A-Fa-f:.\[\]]+) failed to authenticate as '?(?P<user>.*?)'?\s*$")
_NONEXISTENT = re.compile(r"(?P<addr>[0-9A-Fa-f:.\[\]]+) tried to authenticate with nonexistent user '(?P<user>.*)'")
_REJECT_UNKNOWN = re.compile(r"Rejecting unknown SIP connection from (?P<addr>[^\s,]+?)\.?\s*$")
_HACKING = re.compile(r"hacking attempt detected '(?P<addr>[^']*)'")
_NO_REG_PEER = re.compile(r"No registration for peer '(?P<user>.*)' \(from (?P<addr>[^)]*)\)")
_REGISTERED = re.compile(r"Registered SIP '(?P<user>[^']*)' at (?P<addr>\S+)")
_ADDED_CONTACT = re.compile(r"Added contact '(?P<uri>[^']*)' to AOR '(?P<aor>[^']*)'")
_EXECUTING = re.compile(r"Executing \[(?P<exten>[^@\]]*)@(?P<ctx>[^:\]]+):(?P<prio>\d+)\] "
                        r"(?P<app>\w+)\(\"(?P<chan>[^\"]*)\"")

_REG_REASONS = {
    "Wrong password": (Kind.AUTH_FAILURE, "auth_failure"),
    "Username/auth name mismatch": (Kind.AUTH_FAILURE, "auth_failure"),
    "No matching peer found": (Kind.PROBE, "no_matching_endpoint"),
    "Not a local domain": (Kind.PROBE, "no_matching_endpoint"),
    "Peer is not supposed to register": (Kind.PROBE, "no_matching_endpoint"),
    "Device does not match ACL": (Kind.PROBE, "acl_reject"),
    "ACL error (permit/deny)": (Kind.PROBE, "acl_reject"),
}
_REQ_REASONS = {
    "No matching endpoint found": (Kind.PROBE, "no_matching_endpoint"),
    "Failed to authenticate": (Kind.AUTH_FAILURE, "auth_failure"),
    "Error to authenticate": (Kind.AUTH_FAILURE, "auth_failure"),
    "Not match Endpoint ACL": (Kind.PROBE, "acl_reject"),
    "Not match Endpoint Contact ACL": (Kind.PROBE, "acl_reject"),
}

# Few, shared literals: each is one pass of bytes.find over the buffer. "' failed for '" covers chan_sip
# registrations and res_pjsip requests; "' rejected because..." every call-rejected wording; " to authenticate "
# AMI and IAX2; "<--- " both SIP trace markers.
_MESSAGE_KEYWORDS = (
    b"' failed for '", b"' rejected because extension not found", b" to authenticate ",
    b"Rejecting unknown SIP connection", b"hacking attempt detected", b"No registration for peer", b"Registered SIP '",
    b"Added contact '", b"<--- ", b"Nobody picked up in ",
)


class AsteriskParser(Parser):
    format = FORMAT

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        contexts = b"|".join(re.escape(c.encode()) for c in self.signatures.inbound_contexts)
        self.keywords = (*_MESSAGE_KEYWORDS, asterisk_security.KEYWORD, b'("PJSIP/anonymous-')
        self.hit_patterns = (re.compile(rb"@(?:" + contexts + rb"):\d"),) if contexts else ()
        self._inbound = frozenset(self.signatures.inbound_contexts)
        self._deferrable = 0
        self._entered_texts: dict[str, str] = {}
        self._seen_channels: OrderedDict[str, None] = OrderedDict()
        self._seen_raw: OrderedDict[bytes, None] = OrderedDict()  # the same channels as the log's bytes
        self._raw_chan: bytes | None = None
        self._call_ids: OrderedDict[bytes, None] = OrderedDict()  # `C-…` of the calls reported, as the log's bytes
        self._last_stamp: str | None = None
        self._last_time: tuple[str | None, float | None] = (None, None)
        self._minute_key: str | None = None
        self._minute_base: tuple[str | None, float | None] = (None, None)

    @classmethod
    def sniff(cls, lines: list[str], name: str) -> int:
        if not lines:
            return 0
        prefixed = sum(1 for line in lines if _LEVEL.search(line[:200]) and not line.startswith(("|", "#", "`")))
        verbose = sum(1 for line in lines if _VERBOSE.match(line))
        score = 0
        if prefixed * 3 >= len(lines):
            score = 90
        elif any(asterisk_sip_trace.START.search(line) for line in lines):
            score = 70
        elif (prefixed + verbose) * 2 >= len(lines):
            score = 45
        if score and any(part in name for part in ("messages", "full", "security", "asterisk", "fail2ban")):
            score += 5
        return score

    # -- dispatch ---------------------------------------------------------------------------------------------
    def handle(self, buf: bytes, start: int, end: int, line_no: int, final: bool):
        line = buf[start:end]
        raw_chan = None
        if b"Executing [" in line:  # most dialplan lines are later steps of a call already reported: skip early
            q = line.find(b'("')
            if q >= 0:
                raw_chan = line[q + 2:line.find(b'"', q + 2)]
                if raw_chan in self._seen_raw:
                    return [], end + 1
        self._raw_chan = raw_chan  # for _executing, which remembers the channel in both forms
        if b"Nobody picked up in " in line:
            at = line.find(b"[C-", 0, 200)  # only a call already reported can have rung: skip the rest in bytes
            if at < 0 or line[at + 1:at + 11] not in self._call_ids:
                return [], end + 1
        text = decode_line(line)
        if "<--- " in text:
            if asterisk_sip_trace.START.search(text):
                return self._trace_block(buf, start, end, line_no, final, text)
            if "<--- Transmitting" in text or "<--- Received SIP response" in text or "<--- SIP read" not in text:
                return [], end + 1  # what the PBX sends, or responses: nothing about the caller
        if self.defer and raw_chan is None and "Executing [" not in text:
            # Only the dialplan (channels already reported) depends on what came before; every other message is
            # parse_line's alone, wherever it runs.
            self._deferrable += 1
            if self._deferrable & 7 < self.defer:
                return Deferred(text), end + 1
        return self.parse_line(text, line_no), end + 1

    def _time(self, text: str) -> tuple[str | None, float | None]:
        if text[:1] == "[" and text[20:21] == "]" and text[5:6] == "-" and text[17:18] == ":":
            stamp = text[1:20]  # the default prefix `[2026-11-26 10:00:00]`: no regex needed
            if stamp != self._last_stamp:
                self._last_stamp, self._last_time = stamp, self._minute_time(stamp)
            return self._last_time
        m = _BRACKET_DATE.search(text, 0, 160)
        if m:
            stamp = m.group(1)
            if stamp != self._last_stamp:  # a busy log writes many lines per second
                self._last_stamp, self._last_time = stamp, self._minute_time(stamp)
            return self._last_time
        return parse_time(text, self.clock)

    def _minute_time(self, stamp: str) -> tuple[str | None, float | None]:
        """parse_time with the minute cached: lines of one minute differ only in their last two digits."""
        if len(stamp) > 3 and stamp[-3] == ":" and stamp[-2:].isascii() and stamp[-2:].isdigit():
            key = stamp[:-3]
            if key != self._minute_key:
                self._minute_key = key
                self._minute_base = parse_time(key + ":00", self.clock)
            iso, epoch = self._minute_base
            if iso is not None and epoch is not None:
                return iso[:-2] + stamp[-2:], epoch + int(stamp[-2:])
            return iso, epoch
        return parse_time(stamp, self.clock)

    def parse_line(self, text: str, line_no: int) -> list[Record] | None:
        if 'SecurityEvent="' in text:
            time, epoch = self._time(text)
            return asterisk_security.parse(text, self.file, line_no, time, epoch, text)
        # Pick the one rule a line can match by a literal it must contain; regexes run only where they can match.
        if "Executing [" in text:
            return self._executing(text, line_no)
        if "Registration from '" in text:
            recs = self._registration_failed(text, line_no)
            if recs is not None:
                return recs
        if "' failed for '" in text:
            recs = self._request_failed(text, line_no)
            if recs is not None:
                return recs
        if "rejected because extension not found" in text:
            return self._call_rejected(text, line_no)
        if "Registered SIP '" in text or "Added contact '" in text:
            return self._registered(text, line_no)
        if "authenticate" in text:
            recs = self._ami_iax(text, line_no)
            if recs is not None:
                return recs
        if "Nobody picked up in " in text:
            return self._ringing(text, line_no)
        return self._misc(text, line_no)

    def _record(self, text: str, line_no: int, kind: Kind, source_ip: str | None = None,
                source_port: int | None = None, caller_id: str | None = None, caller_name: str | None = None,
                extension: str | None = None, call_id: str | None | bool = False, outcome: Outcome | None = None,
                detail: str | None = None, method: str | None = None, from_host: str | None = None,
                context: str | None = None, channel: str | None = None, anonymous: bool = False,
                external: bool | None = None, tags: tuple[str, ...] = ()) -> Record:
        """A record of this line (the hot path: built positionally, see `_RECORD_ORDER`); `call_id=False`: from
        the line's `[C-xxxxxxxx]`."""
        time, epoch = self._time(text)
        if call_id is False:
            at = text.find("[C-", 0, 200)
            m = (_CALLID.match(text, at) or _CALLID.search(text, at, 200)) if at >= 0 else None
            call_id = m.group(1) if m else None
        return make_record((time, self.file, line_no, FORMAT, kind, source_ip, source_port, caller_id, caller_name,
                            extension, None, call_id, outcome, epoch, detail, method, from_host, None, context,
                            channel, anonymous, external, False, None, None, tags, (text,), ()))

    # -- individual messages ----------------------------------------------------------------------------------
    def _registration_failed(self, text: str, line_no: int) -> list[Record] | None:
        m = _REG_FAIL.search(text)
        if not m:
            return None
        why = m.group("why")
        kind, tag = _REG_REASONS.get(why, (Kind.OTHER, None))
        ip, port = split_hostport(m.group("addr"))
        to = parse_name_addr(m.group("to"))
        return [self._record(text, line_no, kind, source_ip=ip, source_port=port, extension=to.user,
                             caller_name=to.display, detail=why, method="REGISTER", from_host=to.host,
                             tags=(tag,) if tag else ())]

    def _request_failed(self, text: str, line_no: int) -> list[Record] | None:
        m = _REQ_FAIL.search(text)
        if not m:
            return None
        method = (m.group("method") or "").upper() or None
        callid = m.group("callid") or None  # the request's SIP trace block, if any, joins it (core/join.py)
        why = m.group("why")
        kind, tag = _REQ_REASONS.get(why, (Kind.OTHER, None))
        ip, port = split_hostport(m.group("addr"), port_always=True)
        frm = parse_name_addr(m.group("from"))
        common = dict(source_ip=ip, source_port=port, call_id=callid, detail=why, method=method,
                      from_host=frm.host, tags=(tag,) if tag else ())
        if method == "INVITE":
            return [self._record(text, line_no, Kind.CALL, caller_id=frm.user, caller_name=frm.display,
                                 outcome=Outcome.REJECTED, **common)]
        return [self._record(text, line_no, kind, extension=frm.user, caller_name=frm.display, **common)]

    def _call_rejected(self, text: str, line_no: int) -> list[Record] | None:
        m = _match_at_token(_CALL_NEW, text, text.find(": Call ("))
        if m:
            name = m.group("name")
            ip, port = split_hostport(m.group("addr"), port_always=True)
            anonymous = name == "anonymous" or name.startswith("PJSIP/anonymous-")
            user = None
        else:
            m = _CALL_FROM.search(text)
            if not m:
                return None
            user = m.group("user")
            addr = m.group("addr") or ""
            ip, port = split_hostport(addr, port_always=addr.count(":") > 2)
            # chan_sip prints '' for a guest; the 13.x res_pjsip wording prints the endpoint id instead.
            anonymous = user in ("", "anonymous")
            name = user
        ctx = m.group("ctx")
        if ctx in self.signatures.guest_contexts:
            anonymous = anonymous or not name
        return [self._record(text, line_no, Kind.CALL, source_ip=ip, source_port=port, extension=m.group("exten"),
                             outcome=Outcome.REJECTED, context=ctx, anonymous=anonymous, method="INVITE",
                             detail="extension not found", tags=("unknown_extension",))]

    def _executing(self, text: str, line_no: int) -> list[Record] | None:
        q = text.find('("')
        if q > 0 and text[q + 2:text.find('"', q + 2)] in self._seen_channels:
            return []  # a later dialplan step of a call already reported
        m = _EXECUTING.search(text)
        if not m:
            return None
        chan = m.group("chan")
        ctx = m.group("ctx")
        anonymous_chan = chan.startswith("PJSIP/anonymous-")
        peer = _channel_peer(chan) if chan.startswith("SIP/") else None
        ip_named = peer is not None and is_ip_literal(peer)
        if not (anonymous_chan or ip_named or ctx in self._inbound):
            return []
        if chan in self._seen_channels:
            return []
        self._seen_channels[chan] = None
        if len(self._seen_channels) > SEEN_CHANNELS:
            self._seen_channels.popitem(last=False)
        rec = self._record(text, line_no, Kind.CALL, extension=m.group("exten"), context=ctx, channel=chan,
                           outcome=Outcome.UNKNOWN, anonymous=anonymous_chan or ip_named, external=True,
                           from_host=peer if ip_named else None, method="INVITE", detail=self._entered(ctx))
        if rec.call_id:  # its "Nobody picked up" line is worth reading
            self._call_ids[rec.call_id.encode()] = None
            if len(self._call_ids) > SEEN_CHANNELS:
                self._call_ids.popitem(last=False)
        raw_chan, self._raw_chan = self._raw_chan, None
        if raw_chan:
            self._seen_raw[raw_chan] = None
            if len(self._seen_raw) > SEEN_CHANNELS:
                self._seen_raw.popitem(last=False)
        return [rec]

    def _entered(self, ctx: str) -> str:
        detail = self._entered_texts.get(ctx)
        if detail is None:
            if len(self._entered_texts) >= 1024:
                self._entered_texts.clear()
            detail = self._entered_texts[ctx] = f"call entered the dialplan in context '{ctx}'"
        return detail

    def _registered(self, text: str, line_no: int) -> list[Record] | None:
        m = _REGISTERED.search(text)
        if m:
            ip, port = split_hostport(m.group("addr"))
            return [self._record(text, line_no, Kind.REGISTRATION, source_ip=ip, source_port=port,
                                 extension=m.group("user"), detail="registered", method="REGISTER")]
        m = _ADDED_CONTACT.search(text)
        if m:
            contact = parse_name_addr(m.group("uri"))
            ip = normal_ip(contact.host)
            return [self._record(text, line_no, Kind.REGISTRATION, source_ip=ip, extension=m.group("aor"),
                                 detail="contact added", method="REGISTER")]
        return None

    def _ami_iax(self, text: str, line_no: int) -> list[Record] | None:
        service = "AMI" if "manager" in text[:200] else "IAX2" if "iax" in text[:200].lower() else None
        m = _match_at_token(_AUTH_AS, text, text.find(" failed to authenticate as"))
        if m:
            ip, port = split_hostport(m.group("addr"))
            if ip:
                label = f"{service} login failed" if service else "login failed"
                return [self._record(text, line_no, Kind.AUTH_FAILURE, source_ip=ip, source_port=port,
                                     extension=m.group("user"), detail=label, tags=("auth_failure",))]
        m = _NONEXISTENT.search(text)
        if m:
            ip, port = split_hostport(m.group("addr"))
            if ip:
                return [self._record(text, line_no, Kind.PROBE, source_ip=ip, source_port=port,
                                     extension=m.group("user"), detail=f"{service or 'AMI'} login for unknown user",
                                     tags=("no_matching_endpoint",))]
        return None

    def _ringing(self, text: str, line_no: int) -> list[Record] | None:
        """app_dial's "Nobody picked up in 20000 ms": a call already seen rang a phone and nobody answered. Only the
        line's `[C-…]` call id (written by Asterisk) ties it to its call; alone it says nothing. ("… is ringing",
        written for every call the office makes too, is left unread: a keyword hit on most calls of a busy log.)"""
        verbose = _LEVEL.search(text[:200])
        if verbose is None or "app_dial.c" not in text[:verbose.end() + 40]:
            return []
        rec = self._record(text, line_no, Kind.CALL, outcome=Outcome.RANG, detail="a phone rang",
                           tags=(ENRICH_ONLY,))
        return [rec] if rec.call_id else []

    def _misc(self, text: str, line_no: int) -> list[Record] | None:
        for regex, detail, tag in ((_REJECT_UNKNOWN, "unknown SIP connection rejected", "untrusted_source"),
                                   (_HACKING, "hacking attempt detected", "hacking_attempt"),
                                   (_NO_REG_PEER, "no registration for peer", "no_matching_endpoint")):
            m = regex.search(text)
            if m:
                ip, port = split_hostport(m.group("addr"))
                user = m.groupdict().get("user")
                return [self._record(text, line_no, Kind.PROBE, source_ip=ip, source_port=port, extension=user,
                                     detail=detail, tags=(tag,))]
        return None

    # -- SIP trace blocks -------------------------------------------------------------------------------------
    def _trace_block(self, buf: bytes, start: int, end: int, line_no: int, final: bool, text: str):
        body: list[str] = []
        pos = end + 1
        closed = False
        while pos < len(buf) and len(body) < asterisk_sip_trace.MAX_BLOCK_LINES:
            nl = buf.find(b"\n", pos)
            line_end = nl if nl >= 0 else len(buf)
            line = decode_line(buf[pos:line_end])
            pos = line_end + 1
            if asterisk_sip_trace.is_end(line):
                closed = True
                break
            body.append(line)
        if not closed and pos >= len(buf) and not final and len(body) < asterisk_sip_trace.MAX_BLOCK_LINES:
            return None, PENDING
        time, epoch = self._time(text)
        if time is None and start > 0:  # chan_sip: the dated line before the marker holds the time
            prev_start = buf.rfind(b"\n", 0, start - 1) + 1
            time, epoch = self._time(decode_line(buf[prev_start:start]))
        recs = asterisk_sip_trace.parse_block(text, body, self.file, line_no, time, epoch)
        return recs, min(pos, len(buf))


def _match_at_token(regex: re.Pattern[str], text: str, at: int) -> re.Match[str] | None:
    """`regex.search(text)` for a regex that starts with a word standing before the literal found at `at`.

    Searching such a regex tries every position of the line; matching from the start of the word before the
    literal finds the same match at a fraction of the cost (the full search remains the fallback).
    """
    if at < 0:
        return None
    return regex.match(text, text.rfind(" ", 0, at) + 1) or regex.search(text)


def _channel_peer(channel: str) -> str | None:
    """`SIP/1.1.1.1-0000002a` -> '1.1.1.1'; `PJSIP/trunk-00000001` -> 'trunk'."""
    tech, _, rest = channel.partition("/")
    if not rest:
        return None
    name, _, _ = rest.rpartition("-")
    return name or None
