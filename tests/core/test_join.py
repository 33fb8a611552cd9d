"""One event per attempt: the lines of one call, login or probe joined across a PBX's logs (core/join.py).

Lines are the project's own samples in the exact wordings of the PBX sources (tests/data/logs, research notes
log-formats.md) and real lines from ../shared/corpus where a public log holds both halves of an attempt.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from ghostwatch.cli import load_signatures
from ghostwatch.core.events import Kind, Outcome, Record, Verdict
from ghostwatch.core.join import Joiner
from ghostwatch.core.settings import DetectionSettings
from ghostwatch.demo.write import write_logs
from ghostwatch.ingest.scan import scan

from ..conftest import CORPUS

SETTINGS = DetectionSettings(home_region="US")
GUESSER = "203.0.113.20"


def scan_dir(path: Path) -> list:
    events: list = []
    scan([path], SETTINGS, load_signatures(), events.append)
    return sorted(events, key=lambda e: (e.record.file, e.record.line))


def pjsip_notice(second: int, account: str = "201", callid: str = "c1", why: str = "Failed to authenticate",
                 ip: str = GUESSER) -> str:
    # res_pjsip/pjsip_distributor.c log_failed_request()
    return (f"[2026-11-26 02:20:{second:02d}] NOTICE[2411] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from "
            f"'<sip:{account}@198.51.100.10>' failed for '{ip}:5070' (callid: {callid}) - {why}\n")


def security(second: int, event: str = "ChallengeResponseFailed", account: str = "201", session: str = "c1",
             service: str = "PJSIP", ip: str = GUESSER) -> str:
    # res_security_log.c security_event_stasis_cb()
    return (f'[2026-11-26 02:20:{second:02d}] SECURITY[2290] res_security_log.c: SecurityEvent="{event}",'
            f'EventTV="2026-11-26T02:20:{second:02d}.120+0000",Severity="Error",Service="{service}",'
            f'EventVersion="1",AccountID="{account}",SessionID="{session}",LocalAddress="IPV4/UDP/192.168.1.10/5060",'
            f'RemoteAddress="IPV4/UDP/{ip}/5070"\n')


def test_pjsip_failed_login_in_full_and_security_is_one_attempt(tmp_path: Path) -> None:
    (tmp_path / "full").write_text("".join(pjsip_notice(s, callid=f"c{s}") for s in range(16)))
    (tmp_path / "security").write_text("".join(security(s, session=f"c{s}") for s in range(16)))
    events = scan_dir(tmp_path)
    assert len(events) == 16  # not 32: each attempt once, with both lines as its evidence
    assert all(sorted(x.format for x in e.lines) == ["asterisk", "asterisk_security"] for e in events)
    assert all(e.record.source_ip == GUESSER and e.record.kind is Kind.AUTH_FAILURE for e in events)
    assert {e.verdict for e in events} == {Verdict.ATTACK}  # the whole run, with hindsight


def test_chan_sip_wrong_password_and_its_security_event_join_by_address_account_and_second(tmp_path: Path) -> None:
    # chan_sip writes no Call-ID in either line (the SessionID is a pointer): address + account + second join them
    notice = ("[2026-11-26 02:20:{s:02d}] NOTICE[3734] chan_sip.c: Registration from '\"3810\" <sip:3810@1.2.3.4:5060>'"
              " failed for '37.8.26.31:5065' - Wrong password\n")
    (tmp_path / "full").write_text("".join(notice.format(s=s) for s in (1, 9, 30)))
    (tmp_path / "security").write_text("".join(
        security(s, "InvalidPassword", "3810", f"0x7fa5280{s}", "SIP", "37.8.26.31") for s in (1, 9, 30)))
    events = scan_dir(tmp_path)
    assert [len(e.lines) for e in events] == [2, 2, 2]
    assert [e.record.extension for e in events] == ["3810"] * 3


def test_a_scanner_reusing_one_call_id_is_still_one_attempt_per_request(tmp_path: Path) -> None:
    (tmp_path / "full").write_text("".join(pjsip_notice(s, account=str(100 + s), callid="same", why="No matching "
                                                        "endpoint found") for s in range(6)))
    events = scan_dir(tmp_path)
    assert len(events) == 6 and all(len(e.lines) == 1 for e in events)


def test_a_forged_security_event_takes_its_address_from_the_notice_of_the_same_attempt() -> None:
    joiner = Joiner()
    notice = Record("2026-11-26T02:20:05", "full", 1, "asterisk", Kind.AUTH_FAILURE, source_ip=GUESSER,
                    extension="201", epoch=1.0e9 + 5, tags=("auth_failure",))
    forged = notice._replace(file="security", format="asterisk_security", source_ip=None, line=7)
    a, created = joiner.add(notice)
    b, joined = joiner.add(forged)
    assert created and not joined and a is b and a.record.source_ip == GUESSER
    # a line of another address never joins, even with the same account and second
    other, new = joiner.add(forged._replace(source_ip="198.51.100.99"))
    assert new and other is not a
    # nor does a forged line (no address it could be trusted for) join an office phone's failure of that second:
    # its injected fields would make the phone look like the attacker
    phone, _ = joiner.add(notice._replace(source_ip="192.168.1.21", line=20, extension="202"))
    alone, created = joiner.add(forged._replace(extension="202", line=21, tags=("auth_failure", "log_injection")))
    assert created and alone is not phone and "log_injection" not in phone.record.tags


def test_a_call_in_full_and_its_cdr_row_are_one_ghost_call_that_rang(tmp_path: Path) -> None:
    write_logs(tmp_path, datetime(2026, 11, 25))  # the demo office: full, security and the CDR
    events = scan_dir(tmp_path)
    ghosts = [e for e in events if e.verdict is Verdict.GHOST]
    assert [(e.record.caller_id, e.record.outcome) for e in ghosts] == \
        [("1001", Outcome.RANG), ("100", Outcome.RANG), ("1000", Outcome.RANG)]
    for e in ghosts:  # the dialplan line that let it in, nobody answering, the CDR row
        assert sorted(x.format for x in e.lines) == ["asterisk", "asterisk", "asterisk_cdr"]
        assert any("Nobody picked up" in line for line in e.record.raw)
    # the office's failed logins and the scanner's probes are written to `full` and `security`: counted once
    assert sum(e.record.kind is Kind.AUTH_FAILURE for e in events) == 45
    assert sum(e.record.kind is Kind.PROBE and e.record.source_ip == "203.0.113.7" for e in events) == 41
    # the toll-fraud calls were refused: attacks, not ghost calls that "rang"
    fraud = [e for e in events if e.record.source_ip == "192.0.2.180"]
    assert [e.verdict for e in fraud] == [Verdict.ATTACK] * 3
    assert all(e.record.outcome is Outcome.REJECTED for e in fraud)


def test_cdr_rows_of_one_forked_dial_are_one_call_and_a_restarted_pbx_does_not_merge_calls() -> None:
    path = CORPUS / "asterisk-cdr" / "mineevburyat-dj-asterisk-cdr_Master.csv"
    restarted = CORPUS / "asterisk-cdr" / "KelySaina-cdr_Master.csv"
    if not (path.exists() and restarted.exists()):
        pytest.skip(f"shared corpus not found at {CORPUS} (not copied into this repository: licences unclear)")
    events = scan_dir(path)
    by_line = {e.record.line: e for e in events}
    # rows 4-6 share uniqueid 1706369600.6: the dial to 301 and to a second PBX, then the hang-up
    assert [x.line for x in by_line[4].lines] == [4, 5, 6]
    assert by_line[4].record.outcome is Outcome.RANG and by_line[4].record.caller_id == "89245555937"
    # the same channel names come back after a restart (PJSIP/client1-00000000), with new uniqueids: new calls
    calls = scan_dir(restarted)
    assert len(calls) == 14 and all(len(e.lines) == 1 for e in calls)


def trace_and_notice(callid: str, second: int) -> str:
    # res_pjsip_logger.c trace block, then res_pjsip's notice about the same request
    return (f"[2026-11-26 02:20:{second:02d}] VERBOSE[2301] res_pjsip_logger.c: <--- Received SIP request (512 bytes) "
            f"from UDP:45.134.144.21:5071 --->\n"
            "INVITE sip:201@198.51.100.10 SIP/2.0\n"
            "Via: SIP/2.0/UDP 45.134.144.21:5071;branch=z9hG4bK-1;rport\n"
            'From: "1001"<sip:1001@45.134.144.21>;tag=1\n'
            "To: <sip:201@198.51.100.10>\n"
            "User-Agent: friendly-scanner\n"
            f"Call-ID: {callid}\n"
            "CSeq: 1 INVITE\n"
            "Content-Length: 0\n"
            "\n"
            f"[2026-11-26 02:20:{second:02d}] NOTICE[2411] res_pjsip/pjsip_distributor.c: Request 'INVITE' from "
            f"'\"1001\" <sip:1001@45.134.144.21>' failed for '45.134.144.21:5071' (callid: {callid}) - "
            f"No matching endpoint found\n")


def test_a_rejected_invite_in_a_sip_trace_and_its_notice_are_one_blocked_ghost_call(tmp_path: Path) -> None:
    (tmp_path / "full").write_text(trace_and_notice("a1", 1) + trace_and_notice("a1", 3) + trace_and_notice("b2", 4))
    events = scan_dir(tmp_path)
    assert len(events) == 3  # the scanner reused Call-ID a1: two requests, two attempts
    for e in events:
        assert sorted(x.format for x in e.lines) == ["asterisk", "asterisk_sip_trace"]
        assert e.verdict is Verdict.GHOST and e.record.outcome is Outcome.REJECTED
        assert e.record.user_agent == "friendly-scanner" and e.record.caller_id == "1001"  # from the trace


def test_freeswitch_lines_join_by_channel_uuid_and_legs_by_their_shared_uuid() -> None:
    uuid = "8b952f41-bb60-4332-9599-186d4a6d5c8a"
    base = Record("2022-02-21T16:53:28", "freeswitch.log", 3, "freeswitch", Kind.CALL, source_ip="172.16.30.51",
                  call_id=uuid, epoch=1645462408.0, outcome=Outcome.UNKNOWN, detail="receiving invite")
    joiner = Joiner()
    a, _ = joiner.add(base)
    b, created = joiner.add(base._replace(line=40, source_ip=None, outcome=Outcome.RANG, detail="ringing"))
    assert a is b and not created and a.record.outcome is Outcome.RANG
    cdr = Record(None, "Master.csv", 2, "freeswitch_cdr", Kind.CALL, caller_id="1234567", call_id=uuid,
                 epoch=1645462408.0, outcome=Outcome.ANSWERED)
    c, _ = joiner.add(cdr)
    assert c is a and [x.line for x in a.evidence] == [3, 40, 2] and a.record.caller_id == "1234567"
    # the b-leg names the a-leg's UUID among its keys (bleg_uuid / originate lines): one call
    b_leg = Record(None, "freeswitch.log", 50, "freeswitch", Kind.CALL, call_id="0f5c2c2a-6e1d-4c1b-9a53-2f9d3c1b7e10",
                   refs=(f"fs:{uuid}",), epoch=1645462409.0, detail="originate")
    d, _ = joiner.add(b_leg)
    assert d is a
    # a second line of the same kind under one id is another attempt (a log that reuses an id for everything)
    again, created = joiner.add(base._replace(line=60))
    assert created and again is not a


def test_one_id_reused_for_every_rejected_call_does_not_make_one_call_of_a_night() -> None:
    joiner = Joiner()
    calls = {joiner.add(Record(None, "full", n, "asterisk", Kind.CALL, source_ip=f"198.51.100.{n}",
                               call_id="C-00000000", epoch=1.0e9 + n, detail="extension not found"))[0].id
             for n in range(1, 200)}
    assert len(calls) == 199


def test_freeswitch_invite_and_its_dialplan_line_are_one_toll_fraud_call(tmp_path: Path) -> None:
    """sofia's "receiving invite from" (the socket) and mod_dialplan_xml's "Processing" (the number dialled), joined
    by the channel UUID both lines start with; wordings as in signalwire/freeswitch issue 1559 and the issue text."""
    uuid = "a1b2c3d4-0000-4000-8000-000000000001"
    (tmp_path / "freeswitch.log").write_text(
        f"{uuid} 2016-09-25 20:55:21.990982 [INFO] sofia.c:10333 sofia/internal/1001@198.51.100.10 receiving invite "
        f"from 45.134.144.21:5072 version: 1.6.12 64bit call-id: abc\n"
        f"{uuid} 2016-09-25 20:55:21.990982 [INFO] mod_dialplan_xml.c:637 Processing 1001 <1001>->00972597634123 in "
        f"context default\n"
        "2016-09-25 20:56:21.990982 [WARNING] sofia_reg.c:1742 SIP auth failure (INVITE) on sofia profile 'internal' "
        "for [810972597634123@198.51.100.10] from ip 45.134.144.22\n")
    call, refused = scan_dir(tmp_path)
    assert [x.line for x in call.lines] == [1, 2]
    assert (call.record.source_ip, call.record.extension, call.verdict) == ("45.134.144.21", "00972597634123",
                                                                           Verdict.ATTACK)
    assert "toll_fraud_attempt" in {r.code for r in call.reasons}
    assert refused.record.kind is Kind.AUTH_FAILURE and "toll_fraud_attempt" in {r.code for r in refused.reasons}


def test_an_attempt_whose_run_was_replaced_while_the_log_went_back_in_time_is_still_printed(tmp_path: Path) -> None:
    """Logs concatenated out of order (fail2ban's test file): a run replaced by the same address's later run, with
    no sweep after it, keeps its undecided attempt until the end of the scan, which prints it."""
    (tmp_path / "full").write_text(
        pjsip_notice(1, ip="192.0.2.1").replace("2026-11-26", "2026-11-27")
        + pjsip_notice(2, ip="10.250.251.252")
        + pjsip_notice(3, ip="10.250.251.252", why="No matching endpoint found").replace("02:20", "23:59"))
    assert len(scan_dir(tmp_path)) == 3
