"""Firewall allow-lists applied for real in a private network namespace, 'it rang but nobody was there' against a
real history, and the wizard's saved progress."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ghostwatch.core.events import Event, Kind, Reason, Record, Verdict
from ghostwatch.core.firewall import allow_only
from ghostwatch.core.hardening.checklist import load_checklist
from ghostwatch.core.hardening.progress import Progress, load_progress, save_progress, step_states
from ghostwatch.core.hardening.rang import explain_ring
from ghostwatch.paths import resources_dir
from ghostwatch.store.history import History
from ghostwatch.store.queries import HistoryReader

TRUSTED = ["192.168.1.0/24", "198.51.100.7", "2001:db8::/32"]


def _netns_ready(tool: str) -> str | None:
    if os.geteuid() != 0:
        return "needs root to create a private network namespace"
    for t in ("unshare", tool):
        if shutil.which(t) is None:
            return f"needs {t} (Debian: util-linux, nftables, iptables; installed by .ci/run)"
    return None


def _in_netns(script: str) -> subprocess.CompletedProcess:
    """Run shell commands inside a new, empty network namespace: nothing reaches this machine's firewall."""
    return subprocess.run(["unshare", "--net", "sh", "-ec", script], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("kind,tool,listing", [("nftables", "nft", "nft list ruleset"),
                                              ("iptables", "iptables", "iptables -S; ip6tables -S")])
def test_allow_list_rules_apply_cleanly(kind: str, tool: str, listing: str) -> None:
    why = _netns_ready(tool)
    if why:
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    rules = allow_only(TRUSTED, [5160, 5060], (10000, 20000), kind)
    proc = _in_netns(rules + "\n" + listing)
    assert proc.returncode == 0, proc.stderr
    listed = proc.stdout
    if kind == "nftables":
        assert "192.168.1.0/24" in listed and "198.51.100.7" in listed and "2001:db8::/32" in listed
        assert "udp dport { 5060, 5160, 10000-20000 } drop" in listed
    else:
        assert "-A GHOSTWATCH-SIP -s 198.51.100.7/32 -j RETURN" in listed
        assert "-A GHOSTWATCH-SIP -s 2001:db8::/32 -j RETURN" in listed
        assert "--dports 5060,5160,10000:20000 -j GHOSTWATCH-SIP" in listed


def test_allow_list_refuses_what_is_not_a_network() -> None:
    with pytest.raises(ValueError, match="trusted networks first"):
        allow_only([], kind="ufw")
    with pytest.raises(ValueError):
        allow_only(["192.168.1.0/24; reboot"], kind="nftables")
    ufw = allow_only(["10.0.0.0/8"], [5160], kind="ufw").splitlines()
    assert ufw[0] == "ufw allow from 10.0.0.0/8 to any port 5160 proto udp" and ufw[-1] == "ufw deny 10000:20000/udp"
    assert all(shlex.split(line)[0] == "ufw" for line in ufw)
    windows = allow_only(["10.0.0.0/8"], [5160], kind="windows")
    assert "remoteip=10.0.0.0/8" in windows and "localport=5160,10000-20000" in windows


T0 = datetime(2026, 11, 25, 14, 0).timestamp()


def _history(tmp_path: Path, events: list[tuple[Kind, Verdict, float, str | None]]) -> Path:
    path = tmp_path / "history.sqlite3"
    h = History(path)
    batch = []
    for n, (kind, verdict, at, caller) in enumerate(events, 1):
        rec = Record(datetime.fromtimestamp(at).isoformat(), "/var/log/asterisk/full", n, "asterisk", kind,
                     source_ip="203.0.113.9", caller_id=caller, extension="201", epoch=at)
        reasons = () if verdict is Verdict.NORMAL else (Reason("scanner_caller_id", "scanner caller ID"),)
        batch.append((Event(rec, verdict, reasons), at))
    h.commit(batch, [], now=T0)
    h.close()
    return path


def test_rang_when_the_pbx_never_saw_the_call(tmp_path: Path) -> None:
    path = _history(tmp_path, [(Kind.CALL, Verdict.NORMAL, T0 - 7200, "5551234"),
                               (Kind.PROBE, Verdict.SUSPICIOUS, T0 + 30, None),
                               (Kind.CALL, Verdict.NORMAL, T0 + 3600, "5551234")])
    reader = HistoryReader(path)
    try:
        answer = explain_ring(reader, T0 + 60)
    finally:
        reader.close()
    assert answer.verdict == "pbx_never_saw_it" and not answer.calls
    assert "straight to the phone" in answer.explanation and "1 refused requests" in answer.explanation
    assert answer.steps[0] == "restrict-to-proxy"


def test_rang_when_the_pbx_saw_a_ghost(tmp_path: Path, capsys) -> None:
    path = _history(tmp_path, [(Kind.CALL, Verdict.GHOST, T0 + 90, "100\u202e\x1b[31m<b>"),
                               (Kind.CALL, Verdict.NORMAL, T0 - 200, "5551234")])
    reader = HistoryReader(path)
    try:
        answer = explain_ring(reader, T0)
        outside = explain_ring(reader, T0 + 30 * 86400)
    finally:
        reader.close()
    assert answer.verdict == "pbx_saw_it" and answer.calls[0].caller_id.startswith("100")
    assert "\u202e" not in answer.explanation and "\x1b" not in answer.explanation  # log text shown cleaned
    assert "1 of them look like ghost" in answer.explanation and "validate-incoming" in answer.steps
    assert outside.verdict == "not_watching"

    from ghostwatch.cli import main

    (tmp_path / "data").mkdir()
    shutil.copy(path, tmp_path / "data" / "history.sqlite3")
    when = datetime.fromtimestamp(T0).strftime("%Y-%m-%d %H:%M")
    assert main(["rang", when, "--json", "--data-dir", str(tmp_path / "data")]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "pbx_saw_it"
    assert main(["rang", "yesterday-ish", "--data-dir", str(tmp_path / "data")]) == 2


def test_progress_survives_a_restart_and_a_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "hardening.json"
    assert load_progress(path) == Progress()
    save_progress(path, Progress("/etc/asterisk", "asterisk_pjsip", "yealink", {"restrict-to-proxy"},
                                 {"steps": [{"id": "move-sip-port", "findings": [
                                     {"check": "sip_ports", "status": "fail", "summary": "5060",
                                      "evidence": [{"file": "pjsip.conf", "line": 5, "text": "bind=0.0.0.0"}],
                                      "fix": "bind=0.0.0.0:5160"}]}]}, "register-lan"))
    loaded = load_progress(path)
    assert loaded.phone_brand == "yealink" and loaded.confirmed == {"restrict-to-proxy"}
    assert loaded.page == "register-lan"
    steps = load_checklist(resources_dir() / "checklist.toml")
    states = {s.step.id: s.status.value for s in step_states(steps, loaded.audit, loaded.confirmed)}
    assert states["move-sip-port"] == "fail" and states["restrict-to-proxy"] == "done"
    assert states["keep-watching"] == "manual"
    path.write_text("{not json")
    assert load_progress(path) == Progress()
    path.write_text('{"confirmed": [1, "x"], "audit": "junk"}')
    assert load_progress(path).confirmed == {"x"} and load_progress(path).audit is None


def test_rang_finds_the_joined_call_with_its_caller_and_never_offers_a_blocked_one(tmp_path: Path) -> None:
    """On the demo night: at 02:14 a ghost call from 1001 rang 201 (its CDR row named the caller); at 03:40 the
    only calls were refused toll-fraud attempts, which rang nothing."""
    from ghostwatch.cli import load_signatures
    from ghostwatch.core.settings import DetectionSettings
    from ghostwatch.demo.write import write_logs
    from ghostwatch.ingest.scan import scan

    write_logs(tmp_path / "office", datetime(2026, 11, 25))
    events: list = []
    scan([tmp_path / "office"], DetectionSettings(home_region="US"), load_signatures(), events.append)
    h = History(tmp_path / "h.db")
    h.commit([(e, e.record.epoch) for e in events], [], now=0.0)
    h.close()
    reader = HistoryReader(tmp_path / "h.db")
    epoch = datetime(2026, 11, 26, 2, 14, tzinfo=UTC).timestamp()  # the log's clock: local time read as UTC
    try:
        ghost = explain_ring(reader, epoch, window=120)
        fraud = explain_ring(reader, epoch + 86 * 60, window=120)
    finally:
        reader.close()
    assert ghost.verdict == "pbx_saw_it"
    assert (ghost.calls[0].caller_id, ghost.calls[0].outcome) == ("1001", "rang")
    assert "from 1001 to 201, it rang and nobody answered, ghost" in ghost.explanation
    assert fraud.verdict == "pbx_never_saw_it" and fraud.calls == [] and "refused requests" in fraud.explanation
