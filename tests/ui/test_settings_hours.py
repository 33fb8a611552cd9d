"""The settings dialog cannot save hours the monitor would refuse: every span it accepts goes through the
monitor's own command-line parser and comes back equal (the bug: 22 to 6 was saved, then the monitor exited at
every start)."""

from __future__ import annotations

from ghostwatch.cli import build_parser, detection_settings
from ghostwatch.core.app_settings import AppSettings
from ghostwatch.core.hours import Hours
from ghostwatch.ui.settings_dialog import SettingsDialog


def test_every_span_the_dialog_accepts_reaches_the_monitor_unchanged(qtbot):
    d = SettingsDialog(AppSettings(home_region="US"))
    qtbot.addWidget(d)
    office, quiet = d.editors["office_hours"], d.editors["quiet_hours"]
    office.on.setChecked(True)
    quiet.on.setChecked(True)
    parser = build_parser()
    accepted = refused = 0
    for start in range(office.start.minimum(), office.start.maximum() + 1):
        for end in range(office.end.minimum(), office.end.maximum() + 1):
            office.start.setValue(start)
            office.end.setValue(end)
            quiet.start.setValue(end % 24)
            quiet.end.setValue(start if start else 24)
            d.error.clear()
            d.accept()
            if start == end:
                assert "Office hours" in d.error.text()  # said in the dialog, never saved
                refused += 1
                continue
            assert d.error.text() == ""
            saved = d.settings
            assert saved.office_hours == Hours(start, end)
            args = parser.parse_args(saved.monitor_args(["/var/log/asterisk"], "/tmp/data"))
            assert detection_settings(args).office_hours == saved.office_hours
            assert detection_settings(args) == saved.detection()
            accepted += 1
    assert accepted == 24 * 24 - 23 and refused == 23


def test_night_shift_hours_in_the_dialog_mark_the_right_calls(qtbot):
    d = SettingsDialog(AppSettings(home_region="US"))
    qtbot.addWidget(d)
    office = d.editors["office_hours"]
    office.on.setChecked(True)
    office.start.setValue(22)
    office.end.setValue(6)
    d.accept()
    hours = d.settings.detection().office_hours
    assert hours == Hours(22, 6) and 23 in hours and 12 not in hours
    # the dialog says under the field which way round the span is read, with an hour on each side
    assert office.meaning.text() == ("The office is open 22:00\u201305:59 (overnight). A call at 22:00 is within "
                                     "office hours; one at 06:00 is marked \u201coutside office hours\u201d.")
    office.start.setValue(6)
    office.end.setValue(22)
    assert office.meaning.text().startswith("The office is open 06:00\u201321:59. A call at 06:00 is within")
    office.end.setValue(6)
    assert "no time at all" in office.meaning.text()  # an empty span is explained at once, not only on saving
    assert office.meaning.styleSheet() == "color: #b3261e;"  # in the error colour, not as a hint
    office.on.setChecked(False)
    assert office.meaning.text() == "Off: the time of day of a call is not judged."
    assert not office.start.isEnabled() and not office.end.isEnabled()  # an hour means nothing while off
    quiet = d.editors["quiet_hours"]
    quiet.on.setChecked(True)
    quiet.start.setValue(22)
    quiet.end.setValue(7)
    assert quiet.meaning.text() == ("No notifications 22:00\u201306:59 (overnight), except a possible break-in; at "
                                    "07:00 they come again.")


CANDIDATE_NETWORKS = ["192.168.1.0/24", "10.0.0.1", " 172.16.0.0/12 ", "2001:db8::/32", "::1", "10.0.0.1, 10.0.0.2",
                      "10.0.0.0/33", "pbx.example.com", "-10.0.0.0/8", "192.168.1.7/24", "0.0.0.0/0", "fe80::1%eth0",
                      "10.1.2.3/255.255.0.0", "1.2.3", "", "#office"]


def test_every_trusted_network_the_dialog_accepts_reaches_the_monitor_unchanged(qtbot):
    d = SettingsDialog(AppSettings(home_region="US"))
    qtbot.addWidget(d)
    parser = build_parser()
    accepted = 0
    for text in CANDIDATE_NETWORKS:
        d.error.clear()
        d.editors["trusted"].setPlainText(text)
        d.accept()
        if d.error.text():
            continue  # refused in the dialog, with a message: never saved
        saved = d.settings
        args = parser.parse_args(saved.monitor_args(["/var/log/asterisk"], "/tmp/data"))
        assert detection_settings(args) == saved.detection(), text
        accepted += 1
    assert accepted >= 5
