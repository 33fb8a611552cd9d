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
from functools import lru_cache

from ..events import FIELDS, Kind, Outcome, Record, make_record
from ..join import ENRICH_ONLY
from ..netaddr import is_ip_literal, normal_ip, split_hostport
from ..sipuri import parse_name_addr
from ..text import decode_line
from ..timeparse import parse_time
from . import asterisk_security, asterisk_sip_trace
from .base import FOLD_BYTES, PENDING, Deferred, Parser
from .fixed import CUT_MARK, LONG_LINE, SYSLOG_HEAD, TRUNCATED, decode_long, first_addr_between

_RECORD_ORDER = ("time", "file", "line", "format", "kind", "source_ip", "source_port", "caller_id", "caller_name",
                 "extension", "user_agent", "call_id", "outcome", "epoch", "detail", "method", "from_host",
                 "ruri_host", "context", "channel", "anonymous", "external", "challenge", "billsec", "duration",
                 "tags", "raw", "refs")
if FIELDS != _RECORD_ORDER:  # `_record` builds records positionally
    raise ImportError("Record's fields changed: update AsteriskParser._record")

FORMAT = "asterisk"
SNIFF_LINES = 40
SEEN_CHANNELS = 4096
"""Calls remembered so that their later dialplan steps are not reported again: far more than run at once.

The seen-channel tables are parser state, not caches (no `core/memo.py`): forgetting an entry changes what is
reported (a call's later step would be reported again), so each forgets its oldest first, in arrival order."""

_BRACKET_DATE = re.compile(r"\[(\d{4}-\d\d-\d\d[ T][\d:.,]+|[A-Z][a-z]{2} [ \d]?\d [\d:]{8}(?:[.,]\d+)?)\]")
_VERBOSE = re.compile(r"^(?:\[[^\]]+\])?\s+(?:--|==) ")
_LEVEL = re.compile(r"(?:^|[\]:] ?)(?:VERBOSE|NOTICE|WARNING|ERROR|SECURITY|DEBUG|DTMF)\[\d+\]")

# The fixed prefix of a line, which the logger writes before any message text: an optional syslog header, an
# optional `[date]`, then `LEVEL[LWP][C-id]` and the source: `file.c:` (default), `file.c:NNN func:` ([plain],
# console), `file.c:NNN in func:` (syslog), or `Ext. exten:` (the dialplan's Log() application). Only what
# follows it is the message; nothing the message contains can be taken for a prefix, since it comes later.
_PREFIX = re.compile(
    "(?:" + SYSLOG_HEAD + ")?"
    r"(?:\[(?P<date>[^\]\[]{6,40})\] ?)?"
    r"(?:(?P<level>VERBOSE|NOTICE|WARNING|ERROR|SECURITY|DEBUG|DTMF) ?\[\d+\](?:\[(?P<cid>C-[0-9a-f]{8})\])?:? "
    r"(?:(?P<file>[\w/.-]+\.c)(?::\d+(?: in)? \w+)?|Ext\. (?P<ext>\S+?)(?::\d+ \S+)?): ?"
    r"|(?<=\])(?=\s+(?:--|==) ))"
)

# The default and [plain] prefixes after a `[date]`, the bulk of every file: the same groups as _PREFIX, faster.
_FAST_PREFIX = re.compile(
    r"\[(?P<date>[^\]\[]{6,40})\] (?P<level>VERBOSE|NOTICE|WARNING|ERROR|SECURITY|DEBUG|DTMF)\[\d+\]"
    r"(?:\[(?P<cid>C-[0-9a-f]{8})\])?:? (?P<file>[\w/.-]+\.c)(?::\d+(?: in)? \w+)?: ?(?P<ext>(?!))?")

_CALL_NEW = re.compile(r"(?P<name>\S+): Call \((?P<addr>[^)\s]*)\) to extension '")
_CALL_TAIL = "' rejected because extension not found"
_REQ_TAIL = re.compile(r" after \d+ tries in [\d.]+ ms$")
_AUTH_AS = re.compile(r"(?:Host )?(?P<addr>[0-9A-Fa-f:.\[\]]+) failed to authenticate as "
                      r"(?:'(?P<user>.*)'|(?P<bare>[^'\s]*))\s*$")
