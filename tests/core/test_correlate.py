"""Behaviour over several time scales, on real log wordings (the source of each is named), read by `scan` from real
files: CrowdSec's fast buckets, svwar's short hunts, fail2ban's stock jail, slow persistence, IPv6 prefixes, and
the memory bound of the correlation state."""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta
from pathlib import Path

from ghostwatch.core.correlate import Correlator, span
from ghostwatch.core.events import Kind, Record
from ghostwatch.core.numbers import looks_international
from ghostwatch.core.settings import DetectionSettings, Thresholds, default_thresholds
from ghostwatch.core.signatures import Signatures
from ghostwatch.ingest.scan import scan
from ghostwatch.paths import resources_dir

SIGNATURES = Signatures.load(resources_dir() / "signatures.toml")
T0 = datetime(2026, 11, 24, 2, 0, 0)


def run(tmp_path: Path, lines: list[str], name: str = "messages") -> list[dict]:
    """`scan`'s events for these lines, in line order. An attacker is judged over its run (the episode): once a
    scale fires, every attempt of the run carries the verdict and the reason, so thresholds are tested by the
    shortest run that fires and the longest that does not."""
    f = tmp_path / name
    f.write_text("\n".join(lines) + "\n")
    got: list[dict] = []
    scan([f], DetectionSettings(home_region="US"), SIGNATURES, on_event=lambda e: got.append(e.to_json()))
    return sorted(got, key=lambda e: e["line"])


def texts(event: dict, code: str) -> list[str]:
    return [r["text"] for r in event["reasons"] if r["code"] == code]


def all_texts(events: list[dict], code: str) -> set[str]:
    return {t for e in events for t in texts(e, code)}


def verdicts(events: list[dict]) -> set[str]:
    return {e["verdict"] for e in events}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# chan_sip "Wrong password" as in NethServer/dev#7481 (without its syslog and colour wrapping)
def chan_sip(t: datetime, ext: str, ip: str) -> str:
    return (f"[{t:%Y-%m-%d %H:%M:%S}] NOTICE[150]: chan_sip.c:29058 handle_request_register: Registration from "
            f"'<sip:{ext}@99.88.77.66>' failed for '{ip}:5050' - Wrong password")


# res_pjsip's refusal as in asterisk/asterisk#1286 and fail2ban's asterisk test lines
def pjsip(t: datetime, user: str, ip: str, why: str = "No matching endpoint found") -> str:
    host = f"[{ip}]" if ":" in ip else ip
    return (f"[{t:%Y-%m-%d %H:%M:%S}] NOTICE[1987]: res_pjsip/pjsip_distributor.c:688 log_failed_request: Request "
            f"'REGISTER' from '<sip:{user}@10.137.0.44>' failed for '{host}:55997' (callid: c{t:%H%M%S}) - {why}")


# AMI as in AllStarLink/app_rpt#420
def ami(t: datetime, user: str, ip: str) -> list[str]:
    stamp = f"[{t:%Y-%m-%d %H:%M:%S}.453] NOTICE[447030] manager.c:"
    return [f"{stamp} {ip} tried to authenticate with nonexistent user '{user}'",
            f"{stamp} {ip} failed to authenticate as '{user}'"]


# FreeSWITCH as in signalwire/freeswitch#2747 and fail2ban's freeswitch test lines
def fs_challenge(t: datetime, user: str, ip: str, method: str = "REGISTER") -> str:
    return (f"{t:%Y-%m-%d %H:%M:%S}.083037 [WARNING] sofia_reg.c:1795 SIP auth challenge ({method}) on sofia profile "
            f"'internal' for [{user}@freeswich] from ip {ip}")


def test_fast_burst_is_crowdsecs_bucket(tmp_path):
    # on a LAN address only the fast scales apply: six wrong passwords in five seconds overflow the bucket...
    events = run(tmp_path, [chan_sip(at(k), "6001", "192.168.1.77") for k in range(6)])
    assert verdicts(events) == {"attack"}
    (text,) = all_texts(events, "brute_force")
    assert "6 failed logins" in text and "5 seconds" in text and "CrowdSec's asterisk_bf" in text
    # ...five do not (more than 5), nor do six a minute apart
    assert verdicts(run(tmp_path, [chan_sip(at(k), "6001", "192.168.1.77") for k in range(5)], "b")) == {"suspicious"}
    assert verdicts(run(tmp_path, [chan_sip(at(60 * k), "6001", "192.168.1.77") for k in range(6)], "c")) == {
        "suspicious"}


