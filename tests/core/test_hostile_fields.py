"""The attacker writes the log (issue 15): a table of hostile payloads, put into every field a SIP sender controls in
every dialect, never moves an attack onto another address, rewrites it into something else, or hides it.

Each row is an attack of eight attempts as the PBX would log it, with the payload in one attacker-written field.
It is run through the dialect's parser and through `ghostwatch scan --json`; the source address must be the
socket address the PBX wrote (or, where the PBX's own line cannot tell, none: never the payload's), the kind must
stay what the PBX said, and the verdict must not drop below what the same attack without the payload gets.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from ghostwatch.cli import load_signatures, main
from ghostwatch.core.events import Verdict
from ghostwatch.core.formats import by_format
from ghostwatch.core.timeparse import Clock

SIGS = load_signatures()
ATTACKER = "203.0.113.66"
INNOCENT = ("192.168.1.5", "198.51.100.7", "1.2.3.4")  # the addresses the payloads try to blame

PAYLOADS = {
    "security_event": 'SecurityEvent="SuccessfulAuth",RemoteAddress="IPV4/UDP/192.168.1.5/5060"',
    "failed_for": "' failed for '192.168.1.5:5060' (callid: x",
    "failed_for_reason": "c1) - Failed to authenticate' failed for '192.168.1.5:5060' (callid: x",
    "registration_tail": "' failed for '192.168.1.5:5060' - Wrong password",
    "from_ip": " from ip 198.51.100.7",
    "remote_address": '",RemoteAddress="IPV4/UDP/192.168.1.5/5060",Challenge="',
    # a header folded with CR/LF + space (legal SIP) goes on over a line of its own, that may mimic a prefix
    "crlf": "x\r\n GHOSTWATCH ts=2026-11-26T02:14:07 method=REGISTER src_ip=192.168.1.5 src_port=5060 result=accepted",
    "crlf_prefix": "x\r\n 1(23398) NOTICE: <script>: GHOSTWATCH ts=2026-11-26T02:14:07 method=REGISTER "
                   "src_ip=192.168.1.5 src_port=5060 result=accepted totag=\"\" auth=\"201\" callid=\"f",
    "crlf_asterisk": "x\r\n [2026-11-25 10:00:00] NOTICE[1] chan_sip.c: Registration from '<sip:201@pbx>' failed for "
                     "'192.168.1.5:5060' - Wrong password",
    "markup": "<img src=x onerror=alert(1)>&amp;<b>",
    "huge": "A" * 33_000,
}


@dataclass(frozen=True)
class Row:
    dialect: str          # the file-level format the parser is chosen for
    field: str            # which attacker-written field carries the payload
    name: str             # file name (sniffing uses it)
    lines: Callable[[str, int], str]   # payload, attempt number -> one attempt's log text
    kind: str             # what the PBX said each attempt was
    verdict: Verdict      # the verdict of the same attack without a payload (the floor)
    source: str | None = ATTACKER
    may_name_none: bool = False   # the PBX's own line cannot tell its address once forged (left to the join)


def ts(i: int) -> str:
    return f"2026-11-25 10:00:{i:02d}"


def pjsip_from_uri(payload: str) -> str:
    """pjsip prints the From URI with its user part escaped (pjsip_USER_SPEC), so a payload arrives escaped there."""
    return quote(payload, safe="-_.!~*'()&=+$,;?/")


def sec(event: str, account: str, session: str, tail: str) -> str:
    return (f'SecurityEvent="{event}",EventTV="2026-11-25T10:00:00.000+0000",Severity="Error",Service="PJSIP",'
            f'EventVersion="1",AccountID="{account}",SessionID="{session}",LocalAddress="IPV4/UDP/10.0.0.1/5060",'
            f'RemoteAddress="IPV4/UDP/{ATTACKER}/5060"{tail}')


ROWS = [
    Row("asterisk", "chan_sip To header", "messages", lambda p, i: (
        f"[{ts(i)}] NOTICE[1] chan_sip.c: Registration from '\"{p}\" <sip:100@198.51.100.10>' "
        f"failed for '{ATTACKER}:5060' - Wrong password"), "auth_failure", Verdict.ATTACK),
    Row("asterisk", "chan_sip To URI", "messages", lambda p, i: (
        f"[{ts(i)}] NOTICE[1] chan_sip.c: Registration from '<sip:100{p}@198.51.100.10>' "
        f"failed for '{ATTACKER}:5060' - Wrong password"), "auth_failure", Verdict.ATTACK),
    Row("asterisk", "res_pjsip Call-ID", "messages", lambda p, i: (
        f"[{ts(i)}] NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '<sip:100@198.51.100.10>' "
        f"failed for '{ATTACKER}:5060' (callid: c{i}{p}) - Failed to authenticate"), "auth_failure", Verdict.ATTACK),
    Row("asterisk", "res_pjsip From display name", "messages", lambda p, i: (
        f"[{ts(i)}] NOTICE[1]: res_pjsip/pjsip_distributor.c:676 log_failed_request: Request 'REGISTER' from "
        f"'\"{p}\" <sip:100@198.51.100.10>' failed for '{ATTACKER}:5060' (callid: c{i}) - Failed to authenticate"),
        "auth_failure", Verdict.ATTACK),
    Row("asterisk", "res_pjsip From user (escaped) and Call-ID", "messages", lambda p, i: (
        f"[{ts(i)}] NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from "
        f"'<sip:{pjsip_from_uri(p)}@198.51.100.10>' failed for '{ATTACKER}:5060' (callid: {p}) - "
        f"Failed to authenticate"), "auth_failure", Verdict.ATTACK),
    Row("asterisk", "res_pjsip_session dialled extension", "messages", lambda p, i: (
        f"[{ts(i)}] NOTICE[1] res_pjsip_session.c: anonymous: Call (UDP:{ATTACKER}:5060) to extension "
        f"'0097259{i}{p}' rejected because extension not found in context 'from-sip-external'."), "call",
        Verdict.SUSPICIOUS),
    Row("asterisk", "chan_sip dialled extension", "messages", lambda p, i: (
        f"[{ts(i)}] NOTICE[1] chan_sip.c: Call from '' ({ATTACKER}:5070) to extension '011972{i}{p}' rejected "
        f"because extension not found in context 'public'."), "call", Verdict.SUSPICIOUS),
    Row("asterisk", "AMI user name", "messages", lambda p, i: (
        f"[{ts(i)}] NOTICE[1] manager.c: {ATTACKER} failed to authenticate as 'admin{p}'"), "auth_failure",
        Verdict.ATTACK),
    Row("asterisk", "security AccountID (InvalidAccountID)", "security", lambda p, i: (
        f"[{ts(i)}] SECURITY[1] res_security_log.c: " + sec("InvalidAccountID", f"u{i}{p}", f"s{i}", "")),
        "probe", Verdict.ATTACK),
    Row("asterisk", "security SessionID (ChallengeResponseFailed)", "security", lambda p, i: (
        f"[{ts(i)}] SECURITY[1]: res_security_log.c:114 security_event_stasis_cb: "
        + sec("ChallengeResponseFailed", "100", f"s{i}{p}", ',Challenge="n",Response="r",ExpectedResponse=""')),
        "auth_failure", Verdict.ATTACK, may_name_none=True),
    Row("freeswitch", "auth failure target user", "freeswitch.log", lambda p, i: (
        f"{ts(i)}.000001 [WARNING] sofia_reg.c:1787 SIP auth failure (REGISTER) on sofia profile 'internal' for "
        f"[100{p}@pbx.example.com] from ip {ATTACKER}"), "auth_failure", Verdict.ATTACK),
    Row("freeswitch", "user-agent-filter User-Agent", "freeswitch.log", lambda p, i: (
        f"{ts(i)}.000001 [WARNING] sofia_reg.c:1700 SIP auth failure (REGISTER) due to user-agent-filter.  "
        f"Filter \"friendly-scanner\" User-Agent \"friendly-scanner{p}\""), "auth_failure", Verdict.ATTACK,
        source=None),
    Row("freeswitch", "Can't find user target", "freeswitch.log", lambda p, i: (
        f"{ts(i)}.000001 [WARNING] sofia_reg.c:2906 Can't find user [u{i}{p}@pbx] from {ATTACKER}"), "probe",
        Verdict.ATTACK),
    Row("kamailio", "GHOSTWATCH ua (s.escape.param)", "kamailio.log", lambda p, i: (
        f" 1(23398) NOTICE: <script>: GHOSTWATCH ts=2026-11-25T10:00:{i:02d} method=REGISTER src_ip={ATTACKER} "
        f"src_port=5060 result=auth_failed enc=param totag=\"\" auth=\"100\" from_user=\"100\" from_name=\"\" "
        f"from_host=\"h\" ruri=\"sip:h\" to_user=\"100\" ua=\"{quote(p, safe='')}\" callid=\"c{i}\""),
        "auth_failure", Verdict.ATTACK),
    Row("kamailio", "GHOSTWATCH ua (old s.escape.common: CR/LF pass through)", "kamailio.log", lambda p, i: (
        f" 1(23398) NOTICE: <script>: GHOSTWATCH ts=2026-11-25T10:00:{i:02d} method=REGISTER src_ip={ATTACKER} "
        f"src_port=5060 result=auth_failed totag=\"\" auth=\"100\" from_user=\"100\" from_name=\"\" "
        f"from_host=\"h\" ruri=\"sip:h\" to_user=\"100\" ua=\"{_escape_common(p)}\" callid=\"c{i}\""),
        "auth_failure", Verdict.ATTACK),
]


def _escape_common(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("'", "\\'")


CASES = [(row, key) for row in ROWS for key in PAYLOADS]


def attack(row: Row, payload: str) -> str:
    return "".join(row.lines(payload, i) + "\n" for i in range(8))


def parse(row: Row, text: str) -> list:
    parser = by_format(row.dialect)(row.name, Clock(datetime(2026, 11, 26)), SIGS)
    data = text.encode("utf-8", "surrogateescape")
    return parser.feed(data, 1, True).records


def scan_json(tmp_path: Path, row: Row, text: str, capsys) -> dict:
    path = tmp_path / row.name
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    code = main(["scan", "--json", "--all", "--region", "US", str(path)])
    out = capsys.readouterr().out
    assert code == 0
    return json.loads(out)


@pytest.mark.parametrize(("row", "key"), CASES, ids=[f"{r.dialect}:{r.field}:{k}" for r, k in CASES])
def test_payload_keeps_source_kind_and_verdict(row: Row, key: str, tmp_path: Path, capsys) -> None:
    text = attack(row, PAYLOADS[key])
    records = parse(row, text)
    assert len(records) == 8, [r.raw[0][:200] for r in records]
    for rec in records:
        assert rec.source_ip not in INNOCENT, (key, rec.source_ip, rec.raw[0][:300])
        assert rec.source_ip == row.source or (row.may_name_none and rec.source_ip is None), rec.raw[0][:300]
        assert str(rec.kind) == row.kind
    doc = scan_json(tmp_path, row, text, capsys)
    events = doc["events"]
    assert len(events) == 8
    assert {e["source_ip"] for e in events} <= {row.source} | ({None} if row.may_name_none else set())
    assert not {e["source_ip"] for e in events} & set(INNOCENT)
    worst = max((Verdict(e["verdict"]) for e in events), key=lambda v: v.rank)
    assert worst.rank >= row.verdict.rank, (worst, [e["reasons"] for e in events][-1])
    assert doc["summary"]["files"][0]["unrecognised"] == 0


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.dialect}:{r.field}" for r in ROWS])
def test_the_floor_is_the_plain_attack(row: Row) -> None:
    """Without any payload, each row is the attack it claims to be (so the table's floor means something)."""
    records = parse(row, attack(row, ""))
    assert len(records) == 8 and all(r.source_ip == row.source for r in records)


def test_a_trace_body_is_never_read_as_log_lines(tmp_path: Path, capsys) -> None:
    """Seven "Wrong password" lines and a SuccessfulAuth inside an INVITE's body (`pjsip set logger on`) frame nobody
    and fire no break-in alert: the body is Content-Length bytes of the sender's text."""
    forged = "".join(
        f"[{ts(i)}] NOTICE[1] chan_sip.c: Registration from '<sip:201@pbx>' failed for '198.51.100.7:5060' - "
        f"Wrong password\r\n" for i in range(7))
    forged += f"[{ts(8)}] SECURITY[1] res_security_log.c: " + sec("SuccessfulAuth", "201", "s", ',UsingPassword="1"')
    forged = forged.replace(ATTACKER, "198.51.100.7") + "\r\n"
    headers = (f"INVITE sip:201@198.51.100.10 SIP/2.0\r\nFrom: <sip:1000@{ATTACKER}>;tag=1\r\n"
               f"To: <sip:201@198.51.100.10>\r\nCall-ID: body-1\r\nCSeq: 1 INVITE\r\n"
               f"Content-Type: application/sdp\r\nContent-Length: {len(forged.encode())}\r\n\r\n")
    packet = headers + forged
    text = (f"[{ts(0)}] VERBOSE[1] res_pjsip_logger.c: <--- Received SIP request ({len(packet.encode())} bytes) "
            f"from UDP:{ATTACKER}:5060 --->\n{packet}\n"
            f"[{ts(9)}] NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'INVITE' from '<sip:1000@{ATTACKER}>' "
            f"failed for '{ATTACKER}:5060' (callid: other) - No matching endpoint found\n")
    row = Row("asterisk", "trace body", "full", lambda p, i: "", "call", Verdict.SUSPICIOUS)
    records = parse(row, text)
    assert [r.source_ip for r in records] == [ATTACKER, ATTACKER]
    doc = scan_json(tmp_path, row, text, capsys)
    assert {e["source_ip"] for e in doc["events"]} == {ATTACKER}
    assert all(e["kind"] != "registration" for e in doc["events"])


def test_a_folded_header_cannot_forge_a_kamailio_line() -> None:
    """With the old config's s.escape.common, a CR/LF in a header ends the line and the rest is a line of its own:
    without Kamailio's prefix it is nobody's line."""
    row = ROWS[-1]
    forged = "GHOSTWATCH ts=2026-11-25T10:00:00 method=REGISTER src_ip=192.168.1.5 src_port=5060 result=accepted\n"
    records = parse(row, row.lines("x\r", 0) + "\n" + forged)
    assert [r.source_ip for r in records] == [ATTACKER]


def test_shipped_kamailio_config_escapes_cr_lf() -> None:
    cfg = (Path(__file__).resolve().parents[2] / "resources" / "kamailio" / "ghostwatch-proxy.cfg").read_text()
    line = next(ln for ln in cfg.splitlines() if "GHOSTWATCH ts=" in ln)
    assert "s.escape.common" not in line  # it leaves CR and LF as they are
    assert line.count("{s.escape.param}") == 9 and " enc=param " in line
    fixed, _, attacker = line.partition(" totag=")
    assert "enc=param" in fixed and "src_ip=$si" in fixed  # the proxy's own fields stand before any header's


def test_brute_force_with_lines_longer_than_the_reader_cap(tmp_path: Path, capsys) -> None:
    """Eight failed logins whose Call-IDs are longer than the reader keeps of a line: the reader cuts their middle,
    and source address and reason still come from the fixed parts at both ends."""
    from ghostwatch.ingest.reader import LINE_CAP

    row = ROWS[2]  # res_pjsip Call-ID
    text = attack(row, "A" * (LINE_CAP + 50_000))
    doc = scan_json(tmp_path, row, text, capsys)
    assert [e["source_ip"] for e in doc["events"]] == [ATTACKER] * 8
    assert {e["kind"] for e in doc["events"]} == {"auth_failure"}
    assert {e["verdict"] for e in doc["events"]} == {"attack"}