_NONEXISTENT = re.compile(r"(?P<addr>[0-9A-Fa-f:.\[\]]+) tried to authenticate with nonexistent user '(?P<user>.*)'")
_MD5 = re.compile(r"Host (?P<addr>[0-9A-Fa-f:.\[\]]+) failed MD5 authentication for '(?P<user>.*)' \(")
_CONNECT = re.compile(r"Connect attempt from '(?P<addr>[0-9A-Fa-f:.\[\]]+)' unable to authenticate")
_REJECT_UNKNOWN = re.compile(r"\"?Rejecting unknown SIP connection from (?P<addr>[0-9A-Fa-f:.\[\]]+?)\.?\"?\s*$")
_HACKING = re.compile(r"hacking attempt detected '(?P<addr>[^']*)'")
_NO_REG_PEER = re.compile(r"No registration for peer '(?P<user>.*)' \(from (?P<addr>[^)\s]*)\)\s*$")
_REGISTERED = re.compile(r"Registered SIP '(?P<user>[^']*)' at (?P<addr>\S+)")
_ADDED_CONTACT = re.compile(r"Added contact '(?P<uri>[^']*)' to AOR '(?P<aor>[^']*)'")
_EXECUTING = re.compile(r"Executing \[(?P<exten>.*?)@(?P<ctx>[^@:\]\s]+):(?P<prio>\d+)\] "
                        r"(?P<app>\w+)\(\"(?P<chan>[^\"]*)\"")

_REG_REASONS = {
    "Wrong password": (Kind.AUTH_FAILURE, "auth_failure"),
    "Username/auth name mismatch": (Kind.AUTH_FAILURE, "auth_failure"),
    "No matching peer found": (Kind.PROBE, "no_matching_endpoint"),
    "Not a local domain": (Kind.PROBE, "no_matching_endpoint"),
    "Peer is not supposed to register": (Kind.PROBE, "no_matching_endpoint"),
    "Device does not match ACL": (Kind.PROBE, "acl_reject"),
    "ACL error (permit/deny)": (Kind.PROBE, "acl_reject"),
    "Device not configured to use this transport type": (Kind.OTHER, None),
    "RTP initialization failed": (Kind.OTHER, None),
    "Unknown failure": (Kind.OTHER, None),
}
_REQ_REASONS = {
    "No matching endpoint found": (Kind.PROBE, "no_matching_endpoint"),
    "Failed to authenticate": (Kind.AUTH_FAILURE, "auth_failure"),
    "Error to authenticate": (Kind.AUTH_FAILURE, "auth_failure"),
    "Not match Endpoint ACL": (Kind.PROBE, "acl_reject"),
    "Not match Endpoint Contact ACL": (Kind.PROBE, "acl_reject"),
}

