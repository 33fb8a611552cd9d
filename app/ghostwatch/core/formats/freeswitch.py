"""FreeSWITCH `freeswitch.log` (mod_logfile), with or without the idle-CPU field (1.10.7+) and call UUIDs.

    [uuid ]2023-03-06 15:13:32.685002 [96.83% ][WARNING] sofia_reg.c:1787 message

The `SIP auth failure/challenge` lines need `log-auth-failures` on the sofia profile. `Can't find user` goes on over
two unprefixed lines; they carry nothing more and are left as context.
"""

from __future__ import annotations

import re

from ..events import Kind, Outcome, Record
from ..netaddr import normal_ip, split_hostport
from ..timeparse import parse_time
from .base import Parser

FORMAT = "freeswitch"

_PREFIX = re.compile(r"^(?:(?P<uuid>[0-9a-f]{8}-[0-9a-f-]{27}) )?(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)"
                     r"(?: [\d.]+%)? \[(?P<level>[A-Z]+)\] (?P<src>[\w.]+):\d+ ")
_AUTH = re.compile(r"SIP auth (?P<what>failure|challenge) \((?P<method>[A-Z]+)\) on sofia profile '(?P<profile>[^']*)' "
                   r"for \[(?P<target>.*)\] from ip (?P<ip>\S+)")
_UA_FILTER = re.compile(r"SIP auth failure \((?P<method>[A-Z]+)\) due to user-agent-filter\.\s+"
                        r"Filter \"(?P<filter>.*)\" User-Agent \"(?P<ua>.*)\"")
_CANT_FIND = re.compile(r"Can't find user \[(?P<target>.*)\] from (?P<ip>\S+)")
_ACL = re.compile(r"IP (?P<ip>\S+) Rejected by (?P<which>register acl|acl|user acl)"
                  r"(?: \"(?P<acl>[^\"]*)\"| \[(?P<uacl>[^\]]*)\])?")
_INVITE = re.compile(r"(?P<chan>sofia/(?P<profile>[^/\s]+)/(?P<name>\S+)) receiving invite from (?P<addr>\S+) "
                     r"version: .*? call-id: (?P<callid>\S+)")

KEYWORDS = (b"SIP auth ", b"Can't find user [", b" Rejected by ", b" receiving invite from ")


def _split_target(target: str) -> tuple[str | None, str | None]:
    user, sep, host = target.partition("@")
    return (user or None), (host or None) if sep else None


class FreeswitchParser(Parser):
    format = FORMAT
    keywords = KEYWORDS

    @classmethod
    def sniff(cls, lines: list[str], name: str) -> int:
        hits = sum(1 for line in lines if _PREFIX.match(line))
        if not hits:
            return 0
        return min(60 + hits * 10, 95) + (5 if "freeswitch" in name else 0)

    def parse_line(self, text: str, line_no: int) -> list[Record] | None:
        p = _PREFIX.match(text)
        time, epoch = parse_time(p.group("ts"), self.clock) if p else (None, None)
        uuid = p.group("uuid") if p else None

        def rec(kind: Kind, **fields) -> list[Record]:
            fields.setdefault("call_id", uuid)
            return [Record(time=time, file=self.file, line=line_no, format=FORMAT, kind=kind, epoch=epoch,
                           raw=(text,), **fields)]

        m = _AUTH.search(text)
        if m:
            user, _host = _split_target(m.group("target"))
            challenge = m.group("what") == "challenge"
            return rec(Kind.OTHER if challenge else Kind.AUTH_FAILURE, source_ip=normal_ip(m.group("ip")),
                       extension=user, method=m.group("method"), context=m.group("profile"), challenge=challenge,
                       detail=f"SIP auth {m.group('what')} ({m.group('method')})",
                       tags=() if challenge else ("auth_failure",))
        m = _UA_FILTER.search(text)
        if m:
            return rec(Kind.AUTH_FAILURE, user_agent=m.group("ua"), method=m.group("method"),
                       detail="rejected by user-agent filter", tags=("auth_failure",))
        m = _CANT_FIND.search(text)
        if m:
            user, _host = _split_target(m.group("target"))
            return rec(Kind.PROBE, source_ip=normal_ip(m.group("ip")), extension=user, detail="user not found",
                       tags=("no_matching_endpoint",))
        m = _ACL.search(text)
        if m:
            acl = m.group("acl") or m.group("uacl")
            detail = f"rejected by {m.group('which')}" + (f" '{acl}'" if acl else "")
            return rec(Kind.PROBE, source_ip=normal_ip(m.group("ip")), detail=detail, tags=("acl_reject",))
        m = _INVITE.search(text)
        if m:
            ip, port = split_hostport(m.group("addr"), port_always=True)
            name = m.group("name")
            caller, _, host = name.partition("@")
            host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
            profile = m.group("profile")
            return rec(Kind.CALL, source_ip=ip, source_port=port, caller_id=caller or None,
                       call_id=m.group("callid"), outcome=Outcome.UNKNOWN, method="INVITE", from_host=host or None,
                       context=profile, channel=m.group("chan"),
                       external={"external": True, "internal": False}.get(profile),
                       detail=f"inbound call on sofia profile '{profile}'")
        return None
