"""First run and settings as a new user meets them: names not codes, hints, inline validation, no dead ends."""

from __future__ import annotations

from ghostwatch.core.app_settings import AppSettings
from ghostwatch.ui.first_run import FirstRunDialog
from ghostwatch.ui.settings_dialog import SettingsDialog

from .clipping import clipped


def test_home_country_is_a_name_and_lists_are_explained(qtbot):
    d = SettingsDialog(AppSettings(home_region="TH"))
    qtbot.addWidget(d)
    box = d.editors["home_region"]
    assert box.currentText() == "Thailand (TH)" and box.currentData() == "TH"
    names = [box.itemText(i) for i in range(box.count())]
    assert "Germany (DE)" in names and "TJ" not in names  # no bare codes where Qt knows the name
    assert names == sorted(names, key=str.casefold)
    for field in ("log_dirs", "trusted"):
        assert d.editors[field].placeholderText()  # an example in the empty field
    d.show()
    qtbot.waitExposed(d)
    assert clipped(d) == []


def test_a_bad_network_is_marked_at_its_field_and_refused(qtbot):
    d = SettingsDialog(AppSettings(home_region="GB"))
    qtbot.addWidget(d)
    d.show()
    d.editors["trusted"].setPlainText("192.168.1.0/24\noffice wifi")
    problem = d.problems["trusted"]
    assert problem.isVisible() and "office wifi" in problem.text()  # as you type, under the field
    assert problem.parentWidget() is d.editors["trusted"].parentWidget()
    assert "b3261e" in d.editors["trusted"].styleSheet()
    d.accept()
    assert d.result() == 0 and "marked field" in d.error.text()
    d.editors["trusted"].setPlainText("192.168.1.0/24")
    assert not problem.isVisible() and d.editors["trusted"].styleSheet() == ""


def test_a_folder_that_does_not_exist_is_said_at_once(qtbot, tmp_path):
    d = SettingsDialog(AppSettings(home_region="GB"))
    qtbot.addWidget(d)
    d.show()
    d.editors["log_dirs"].setPlainText(str(tmp_path / "nowhere"))
    assert d.problems["log_dirs"].isVisible() and "does not exist" in d.problems["log_dirs"].text()
    d.editors["log_dirs"].setPlainText(str(tmp_path))
    assert not d.problems["log_dirs"].isVisible()


def test_first_run_without_logs_has_no_empty_box_and_a_chosen_folder_is_ticked(qtbot, tmp_path):
    d = FirstRunDialog(candidates=[])
    qtbot.addWidget(d)
    d.show()
    assert not d.list.isVisible() and not d.watch.isEnabled()
    assert d.other.text() == "Choose a folder…" and "No PBX log folder was found" in d.note.text()
    empty = tmp_path / "pbx"
    empty.mkdir()
    d.add_folder(empty, chosen=True)  # what "Choose a folder…" does with the picked folder
    assert d.list.isVisible() and d.folders() == [str(empty)] and d.watch.isEnabled()
    assert d.watch.text() == "Watch this folder"
    assert "as soon as they appear" in d.list.item(1).text()
    d.list.item(0).setCheckState(d.list.item(0).checkState().__class__.Unchecked)
    assert not d.watch.isEnabled() and "Tick the folders" in d.note.text()  # never enabled doing nothing


def test_self_test_refusals_read_as_sentences_with_the_value_in_quotes():
    from ghostwatch.core.hardening.selftest import SelfTestRefused, check_target
    from ghostwatch.ui.hardening.dialogs import refusal_words

    said = {}
    for typed in ("not an address", "", "   ", "192.168.1.10:99999"):
        try:
            check_target(typed)
        except SelfTestRefused as exc:
            said[typed] = refusal_words(str(exc))
    assert said["not an address"] == ("GhostWatch did not run the test. Please give the PBX's IP address (not a "
                                      "name): \u201cnot an address\u201d.")  # the apostrophe of PBX's stays one
    assert said["192.168.1.10:99999"] == ("GhostWatch did not run the test. Please give a port number from 1 to 65535: "
                                          "\u201c99999\u201d.")
    assert said[""] == said["   "] == ("GhostWatch did not run the test. Please enter the PBX's IP address (for "
                                       "example 192.168.1.10).")