# Few, shared literals: each is one pass of bytes.find over the buffer. "' failed for '" covers chan_sip
# registrations and res_pjsip requests; "' rejected because..." every call-rejected wording; " authenticat" AMI
# and IAX2; "<--- " every SIP trace marker.
_ANCHORS = (b"' failed for '", b"' (callid: ", b"' rejected because extension not found", b"RemoteAddress=")
_MESSAGE_KEYWORDS = (
    b"' failed for '", b"' rejected because extension not found", b" authenticat",
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
        self._seen_channels: OrderedDict[str, None] = OrderedDict()
        self._seen_raw: OrderedDict[bytes, None] = OrderedDict()  # the same channels as the log's bytes
        self._raw_chan: bytes | None = None
        self._call_ids: OrderedDict[bytes, None] = OrderedDict()  # `C-…` of the calls reported, as the log's bytes
        self._last_stamp: str | None = None
        self._prefix_end = 160
        self._cid: str | None = None
        self._last_time: tuple[str | None, float | None] = (None, None)
        self._minute_key: str | None = None
        self._minute_base: tuple[str | None, float | None] = (None, None)

    @classmethod
    def sniff(cls, lines: list[str], name: str) -> int:
        if not lines:
            return 0
        start = lines[:SNIFF_LINES]
        prefixed = sum(1 for line in start if _LEVEL.search(line[:200]) and not line.startswith(("|", "#", "`")))
        verbose = sum(1 for line in start if _VERBOSE.match(line))
        score = 0
        if prefixed * 3 >= len(start):
            score = 90
        elif any("<--- " in line and asterisk_sip_trace.marker(line) for line in lines):
            score = 70  # a console capture of SIP traffic, wherever its first marker stands (even a transmitted one)
        elif (prefixed + verbose) * 2 >= len(start):
            score = 45
        else:
            deep = sum(1 for line in lines if _PREFIX.match(line) and _LEVEL.search(line[:200]))
            if deep >= 3:
                score = 60  # real log lines after some other text (shell output, a pasted command)
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
        text = decode_line(line) if len(line) <= LONG_LINE else decode_long(line, _ANCHORS)
        if "<--- " in text:
            marker = asterisk_sip_trace.marker(text)
            if marker is not None:
                return self._trace_block(buf, start, end, line_no, final, text, marker)
        if (self.defer and raw_chan is None and "Executing [" not in text
                and text[:1] not in " \t" and (end + 1 >= len(buf) or buf[end + 1] not in FOLD_BYTES)):
            # Only the dialplan (channels already reported) and lines a folded header split depend on the lines
            # around them; every other message is parse_line's alone, wherever it runs.
            self._deferrable += 1
            if self._deferrable & 7 < self.defer:
                return Deferred(text), end + 1
        if end + 1 < len(buf) and buf[end + 1] in FOLD_BYTES and _PREFIX.match(text) is not None:
            return self.parse_folded(text, buf, end, line_no, final)
        recs = self.parse_line(text, line_no)
        if recs is None:
            if _PREFIX.match(text) is not None:
                return self.retry_joined(text, buf, end, line_no, final)
            return self.join_back(text, buf, start, end, line_no, final)
        return recs, end + 1

    prefixed = True

    def has_prefix(self, text: str) -> bool:
        return _PREFIX.match(text) is not None

    def _time(self, text: str, upto: int = 160) -> tuple[str | None, float | None]:
        if text[:1] == "[" and text[20:21] == "]" and text[5:6] == "-" and text[17:18] == ":":
            stamp = text[1:20]  # the default prefix `[2026-11-26 10:00:00]`: no regex needed
            if stamp != self._last_stamp:
                self._last_stamp, self._last_time = stamp, self._minute_time(stamp)
            return self._last_time
        m = _BRACKET_DATE.search(text, 0, upto)  # only in the prefix: a date in the message is anybody's
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
        """Records from one line, by the kind of line its fixed prefix says it is (see `_PREFIX`)."""
        p = _FAST_PREFIX.match(text) if text[:1] == "[" else None
        if p is None:
            p = _PREFIX.match(text)
            if p is None:
                return None  # no logger prefix: nothing on this line can be told from an attacker's text
        self._prefix_end = at = p.end()
        _date, level, self._cid, source, ext = p.groups()
        if source == "app_dial.c":
            if text.startswith("Nobody picked up in ", at) or "Nobody picked up in " in text[at:at + 30]:
                return self._ringing(text, text[at:].lstrip(" -"), line_no)
            return []
        if text[at:at + 1] == " ":
            seg = text[at:at + 16]
            at += len(seg) - len(seg.lstrip(" "))
        if text[at:at + 3] in ("-- ", "== "):
            at += 3
        msg = text[at:]
        if msg[:15] == 'SecurityEvent="':
            if (source or "").endswith("res_security_log.c") or level == "SECURITY":
                tv = msg.find('",EventTV="', 15, 80)
                if tv > 0:  # a full date on the line: year-less prefixes near it take its year
                    before = self.clock.neighbour
                    parse_time(msg[tv + 11:tv + 30], self.clock)
                    if self.clock.neighbour != before:
                        self._last_stamp = self._minute_key = None
                time, epoch = self._time(text, p.start("level"))
                return asterisk_security.parse(msg, self.file, line_no, time, epoch, text, self.signatures)
            return None
        # Pick the one rule a line can match by the words its message starts with (compared, not called: this
        # runs for every line the keyword scan hits).
        head = msg[:11]
        if head == "Executing [":
            return self._executing(text, msg, line_no)
        if head == "Registratio":
            return self._registration_failed(text, msg, line_no)
        if head[:8] == "Request ":
            return self._request_failed(text, msg, line_no)
        if head == "Call from '":
            return self._call_rejected_old(text, msg, line_no)
        if head == "Registered " or head == "Added conta":
            return self._registered(text, msg, line_no)
        if "authenticat" in msg[:160]:
            recs = self._ami_iax(text, msg, line_no, source or "")
            if recs is not None:
                return recs
        if _CALL_TAIL in msg and ": Call (" in msg[:200]:
            return self._call_rejected_new(text, msg, line_no)
        recs = self._misc(text, msg, line_no, ext)
        if recs is None and msg.startswith("Nobody picked up in "):
            return []  # another module's words: nothing to join
        return recs

    def _record(self, text: str, line_no: int, kind: Kind, source_ip: str | None = None,
                source_port: int | None = None, caller_id: str | None = None, caller_name: str | None = None,
                extension: str | None = None, call_id: str | None | bool = False, outcome: Outcome | None = None,
                detail: str | None = None, method: str | None = None, from_host: str | None = None,
                context: str | None = None, channel: str | None = None, anonymous: bool = False,
                external: bool | None = None, tags: tuple[str, ...] = (),
                refs: tuple[str, ...] = ()) -> Record:
        """A record of this line (the hot path: built positionally, see `_RECORD_ORDER`); `call_id=False`: from
        the line's `[C-xxxxxxxx]`."""
        time, epoch = self._time(text, self._prefix_end)
        cid = self._cid
        if call_id is False:
            call_id = cid
        if cid:
            refs = (f"ast:{cid}", *refs)
        return make_record((time, self.file, line_no, FORMAT, kind, source_ip, source_port, caller_id, caller_name,
                            extension, None, call_id, outcome, epoch, detail, method, from_host, None, context,
                            channel, anonymous, external, False, None, None, tags, (text,), refs))

    # -- individual messages ----------------------------------------------------------------------------------
    def _registration_failed(self, text: str, msg: str, line_no: int) -> list[Record] | None:
        """chan_sip `Registration from '<To>' failed for '<addr>' - <reason>`: the To header is the attacker's
        and stands first, so the address and reason are read from the end of the line."""
        if not msg.startswith("Registration from '"):
            return None
        body = msg.rstrip()
        k = body.rfind("' - ")
        reason = body[k + 4:] if k >= 0 else None
        if reason not in _REG_REASONS:
            if _cut(body):  # the address and reason stood in the part of a huge line that was cut away
                return [self._record(text, line_no, Kind.PROBE, method="REGISTER",
                                     detail="registration failed (the rest of a huge line was cut away)")]
            return None
        end = k
        at = body.rfind("' failed for '", 0, end)
        if at < 0:
            return None
        ip, port = split_hostport(body[at + 14:end])
        if ip is None:
            return None
        kind, tag = _REG_REASONS[reason]
        to = parse_name_addr(body[19:at])
        return [self._record(text, line_no, kind, source_ip=ip, source_port=port, extension=to.user,
                             caller_name=to.display, detail=reason, method="REGISTER", from_host=to.host,
                             tags=(tag,) if tag else ())]

    def _request_failed(self, text: str, msg: str, line_no: int) -> list[Record] | None:
        """res_pjsip `Request '<M>' from '<From>' failed for '<addr>' (callid: <Call-ID>) - <reason>`.

        From and Call-ID are both the attacker's and may each hold `' failed for '1.2.3.4:5060' (callid: `. The
        reason is matched from the end of the line and the Call-ID ends at it; the address is the one `failed for
        'ADDR' (callid: ` whose ADDR is an address. pjsip prints the From URI with its user part escaped (no
        spaces), so only a quoted display name can hold that text: it is skipped first, and the first candidate
        after it is the PBX's. Where the candidates still disagree, no address is named.
        """
        if msg.startswith("Request '"):
            q = msg.find("' from '", 9)
            if q < 0:
                return None
            method: str | None = msg[9:q].upper() or None
            from_at = q + 8
        elif msg.startswith("Request from '"):
            method, from_at = None, 14
        else:
            return None
        body = msg.rstrip()
        if body.endswith(" ms"):
            body = _REQ_TAIL.sub("", body)
        k = body.rfind(") - ")
        reason = body[k + 4:] if k >= 0 else None
        if reason not in _REQ_REASONS:
            reason = None
            if not _cut(body):
                return None
        end = k if reason else len(body)
        skip = from_at
        if body[from_at:from_at + 1] == '"':  # a quoted display name: its end is an unescaped quote
            i = from_at + 1
            while i < end:
                c = body[i]
                if c == "\\":
                    i += 2
                    continue
                if c == '"':
                    break
                i += 1
            skip = i + 1
        found = first_addr_between(body, "' failed for '", "' (callid: ", skip, end, port_always=True)
        if found is None:
            return None
        pos, ip, port = found
        callid_at = body.find("' (callid: ", pos) + 11
        callid = body[callid_at:end] or None
        if callid and (reason is None or CUT_MARK in callid):
            callid = None
        kind, tag = _REQ_REASONS[reason] if reason else (Kind.PROBE, None)
        frm = parse_name_addr(body[from_at:pos])
        detail = reason or "request failed (the reason was in the part of a huge line that was cut away)"
        refs = (f"sip:{callid}",) if callid else ()
        common = dict(source_ip=ip, source_port=port, call_id=callid, detail=detail, method=method,
                      from_host=frm.host, tags=(tag,) if tag else (), refs=refs)
        if method == "INVITE":
            return [self._record(text, line_no, Kind.CALL, caller_id=frm.user, caller_name=frm.display,
                                 outcome=Outcome.REJECTED, **common)]
        return [self._record(text, line_no, kind, extension=frm.user, caller_name=frm.display, **common)]

    def _call_rejected_new(self, text: str, msg: str, line_no: int) -> list[Record] | None:
        """res_pjsip_session 16.15+: `<name>: Call (<tp>:<addr>) to extension '<exten>' rejected because
        extension not found in context '<ctx>'.`; the name is the channel or endpoint, the address fixed."""
        m = _CALL_NEW.match(msg)
        if not m:
            return None
        name = m.group("name")
        ip, port = split_hostport(m.group("addr"), port_always=True)
        anonymous = name == "anonymous" or name.startswith("PJSIP/anonymous-")
        exten, ctx = _exten_ctx(msg, m.end())
        if exten is None:
            return None
        if ctx in self.signatures.guest_contexts:
            anonymous = anonymous or not name
        refs = (f"chan:{name}",) if "/" in name else ()
        return [self._record(text, line_no, Kind.CALL, source_ip=ip, source_port=port, extension=exten,
                             outcome=Outcome.REJECTED, context=ctx, anonymous=anonymous, method="INVITE",
                             detail="extension not found", tags=("unknown_extension",), refs=refs,
                             channel=name if "/" in name else None)]

    def _call_rejected_old(self, text: str, msg: str, line_no: int) -> list[Record] | None:
        """chan_sip / old res_pjsip: `Call from '<user>' (<addr>) to extension '<exten>' rejected because
        extension not found in context '<ctx>'.` The user is the peer's name ('' for a guest); the dialled
        extension is the attacker's, so the context is read from the end and the extension between."""
        if "' (" in msg:
            user_end = msg.find("' (", 11)
            close = msg.find(") to extension '", user_end)
            if close < 0:
                return None
            addr = msg[user_end + 3:close]
            ip, port = split_hostport(addr, port_always=addr.count(":") > 2)
            ext_at = close + 16
        else:
            user_end = msg.find("' to extension '", 11)
            if user_end < 0:
                return None
            ip = port = None
            ext_at = user_end + 16
        user = msg[11:user_end]
        exten, ctx = _exten_ctx(msg, ext_at)
        if exten is None:
            return None
        # chan_sip prints '' for a guest; the 13.x res_pjsip wording prints the endpoint id instead.
        anonymous = user in ("", "anonymous")
        if ctx in self.signatures.guest_contexts:
            anonymous = anonymous or not user
        return [self._record(text, line_no, Kind.CALL, source_ip=ip, source_port=port, extension=exten,
                             outcome=Outcome.REJECTED, context=ctx, anonymous=anonymous, method="INVITE",
                             detail="extension not found", tags=("unknown_extension",))]

    def _executing(self, text: str, msg: str, line_no: int) -> list[Record] | None:
        q = msg.find('("')
        if q > 0 and msg[q + 2:msg.find('"', q + 2)] in self._seen_channels:
            return []  # a later dialplan step of a call already reported
        m = _EXECUTING.match(msg)
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
                           from_host=peer if ip_named else None, method="INVITE", detail=_entered(ctx),
                           refs=(f"chan:{chan}",))
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

    def _registered(self, text: str, msg: str, line_no: int) -> list[Record] | None:
        m = _REGISTERED.match(msg)
        if m:
            ip, port = split_hostport(m.group("addr"))
            return [self._record(text, line_no, Kind.REGISTRATION, source_ip=ip, source_port=port,
                                 extension=m.group("user"), detail="registered", method="REGISTER")]
        m = _ADDED_CONTACT.match(msg)
        if m:
            contact = parse_name_addr(m.group("uri"))
            ip = normal_ip(contact.host)
            return [self._record(text, line_no, Kind.REGISTRATION, source_ip=ip, extension=m.group("aor"),
                                 detail="contact added", method="REGISTER")]
        return None

    def _ami_iax(self, text: str, msg: str, line_no: int, source: str) -> list[Record] | None:
        """manager.c and chan_iax2.c: the address stands first, the account name (the attacker's) last."""
        service = "AMI" if source.startswith("manager") else "IAX2" if "iax" in source else None
        m = _AUTH_AS.match(msg)
        if m:
            ip, port = split_hostport(m.group("addr"))
            if ip:
                label = f"{service} login failed" if service else "login failed"
                user = m.group("user") if m.group("user") is not None else m.group("bare")
                return [self._record(text, line_no, Kind.AUTH_FAILURE, source_ip=ip, source_port=port,
                                     extension=user or None, detail=label, tags=("auth_failure",))]
        m = _MD5.match(msg)
        if m:
            ip, port = split_hostport(m.group("addr"))
            if ip:
                return [self._record(text, line_no, Kind.AUTH_FAILURE, source_ip=ip, source_port=port,
                                     extension=m.group("user"), detail="IAX2 login failed (MD5 digest wrong)",
                                     tags=("auth_failure",))]
        m = _NONEXISTENT.match(msg)
        if m:
            ip, port = split_hostport(m.group("addr"))
            if ip:
                return [self._record(text, line_no, Kind.AUTH_FAILURE, source_ip=ip, source_port=port,
                                     extension=m.group("user"), detail=f"{service or 'AMI'} login for unknown user",
                                     tags=("auth_failure", "no_matching_endpoint"))]
        if msg.startswith("Client from ") and ", failed to authenticate in " in msg:
            return []  # an AMI session that sent no login in time; its "Connect attempt" line follows
        m = _CONNECT.match(msg)
        if m:
            ip, port = split_hostport(m.group("addr"))
            if ip:
                return [self._record(text, line_no, Kind.AUTH_FAILURE, source_ip=ip, source_port=port,
                                     detail="AMI connection closed without a login", tags=("auth_failure",))]
        return None

    def _ringing(self, text: str, msg: str, line_no: int) -> list[Record] | None:
        """app_dial's "Nobody picked up in 20000 ms": a call already seen rang a phone and nobody answered. Only the
        line's `[C-…]` call id (written by Asterisk) ties it to its call; alone it says nothing. ("… is ringing",
        written for every call the office makes too, is left unread: a keyword hit on most calls of a busy log.)"""
        if not self._cid:
            return []
        return [self._record(text, line_no, Kind.CALL, outcome=Outcome.RANG, detail="a phone rang",
                             tags=(ENRICH_ONLY,))]

    def _misc(self, text: str, msg: str, line_no: int, ext: str | None) -> list[Record] | None:
        m = _REJECT_UNKNOWN.match(msg)
        if m:
            # FreePBX's from-sip-external: Log(WARNING, Rejecting unknown SIP connection from ${CHANNEL(recvip)}):
            # the address the packet came from (the socket), not a header.
            ip, port = split_hostport(m.group("addr"))
            return [self._record(text, line_no, Kind.PROBE, source_ip=ip, source_port=port,
                                 detail="unknown SIP connection rejected (address of the socket, CHANNEL(recvip))",
                                 tags=("untrusted_source",))]
        m = _HACKING.match(msg)
        if m:
            ip, port = split_hostport(m.group("addr"))
            return [self._record(text, line_no, Kind.PROBE, source_ip=ip, source_port=port,
                                 detail="hacking attempt detected", tags=("hacking_attempt",))]
        m = _NO_REG_PEER.match(msg)
        if m:
            ip, port = split_hostport(m.group("addr"))
            return [self._record(text, line_no, Kind.PROBE, source_ip=ip, source_port=port,
                                 extension=m.group("user"), detail="no registration for peer",
                                 tags=("no_matching_endpoint",))]
        return None

    # -- SIP trace blocks -------------------------------------------------------------------------------------
    def _trace_block(self, buf: bytes, start: int, end: int, line_no: int, final: bool, text: str,
                     marker: asterisk_sip_trace.Marker):
        block = asterisk_sip_trace.read_block(buf, end + 1, final, marker)
        if block is None:
            return None, PENDING
        head, body, nxt = block
        if not marker.received:
            return [], nxt  # what the PBX sends: nothing about the caller (its lines are not log lines either)
        time, epoch = self._time(text)
        if time is None and start > 0:  # chan_sip: the dated line before the marker holds the time
            prev_start = buf.rfind(b"\n", 0, start - 1) + 1
            time, epoch = self._time(decode_line(buf[prev_start:start]))
        recs = asterisk_sip_trace.parse_block(text, marker, head, body, self.file, line_no, time, epoch,
                                              self.signatures)
        return recs, nxt  # the request's notice, if any, joins it by its Call-ID (core/join.py)


