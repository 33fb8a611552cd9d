"""Deterministic generator of a busy Asterisk `full` log with ~5% attack lines and its ground truth.

    python bench/gen_full_log.py OUT.log LINES [SEED]

Writes OUT.log and OUT.log.truth (one `line ip` per attack line). Benign traffic: dialplan chatter of internal and
trunk calls, ringing/answer/hangup lines, phone registrations and qualify results from the office LAN. Attacks are
drawn from the dialects GhostWatch reads (chan_sip, res_pjsip, security log, AMI), from many public addresses.
"""

from __future__ import annotations

import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

ATTACK_SHARE = 0.28  # per draw; benign draws write ~7.4 lines each, so ~5% of lines are attacks


def _attack(rng: random.Random, ts: str, ip: str) -> str:
    port = rng.randint(1024, 65000)
    ext = rng.choice(["100", "101", "1000", "1001", "200", "admin", str(rng.randint(100, 9999))])
    kind = rng.randrange(9)
    if kind == 0:
        why = rng.choice(["Wrong password", "No matching peer found", "Username/auth name mismatch"])
        return (f"[{ts}] NOTICE[2301] chan_sip.c: Registration from '<sip:{ext}@198.51.100.10>' failed for "
                f"'{ip}:{port}' - {why}")
    if kind == 1:
        method = rng.choice(["REGISTER", "INVITE", "OPTIONS"])
        why = rng.choice(["No matching endpoint found", "Failed to authenticate"])
        return (f"[{ts}] NOTICE[2301] res_pjsip/pjsip_distributor.c: Request '{method}' from "
                f"'<sip:{ext}@198.51.100.10>' failed for '{ip}:{port}' (callid: {rng.getrandbits(64):x}) - {why}")
    if kind == 2:
        event = rng.choice(["InvalidAccountID", "ChallengeResponseFailed", "InvalidPassword"])
        return (f'[{ts}] SECURITY[2290] res_security_log.c: SecurityEvent="{event}",EventTV="{ts}",Severity="Error",'
                f'Service="PJSIP",EventVersion="1",AccountID="{ext}",SessionID="{rng.getrandbits(48):x}",'
                f'LocalAddress="IPV4/UDP/192.168.1.10/5060",RemoteAddress="IPV4/UDP/{ip}/{port}"')
    if kind == 3:
        number = rng.choice(["011972597634123", "00441234567890", "9011" + str(rng.randint(10**9, 10**10))])
        return (f"[{ts}] NOTICE[2301][C-00000000] chan_sip.c: Call from '' ({ip}:{port}) to extension '{number}' "
                f"rejected because extension not found in context 'public'.")
    if kind == 4:
        return (f"[{ts}] NOTICE[2301] res_pjsip_session.c: anonymous: Call (UDP:{ip}:{port}) to extension '{ext}' "
                f"rejected because extension not found in context 'from-sip-external'.")
    if kind == 5:
        return f"[{ts}] NOTICE[2301] manager.c: {ip} failed to authenticate as '{ext}'"
    if kind == 6:
        return f"[{ts}] NOTICE[2301] chan_sip.c: Rejecting unknown SIP connection from {ip}:{port}"
    if kind == 7:
        return f"[{ts}] NOTICE[2301] chan_iax2.c: Host {ip} failed to authenticate as '{ext}'"
    return (f"[{ts}] NOTICE[2301] res_pjsip/pjsip_distributor.c: Request 'INVITE' from "
            f"'\"sipvicious\" <sip:100@1.1.1.1>' failed for '{ip}:{port}' "
            f"(callid: {rng.getrandbits(64):x}) - No matching endpoint found")


def _benign(rng: random.Random, ts: str, state: dict) -> list[str]:
    state["cid"] += 1
    cid = f"C-{state['cid']:08x}"
    a, b = rng.randint(201, 260), rng.randint(201, 260)
    chan = f"PJSIP/{a}-{state['cid']:08x}"
    r = rng.random()
    if r < 0.12:
        ip = f"192.168.{rng.randint(1, 4)}.{rng.randint(20, 250)}"
        return [f"[{ts}] VERBOSE[2100] res_pjsip_registrar.c: -- Added contact 'sip:{a}@{ip}:5060;transport=UDP' to "
                f"AOR '{a}' with expiration of 3600 seconds",
                f"[{ts}] VERBOSE[2100] res_pjsip/pjsip_options.c: -- Contact {a}/sip:{a}@{ip}:5060 is now Reachable.  "
                f"RTT: {rng.uniform(1, 40):.3f} msec"]
    if r < 0.30:
        did = f"617555{rng.randint(1000, 1099)}"
        chan = f"PJSIP/trunk-provider-{state['cid']:08x}"
        lines = [f'[{ts}] VERBOSE[2400][{cid}] pbx.c: Executing [{did}@from-trunk:{p}] {app}("{chan}", "{arg}") in '
                 f'new stack' for p, (app, arg) in enumerate((("Set", f"__FROM_DID={did}"), ("Set", "CDR(did)=x"),
                                                              ("Goto", "ext-did,s,1")), 1)]
    else:
        lines = [f'[{ts}] VERBOSE[2400][{cid}] pbx.c: Executing [{b}@from-internal:{p}] {app}("{chan}", "{arg}") '
                 f'in new stack' for p, (app, arg) in enumerate((("Set", "CALLERID(name)=Office"),
                                                                 ("Gosub", "sub-record-check,s,1(exten,{b})"),
                                                                 ("Dial", f"PJSIP/{b},30,tT")), 1)]
    lines += [f"[{ts}] VERBOSE[2400][{cid}] netsock2.c: == Using SIP RTP CoS mark 5",
              f"[{ts}] VERBOSE[2400][{cid}] app_dial.c: -- Called PJSIP/{b}",
              f"[{ts}] VERBOSE[2400][{cid}] app_dial.c: -- PJSIP/{b}-{state['cid'] + 1:08x} is ringing",
              f"[{ts}] VERBOSE[2400][{cid}] app_dial.c: -- PJSIP/{b}-{state['cid'] + 1:08x} answered {chan}",
              f"[{ts}] VERBOSE[2400][{cid}] bridge_channel.c: -- Channel PJSIP/{b} joined 'simple_bridge' basic-bridge",
              f"[{ts}] VERBOSE[2400][{cid}] pbx.c: == Spawn extension (from-internal, {b}, 3) exited non-zero on "
              f"'{chan}'"]
    return lines


def generate(out: Path, total: int, seed: int = 1) -> tuple[int, int]:
    rng = random.Random(seed)
    attackers = [f"{rng.choice([45, 62, 77, 89, 91, 103, 146, 185, 193, 212])}.{rng.randint(0, 255)}."
                 f"{rng.randint(0, 255)}.{rng.randint(1, 254)}" for _ in range(2000)]
    t = datetime(2026, 11, 1)
    state = {"cid": 0}
    n = attacks = 0
    with open(out, "w", encoding="utf-8") as fh, open(str(out) + ".truth", "w") as truth:
        while n < total:
            t += timedelta(milliseconds=rng.randint(50, 400))
            ts = f"{t:%Y-%m-%d %H:%M:%S}"
            if rng.random() < ATTACK_SHARE:
                ip = rng.choice(attackers)
                fh.write(_attack(rng, ts, ip) + "\n")
                n += 1
                attacks += 1
                truth.write(f"{n} {ip}\n")
            else:
                for line in _benign(rng, ts, state)[: total - n]:
                    fh.write(line + "\n")
                    n += 1
    return n, attacks


if __name__ == "__main__":
    lines, attacks = generate(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    print(f"{lines} lines, {attacks} attack lines")
