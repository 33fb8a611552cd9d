"""The self-test: knock on your own PBX the way a scanner does, and report what it answered.

Only with the user's explicit consent and only towards an address in a loopback or private range (your own
network): one SIP OPTIONS and one unauthenticated INVITE, both dressed like SIPVicious (`friendly-scanner`,
caller 100 from 1.1.1.1), over UDP. A PBX that challenges (401/407) or rejects the INVITE is doing its job; one that
lets it ring (180/183/200) lets ghost calls in. A call that got through is cancelled or hung up at once.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from ..netaddr import port_number
from ..text import display_text

TIMEOUT = 4.0
# Your own network: loopback, RFC 1918, IPv6 unique-local and link-local. (Python's `is_private` also counts the
# documentation and benchmarking ranges, which are nobody's office.)
OWN_NETWORKS = tuple(ipaddress.ip_network(n) for n in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12",
                                                       "192.168.0.0/16", "169.254.0.0/16", "::1/128", "fc00::/7",
                                                       "fe80::/10"))
RETRANSMIT = (0.5, 1.0, 2.0)  # seconds after sending, as SIP timer T1 doubles


class SelfTestRefused(Exception):
    """The target is not allowed (not private/loopback) or consent was not given; the message is for people."""


@dataclass
class Probe:
    method: str
    status: int | None = None           # final (or ringing) status code; None when nothing came back
    reason: str = ""
    server: str = ""                    # Server / User-Agent header of the answer, cleaned for display
    outcome: str = "no_answer"          # challenged | rejected | accepted | no_answer | closed
    responses: list[str] = field(default_factory=list)  # status lines in order, cleaned

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "status": self.status, "reason": self.reason, "server": self.server,
                "outcome": self.outcome, "responses": self.responses}


@dataclass
class SelfTestResult:
    target: str
    probes: list[Probe]
    verdict: str        # safe | exposed | unknown
    summary: str

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "verdict": self.verdict, "summary": self.summary,
                "probes": [p.to_json() for p in self.probes]}


def check_target(target: str) -> tuple[str, int]:
    """(ip, port) from `ip`, `ip:port` or `[v6]:port`; refuses public addresses and host names."""
    text = target.strip()
    host, port = text, 5060
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest.startswith(":"):
            port = _port(rest[1:])
    elif text.count(":") == 1:
        host, _, p = text.partition(":")
        port = _port(p)
    if not host.strip():
        raise SelfTestRefused("enter the PBX's IP address (for example 192.168.1.10)")
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        raise SelfTestRefused(f"give the PBX's IP address (not a name): {display_text(host, 60)!r}") from None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if not any(addr.version == n.version and addr in n for n in OWN_NETWORKS):
        raise SelfTestRefused(f"{addr} is not a loopback or private (office network) address; GhostWatch only "
                              f"tests a PBX on your own network")
    return str(addr), port


def _port(text: str) -> int:
    port = port_number(text)
    if port is None:
        raise SelfTestRefused(f"give a port number from 1 to 65535: {display_text(text, 20)!r}")
    return port


def run_selftest(target: str, *, consent: bool, timeout: float = TIMEOUT) -> SelfTestResult:
    """Send the two probes to `target` and judge the answers. Raises SelfTestRefused without consent."""
    if not consent:
        raise SelfTestRefused("the self-test sends SIP requests to your PBX; it runs only when you agree to it")
    ip, port = check_target(target)
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
        sock.connect((ip, port))
        local_ip, local_port = sock.getsockname()[:2]
        options = _exchange(sock, "OPTIONS", ip, port, local_ip, local_port, timeout)
        invite = _exchange(sock, "INVITE", ip, port, local_ip, local_port, timeout)
    return _judge(f"{ip}:{port}" if family == socket.AF_INET else f"[{ip}]:{port}", options, invite)


def _request(method: str, ip: str, port: int, local_ip: str, local_port: int, call_id: str, tag: str,
             branch: str, cseq: int = 1, to_tag: str = "") -> bytes:
    host = f"[{ip}]" if ":" in ip else ip
    me = f"[{local_ip}]" if ":" in local_ip else local_ip
    body = ""
    if method == "INVITE":
        body = (f"v=0\r\no=- 1 1 IN IP4 {local_ip}\r\ns=-\r\nc=IN IP4 {local_ip}\r\nt=0 0\r\n"
                f"m=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
    lines = [
        f"{method} sip:100@{host}:{port} SIP/2.0",
        f"Via: SIP/2.0/UDP {me}:{local_port};branch={branch};rport",
        "Max-Forwards: 70",
        f'From: "sipvicious"<sip:100@1.1.1.1>;tag={tag}',
        f"To: <sip:100@{host}>" + (f";tag={to_tag}" if to_tag else ""),
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} {method}",
        f"Contact: <sip:100@{me}:{local_port}>",
        "User-Agent: friendly-scanner",
        "Accept: application/sdp",
    ]
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body.encode())}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def _exchange(sock: socket.socket, method: str, ip: str, port: int, local_ip: str, local_port: int,
              timeout: float) -> Probe:
    probe = Probe(method)
    call_id = f"gw-selftest-{secrets.token_hex(8)}"
    tag, branch = secrets.token_hex(4), "z9hG4bK" + secrets.token_hex(8)
    request = _request(method, ip, port, local_ip, local_port, call_id, tag, branch)
    try:
        return _converse(sock, probe, method, request, ip, port, local_ip, local_port, call_id, tag, branch,
                         timeout)
    except ConnectionRefusedError:  # ICMP port unreachable, reported on a later send or receive
        probe.outcome, probe.reason = "closed", "nothing listens on this port"
        return probe


def _converse(sock, probe, method, request, ip, port, local_ip, local_port, call_id, tag, branch,
              timeout) -> Probe:
    start = time.monotonic()
    deadline = start + timeout
    resend_at = [start + t for t in RETRANSMIT]
    sock.send(request)
    got_provisional = False
    while (now := time.monotonic()) < deadline:
        wake = deadline
        if resend_at and not got_provisional:  # UDP may drop a packet: resend until the PBX answers at all
            if now >= resend_at[0]:
                resend_at.pop(0)
                sock.send(request)
                continue
            wake = min(deadline, resend_at[0])
        sock.settimeout(max(wake - now, 0.01))
        try:
            data = sock.recv(65535)
        except TimeoutError:
            continue
        except ConnectionRefusedError:
            probe.outcome, probe.reason = "closed", "nothing listens on this port"
            return probe
        status, reason, headers = _parse_response(data)
        if status is None or headers.get("call-id") != call_id:
            continue
        probe.responses.append(f"{status} {reason}")
        probe.status, probe.reason = status, reason
        probe.server = display_text(headers.get("server") or headers.get("user-agent") or "", 120)
        if status == 100:
            got_provisional = True
            continue
        to_tag = _tag(headers.get("to", ""))
        if method == "INVITE":
            if status in (180, 183) or 200 <= status < 300:
                probe.outcome = "accepted"
                _hang_up(sock, status, ip, port, local_ip, local_port, call_id, tag, branch, to_tag)
                return probe
            if 101 <= status < 200:
                got_provisional = True
                continue
            sock.send(_request("ACK", ip, port, local_ip, local_port, call_id, tag, branch, 1, to_tag))
        if status in (401, 407):
            probe.outcome = "challenged"
        elif 200 <= status < 300:
            probe.outcome = "accepted"
        else:
            probe.outcome = "rejected"
        return probe
    return probe


def _hang_up(sock, status, ip, port, local_ip, local_port, call_id, tag, branch, to_tag) -> None:
    """Never leave a phone ringing: CANCEL a ringing INVITE, ACK and BYE an answered one."""
    if status < 200:
        cancel = _request("CANCEL", ip, port, local_ip, local_port, call_id, tag, branch)
        sock.send(cancel)
        return
    sock.send(_request("ACK", ip, port, local_ip, local_port, call_id, tag, "z9hG4bK" + secrets.token_hex(8), 1,
                       to_tag))
    sock.send(_request("BYE", ip, port, local_ip, local_port, call_id, tag, "z9hG4bK" + secrets.token_hex(8), 2,
                       to_tag))


def _parse_response(data: bytes) -> tuple[int | None, str, dict[str, str]]:
    text = data.decode("utf-8", "replace")
    head, _, _ = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or parts[0] != "SIP/2.0" or not parts[1].isdigit():
        return None, "", {}
    headers: dict[str, str] = {}
    compact = {"i": "call-id", "t": "to", "f": "from", "v": "via"}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            key = name.strip().lower()
            headers.setdefault(compact.get(key, key), value.strip())
    return int(parts[1]), display_text(parts[2] if len(parts) > 2 else "", 80), headers


def _tag(header: str) -> str:
    for part in header.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "tag":
            return value.strip()
    return ""


def _judge(target: str, options: Probe, invite: Probe) -> SelfTestResult:
    probes = [options, invite]
    if invite.outcome == "accepted":
        return SelfTestResult(target, probes, "exposed", f"Your PBX let a scanner's call through without a login "
                              f"({invite.status} {invite.reason}): this is how ghost calls ring your phones. Do the "
                              f"step \u201cLet no call in without a login\u201d.")
    if invite.outcome == "challenged":
        extra = " It also answers scanners' OPTIONS, so they can find it." if options.outcome == "accepted" else ""
        return SelfTestResult(target, probes, "safe", f"Your PBX asked the scanner's call for a login "
                              f"({invite.status} {invite.reason}) and would not let it ring.{extra}")
    if invite.outcome == "rejected":
        leak = " It answered 404, which tells scanners that extension 100 does not exist: set alwaysauthreject=yes " \
               "(chan_sip) so every refusal looks alike." if invite.status == 404 else ""
        return SelfTestResult(target, probes, "safe", f"Your PBX refused the scanner's call ({invite.status} "
                              f"{invite.reason}).{leak}")
    if invite.outcome == "closed":
        return SelfTestResult(target, probes, "unknown", f"Nothing listens on {target}: check the PBX's address "
                              "and SIP port (step \u201cMove SIP off port 5060\u201d may have moved it).")
    return SelfTestResult(target, probes, "unknown", "Your PBX did not answer at all. That is fine if it listens "
                          "on another port or ignores strangers; check the address and port if you expected an "
                          "answer.")
