"""FreeSWITCH `freeswitch.log` (mod_logfile), with or without the idle-CPU field (1.10.7+) and call UUIDs, also
as syslog/journald write it (`Sep 25 20:55:21 host freeswitch[122921]: 2016-09-25 20:55:21.990982 [WARNING] …`).

    [uuid ]2023-03-06 15:13:32.685002 [96.83% ][WARNING] sofia_reg.c:1787 message

The kind of line is decided by the words its message starts with, after that fixed prefix; the fields the caller
wrote (the user and host in `[user@host]`, a User-Agent, the dialled number, a Call-ID) are taken from between
fixed words, and where a message ends in a fixed part (`… from ip 1.2.3.4`) it is read from the end.
The `SIP auth failure/challenge` lines need `log-auth-failures` on the sofia profile. `Can't find user` goes on over
two unprefixed lines; they carry nothing more and are left as context.
"""

from __future__ import annotations

import re
from collections import OrderedDict

from ..events import Kind, Outcome, Record
from ..netaddr import normal_ip
from ..timeparse import parse_time
from .base import Parser
from .fixed import SYSLOG_HEAD, addr_between

FORMAT = "freeswitch"
REMEMBERED_CALLS = 4096
"""Calls remembered by UUID and channel name. Parser state, not a cache (no `core/memo.py`): a forgotten call's
later lines lose their address, so the least recently seen call is forgotten first, one at a time."""

_PREFIX = re.compile(
    "(?:" + SYSLOG_HEAD + ")?"
    r"(?:(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}) )?"
    r"(?:(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)(?: [\d.]+%)? \[(?P<level>[A-Z]+)\] (?P<src>[\w.]+):\d+ "
    # a year-less variant some builds write: `08-03 07:56:53.026292 [WARN] [SOFIA] [sofia_reg.c:4130] `
    r"|(?P<ts2>\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) \[(?P<level2>[A-Z]+)\] \[[A-Z]+\] \[(?P<src2>[\w.]+):\d+\] )")
_AUTH = re.compile(r"SIP auth (?P<what>failure|challenge) \((?P<method>[A-Z]+)\) on sofia profile '(?P<profile>[^']*)' "
                   r"for \[")
_UA_FILTER = re.compile(r"SIP auth failure \((?P<method>[A-Z]+)\) due to user-agent-filter\.\s+"
                        r"Filter \"(?P<filter>.*?)\" User-Agent \"(?P<ua>.*)\"\s*$")
_ACL = re.compile(r"IP (?P<ip>[0-9A-Fa-f:.]+) Rejected by (?P<which>register acl|acl|user acl)"
                  r"(?: \"(?P<acl>[^\"]*)\"| \[(?P<uacl>[^\]]*)\])?(?P<rest>.*)$")
_CHANNEL = re.compile(r"(?P<chan>sofia/(?P<profile>[^/\s]+)/(?P<name>\S+))")
_HANGUP = re.compile(r"Hangup (?P<chan>\S+) \[(?P<state>CS_[A-Z_]+)\] \[(?P<cause>[A-Z_]+)\]\s*$")

KEYWORDS = (b"SIP auth ", b"Can't find user [", b" Rejected by ", b" receiving invite from ", b" Processing ",
            b" Hangup sofia/")


def _split_target(target: str) -> tuple[str | None, str | None]:
    user, sep, host = target.partition("@")
    return (user or None), (host or None) if sep else None


