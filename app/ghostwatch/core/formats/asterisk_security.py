"""Asterisk security log (`res_security_log`): `SecurityEvent="..",Key="value",...` lines.

Values are written unescaped, and two of them come from the request: AccountID (the user name tried) and SessionID
(the SIP Call-ID for PJSIP). Their text may hold `",RemoteAddress="…` or a whole forged event. The key order is
fixed (SecurityEvent, EventTV, Severity, Service, EventVersion, AccountID, SessionID, LocalAddress, RemoteAddress,
then the event's own fields), so the fields before AccountID are read from the front, and the address pair is the
one the PBX wrote only where that can be told: written once, or written last with nothing of the attacker's after
it (InvalidAccountID, FailedACL, ChallengeSent, SuccessfulAuth). Otherwise no address is named, and the event is
flagged as forged; the same attempt's other line (the res_pjsip NOTICE) names its source. Addresses look like
`IPV4/UDP/1.2.3.4/5060` or, unbracketed, `IPV6/UDP/2001:db8::1/5060`.
"""

from __future__ import annotations

from ..events import Kind, Record
from ..netaddr import normal_ip, port_number
from ..timeparse import parse_time

FORMAT = "asterisk_security"
KEYWORD = b'SecurityEvent="'

# event name -> (kind, reason tag)
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
# Fields that follow the address pair and that only the PBX writes, per event whose tail is all the PBX's.
_OPTIONAL = {"Module", "SessionTV"}
_PBX_TAIL: dict[str, set[str]] = {
    "InvalidAccountID": set(),
    "FailedACL": {"ACLName"},
    "ChallengeSent": {"Challenge"},
    "SuccessfulAuth": {"UsingPassword"},
    "UnexpectedAddress": {"ExpectedAddress"},
}
_FRONT = ("EventTV", "Severity", "Service", "EventVersion")


def split_address(value: str | None) -> tuple[str | None, int | None]:
    """`IPV4/UDP/1.2.3.4/5060` -> ('1.2.3.4', 5060); IPv6 is unbracketed, so split on the last '/'."""
    if not value or not value.startswith(("IPV4/", "IPV6/")):
        return None, None
    head, _, port = value.rpartition("/")
    addr = head.rpartition("/")[2] if "/" in head else head
    ip = normal_ip(addr)
    if ip is None:
        return None, None
    return ip, port_number(port)


def _front(message: str) -> tuple[str, dict[str, str], int] | None:
    """The event name and the fixed fields before AccountID, and where `",AccountID="` starts."""
    if not message.startswith('SecurityEvent="'):
        return None
    pos = 15
    q = message.find('"', pos)
    if q < 0:
        return None
    name = message[pos:q]
    if not name.isascii() or not name.isalpha():
        return None
    fields: dict[str, str] = {}
    pos = q
    for key in _FRONT:
        opener = f'",{key}="'
        if not message.startswith(opener, pos):
            break
        start = pos + len(opener)
        q = message.find('"', start)
        if q < 0:
            return None
        fields[key] = message[start:q]
        pos = q
    return name, fields, pos


def _tail_keys(tail: str) -> list[str] | None:
    """Keys of `,Key="value",...` text as the PBX writes it (no quote inside a value), or None if it is not that."""
    keys: list[str] = []
    rest = tail.rstrip()
    while rest:
        if not rest.startswith(","):
            return None
        key, sep, after = rest[1:].partition('="')
        q = after.find('"')
        if not sep or not key.isalnum() or q < 0:
            return None
        keys.append(key)
        rest = after[q + 1:]
    return keys


def genuine_address(name: str, message: str, start: int) -> tuple[str | None, bool]:
    """The RemoteAddress value the PBX wrote (or None when it cannot be told), and whether the line is forged."""
    marker = '",RemoteAddress="'
    first = message.find(marker, start)
    if first < 0:
        return None, message.count('SecurityEvent="') > 1
    last = message.rfind(marker)
    value_at = last + len(marker)
    q = message.find('"', value_at)
    value = message[value_at:q] if q >= 0 else message[value_at:].rstrip()
    forged = first != last or message.count('SecurityEvent="') > 1 or message.count('",LocalAddress="') > 1
    if first == last:
        return value, forged
    allowed = _PBX_TAIL.get(name)
    if allowed is None:
        return None, True
    keys = _tail_keys(message[q + 1:] if q >= 0 else "")
    if keys is None or not set(keys) <= allowed | _OPTIONAL:
        return None, True
    return value, True


def parse(message: str, file: str, line_no: int, time: str | None, epoch: float | None, raw: str,
          signatures: object | None = None) -> list[Record] | None:
    front = _front(message)
    if front is None:
        return None
    name, fields, pos = front
    kind, tag = _EVENTS.get(name, (Kind.OTHER, None))
    if '",RemoteAddress="' not in message[pos:]:
        return None  # every event has one: the rest of the line is elsewhere (a CR/LF split it) or cut away
    address, forged = genuine_address(name, message, pos)
    ip, port = split_address(address)
    account = None
    if message.startswith('",AccountID="', pos):
        a = pos + 13
        b = message.find('",SessionID="', a)
        if b < 0:
            b = message.find('",LocalAddress="', a)
        account = message[a:b] if b >= 0 else None
        session = None
        if b >= 0 and message.startswith('",SessionID="', b):
            c = message.find('",LocalAddress="', b + 13)
            session = message[b + 13:c] if c >= 0 else None
    else:
        session = None
    if account in ("<unknown>", ""):
        account = None
    if time is None and fields.get("EventTV"):
        time, epoch = parse_time(fields["EventTV"])
    service = fields.get("Service")
    refs: tuple[str, ...] = ()
    if session and not forged and service == "PJSIP" and not session.startswith("0x"):
        refs = (f"sip:{session}",)
    return [Record(
        time=time, file=file, line=line_no, format=FORMAT, kind=kind,
        source_ip=ip, source_port=port, extension=account,
        call_id=None, epoch=epoch,
        detail=f"{name} ({service})" if service else name,
        challenge=name == "ChallengeSent",
        tags=((tag,) if tag else ()) + (("log_injection",) if forged else ()),
        raw=(raw,), refs=refs,
    )]