@lru_cache(maxsize=1024)
def _entered(ctx: str) -> str:
    """The detail of a call entering the dialplan in `ctx` (a few contexts repeat for every call)."""
    return f"call entered the dialplan in context '{ctx}'"


def _cut(body: str) -> bool:
    return CUT_MARK in body or body.endswith(TRUNCATED)


def _exten_ctx(msg: str, ext_at: int) -> tuple[str | None, str | None]:
    """The dialled extension from `ext_at` up to the last `' rejected because extension not found`, and the
    context after it (`in context '<ctx>'.`, absent in Asterisk 1.4). The extension is the attacker's and may
    hold that phrase itself; the genuine one is the last, since only the context (configuration) follows it."""
    body = msg.rstrip()
    tail = body.rfind(_CALL_TAIL)
    if tail < ext_at:
        return None, None
    rest = body[tail + len(_CALL_TAIL):]
    ctx = None
    if rest.startswith(" in context '"):
        ctx = rest[13:].rstrip(".").rstrip("'") or None
    return msg[ext_at:tail], ctx


def _channel_peer(channel: str) -> str | None:
    """`SIP/1.1.1.1-0000002a` -> '1.1.1.1'; `PJSIP/trunk-00000001` -> 'trunk'."""
    tech, _, rest = channel.partition("/")
    if not rest:
        return None
    name, _, _ = rest.rpartition("-")
    return name or None
