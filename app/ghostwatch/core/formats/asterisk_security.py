"""Asterisk security log (`res_security_log`): `SecurityEvent="..",Key="value",...` lines.

Values are written unescaped, so a value may itself contain `"` or `",`; pairs are split only where `",` is
followed by a known-looking key (`Word="`). Addresses look like `IPV4/UDP/1.2.3.4/5060` or, unbracketed,
`IPV6/UDP/2001:db8::1/5060`.
"""

from __future__ import annotations

import re

from ..events import Kind, Record
from ..netaddr import normal_ip, port_number
from ..timeparse import parse_time

FORMAT = "asterisk_security"
KEYWORD = b'SecurityEvent="'

_PAIR_SPLIT = re.compile(r'",(?=[A-Za-z][A-Za-z0-9]*=")')

# event name -> (kind, reason tag, treat as challenge only)
_EVENTS: dict[str, tuple[Kind, str | None]] = {
    "InvalidAccountID": (Kind.PROBE, "no_matching_endpoint"),
    "ChallengeResponseFailed": (Kind.AUTH_FAILURE, "auth_failure"),
    "InvalidPassword": (Kind.AUTH_FAILURE, "auth_failure"),
    "FailedACL": (Kind.PROBE, "acl_reject"),
    "SuccessfulAuth": (Kind.REGISTRATION, None),
    "ChallengeSent": (Kind.OTHER, None),
    "RequestNotAllowed": (Kind.PROBE, None),
    "RequestNotSupported": (Kind.PROBE, None),
    "AuthMethodNotAllowed": (Kind.PROBE, None),
    "RequestBadFormat": (Kind.PROBE, None),
    "UnexpectedAddress": (Kind.PROBE, None),
    "InvalidTransport": (Kind.PROBE, None),
}


def parse_pairs(message: str) -> tuple[dict[str, str], bool]:
    """The key/value pairs, and whether a key appeared twice (log text smuggled into an attacker's value)."""
    start = message.find('SecurityEvent="')
    if start < 0:
        return {}, False
    body = message[start:].rstrip()
    if body.endswith('"'):
        body = body[:-1]
    pairs: dict[str, str] = {}
    forged = False
    for part in _PAIR_SPLIT.split(body):
        key, sep, value = part.partition('="')
        if not sep:
            continue
        if key in pairs:
            forged = True
        else:
            pairs[key] = value
    return pairs, forged


def split_address(value: str | None) -> tuple[str | None, int | None]:
    """`IPV4/UDP/1.2.3.4/5060` -> ('1.2.3.4', 5060); IPv6 is unbracketed, so split on the last '/'."""
    if not value:
        return None, None
    head, _, port = value.rpartition("/")
    addr = head.rpartition("/")[2] if "/" in head else head
    ip = normal_ip(addr)
    if ip is None:
        return None, None
    return ip, port_number(port)


def parse(message: str, file: str, line_no: int, time: str | None, epoch: float | None,
          raw: str) -> list[Record] | None:
    pairs, forged = parse_pairs(message)
    name = pairs.get("SecurityEvent")
    if not name:
        return None
    kind, tag = _EVENTS.get(name, (Kind.OTHER, None))
    # With a key repeated, nobody can tell which RemoteAddress the PBX wrote: name no address rather than an
    # innocent one an attacker chose (the classic "PBX bans itself" trap).
    ip, port = (None, None) if forged else split_address(pairs.get("RemoteAddress"))
    account = pairs.get("AccountID") or None
    if account in ("<unknown>", ""):
        account = None
    if time is None and pairs.get("EventTV"):
        time, epoch = parse_time(pairs["EventTV"])
    service = pairs.get("Service")
    return [Record(
        time=time, file=file, line=line_no, format=FORMAT, kind=kind,
        source_ip=ip, source_port=port, extension=account,
        call_id=None, epoch=epoch,
        detail=f"{name} ({service})" if service else name,
        challenge=name == "ChallengeSent",
        tags=((tag,) if tag else ()) + (("log_injection",) if forged else ()),
        raw=(raw,),
    )]
