"""Issue 14's field variants, each on a real line or on a line written from the PBX's own format string (with the
public place where the wording was seen). Real lines that are not ours to copy live in ../shared/corpus and are
checked through tests/data/corpus_expectations.toml; the ones here are written from the format strings."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from ghostwatch.cli import load_signatures, main
from ghostwatch.core.events import Kind
from ghostwatch.core.formats import by_format
from ghostwatch.core.timeparse import Clock, parse_time
from ghostwatch.ingest.reader import choose_parser, unrecognised_reason

SIGS = load_signatures()


def records(fmt: str, text: str, name: str = "log") -> list:
    parser = by_format(fmt)(name, Clock(datetime(2026, 11, 26)), SIGS)
    res = parser.feed(text.encode(), 1, True)
    assert res.unrecognised == 0, res.samples
    return res.records


# -- Asterisk ------------------------------------------------------------------------------------------------------
def test_iax2_md5_failure_is_a_failed_login() -> None:
    # chan_iax2.c: "Host %s failed MD5 authentication for '%s' (%s != %s)"; the wording as fail2ban's asterisk
    # filter and public jail tests match it ("Host <HOST> failed MD5 authentication for '.*' (.*)").
    [rec] = records("asterisk", "[2024-02-22 10:15:03] NOTICE[12345] chan_iax2.c: Host 203.0.113.34 failed MD5 "
                                "authentication for 'admin' (4a8a08f09d37b737 != 9e107d9d372bb682)\n")
    assert (rec.kind, rec.source_ip, rec.extension, rec.tags) == (Kind.AUTH_FAILURE, "203.0.113.34", "admin",
                                                                  ("auth_failure",))


def test_freepbx_rejecting_unknown_sip_connection_names_the_socket() -> None:
    # FreePBX from-sip-external: Log(WARNING,Rejecting unknown SIP connection from ${CHANNEL(recvip)}); the line as
    # fail2ban's asterisk filter matches it: `WARNING[pid][C-..] Ext. s: "Rejecting unknown SIP connection from
    # <HOST>"` (github.com/fail2ban/fail2ban pull 433).
    for line in ('[2026-11-25 09:00:00] WARNING[2400][C-00000003] Ext. s: "Rejecting unknown SIP connection from '
                 '203.0.113.35"',
                 "[2026-11-25 09:00:00] WARNING[2400][C-00000003]: Ext. s:2 from-sip-external: Rejecting unknown SIP "
                 "connection from 203.0.113.35"):
        [rec] = records("asterisk", line + "\n")
        assert (rec.kind, rec.source_ip, rec.tags) == (Kind.PROBE, "203.0.113.35", ("untrusted_source",))
        assert "CHANNEL(recvip)" in rec.detail and rec.refs == ("ast:C-00000003",)


def trace(request_line: str, headers: str, body: str = "") -> str:
    msg = f"{request_line}\r\n{headers}Content-Length: {len(body.encode())}\r\n\r\n{body}"
    return (f"[2026-11-25 10:00:00] VERBOSE[1] res_pjsip_logger.c: <--- Received SIP request ({len(msg.encode())} "
            f"bytes) from UDP:203.0.113.80:5071 --->\n{msg}\n")


def test_sipcli_announces_itself_in_the_sdp() -> None:
    # sipcli/v1.8's INVITE as captured in public HEP samples (github.com/sipcapture/hepgen.js, config/scanner.js):
    # `o=sipcli-Session 1189727098 1654538214 IN IP4 …` and `s=sipcli`.
    sdp = ("v=0\r\no=sipcli-Session 1189727098 1654538214 IN IP4 192.168.99.99\r\ns=sipcli\r\n"
           "c=IN IP4 192.168.99.99\r\nt=0 0\r\nm=audio 5073 RTP/AVP 18 0 8 101\r\n")
    [rec] = records("asterisk", trace("INVITE sip:900442037690000@198.51.100.10 SIP/2.0",
                                      "From: 1<sip:1@192.168.99.99>;tag=2fd7b751\r\nTo: <sip:900442037690000@x>\r\n"
                                      "Call-ID: 6snx7@127.0.0.1\r\nCSeq: 1 INVITE\r\n", sdp), "full")
    assert "scanner_sdp" in rec.tags and rec.source_ip == "203.0.113.80" and rec.refs == ("sip:6snx7@127.0.0.1",)


def test_sql_injection_in_the_from_user() -> None:
    # issue 14: scanners put `'or''='` in the From user
    [rec] = records("asterisk", trace("REGISTER sip:198.51.100.10 SIP/2.0",
                                      "From: <sip:'or''='@198.51.100.10>;tag=1\r\nTo: <sip:100@198.51.100.10>\r\n"
                                      "Call-ID: q1\r\nCSeq: 1 REGISTER\r\n"), "full")
    assert "sql_injection" in rec.tags


def test_call_on_the_registered_trunk_is_not_direct_ip() -> None:
    # Asterisk puts `line=<token>` in the Contact it registers with its provider; the provider's INVITEs come back
    # to that Request-URI. A call there is the carrier's delivery, not someone dialling the PBX's address.
    [rec] = records("asterisk", trace("INVITE sip:4930123456@198.51.100.10:5060;line=ovnyzqk SIP/2.0",
                                      "From: <sip:+4915112345678@sip.provider.example>;tag=1\r\n"
                                      "To: <sip:4930123456@sip.provider.example>\r\nCall-ID: t1\r\n"
                                      "CSeq: 1 INVITE\r\n"), "full")
    assert rec.external is False and "registered_trunk" in rec.tags


def test_freepbx_user_agent_is_not_suspicious() -> None:
    assert SIGS.agent_match("FPBX-16.0.40.7(18.20.0)") is None
    assert SIGS.agent_match("friendly-scanner") == ("scanner", "friendly-scanner")


def test_console_capture_opening_with_shell_output_is_sniffed_by_content(tmp_path: Path) -> None:
    # what an admin saves from `asterisk -rvvv` with `sip set debug on`: a shell prompt and command output first,
    # and the first SIP marker is one the PBX transmits
    lines = ["root@pbx:~# asterisk -rvvvv", "Asterisk 16.2.1~dfsg-1+deb10u2, Copyright (C) 1999 - 2018, Digium, Inc.",
             "Connected to Asterisk 16.2.1 currently running on pbx (pid = 123)", "pbx*CLI> sip set debug on",
             "SIP Debugging enabled", ""]
    lines += [f"junk {i}" for i in range(40)]
    lines += ["<--- Transmitting (NAT) to 203.0.113.81:5060 --->", "SIP/2.0 401 Unauthorized", "Call-ID: a", "",
              "<------------->", "<--- SIP read from UDP:203.0.113.81:5060 --->",
              "INVITE sip:0097225555555@198.51.100.10 SIP/2.0", "From: <sip:100@203.0.113.81>;tag=1",
              "To: <sip:0097225555555@198.51.100.10>", "Call-ID: b", "CSeq: 1 INVITE", "User-Agent: friendly-scanner",
              "Content-Length: 0", "", "<------------->"]
    path = tmp_path / "capture.txt"
    path.write_text("\n".join(lines) + "\n")
    parser = choose_parser(path, SIGS)
    assert parser is not None and parser.format == "asterisk"
    out = tmp_path / "out.json"
    with out.open("w") as fh:
        assert main(["scan", "--json", str(path)], out=fh) == 0
    doc = json.loads(out.read_text())
    assert [e["source_ip"] for e in doc["events"]] == ["203.0.113.81"]


def test_a_skipped_file_says_why(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\nmilk\n")
    assert choose_parser(path, SIGS) is None
    reason = unrecognised_reason(path)
    assert reason.startswith("format not recognised") and "shopping list" in reason and "skipped" in reason
    out = tmp_path / "out.json"
    with out.open("w") as fh:
        main(["scan", "--json", str(path)], out=fh)
    assert json.loads(out.read_text())["summary"]["files"][0]["error"] == reason


# -- FreeSWITCH ----------------------------------------------------------------------------------------------------
UUID = "4c1dd984-03aa-4428-8ed0-07288d923699"


def test_dialplan_processing_records_the_dialled_number() -> None:
    # mod_dialplan_xml.c: "Processing %s <%s>->%s in context %s"; the INVITE's source comes from its uuid's
    # `receiving invite from` line (wording: github.com/signalwire/freeswitch/issues/1513)
    text = (f"{UUID} 2021-12-31 09:13:14.308671 98.93% [INFO] sofia.c:10462 sofia/internal/1001@198.51.100.10 "
            f"receiving invite from 203.0.113.90:61854 version: 1.10.7 -release 64bit call-id: 7nr1siisue78\n"
            f"{UUID} 2021-12-31 09:13:14.318671 98.93% [INFO] mod_dialplan_xml.c:637 Processing 1001 <1001>->"
            f"00972597751739 in context default\n")
    invite, processing = records("freeswitch", text, "freeswitch.log")
    assert (invite.source_ip, invite.source_port, invite.call_id) == ("203.0.113.90", 61854, "7nr1siisue78")
    assert f"fs:{UUID}" in invite.refs and "sip:7nr1siisue78" in invite.refs
    assert (processing.kind, processing.extension, processing.caller_id, processing.context) == \
        (Kind.CALL, "00972597751739", "1001", "default")
    assert processing.source_ip == "203.0.113.90" and processing.refs == (f"fs:{UUID}",)


def test_wrong_password_after_acl_fallback_is_a_failed_login() -> None:
    # After `Rejected by acl … Falling back to Digest auth` a wrong password shows only as the hang-up's cause
    # (wording: github.com/fusionpbx/fusionpbx/issues/1967 and a public FreeSWITCH log with
    # `Hangup sofia/internal/888892@13.235.45.114 [CS_NEW] [CALL_REJECTED]`).
    text = ("2016-10-05 11:11:51.557386 [DEBUG] sofia.c:9573 sofia/internal/1016@92.61.41.150 receiving invite from "
            "213.202.233.47:5078 version: 1.6.10 -17-726448d 64bit\n"
            "2016-10-05 11:11:51.557386 [DEBUG] sofia.c:9740 IP 213.202.233.47 Rejected by acl \"domains\". Falling "
            "back to Digest auth.\n"
            "2016-10-05 11:11:52.557386 [NOTICE] sofia.c:2417 Hangup sofia/internal/1016@92.61.41.150 [CS_NEW] "
            "[CALL_REJECTED]\n")
    invite, failure = records("freeswitch", text, "freeswitch.log")
    assert (failure.kind, failure.source_ip, failure.extension, failure.tags) == \
        (Kind.AUTH_FAILURE, "213.202.233.47", "1016", ("auth_failure",))


def test_acl_fallback_alone_is_not_a_rejection() -> None:
    assert records("freeswitch", "2016-10-05 11:11:51.557386 [DEBUG] sofia.c:9740 IP 192.168.0.100 Rejected by acl "
                                 "\"domains\". Falling back to Digest auth.\n") == []


def test_nobody_abandoned_wrong_call_state_is_a_probe() -> None:
    # older FreeSWITCH under an INVITE flood leaves only this (issue 14)
    [rec] = records("freeswitch", "2016-10-05 11:12:01.597388 [NOTICE] switch_core_state_machine.c:649 Hangup "
                                  "sofia/internal/nobody@92.61.41.150 [CS_NEW] [WRONG_CALL_STATE]\n")
    assert rec.kind is Kind.PROBE and "WRONG_CALL_STATE" in rec.detail


def test_challenged_invite_carries_the_dialled_number() -> None:
    # fail2ban/fail2ban#1549 journald lines and signalwire/freeswitch issues: `SIP auth challenge (INVITE) … for
    # [66601146812410825@…]` is a toll-fraud probe; the number goes to `extension` for the classifier to judge
    [rec] = records("freeswitch", "Sep 25 20:55:21 fs1 freeswitch[122921]: 2016-09-25 20:55:21.990982 [WARNING] "
                                  "sofia_reg.c:1787 SIP auth challenge (INVITE) on sofia profile 'internal' for "
                                  "[66601146812410825@217.12.247.210] from ip 23.239.87.51\n")
    assert (rec.kind, rec.extension, rec.source_ip, rec.time) == \
        (Kind.CALL, "66601146812410825", "23.239.87.51", "2016-09-25T20:55:21.990982")


# -- year-less dates -----------------------------------------------------------------------------------------------
def test_yearless_dates_take_the_files_year_not_todays(tmp_path: Path) -> None:
    path = tmp_path / "messages"
    path.write_text("[Nov  5 03:00:10] NOTICE[1] chan_sip.c: Registration from '<sip:1@h>' failed for "
                    "'203.0.113.9:5060' - Wrong password\n")
    stamp = datetime(2019, 11, 30, 12, 0).timestamp()
    os.utime(path, (stamp, stamp))
    parser = choose_parser(path, SIGS)
    assert parser is not None
    [rec] = parser.feed(path.read_bytes(), 1, True).records
    assert rec.time == "2019-11-05T03:00:10"


def test_yearless_dates_follow_their_neighbours_over_new_year() -> None:
    clock = Clock(datetime(2027, 1, 3))
    assert parse_time("Dec 30 23:59:00", clock)[0] == "2026-12-30T23:59:00"
    assert parse_time("Jan  2 00:01:00", clock)[0] == "2027-01-02T00:01:00"
    clock = Clock(datetime(2027, 6, 1))
    parse_time("2016-09-25 20:55:21", clock)          # a full date on a neighbouring line
    assert parse_time("Sep 25 20:55:23", clock)[0] == "2016-09-25T20:55:23"
    clock = Clock(datetime(2026, 3, 1))
    assert parse_time("Aug  6 10:00:00", clock)[0] == "2025-08-06T10:00:00"  # never after the file's mtime