class FreeswitchParser(Parser):
    format = FORMAT
    keywords = KEYWORDS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # calls seen arriving, by channel UUID and by channel name: (ip, port, asked for a password after an ACL
        # miss). A later line of the call (its dialplan, its hang-up) names no address of its own.
        self._calls: OrderedDict[str, list] = OrderedDict()
        self._last_call: list | None = None

    @classmethod
    def sniff(cls, lines: list[str], name: str) -> int:
        hits = sum(1 for line in lines[:400] if _PREFIX.match(line))
        if not hits:
            return 0
        return min(60 + hits * 10, 95) + (5 if "freeswitch" in name else 0)

    anchors = (b"] from ip ", b" receiving invite from ", b"] from ")

    prefixed = True

    def has_prefix(self, text: str) -> bool:
        return _PREFIX.match(text) is not None

    def parse_line(self, text: str, line_no: int) -> list[Record] | None:
        p = _PREFIX.match(text)
        if p is None:
            return None  # not a log line (a continuation, or text inside another message)
        time, epoch = parse_time(p.group("ts") or p.group("ts2"), self.clock)
        uuid = p.group("uuid")
        msg = text[p.end():]

        def rec(kind: Kind, **fields) -> list[Record]:
            fields.setdefault("call_id", uuid)
            refs = fields.pop("refs", ())
            if uuid:
                refs = (f"fs:{uuid}", *refs)
            return [Record(time=time, file=self.file, line=line_no, format=FORMAT, kind=kind, epoch=epoch,
                           raw=(text,), refs=refs, **fields)]

        if msg.startswith("SIP auth "):
            return self._auth(msg, rec)
        if msg.startswith("Can't find user ["):
            body = msg.rstrip()
            at = body.rfind("] from ")
            ip = normal_ip(body[at + 7:]) if at >= 0 else None
            if ip is None:
                return None
            user, _host = _split_target(body[17:at])
            return rec(Kind.PROBE, source_ip=ip, extension=user, detail="user not found",
                       tags=("no_matching_endpoint",))
        if msg.startswith("IP "):
            return self._acl(msg, rec)
        if msg.startswith("sofia/") and " receiving invite from " in msg:
            return self._invite(msg, uuid, rec)
        if msg.startswith("Processing "):
            return self._processing(msg, uuid, rec)
        if msg.startswith("Hangup "):
            return self._hangup(msg, uuid, rec)
        return None

    # -- messages ---------------------------------------------------------------------------------------------
    def _auth(self, msg: str, rec) -> list[Record] | None:
        m = _UA_FILTER.match(msg)
        if m:  # no address in this line; the User-Agent is the caller's text, whatever it says
            return rec(Kind.AUTH_FAILURE, user_agent=m.group("ua"), method=m.group("method"),
                       detail="rejected by user-agent filter", tags=("auth_failure",))
        m = _AUTH.match(msg)
        if not m:
            return None
        body = msg.rstrip()
        at = body.rfind("] from ip ")
        if at < m.end():
            return None
        ip = normal_ip(body[at + 10:])
        if ip is None:
            return None
        user, _host = _split_target(body[m.end():at])
        challenge = m.group("what") == "challenge"
        method = m.group("method")
        detail = f"SIP auth {m.group('what')} ({method})"
        if method == "INVITE":
            # The dialled number of an INVITE from outside is what toll fraud tries; the call was refused (403) or
            # asked for a password (401) it did not have yet. It is the call whose INVITE was just received from
            # that address (this line names no channel of its own).
            call = self._last_call
            refs = (f"chan:{call[3]}",) if call is not None and call[0] == ip else ()
            return rec(Kind.CALL if challenge else Kind.AUTH_FAILURE, source_ip=ip, extension=user,
                       method=method, context=m.group("profile"), challenge=challenge, detail=detail,
                       outcome=Outcome.REJECTED, tags=() if challenge else ("auth_failure",), refs=refs)
        return rec(Kind.OTHER if challenge else Kind.AUTH_FAILURE, source_ip=ip, extension=user, method=method,
                   context=m.group("profile"), challenge=challenge, detail=detail,
                   tags=() if challenge else ("auth_failure",))

    def _acl(self, msg: str, rec) -> list[Record] | None:
        m = _ACL.match(msg)
        if not m:
            return None
        ip = normal_ip(m.group("ip"))
        if "Falling back to Digest auth" in m.group("rest"):
            # Every phone outside the ACL takes this path: it is asked for its password next. Normal; remembered
            # so that a wrong password, which shows only as the call's `Hangup … [CALL_REJECTED]`, is counted.
            call = self._last_call
            if call is not None and call[0] == ip:
                call[2] = True
            return []
        acl = m.group("acl") or m.group("uacl")
        detail = f"rejected by {m.group('which')}" + (f" '{acl}'" if acl else "")
        return rec(Kind.PROBE, source_ip=ip, detail=detail, tags=("acl_reject",))

    def _invite(self, msg: str, uuid: str | None, rec) -> list[Record] | None:
        cands = addr_between(msg, " receiving invite from ", " version: ", port_always=True)
        if not cands:
            return None
        pos, ip, port = cands[0]
        chan = msg[:pos]
        if " " in chan:
            return None  # the channel name is one token; anything else is not the PBX's line
        m = _CHANNEL.match(chan)
        if not m:
            return None
        c = msg.find(" call-id: ", pos)
        callid = msg[c + 10:].strip() or None if c >= 0 else None
        name = m.group("name")
        caller, _, host = name.partition("@")
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        profile = m.group("profile")
        call = [ip, port, False, chan]
        self._remember(uuid, chan, call)
        return rec(Kind.CALL, source_ip=ip, source_port=port, caller_id=caller or None,
                   call_id=callid or uuid, outcome=Outcome.UNKNOWN, method="INVITE", from_host=host or None,
                   context=profile, channel=chan,
                   # the `internal` profile is where phones register, and it is as reachable from the internet as
                   # any (this is where scanners knock): whether the caller is outside is the address's to say
                   external=True if profile == "external" else None,
                   detail=f"inbound call on sofia profile '{profile}'",
                   refs=(f"sip:{callid}",) if callid else ())

    def _processing(self, msg: str, uuid: str | None, rec) -> list[Record] | None:
        """mod_dialplan_xml `Processing <name> <<number>>-><destination> in context <context>`: the number an
        already logged-in caller dialled. Name, number and destination are the caller's; the context is read
        from the end, the destination before it."""
        body = msg.rstrip()
        at = body.rfind(" in context ")
        arrow = body.rfind(">->", 0, at)
        if at < 0 or arrow < 0:
            return None
        ctx = body[at + 12:] or None
        dest = body[arrow + 3:at] or None
        lt = body.rfind("<", 0, arrow)
        number = body[lt + 1:arrow] if lt >= 0 else None
        call = self._calls.get(uuid) if uuid else None
        ip, port = (call[0], call[1]) if call else (None, None)
        return rec(Kind.CALL, source_ip=ip, source_port=port, caller_id=number or None, extension=dest,
                   context=ctx, outcome=Outcome.UNKNOWN, method="INVITE",
                   detail=f"dialplan processing the call in context '{ctx}'")

    def _hangup(self, msg: str, uuid: str | None, rec) -> list[Record] | None:
        m = _HANGUP.match(msg)
        if not m:
            return None
        cause, chan = m.group("cause"), m.group("chan")
        call = (self._calls.get(uuid) if uuid else None) or self._calls.get(chan)
        if cause == "CALL_REJECTED" and call is not None and call[2]:
            # Outside the ACL, asked for a password, and refused: the only trace a wrong password leaves here.
            user = chan.rpartition("/")[2].partition("@")[0] or None
            return rec(Kind.AUTH_FAILURE, source_ip=call[0], source_port=call[1], extension=user, channel=chan,
                       method="INVITE", detail="call rejected after the password challenge (wrong password)",
                       tags=("auth_failure",), refs=(f"chan:{chan}",))
        if cause == "WRONG_CALL_STATE" and m.group("state") == "CS_NEW":
            # An INVITE that never got past its first state: what older FreeSWITCH shows of an INVITE flood.
            ip, port = (call[0], call[1]) if call else (None, None)
            return rec(Kind.PROBE, source_ip=ip, source_port=port, channel=chan, method="INVITE",
                       detail="call abandoned before it was set up (WRONG_CALL_STATE)", refs=(f"chan:{chan}",))
        return []

    def _remember(self, uuid: str | None, chan: str, call: list) -> None:
        for key in (uuid, chan):
            if key:
                self._calls[key] = call
                self._calls.move_to_end(key)
        while len(self._calls) > REMEMBERED_CALLS:
            self._calls.popitem(last=False)
        self._last_call = call
