"""The `ghostwatch scan` command as users and scripts run it: real subprocesses, real files."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from ghostwatch.demo.write import write_logs

from ..conftest import SCHEMA_COPY, SHARED

# root reads every file: without these two capabilities it meets file permissions like any user
NO_DAC = ("setpriv", "--bounding-set=-dac_override,-dac_read_search")


def run(*args: str, cwd: Path | None = None, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run([*prefix, sys.executable, "-m", "ghostwatch", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo")
    write_logs(path, datetime(2026, 11, 25))
    return path


def _extends(ours: object, theirs: object, where: str = "$") -> None:
    """`ours` keeps everything `theirs` says (same types, required fields, enums); it may only add."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict), where
        for key, value in theirs.items():
            assert key in ours, f"{where}.{key} missing from our copy"
            if key == "required":
                assert set(value) <= set(ours[key]), f"{where}.required"
            elif key == "description":
                continue
            else:
                _extends(ours[key], value, f"{where}.{key}")
    else:
        assert ours == theirs, where


def test_schema_copy_extends_shared_contract() -> None:
    """Our copy is the shared contract plus optional fields (an attempt's id/update in `watch`, a source's run)."""
    shared = SHARED / "contract" / "scan-output.schema.json"
    if not shared.exists():
        pytest.skip("../shared/contract not present")
    ours = json.loads(SCHEMA_COPY.read_text())
    _extends(ours, json.loads(shared.read_text()))
    assert ours["$defs"]["source"]["properties"]["run"]["required"] == ["began", "ended", "attempts", "attacker"]
    assert "run" not in ours["$defs"]["source"]["required"]  # scan output of the first release still validates


def test_scan_json_on_demo_follows_contract(demo_dir: Path, schema: dict) -> None:
    proc = run("scan", "--json", "--region", "US", str(demo_dir))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, schema)
    verdicts = doc["summary"]["verdicts"]
    assert verdicts["ghost"] == 3 and verdicts["normal"] > 0
    assert doc["events"] and all(e["verdict"] != "normal" for e in doc["events"])  # normal ones only with --all
    sources = {s["ip"]: s for s in doc["sources"]}
    assert sources["203.0.113.7"]["verdict"] == "attack" and "enumeration" in sources["203.0.113.7"]["reasons"]
    assert sources["203.0.113.66"]["verdict"] == "attack" and "brute_force" in sources["203.0.113.66"]["reasons"]
    assert sources["192.0.2.180"]["verdict"] == "attack" and "toll_fraud_attempt" in sources["192.0.2.180"]["reasons"]
    assert not [ip for ip, s in sources.items() if ip.startswith("192.168.") and s["verdict"] != "normal"]


def test_scan_all_includes_normal_events(demo_dir: Path) -> None:
    doc = json.loads(run("scan", "--json", "--all", str(demo_dir)).stdout)
    assert any(e["verdict"] == "normal" and e["kind"] == "registration" for e in doc["events"])
    assert doc["summary"]["events"] == len(doc["events"])


def test_readable_summary(demo_dir: Path) -> None:
    proc = run("scan", "--region", "US", str(demo_dir))
    assert proc.returncode == 0
    assert "ghost calls 3" in proc.stdout
    assert "203.0.113.7" in proc.stdout and "brute_force" in proc.stdout
    assert "not understood" in proc.stdout


def test_fail_on(demo_dir: Path, tmp_path: Path) -> None:
    assert run("scan", "--fail-on", "ghost", str(demo_dir)).returncode == 1
    quiet = tmp_path / "messages"
    quiet.write_text("[2026-11-25 09:00:00] VERBOSE[1] pbx.c: Executing [201@from-internal:1] Dial(\"PJSIP/202-1\", "
                     "\"PJSIP/201\") in new stack\n")
    assert run("scan", "--fail-on", "suspicious", str(quiet)).returncode == 0


def test_an_empty_rotated_file_is_nothing_missed_and_an_empty_folder_no_all_clear(demo_dir: Path, tmp_path: Path,
                                                                                schema: dict) -> None:
    # a first-time user's walk: `full` with an empty `full.1` beside it (logrotate's usual state) exited 2 as if a
    # file could not be read; and an empty folder (or the wrong one) printed "Nothing suspicious found", exit 0
    logs = tmp_path / "logs"
    shutil.copytree(demo_dir, logs)
    (logs / "full.1").write_bytes(b"")
    proc = run("scan", "--json", "--fail-on", "ghost", str(logs))
    assert proc.returncode == 1, proc.stderr  # the demo's ghost calls, and nothing "unread"
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, schema)
    empty = [f for f in doc["summary"]["files"] if f["path"].endswith("full.1")]
    assert empty == [{**empty[0], "lines": 0, "records": 0, "error": None}]
    only_empty = tmp_path / "only-empty"
    only_empty.mkdir()
    (only_empty / "full").write_bytes(b"")
    proc = run("scan", str(only_empty))
    assert proc.returncode == 0 and "Nothing was read: every file is empty" in proc.stdout
    assert "Nothing suspicious found" not in proc.stdout
    (tmp_path / "nothing").mkdir()
    proc = run("scan", str(tmp_path / "nothing"))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "found no files to read" in proc.stderr