def test_slow_guessing_one_a_minute_is_fail2bans_jail(tmp_path):
    events = run(tmp_path, [chan_sip(at(60 * k), "6001", "137.184.125.78") for k in range(5)])
    assert verdicts(events) == {"attack"}
    (text,) = all_texts(events, "brute_force")
    assert "5 times" in text and "4 minutes" in text and "fail2ban's stock jail bans 5 within 10 minutes" in text
    # four a minute apart, or five spread over more than ten minutes, are not enough
    assert verdicts(run(tmp_path, [chan_sip(at(60 * k), "6001", "137.184.125.78") for k in range(4)], "b")) == {
        "suspicious"}
    assert verdicts(run(tmp_path, [chan_sip(at(160 * k), "6001", "137.184.125.78") for k in range(5)], "c")) == {
        "suspicious"}


def test_ami_logins_ten_seconds_apart_escalate(tmp_path):
    lines = [line for k, user in enumerate(["webmaster", "admin", "webmaster", "manager"])
             for line in ami(at(10 * k), user, "203.212.232.86")]
    events = run(tmp_path, lines)
    assert verdicts(events) == {"attack"}
    assert any("fail2ban" in t for t in all_texts(events, "brute_force") | all_texts(events, "enumeration"))
    assert not any("CrowdSec" in t for t in all_texts(events, "brute_force"))  # the bucket drains as it fills


def test_bursts_hours_apart_are_persistent_guessing(tmp_path):
    lines = [pjsip(at(3600 * h + 20 * k), name, "45.134.144.21")
             for h, names in ((0, ("office", "fax")), (2, ("sales", "info2")), (5, ("billing", "hr")))
             for k, name in enumerate(names)]
    events = run(tmp_path, lines)
    # one run: a source's run lasts as long as the slow-persistence window can see it, so the third burst makes the
    # first two attacks too, with hindsight
    assert verdicts(events) == {"attack"}
    (text,) = all_texts(events, "brute_force")
    assert "3 bursts an hour or more apart over 5 hours" in text
    assert verdicts(run(tmp_path, lines[:4], "b")) == {"suspicious"}  # two bursts are not persistence


def test_short_svwar_hunt_is_an_attack_at_the_third_name(tmp_path):
    # svwar against a PBX that has 101 and 102: only the unknown names leave a line
    events = run(tmp_path, [pjsip(at(k), name, "45.134.144.21") for k, name in enumerate(("100", "1000", "1001"))])
    assert verdicts(events) == {"attack"}
    (text,) = all_texts(events, "enumeration")
    assert "3 scanner-typical or consecutive account names (100, 1000, 1001)" in text and "svwar" in text
    two = run(tmp_path, [pjsip(at(k), name, "45.134.144.21") for k, name in enumerate(("100", "1000"))], "b")
    assert verdicts(two) == {"suspicious"}


def test_the_same_unknown_name_retried_escalates(tmp_path):
    events = run(tmp_path, [pjsip(at(10 * k), "ext7", "45.134.144.22") for k in range(5)])
    assert verdicts(events) == {"attack"}
    (text,) = all_texts(events, "brute_force")
    assert "\u201cext7\u201d was tried 5 times" in text and "40 seconds" in text


def test_a_phone_with_a_stale_password_or_on_the_lan_is_not_an_attacker(tmp_path):
    registered = (f"[{at(0):%Y-%m-%d %H:%M:%S}] VERBOSE[2211] res_pjsip_registrar.c:     -- Added contact "
                  f"'sip:204@198.51.100.44:5062;transport=udp' to AOR '204' with expiration of 3600 seconds")
    lines = [registered] + [pjsip(at(60 + 60 * k), "204", "198.51.100.44", "Failed to authenticate") for k in range(15)]
    lines += [pjsip(at(60 * k), "8001", "192.168.1.110") for k in range(15)]
    events = run(tmp_path, lines)
    assert {e["verdict"] for e in events} <= {"normal", "suspicious"}


