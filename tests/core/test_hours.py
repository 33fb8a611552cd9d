"""Office and quiet hours: one `Hours` type from the settings file to the monitor's command line and the rules."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from ghostwatch.cli import build_parser, detection_settings
from ghostwatch.core.app_settings import AppSettings, SettingsStore
from ghostwatch.core.hours import Hours, describe
from ghostwatch.core.notify_policy import NotifyPolicy
from ghostwatch.core.settings import DetectionSettings


def test_hours_wrap_past_midnight():
    night = Hours(22, 6)
    assert [h for h in range(24) if h in night] == [0, 1, 2, 3, 4, 5, 22, 23]
    assert [h for h in range(24) if h in Hours(8, 18)] == list(range(8, 18))
    assert all(h in Hours(0, 24) for h in range(24))
    assert [h for h in range(24) if h in Hours(23, 24)] == [23]


@pytest.mark.parametrize("text", ["8-8", "0-0", "24-6", "8-25", "-1-5", "8", "8-", "a-b", "", "8 to 18", "22-24-6"])
def test_bad_hours_are_refused_with_a_message(text):
    with pytest.raises(ValueError, match=r"\S"):
        Hours.parse(text)


def test_text_form_round_trips():
    for start in range(24):
        for end in range(25):
            if start == end:
                continue
            h = Hours(start, end)
            assert Hours.parse(str(h)) == h == Hours.of([start, end]) == Hours.of({"start": start, "end": end})


def test_settings_file_stores_hours_as_text_and_reads_old_lists(tmp_path):
    store = SettingsStore(tmp_path / "settings.json")
    store.save(AppSettings(office_hours=Hours(22, 6), quiet_hours=Hours(23, 7), home_region="GB"))
    raw = json.loads((tmp_path / "settings.json").read_text())
    assert (raw["office_hours"], raw["quiet_hours"]) == ("22-6", "23-7")
    assert store.load().office_hours == Hours(22, 6)
    (tmp_path / "settings.json").write_text('{"office_hours": [8, 18], "quiet_hours": [5, 5]}')
    loaded = store.load()  # the old list form still reads; an empty span falls back to "none"
    assert loaded.office_hours == Hours(8, 18) and loaded.quiet_hours is None


def _parse_monitor_args(settings: AppSettings, folders: list[str], **kw):
    argv = settings.monitor_args(folders, "/tmp/data", **kw)
    return build_parser().parse_args(argv)


@pytest.mark.parametrize("settings", [
    AppSettings(home_region="DE"),
    AppSettings(home_region="US", office_hours=Hours(22, 6), trusted=("192.168.1.0/24", "2001:db8::/32"),
                polling=True, retention_days=0),
    AppSettings(home_region="GB", office_hours=Hours(0, 24), quiet_hours=Hours(23, 7), retention_days=30),
])
def test_monitor_args_round_trip_through_the_cli_parser(settings):
    folders = ["/var/log/asterisk", "-odd folder name", "/srv/logs with spaces"]
    args = _parse_monitor_args(settings.validated(), folders, import_history=True)
    assert args.command == "watch" and args.ipc
    assert detection_settings(args) == settings.validated().detection()
    assert args.paths == folders
    assert (args.polling, args.retention_days, args.from_start) == (settings.polling, settings.retention_days, True)
    assert args.data_dir == "/tmp/data"


def test_detection_settings_normalise_hours_given_as_pairs():
    assert DetectionSettings(home_region="US", office_hours=(22, 6)).office_hours == Hours(22, 6)


def _night_and_noon(tmp_path):
    path = tmp_path / "messages"
    with open(path, "w") as fh:
        for hour in (23, 12):
            fh.write(f"[2026-11-20 {hour}:00:00] NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'INVITE' from "
                     f"'\"Bob\" <sip:100@198.51.100.10>' failed for '203.0.113.{hour}:5060' (callid: g{hour}) - "
                     f"No matching endpoint found\n")
    return path


def _out_of_hours(argv: list[str]) -> dict[str, bool]:
    proc = subprocess.run([sys.executable, "-m", "ghostwatch", "scan", "--json", "--all", *argv],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return {e["time"][11:13]: any(r["code"] == "out_of_hours" for r in e["reasons"])
            for e in json.loads(proc.stdout)["events"]}


def test_the_classifier_applies_overnight_hours_end_to_end(tmp_path):
    log = str(_night_and_noon(tmp_path))
    # a day office (6 to 22): the 23:00 call came outside office hours, the noon one did not
    assert _out_of_hours(["--office-hours=6-22", log]) == {"23": True, "12": False}
    # a night shift (22 to 6, wrapping past midnight): the other way round
    assert _out_of_hours(["--office-hours", "22-6", log]) == {"23": False, "12": True}


def test_cli_refuses_an_empty_span_in_one_line():
    proc = subprocess.run([sys.executable, "-m", "ghostwatch", "scan", "--office-hours", "8-8", "/nonexistent"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--office-hours" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_quiet_hours_wrap_in_the_notification_policy():
    p = NotifyPolicy(quiet_hours=Hours(22, 6))
    assert p._quiet(23) and p._quiet(0) and p._quiet(5) and not p._quiet(6) and not p._quiet(12)


def test_the_monitor_process_starts_with_night_shift_hours(tmp_path):
    """The real `watch --ipc` process, given the app's arguments for 22-6, imports and exits 0 (it exited 2)."""
    log = _night_and_noon(tmp_path)
    settings = AppSettings(home_region="US", office_hours=Hours(22, 6)).validated()
    argv = settings.monitor_args([str(log)], str(tmp_path / "data"), import_history=True, retention_days=0)
    proc = subprocess.run([sys.executable, "-m", "ghostwatch", *argv[:1], "--once", *argv[1:]],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert sum(json.loads(line)["n"] for line in proc.stdout.splitlines() if '"t": "batch"' in line) == 2


def test_the_sentence_under_each_hours_field_never_contradicts_the_classifier():
    for start in range(24):
        for end in range(1, 25):
            if start == end:
                continue
            hours = Hours(start, end)
            office = describe("office_hours", hours)
            quiet = describe("quiet_hours", hours)
            if end % 24 == start:  # 0 to 24: every hour inside
                assert "around the clock" in office and "at any hour" in quiet
                assert all(h in hours for h in range(24))
                continue
            inside, outside = (int(h) for h in re.findall(r"at (\d\d):00", office))
            assert inside in hours and outside not in hours, office
            assert int(re.findall(r"at (\d\d):00 they come again", quiet)[0]) not in hours, quiet
            assert ("overnight" in office) == hours.wraps
    assert describe("office_hours", None).startswith("Off") and describe("quiet_hours", None).startswith("Off")