def test_trusted_networks_stop_signature_ghosts(tmp_path: Path) -> None:
    log = tmp_path / "messages"
    log.write_text("[2026-11-25 09:00:00] NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'INVITE' from "
                   "'<sip:100@1.1.1.1>' failed for '203.0.113.5:5060' (callid: a) - No matching endpoint found\n")
    untrusted = json.loads(run("scan", "--json", str(log)).stdout)
    trusted = json.loads(run("scan", "--json", "--all", "--trusted", "203.0.113.0/24", str(log)).stdout)
    assert untrusted["events"][0]["verdict"] == "ghost"
    assert trusted["events"][0]["verdict"] in ("suspicious", "normal")


@pytest.mark.parametrize(("args", "needle"), [
    (["scan", "/nonexistent/dir"], "no such file or directory"),
    (["scan", "--trusted", "300.1.1.1/8", "."], "--trusted"),
    (["scan", "--region", "XX", "."], "--region"),
    (["scan", "--fail-on", "maybe", "."], "invalid choice"),
    (["scan"], "required"),
])
def test_errors_are_one_line_and_exit_2(args: list[str], needle: str) -> None:
    proc = run(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_unreadable_file_is_reported_not_fatal(tmp_path: Path) -> None:
    root = os.geteuid() == 0
    if root and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv (util-linux): cannot make a file unreadable to root")
    bad = tmp_path / "messages"
    bad.write_text("x\n")
    if root:
        os.chown(bad, 65534, 65534)
    bad.chmod(0)
    proc = run("scan", "--json", str(tmp_path), prefix=NO_DAC if root else ())
    assert proc.returncode == 2  # an incomplete scan is not a clean one (issue 15)
    assert "Permission denied" in json.loads(proc.stdout)["summary"]["files"][0]["error"]


def test_rotated_and_gz_files_are_read_oldest_first(tmp_path: Path) -> None:
    day = datetime(2026, 11, 20, 10, 0, 0)

    def line(n: int) -> str:
        t = day + timedelta(days=n)
        return (f"[{t:%Y-%m-%d %H:%M:%S}] NOTICE[1] chan_sip.c: Registration from '<sip:201@h>' failed for "
                f"'203.0.113.{n}:5060' - Wrong password\n")

    with gzip.open(tmp_path / "messages.2.gz", "wt") as fh:
        fh.write(line(0))
    (tmp_path / "messages.1").write_text(line(1))
    (tmp_path / "messages").write_text(line(2))
    (tmp_path / "messages-20261119").write_text(line(3).replace("2026-11-23", "2026-11-19"))
    doc = json.loads(run("scan", "--json", str(tmp_path)).stdout)
    ips = [e["source_ip"] for e in doc["events"]]
    assert ips == ["203.0.113.3", "203.0.113.0", "203.0.113.1", "203.0.113.2"]
    assert {Path(f["path"]).name for f in doc["summary"]["files"]} == {
        "messages.2.gz", "messages.1", "messages", "messages-20261119"}


def test_hostile_text_never_reaches_the_terminal_raw(tmp_path: Path) -> None:
    log = tmp_path / "messages"
    evil = "\x1b[2J\x07\u202eevil"
    log.write_text(f"[2026-11-25 09:00:00] NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'INVITE' from "
                   f"'<sip:{evil}@1.1.1.1>' failed for '203.0.113.5:5060' (callid: a) - No matching endpoint "
                   f"found\n", encoding="utf-8")
    proc = run("scan", str(log))
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout and "\u202e" not in proc.stdout
    doc = json.loads(run("scan", "--json", str(log)).stdout)
    assert doc["events"][0]["caller_id"].endswith("evil")  # JSON keeps the value, escaped


def test_option_errors_name_their_command_and_numbers_are_checked() -> None:
    proc = run("scan", "--office-hours", "25-3", "x.log")
    assert proc.returncode == 2 and proc.stderr.startswith("ghostwatch scan: --office-hours:")
    proc = run("scan", "--bogus", "x.log")
    assert proc.returncode == 2 and proc.stderr == ("ghostwatch scan: unrecognized arguments: --bogus (see ghostwatch "
                                                    "scan --help)\n")
    proc = run("watch", "/nonexistent", "--retention-days", "-3", "--once")
    assert proc.returncode == 2 and "--retention-days" in proc.stderr and proc.stderr.count("\n") == 1
    assert "Exit status" in run("scan", "--help").stdout and "Exit status" in run("audit", "--help").stdout
    proc = run("watch", "/nonexistent", "--once")  # followed live, a missing folder is waited for; once, refused
    assert proc.returncode == 2 and proc.stderr == "ghostwatch watch: no such file or directory: /nonexistent\n"


def test_the_files_table_keeps_each_file_name(tmp_path: Path) -> None:
    deep = tmp_path / ("a-long-folder-name-" * 4) / "asterisk"
    deep.mkdir(parents=True)
    (deep / "full").write_text("[2026-11-25 09:00:00] NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'INVITE' from "
                               "'<sip:100@1.2.3.4>' failed for '203.0.113.5:5060' (callid: x) - No matching endpoint "
                               "found\n")
    (deep / "full.1").write_bytes(b"")
    out = run("scan", str(deep)).stdout
    rows = out[out.index("Files:"):].splitlines()[1:]
    assert any("/asterisk/full " in r and "1 lines" in r for r in rows)  # cut in the middle, not at the name
    assert any("/asterisk/full.1 " in r and r.rstrip().endswith("empty") for r in rows)
