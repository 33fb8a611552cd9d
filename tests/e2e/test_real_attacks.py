"""Real attack tools against a real Kamailio on 127.0.0.1, caught live by `ghostwatch watch`.

Everything here runs on the loopback address only. All traffic comes from 127.0.0.1, so every test has its own
proxy and its own history (correlation must not carry one tool's failures into the next test).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import DATA, free_udp_port

LIVE_WITHIN = 2.0  # seconds from starting the attack tool to the first event it caused


def codes(event: dict) -> set[str]:
    return {r["code"] for r in event["reasons"]}


def first_latency(started: float, got: list[tuple[float, dict]]) -> float:
    return got[0][0] - started


def test_svmap_is_a_scanner_probe(stage):
    started = stage.attack("svmap", f"-p{stage.port}", "127.0.0.1")
    got = stage.collect(lambda evs: any(e["user_agent"] == "friendly-scanner" for e in evs))
    probe = next(e for _, e in got if e["user_agent"] == "friendly-scanner")
    assert (probe["kind"], probe["verdict"], probe["source_ip"]) == ("probe", "attack", "127.0.0.1")
    assert {"scanner_user_agent", "scanner_caller_id", "scanner_display_name", "scanner_from_host"} <= codes(probe)
    assert probe["caller_id"] == "100" and probe["format"] == "kamailio"
    assert first_latency(started, got) < LIVE_WITHIN


def test_shipped_proxy_config_gives_svwar_nothing_and_is_still_seen(stage):
    """Unknown accounts get the same 401 as real ones: svwar gives up at once, and the probe is still flagged."""
    stage.attack("svwar", f"-p{stage.port}", "--force", "-e100-140", "127.0.0.1")
    got = stage.collect(lambda evs: len(evs) >= 2)
    assert all(e["verdict"] == "attack" and "scanner_user_agent" in codes(e) for _, e in got)
    assert {"no_matching_endpoint"} <= codes(got[0][1])


@pytest.mark.kamailio_defines("LEAKY_ACCOUNTS")  # like a PBX without alwaysauthreject: 404 for unknown accounts
def test_svwar_is_extension_hunting(stage):
    started = stage.attack("svwar", f"-p{stage.port}", "-e100-140", "127.0.0.1")
    got = stage.collect(lambda evs: any("enumeration" in codes(e) for e in evs))
    hunting = [e for _, e in got if "enumeration" in codes(e)]
    assert all(e["verdict"] == "attack" and e["source_ip"] == "127.0.0.1" for e in hunting)
    assert "no_matching_endpoint" in codes(hunting[0])
    assert first_latency(started, got) < LIVE_WITHIN


def test_svcrack_is_password_guessing(stage):
    started = stage.attack("svcrack", f"-p{stage.port}", "-u201", "-r1-12", "127.0.0.1", timeout=90)
    got = stage.collect(lambda evs: any("brute_force" in codes(e) for e in evs))
    failures = [e for _, e in got if e["kind"] == "auth_failure"]
    assert len(failures) >= 6 and all(e["extension"] == "201" for e in failures)
    assert "brute_force" in codes(failures[-1]) and failures[-1]["verdict"] == "attack"
    assert first_latency(started, got) < LIVE_WITHIN


def _sipp(stage, scenario: str, *extra: str) -> float:
    return stage.attack("sipp", "-sf", str(DATA / scenario), "-i", "127.0.0.1", "-p", str(free_udp_port()),
                        "-nostdin",
                        "-timeout", "20s", "-timeout_error", *extra, f"127.0.0.1:{stage.port}")


def test_sipp_invite_flood_with_a_normal_user_agent_is_ghost_calls(stage):
    started = _sipp(stage, "ghost_invites.xml", "-inf", str(DATA / "ghost_callers.csv"), "-r", "30", "-m", "90")
    # the proxy's pike module blocks the flood after a few requests (that is its job); what got through and the
    # block itself are both reported
    got = stage.collect(lambda evs: any(e["format"] == "kamailio" and e["kind"] == "probe" and "flood" in codes(e)
                                        and e["caller_id"] is None for e in evs), timeout=30)
    calls = [e for _, e in got if e["kind"] == "call"]
    assert {e["caller_id"] for e in calls} == {"100", "1000", "1001"}
    assert all(e["verdict"] == "ghost" and "scanner_caller_id" in codes(e) for e in calls)
    assert all(e["user_agent"] == "Grandstream GXP2170 1.0.11.3" for e in calls)  # no scanner user agent needed
    assert all(e["outcome"] == "rejected" and e["extension"] == "200" for e in calls)
    block = got[-1][1]
    assert (block["source_ip"], block["verdict"]) == ("127.0.0.1", "attack")
    assert first_latency(started, got) < LIVE_WITHIN


@pytest.mark.kamailio_defines("LEAKY_ACCOUNTS")
def test_changed_user_agent_still_flagged_by_behaviour(stage):
    """svwar and svcrack patched to send a phone's User-Agent: enumeration and brute force still show."""
    patched = ("import sys, sipvicious.libs.svhelper as h\n"
               "orig = h.makeRequest\n"
               "def make(*a, **k):\n"
               "    k['useragent'] = 'Yealink SIP-T46S 66.86.0.15'\n"
               "    return orig(*a, **k)\n"
               "h.makeRequest = make\n")
    python = shutil.which("python3") or "/usr/bin/python3"
    env = dict(os.environ)
    if Path("/usr/share/sipvicious/sipvicious").is_dir():  # where Debian's package keeps the modules
        env["PYTHONPATH"] = "/usr/share/sipvicious"
    probe = subprocess.run([python, "-c", "import sipvicious.libs.svhelper as h; print(h.makeRequest)"],
                           capture_output=True, text=True, check=False, env=env)
    assert probe.returncode == 0, f"sipvicious's module layout changed: {probe.stderr[-500:]}"
    script = patched + ("from sipvicious import svwar; sys.argv = ['svwar', '-p%d' % int(sys.argv[1]), "
                        "'-e100-140', '127.0.0.1']; svwar.main()")
    stage.attack(python, "-c", script, str(stage.port), env=env)
    got = stage.collect(lambda evs: any("enumeration" in codes(e) for e in evs))
    assert all(e["user_agent"] != "friendly-scanner" for _, e in got)
    assert any(e["verdict"] == "attack" for _, e in got)