def test_an_ipv6_attacker_rotating_through_one_prefix_is_one_source(tmp_path):
    lines = [pjsip(at(20 * k), "102", f"2001:db8:4a:7::{k + 1:x}", "Failed to authenticate") for k in range(6)]
    events = run(tmp_path, lines)
    assert events[-1]["verdict"] == "attack"  # the fifth address of the /64 makes five failures of one prefix
    assert any("the addresses of 2001:db8:4a:7::/64" in t for t in all_texts(events, "brute_force"))
    lines = [pjsip(at(20 * k), "102", f"2001:db8:99:{k + 1:x}::5", "Failed to authenticate") for k in range(5)]
    events = run(tmp_path, lines, "b")
    assert events[-1]["verdict"] == "attack"
    assert any("the addresses of 2001:db8:99::/56" in t for t in all_texts(events, "brute_force"))
    lines = [pjsip(at(20 * k), "102", f"2001:db8:{k + 1:x}::5", "Failed to authenticate") for k in range(5)]
    assert verdicts(run(tmp_path, lines, "c")) == {"suspicious"}  # five different /48s: five sources


def test_freeswitch_challenges_scattered_names_hunt_office_numbering_does_not(tmp_path):
    # signalwire/freeswitch#2747: 99.18.98.187 asks for 4711, 330, 1110, 456 within a minute and a half
    scan_lines = [fs_challenge(at(s), name, "99.18.98.187") for s, name in ((0, "4711"), (17, "330"),
                                                                             (87, "1110"), (91, "456"))]
    events = run(tmp_path, scan_lines)
    assert events[-1]["verdict"] == "attack" and texts(events[-1], "enumeration")
    assert verdicts(run(tmp_path, scan_lines[:3], "three.log")) <= {"normal"}
    # a branch office's four phones behind one address, booting together and renewing every ten minutes
    office = [fs_challenge(at(600 * r + k), str(1011 + k), "203.0.113.55") for r in range(3) for k in range(4)]
    assert {e["verdict"] for e in run(tmp_path, office, "office.log")} <= {"normal"}


def test_freeswitch_invite_abroad_from_a_stranger_is_toll_fraud(tmp_path):
    # fail2ban's freeswitch test lines: a challenged INVITE to 011 44..., a refused one to 000 972...
    lines = [fs_challenge(at(0), "011448708752617", "81.94.202.251", "INVITE"),
             f"{at(1):%Y-%m-%d %H:%M:%S}.767815 [WARNING] sofia_reg.c:1478 SIP auth failure (INVITE) on sofia profile "
             f"'internal' for [000972543480510@192.168.2.51] from ip 5.11.47.236"]
    events = run(tmp_path, lines)
    assert verdicts(events) == {"attack"}
    assert all(texts(e, "toll_fraud_attempt") for e in events)


REMOTE_PHONE_CALLS_ABROAD = [fs_challenge(at(0), "1001", "198.51.100.101"),
                             fs_challenge(at(600), "1001", "198.51.100.101"),
                             fs_challenge(at(700), "0044207946000", "198.51.100.101", "INVITE")]


# FreeSWITCH's refusal of an account its directory does not hold, as in fail2ban/fail2ban#2161 (the PBX's own
# address there, 172.31.30.163, kept; its help text that follows each line left out)
def fs_no_user(t: datetime, user: str, ip: str) -> list[str]:
    stamp = f"{t:%Y-%m-%d %H:%M:%S}.051799 [WARNING]"
    return [f"{stamp} sofia_reg.c:2906 Can't find user [{user}@172.31.30.163] from {ip}",
            f"{stamp} sofia_reg.c:1737 SIP auth failure (REGISTER) on sofia profile 'internal' for "
            f"[{user}@XX.XX.XXX.XXX] from ip {ip}"]


def test_a_made_up_repeated_digit_account_that_does_not_exist_is_a_hunt(tmp_path):
    # fail2ban#2161: an outside address challenged twice for 1111111, then refused twice: the account does not exist
    lines = [fs_challenge(at(0), "1111111", "37.49.231.10"), fs_challenge(at(4), "1111111", "37.49.231.10"),
             *fs_no_user(at(5), "1111111", "37.49.231.10"), *fs_no_user(at(5), "1111111", "37.49.231.10")]
    events = run(tmp_path, lines)
    assert verdicts(events) == {"attack"}
    (text,) = all_texts(events, "enumeration")
    assert "\u201c1111111\u201d" in text and "does not exist" in text and "never logged in" in text
    # a remote phone with a wrong domain asks for its real, office-numbered account: refused, never an attack
    phone = [fs_challenge(at(0), "1001", "203.0.113.9"), *fs_no_user(at(1), "1001", "203.0.113.9"),
             fs_challenge(at(60), "1001", "203.0.113.9"), *fs_no_user(at(61), "1001", "203.0.113.9")]
    assert verdicts(run(tmp_path, phone, "b")) == {"normal", "suspicious"}
    # a LAN device, or a made-up name of four digits (office numbering: 1111 is an extension), is no hunt either
    assert "attack" not in verdicts(run(tmp_path, fs_no_user(at(0), "1111111", "192.168.1.40"), "c"))
    assert "attack" not in verdicts(run(tmp_path, fs_no_user(at(0), "1111", "203.0.113.9"), "d"))


