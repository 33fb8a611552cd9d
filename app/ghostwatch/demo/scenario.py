"""A deterministic office day and night on an Asterisk (PJSIP, FreePBX-style) PBX, as the PBX would log it.

Used by `make run` / `ghostwatch demo` (replayed in accelerated real time) and by the tests. All addresses are from
the documentation ranges (RFC 5737) or the office LAN; phone numbers are valid numbers picked by phonenumbers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

PBX_IP = "198.51.100.10"
LAN_PBX = "192.168.1.10"
TRUNK_IP = "198.51.100.40"
PHONES = {f"20{i}": f"192.168.1.{20 + i}" for i in range(1, 7)}
SCANNER = "203.0.113.7"
GUESSER = "203.0.113.66"
GHOST = "192.0.2.55"
FRAUD = "192.0.2.180"

FULL, SECURITY, CDR = "full", "security", "cdr-csv/Master.csv"


@dataclass(frozen=True, order=True)
class LogLine:
    at: datetime
    seq: int
    file: str
    text: str


class _Writer:
    def __init__(self) -> None:
        self.lines: list[LogLine] = []
        self.seq = 0
        self.cid = 0x1a0
        self.chan = 0x40

    def add(self, at: datetime, file: str, text: str) -> None:
        self.seq += 1
        self.lines.append(LogLine(at, self.seq, file, text))

    def log(self, at: datetime, level: str, src: str, msg: str, cid: int | None = None, lwp: int = 2301) -> None:
        callid = f"[C-{cid:08x}]" if cid is not None else ""
        self.add(at, FULL, f"[{at:%Y-%m-%d %H:%M:%S}] {level}[{lwp}]{callid} {src}: {msg}")

    def security(self, at: datetime, event: str, account: str, ip: str, port: int, extra: str = "") -> None:
        tv = f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond // 1000:03d}+0000"
        self.add(at, SECURITY, f'[{at:%Y-%m-%d %H:%M:%S}] SECURITY[2290] res_security_log.c: SecurityEvent="{event}",'
                               f'EventTV="{tv}",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="{account}",'
                               f'SessionID="{self.seq:08x}-gw",LocalAddress="IPV4/UDP/{LAN_PBX}/5060",'
                               f'RemoteAddress="IPV4/UDP/{ip}/{port}"{extra}')

    def cdr(self, start: datetime, src: str, dst: str, ctx: str, clid: str, chan: str, dstchan: str, app: str,
            data: str, ring: int, talk: int) -> None:
        answer = start + timedelta(seconds=ring) if talk else None
        end = start + timedelta(seconds=ring + talk)
        disp = "ANSWERED" if talk else "NO ANSWER"
        ans = f'"{answer:%Y-%m-%d %H:%M:%S}"' if answer else ""
        self.add(end, CDR, f'"","{src}","{dst}","{ctx}","{clid}","{chan}","{dstchan}","{app}","{data}",'
                           f'"{start:%Y-%m-%d %H:%M:%S}",{ans},"{end:%Y-%m-%d %H:%M:%S}",{ring + talk},{talk},'
                           f'"{disp}","DOCUMENTATION","{start.timestamp():.1f}",""')

    def next_chan(self, name: str) -> str:
        self.chan += 1
        return f"PJSIP/{name}-{self.chan:08x}"

    def next_cid(self) -> int:
        self.cid += 1
        return self.cid


def _valid_numbers(rng: random.Random, count: int) -> list[str]:
    import phonenumbers

    out: list[str] = []
    area_codes = ["212", "617", "312", "415", "646", "206", "303", "512"]
    while len(out) < count:
        n = f"+1{rng.choice(area_codes)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(n, "US")):
            out.append(n)
    return out


def office_day(day: datetime, seed: int = 7) -> list[LogLine]:
    """Log lines of one working day (from 07:30) and the night after it, sorted by time."""
    rng = random.Random(seed)
    w = _Writer()
    start = day.replace(hour=7, minute=30, second=0, microsecond=0)
    # Phones register at boot and re-register every hour.
    for hour in range(0, 11):
        for ext, ip in PHONES.items():
            at = start + timedelta(hours=hour, seconds=rng.randint(0, 300))
            w.log(at, "VERBOSE", "res_pjsip_registrar.c",
                  f"Added contact 'sip:{ext}@{ip}:5060;transport=UDP' to AOR '{ext}' with expiration of 3600 seconds")
    # Inbound customer calls through the trunk, answered.
    callers = _valid_numbers(rng, 30)
    for i, number in enumerate(callers):
        at = start + timedelta(minutes=40 + i * 17, seconds=rng.randint(0, 59))
        _inbound_call(w, rng, at, number, rng.choice(list(PHONES)), answered=rng.random() > 0.15)
    # Internal calls between phones (dialplan chatter GhostWatch skips).
    for i in range(25):
        at = start + timedelta(minutes=55 + i * 19)
        a, b = rng.sample(list(PHONES), 2)
        chan, cid = w.next_chan(a), w.next_cid()
        for prio, (app, args) in enumerate((("Set", "CALLERID(name)=Office"), ("Dial", f"PJSIP/{b},30")), 1):
            w.log(at, "VERBOSE", "pbx.c", f'Executing [{b}@from-internal:{prio}] {app}("{chan}", "{args}") in new '
                                          f'stack', cid, lwp=3000 + i)
        w.log(at + timedelta(seconds=2), "VERBOSE", "app_dial.c", f"PJSIP/{b}-{w.chan + 1:08x} is ringing", cid)
    night = day.replace(hour=23, minute=10, second=0, microsecond=0)
    _svmap_scan(w, rng, night)
    _svwar_enumeration(w, rng, night + timedelta(minutes=2))
    _password_guessing(w, rng, night + timedelta(hours=2, minutes=20))
    for k in range(3):
        _ghost_call(w, rng, night + timedelta(hours=3, minutes=4 + 9 * k), caller=("1001", "100", "1000")[k])
    _toll_fraud(w, rng, night + timedelta(hours=4, minutes=30))
    return sorted(w.lines)


def _inbound_call(w: _Writer, rng: random.Random, at: datetime, number: str, ext: str, answered: bool) -> None:
    chan, cid = w.next_chan("trunk-provider"), w.next_cid()
    did = "6175550100"
    steps = (("Set", f"__FROM_DID={did}"), ("Set", f"CALLERID(num)={number}"), ("Goto", "ext-did,s,1"))
    for prio, (app, args) in enumerate(steps, 1):
        w.log(at, "VERBOSE", "pbx.c", f'Executing [{did}@from-trunk:{prio}] {app}("{chan}", "{args}") in new stack',
              cid, lwp=2400)
    w.log(at, "VERBOSE", "pbx.c", f'Executing [s@ext-did:1] Dial("{chan}", "PJSIP/{ext},25") in new stack', cid,
          lwp=2400)
    ring, talk = rng.randint(3, 14), (rng.randint(20, 400) if answered else 0)
    w.cdr(at, number, did, "from-trunk", f'"Caller" <{number}>', chan, f"PJSIP/{ext}-{w.chan + 1:08x}", "Dial",
          f"PJSIP/{ext},25", ring, talk)


def _svmap_scan(w: _Writer, rng: random.Random, at: datetime) -> None:
    """SIPVicious svmap: one OPTIONS with its default From "sipvicious"<sip:100@1.1.1.1>, seen in the PJSIP trace."""
    callid = f"{rng.getrandbits(80):x}"
    w.log(at, "VERBOSE", "res_pjsip_logger.c", f"<--- Received SIP request (512 bytes) from UDP:{SCANNER}:5061 --->")
    for header in (f"OPTIONS sip:100@{PBX_IP} SIP/2.0",
                   f"Via: SIP/2.0/UDP {SCANNER}:5061;branch=z9hG4bK-{rng.getrandbits(32)};rport",
                   "Max-Forwards: 70", 'To: "sipvicious"<sip:100@1.1.1.1>',
                   f'From: "sipvicious"<sip:100@1.1.1.1>;tag={rng.getrandbits(48):x}', "User-Agent: friendly-scanner",
                   f"Call-ID: {callid}", "Contact: sip:100@1.1.1.1", "CSeq: 1 OPTIONS", "Accept: application/sdp",
                   "Content-Length: 0", ""):
        w.add(at, FULL, header)


def _svwar_enumeration(w: _Writer, rng: random.Random, at: datetime) -> None:
    """svwar: REGISTER for 100..139, answered 'No matching endpoint' (PJSIP) and InvalidAccountID (security log)."""
    for i, ext in enumerate(range(100, 140)):
        t = at + timedelta(milliseconds=150 * i)
        w.log(t, "NOTICE", "res_pjsip/pjsip_distributor.c",
              f"Request 'REGISTER' from '<sip:{ext}@{PBX_IP}>' failed for '{SCANNER}:5061' "
              f"(callid: {rng.getrandbits(32)}) - No matching endpoint found")
        w.security(t, "InvalidAccountID", str(ext), SCANNER, 5061)


def _password_guessing(w: _Writer, rng: random.Random, at: datetime) -> None:
    for i in range(45):
        t = at + timedelta(seconds=2 * i, milliseconds=rng.randint(0, 900))
        w.security(t, "ChallengeResponseFailed", "201", GUESSER, 5070 + i % 3,
                   f',Challenge="{rng.getrandbits(32):x}",Response="{rng.getrandbits(64):x}",ExpectedResponse=""')


def _ghost_call(w: _Writer, rng: random.Random, at: datetime, caller: str) -> None:
    """A scanner INVITE let in by the anonymous endpoint: phone 201 rings, nobody is there (CDR: NO ANSWER)."""
    chan, cid = w.next_chan("anonymous"), w.next_cid()
    w.log(at, "VERBOSE", "pbx.c", f'Executing [201@from-sip-external:1] NoOp("{chan}", "Received incoming SIP '
                                  f'connection from unknown peer to 201") in new stack', cid, lwp=2500)
    w.log(at, "VERBOSE", "pbx.c", f'Executing [201@from-sip-external:2] Dial("{chan}", "PJSIP/201,20") in new stack',
          cid, lwp=2500)
    ring = rng.randint(3, 5)
    w.log(at + timedelta(seconds=1), "VERBOSE", "app_dial.c", f"PJSIP/201-{w.chan + 1:08x} is ringing", cid)
    w.log(at + timedelta(seconds=ring), "VERBOSE", "app_dial.c", "Nobody picked up in 20000 ms", cid)
    w.cdr(at, caller, "201", "from-sip-external", f'"{caller}" <{caller}>', chan, f"PJSIP/201-{w.chan + 1:08x}",
          "Dial", "PJSIP/201,20", ring, 0)


def _toll_fraud(w: _Writer, rng: random.Random, at: datetime) -> None:
    for i, number in enumerate(("011972597634123", "0046313115067", "+15515500380")):
        t = at + timedelta(seconds=35 * i)
        w.log(t, "NOTICE", "res_pjsip_session.c", f"anonymous: Call (UDP:{FRAUD}:{5060 + i}) to extension "
                                                  f"'{number}' rejected because extension not found in context "
                                                  f"'from-sip-external'.", lwp=2600)