def test_office_phone_stays_normal(stage):
    _sipp(stage, "office_phone.xml", "-m", "1")
    got = stage.collect(lambda evs: any(e["kind"] == "call" for e in evs))
    assert [e["verdict"] for _, e in got] == ["normal"] * len(got), [(e["kind"], codes(e)) for _, e in got]
    kinds = [e["kind"] for _, e in got]
    assert "registration" in kinds and kinds[-1] == "call"
    call = got[-1][1]
    assert (call["caller_id"], call["extension"], call["user_agent"]) == ("201", "202", "Yealink SIP-T46S 66.86.0.15")


def test_desktop_app_shows_the_attack_and_notifies(qtbot, qapp, stage, tmp_path):
    """The window on the proxy's log folder: svmap's probe becomes a row and one notification."""
    from ghostwatch.ui.app import Controller, LaunchOptions

    c = Controller(qapp, LaunchOptions(data_dir=str(tmp_path / "gui"), logs=(str(stage.logs),), interactive=False))
    try:
        c.start()
        qtbot.waitUntil(lambda: c.monitor.current.state == "live", timeout=15000)
        stage.attack("svmap", f"-p{stage.port}", "127.0.0.1")
        qtbot.waitUntil(lambda: c.window.model.rowCount() >= 1, timeout=15000)
        row = c.window.model.rows[0]
        assert (row.source_ip, str(row.verdict), row.user_agent) == ("127.0.0.1", "attack", "friendly-scanner")
        qtbot.waitUntil(lambda: len(c.notifications) == 1, timeout=5000)
        assert c.notifications[0].title == "Scan by SIPVicious from 127.0.0.1"  # the tool named by its user agent
        assert "friendly-scanner" in c.notifications[0].body
    finally:
        c.shutdown()
