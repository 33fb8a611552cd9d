"""The hardening audit on configurations written for these tests (tests/data/pbx): every check's status and the
evidence line it points at, hostile files, the command line and the HTML report."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from ghostwatch.cli import main
from ghostwatch.core.hardening.asterisk_conf import read_conf
from ghostwatch.core.hardening.audit import AuditError, run_audit
from ghostwatch.core.hardening.findings import Status
from ghostwatch.core.hardening.progress import pbx_key, step_states
from ghostwatch.core.hardening.report_html import render_report
from ghostwatch.paths import resources_dir

PBX = Path(__file__).resolve().parents[1] / "data" / "pbx"

# fixture -> check -> (status, a piece of the evidence of the first finding with that status)
EXPECTED = {
    "asterisk-chan_sip-insecure": {
        "sip_ports": ("fail", "sip.conf:4: udpbindaddr=0.0.0.0"),
        "guest_calls": ("fail", "sip.conf:2: [general]  (allowguest not set: yes)"),
        "weak_secrets": ("fail", "sip.conf:11: secret=********"),
        "insecure_invite": ("fail", "sip.conf:23: insecure=port,invite"),
        "nat_settings": ("cannot_tell", "sip.conf:2: [general]"),
        "identity_headers": ("fail", "sip.conf:25: trustrpid=yes"),
        "acl": ("fail", "sip.conf:2: [general]"),
        "logging": ("fail", "logger.conf:3: console => notice,warning,error"),
    },
    "asterisk-pjsip-insecure": {
        "sip_ports": ("fail", "pjsip.conf:5: bind=0.0.0.0"),
        "guest_calls": ("fail", "pjsip.conf:9: [anonymous]"),
        "weak_secrets": ("fail", "pjsip.conf:28: password=********"),
        "nat_settings": ("fail", "pjsip.conf:7: external_signaling_address=203.0.113.10"),
        "identity_headers": ("fail", "pjsip.conf:22: trust_id_inbound=yes"),
        "acl": ("fail", "pjsip.conf:2: [transport-udp]"),
        "logging": ("cannot_tell", "logger.conf: missing"),
    },
    "asterisk-chan_sip-partly": {
        "sip_ports": ("fail", "sip.conf:5: bindport=5060"),
        "guest_calls": ("pass", "sip.conf:3: allowguest=no"),
        "weak_secrets": ("fail", "sip.conf:19: secret=********"),
        "insecure_invite": ("pass", "sip.conf: 3 peers checked"),
        "nat_settings": ("pass", "sip.conf:8: localnet=192.168.10.0/255.255.255.0"),
        "acl": ("pass", "sip.conf:6: deny=0.0.0.0/0.0.0.0"),
        "logging": ("fail", "logger.conf:2: messages => notice,warning,error"),  # no verbose trace
    },
    "asterisk-pjsip-hardened": {
        "sip_ports": ("pass", "pjsip.conf:5: bind=0.0.0.0:5160"),
        "guest_calls": ("pass", "pjsip.conf: 3 endpoints checked"),
        "weak_secrets": ("pass", "2 passwords checked"),
        "nat_settings": ("pass", "pjsip.conf:6: local_net=192.168.1.0/24"),
        "identity_headers": ("pass", "pjsip.conf"),
        "acl": ("pass", "pjsip.conf:10: [office-acl]"),
        "logging": ("pass", "logger.conf:5: security => security"),
    },
    "freeswitch-default": {
        "sip_ports": ("fail", 'sip_profiles/external.xml:7: <param name="sip-port" value="$${external_sip_port}"/>  '
                              "(= 5080)"),
        "guest_calls": ("fail", "sip_profiles/external.xml:8"),
        "weak_secrets": ("fail", 'vars.xml:3: <X-PRE-PROCESS cmd="set" data="default_password=********"/>'),
        "nat_settings": ("fail", 'sip_profiles/external.xml:10: <param name="ext-sip-ip" value="auto-nat"/>'),
        "acl": ("fail", "sip_profiles/external.xml:1"),
        "logging": ("fail", 'sip_profiles/internal.xml:9: <param name="log-auth-failures" value="false"/>'),
    },
    "freeswitch-partly": {
        "sip_ports": ("pass", "(= 5160)"),
        "guest_calls": ("fail", 'sip_profiles/internal.xml:7: <param name="accept-blind-reg" value="true"/>'),
        "weak_secrets": ("pass", "vars.xml:3"),
        "nat_settings": ("cannot_tell", "sip_profiles/external.xml:1"),
        "acl": ("fail", 'sip_profiles/external.xml:1: <profile name="external">  (no apply-inbound-acl)'),
        "logging": ("pass", "log-auth-failures"),
    },
    "freeswitch-hardened": {
        "sip_ports": ("pass", "(= 5180)"),
        "guest_calls": ("pass", "apply-inbound-acl"),
        "weak_secrets": ("pass", "vars.xml:2"),
        "nat_settings": ("pass", "local-network-acl"),
        "acl": ("pass", "providers"),
        "logging": ("pass", "log-auth-failures"),
    },
}
PASSWORDS = ["Vq8kL2mpR7zT4xWn", "h3RbT9yQw2LxNc6s", "Tr0ub4dor-and-3-more", "N8vD2qLmX7cK4pZr", "pX7rL2vQ9mK4tW8z",
             "Jd8Qm2xR7vTn5pLw"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_check_names_its_status_and_evidence(name: str) -> None:
    result = run_audit(PBX / name, resources_dir())
    by_check: dict[str, list] = {}
    for f in result.findings():
        by_check.setdefault(f.check, []).append(f)
    for check, (status, evidence) in EXPECTED[name].items():
        findings = by_check.get(check, [])
        assert findings, f"{name}: no finding for {check}"
        overall = "fail" if any(f.status is Status.FAIL for f in findings) else findings[0].status.value
        assert overall == status, f"{name}: {check} is {overall}, expected {status}: {findings}"
        same = [f for f in findings if f.status.value == status]
        shown = [str(e) for f in same for e in f.evidence]
        assert any(evidence in s for s in shown), f"{name}: {check}: {evidence!r} not in {shown}"
        if status == "fail":
            assert all(f.fix.strip() for f in same), f"{name}: {check} fails without a fix"


@pytest.mark.parametrize("name", ["asterisk-pjsip-hardened", "freeswitch-hardened"])
def test_a_hardened_system_is_all_green(name: str) -> None:
    result = run_audit(PBX / name, resources_dir())
    statuses = {r.step.id: r.status.value for r in result.steps}
    assert set(statuses.values()) <= {"pass", "manual"}, statuses
    assert statuses["move-sip-port"] == statuses["trusted-sources"] == "pass"
    assert not result.problems


@pytest.mark.parametrize("name", ["asterisk-chan_sip-insecure", "asterisk-pjsip-insecure", "freeswitch-default"])
def test_a_default_insecure_system_fails_every_checkable_step(name: str) -> None:
    result = run_audit(PBX / name, resources_dir())
    statuses = {r.step.id: r.status.value for r in result.steps}
    for step in ("move-sip-port", "validate-incoming", "block-direct-ip", "trusted-sources"):
        assert statuses[step] == "fail", (step, statuses)


def test_call_records_switched_off_are_named() -> None:
    insecure = run_audit(PBX / "asterisk-chan_sip-insecure", resources_dir())
    off = [f for f in insecure.findings() if "Call records are switched off" in f.summary]
    assert off and str(off[0].evidence[0]) == "cdr.conf:2: enable=no" and "enable=yes" in off[0].fix
    hardened = run_audit(PBX / "asterisk-pjsip-hardened", resources_dir())
    assert any(f.summary == "Call records are on (cdr.conf)." and f.status is Status.PASS
               for f in hardened.findings())


def test_templates_includes_and_modules_are_followed() -> None:
    conf = read_conf(PBX / "asterisk-pjsip-hardened", "pjsip.conf")
    assert conf is not None and any(f.endswith("pjsip_phones.conf") for f in conf.files)
    ep = next(s for s in conf.of_type("endpoint") if s.name == "6001")
    assert ep.value("acl") == "office-acl" and ep.value("context") == "from-internal"  # from [phone-tmpl](!)
    assert ep.get("acl").file.endswith("pjsip.conf") and ep.get("auth").file.endswith("pjsip_phones.conf")
    assert all(s.name != "phone-tmpl" for s in conf.real())
    result = run_audit(PBX / "asterisk-pjsip-hardened", resources_dir())
    assert result.variants == ["pjsip"]  # modules.conf: noload => chan_sip.so


def _write(d: Path, name: str, data: str | bytes) -> None:
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def test_hostile_configurations_give_a_result_never_a_crash(tmp_path: Path) -> None:
    _write(tmp_path, "sip.conf", "[general]\nallowguest=no\n#include loop_a.conf\n#include missing.conf\n"
                                 "[a](b)\ntype=friend\n[b](a)\ntype=friend\n[general](+)\nbindport=5070\n"
                                 ";-- a block comment\nallowguest=yes\n--;\nuseragent=semi\\;colon ; comment\n")
    _write(tmp_path, "loop_a.conf", "#include loop_b.conf\n[x]\ntype=peer\n")
    _write(tmp_path, "loop_b.conf", "#include loop_a.conf\n#include /etc/../" + str(tmp_path)[1:] + "/sip.conf\n")
    _write(tmp_path, "pjsip.conf", os.urandom(20000))
    _write(tmp_path, "extensions.conf", "x=y\n" * ((5 << 20) // 4) + "[public]\nexten => s,1,Dial(SIP/1)\n")
    result = run_audit(tmp_path, resources_dir())
    text = " ".join(result.problems)
    assert "include loop" in text and "missing.conf, which does not exist" in text
    assert "pjsip.conf: not a text file" in text
    assert "only the start was read" in text
    conf = read_conf(tmp_path, "sip.conf")
    general = conf.find("general")[0]
    assert general.value("allowguest") == "no"  # the block comment hid allowguest=yes
    assert general.value("bindport") == "5070"  # [general](+) added to the same section
    assert general.value("useragent") == "semi;colon"
    statuses = {r.step.id: r.status for r in result.steps}
    assert statuses["move-sip-port"] is Status.PASS


def test_unusable_directories_are_refused_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(AuditError, match="no such directory"):
        run_audit(tmp_path / "nope", resources_dir())
    with pytest.raises(AuditError, match="does not look like an Asterisk"):
        run_audit(tmp_path, resources_dir())


def test_audit_json_follows_its_contract(capsys) -> None:
    import jsonschema

    schema = json.loads((Path(__file__).resolve().parents[2] / "docs" / "contract" /
                         "audit-output.schema.json").read_text())
    for name in EXPECTED:
        main(["audit", "--json", str(PBX / name)])
        jsonschema.validate(json.loads(capsys.readouterr().out), schema)


def test_audit_cli_table_json_and_exit_status(capsys) -> None:
    assert main(["audit", str(PBX / "asterisk-pjsip-insecure")]) == 1
    out = capsys.readouterr().out
    assert "[FIX] Move SIP off port 5060" in out and "bind=0.0.0.0:5160" in out
    assert main(["audit", "--json", str(PBX / "asterisk-pjsip-hardened")]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [s["id"] for s in doc["steps"]][:3] == ["move-sip-port", "validate-incoming", "check-invite-user"]
    assert doc["pbx"] == "asterisk" and doc["summary"]["fail"] == 0 and doc["sip_ports"] == [5160]
    assert {s["status"] for s in doc["steps"]} == {"pass", "manual"}
    assert main(["audit", "/definitely/not/here"]) == 2
    assert "no such directory" in capsys.readouterr().err


def test_no_password_is_ever_printed(capsys, tmp_path: Path) -> None:
    for name in EXPECTED:
        main(["audit", "--json", "--html", str(tmp_path / f"{name}.html"), str(PBX / name)])
        main(["audit", str(PBX / name)])
        shown = capsys.readouterr().out + (tmp_path / f"{name}.html").read_text()
        for secret in PASSWORDS + ["secret=1234", "password=6001", "default_password=1234"]:
            assert secret not in shown, (name, secret)


def test_html_report_escapes_configuration_text(tmp_path: Path) -> None:
    shutil.copytree(PBX / "asterisk-pjsip-insecure", tmp_path / "conf")
    with open(tmp_path / "conf" / "pjsip.conf", "a") as fh:
        fh.write('\n[<script>alert(1)</script>]\ntype=endpoint\ncontext=<img src=x onerror="boom">\n')
    result = run_audit(tmp_path / "conf", resources_dir())
    states = step_states([r.step for r in result.steps], result.to_json(), {"restrict-to-proxy"})
    html = render_report(states, pbx=pbx_key(result), phone_brand="yealink", config_dir=str(tmp_path / "conf"),
                         checked_at=result.checked_at)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html
    assert "Done (you confirmed)" in html  # the manual step the user confirmed
    assert html.index("Yealink:") < html.index("Grandstream:")  # the user's own brand first


def test_firewall_rules_cli(capsys) -> None:
    assert main(["audit", str(PBX / "freeswitch-default"), "--firewall", "iptables",
                 "--trusted", "192.168.1.0/24,198.51.100.7"]) == 0
    out = capsys.readouterr().out
    assert "iptables -A GHOSTWATCH-SIP -s 198.51.100.7/32 -j RETURN" in out
    assert "--dports 5060,5080,10000:20000" in out
    assert main(["audit", str(PBX / "freeswitch-default"), "--firewall", "ufw"]) == 2
    assert "trusted networks first" in capsys.readouterr().err
    assert main(["audit", str(PBX / "freeswitch-default"), "--firewall", "ufw", "--trusted", "x; rm -rf /"]) == 2
    capsys.readouterr()
    for bad in ("abc", "20000-10000", "0-70000"):  # a port range is checked as an option, in words, never int()'s
        assert main(["audit", str(PBX / "freeswitch-default"), "--firewall", "ufw", "--trusted", "192.168.1.0/24",
                     "--rtp", bad]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "--rtp" in err and "invalid literal" not in err
    assert main(["audit", str(PBX / "freeswitch-default"), "--firewall", "ufw", "--trusted", "192.168.1.0/24",
                 "--rtp", "16384-32767"]) == 0
    assert "RTP 16384-32767 only from 192.168.1.0/24" in capsys.readouterr().out


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_an_unreadable_configuration_file_is_refused_not_half_checked(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = os.geteuid() == 0
    if root and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv (util-linux): cannot make a file unreadable to root")
    conf = tmp_path / "asterisk"
    shutil.copytree(PBX / "asterisk-pjsip-insecure", conf)
    os.chmod(conf / "pjsip.conf", 0o000)
    # root reads every file: without these two capabilities it meets file permissions like any user
    prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if root else []
    proc = subprocess.run([*prefix, sys.executable, "-m", "ghostwatch", "audit", str(conf)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2, proc.stdout
    assert proc.stderr.strip() == (f"ghostwatch audit: cannot read {conf / 'pjsip.conf'}: permission denied. Run the "
                                   f"check as root (sudo ghostwatch audit {conf}) or on a copy of the folder")


def test_an_archive_of_the_configuration_is_audited_like_the_folder(tmp_path: Path) -> None:
    import tarfile
    import tempfile
    import zipfile

    folder = run_audit(PBX / "asterisk-pjsip-insecure", resources_dir())
    tgz = tmp_path / "pbx-conf.tgz"
    with tarfile.open(tgz, "w:gz") as tar:  # as `tar czf pbx-conf.tgz /etc/asterisk` makes it
        tar.add(PBX / "asterisk-pjsip-insecure", arcname="etc/asterisk")
    zipped = tmp_path / "pbx-conf.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for f in (PBX / "asterisk-pjsip-insecure").iterdir():
            zf.write(f, f"asterisk/{f.name}")
    for archive, inner in ((tgz, "etc/asterisk"), (zipped, "asterisk")):
        result = run_audit(archive, resources_dir())
        assert result.config_dir == f"{archive} ({inner})"
        assert [f.to_json() for f in result.findings()] == [f.to_json() for f in folder.findings()]
        assert not list(Path(tempfile.gettempdir()).glob("ghostwatch-audit-*"))  # the unpacked copy is gone


def test_hostile_archives_write_nothing_outside_and_say_why(tmp_path: Path) -> None:
    import io
    import tarfile
    import zipfile

    outside = tmp_path / "pwned"
    evil = tmp_path / "evil.tgz"
    for name in ("../pwned", str(outside)):  # a climb out, an absolute path: each refused on its own
        with tarfile.open(evil, "w:gz") as tar:
            data = b"x=1\n"
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        with pytest.raises(AuditError, match="evil.tgz tries to write outside its folder"):
            run_audit(evil, resources_dir())
    linked = tmp_path / "linked.tar"
    with tarfile.open(linked, "w") as tar:
        link = tarfile.TarInfo("asterisk/sip.conf")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/shadow"
        tar.addfile(link)
    with pytest.raises(AuditError, match="holds no Asterisk"):  # the link is skipped, so nothing is left
        run_audit(linked, resources_dir())
    slip = tmp_path / "slip.zip"
    with zipfile.ZipFile(slip, "w") as zf:
        zf.writestr("../../pwned", "x=1\n")
    with pytest.raises(AuditError, match="outside its folder"):
        run_audit(slip, resources_dir())
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("asterisk/sip.conf", b"\n" * (70 << 20))
    with pytest.raises(AuditError, match="unpacks to more than 64 MiB"):
        run_audit(bomb, resources_dir())
    assert not outside.exists() and not (tmp_path.parent / "pwned").exists()