def test_repeated_digit_names_count_in_the_short_hunt():
    c = Correlator(default_thresholds())
    got = []
    for k, name in enumerate(("11111", "22222", "99999")):
        rec = Record(time=f"t{k}", file="f", line=k + 1, format="freeswitch", kind=Kind.PROBE,
                     source_ip="198.51.100.4", extension=name, epoch=float(k), challenge=True, method="REGISTER")
        got += c.observe(rec, trusted=False)
    assert [r.code for r in got] == ["enumeration"] and "scanner-typical" in got[0].text


def test_correlation_knows_a_renewing_phone_calling_abroad():
    """A remote phone known by its renewals is challenged on every call, abroad too: the correlation never calls
    that toll fraud (records as the FreeSWITCH parser makes them from the lines above)."""
    corr = Correlator(Thresholds())
    base = dict(time=None, file="x", line=1, format="freeswitch", source_ip="198.51.100.101", challenge=True)
    got = [corr.observe(Record(kind=Kind.OTHER, extension="1001", method="REGISTER", epoch=0.0, **base), False),
           corr.observe(Record(kind=Kind.OTHER, extension="1001", method="REGISTER", epoch=600.0, **base), False),
           corr.observe(Record(kind=Kind.OTHER, extension="0044207946000", method="INVITE", epoch=700.0, **base),
                        False)]
    assert got == [[], [], []]


def test_a_renewing_phone_calling_abroad_is_not_toll_fraud(tmp_path):
    assert {e["verdict"] for e in run(tmp_path, REMOTE_PHONE_CALLS_ABROAD, "phone.log")} <= {"normal"}


def test_dialled_numbers_with_doubled_plus_reach_abroad():
    # fail2ban's asterisk test lines: Call from '' (...) to extension '++441772285411' / '0+441772285407'
    assert looks_international("++441772285411", 11) and looks_international("0+441772285407", 11)
    assert looks_international("+15515500380", 11) and not looks_international("101", 11)


def _record(ip: str, when: float, tags: tuple[str, ...] = ("auth_failure",)) -> Record:
    return Record(time=None, file="x", line=1, format="asterisk", kind=Kind.AUTH_FAILURE, source_ip=ip,
                  extension="201", epoch=when, tags=tags)


def test_state_is_capped_and_pruned_by_age():
    corr = Correlator(Thresholds(max_states=1000))
    for k in range(20000):  # an attacker rotating IPv6 addresses: one state per address and prefix
        corr.observe(_record(f"2001:db8:{k:x}::1", 1000.0 + k), trusted=False)
    assert len(corr.sources) <= 1000
    corr = Correlator(Thresholds())
    corr.observe(_record("203.0.113.9", 0.0), trusted=False)
    later = Thresholds().compromise_window_seconds + 10.0
    for k in range(64):  # a live watch going on a week later: the idle address is forgotten along the way
        corr.observe(_record("203.0.113.10", later + k), trusted=False)
    assert "203.0.113.9" not in corr.sources and "203.0.113.10" in corr.sources


def test_thresholds_toml_is_the_source_of_the_defaults():
    data = tomllib.loads((resources_dir() / "thresholds.toml").read_text())
    assert Thresholds.from_toml(data) == Thresholds() == default_thresholds()
    assert all(isinstance(section.get("source"), str) and section["source"] for section in data.values())
    assert Thresholds.from_dict({"jail_failures": 3, "unknown": 1}).jail_failures == 3


def test_span_words():
    assert [span(0.2), span(5), span(240), span(5 * 3600), span(3 * 86400)] == [
        "under a second", "5 seconds", "4 minutes", "5 hours", "3 days"]
