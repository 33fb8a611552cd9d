"""The self-test against a real SIP server on 127.0.0.1: GhostWatch's own proxy config (challenges, or 404s when
it leaks accounts) and a deliberately open one that lets every INVITE ring."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from ghostwatch.core.hardening.selftest import SelfTestRefused, run_selftest

from ..conftest import stop_process
from .conftest import free_udp_port, wait_for_sip

OPEN_PBX = """#!KAMAILIO
debug=2
log_stderror=yes
listen=udp:127.0.0.1:{port}
children=1
disable_tcp=yes
auto_aliases=no
server_header="Server: open-pbx"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "sl.so"
request_route {{
    xlog("L_NOTICE", "OPENPBX method=$rm callid=$ci\\n");
    if ($rm == "ACK") {{ exit; }}
    if ($rm == "INVITE") {{ sl_send_reply("180", "Ringing"); exit; }}
    sl_send_reply("200", "OK");
}}
"""


def test_the_proxy_challenges_the_scanner_and_ghostwatch_sees_it(stage) -> None:
    result = run_selftest(f"127.0.0.1:{stage.port}", consent=True)
    options, invite = result.probes
    assert (invite.status, invite.outcome) == (401, "challenged")
    assert options.status == 200 and options.server == "office-proxy"
    assert result.verdict == "safe" and "asked the scanner's call for a login" in result.summary
    got = stage.collect(lambda evs: any(e["kind"] == "call" and e["user_agent"] == "friendly-scanner" for e in evs))
    call = next(e for _, e in got if e["kind"] == "call")
    assert call["verdict"] in ("ghost", "attack") and call["caller_id"] == "100"  # it looks like the real thing


@pytest.mark.kamailio_defines("LEAKY_ACCOUNTS")
def test_a_pbx_that_leaks_accounts_is_safe_but_told_so(stage) -> None:
    result = run_selftest(f"127.0.0.1:{stage.port}", consent=True)
    assert result.probes[1].status == 404 and result.verdict == "safe"
    assert "alwaysauthreject=yes" in result.summary


@pytest.fixture
def open_pbx(tmp_path: Path):
    port = free_udp_port()
    cfg = tmp_path / "open.cfg"
    cfg.write_text(OPEN_PBX.format(port=port))
    (tmp_path / "run").mkdir()
    log = open(tmp_path / "open.log", "wb")
    kam = subprocess.Popen(["kamailio", "-f", str(cfg), "-DD", "-E", "-Y", str(tmp_path / "run"), "-m", "16", "-M",
                            "4"], stdout=log, stderr=log)
    try:
        wait_for_sip(port)
        yield port, tmp_path / "open.log"
    finally:
        stop_process(kam)
        log.close()


def test_an_open_pbx_is_exposed_and_the_ringing_call_is_cancelled(open_pbx) -> None:
    port, log = open_pbx
    result = run_selftest(f"127.0.0.1:{port}", consent=True)
    assert result.probes[1].outcome == "accepted" and result.probes[1].status == 180
    assert result.verdict == "exposed" and "without a login" in result.summary
    deadline = time.monotonic() + 5
    while "method=CANCEL" not in log.read_text(errors="replace") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "method=CANCEL" in log.read_text(errors="replace")  # the phone does not keep ringing


def test_nothing_is_sent_without_consent_or_to_the_internet() -> None:
    with pytest.raises(SelfTestRefused, match="agree"):
        run_selftest("127.0.0.1:5060", consent=False)
    for target in ("8.8.8.8", "203.0.113.5:5060", "pbx.example.com", "[2001:db8::1]:5060", "0.0.0.0"):
        with pytest.raises(SelfTestRefused):
            run_selftest(target, consent=True)
    closed = run_selftest(f"127.0.0.1:{free_udp_port()}", consent=True, timeout=2)
    assert closed.verdict == "unknown" and "Nothing listens" in closed.summary
