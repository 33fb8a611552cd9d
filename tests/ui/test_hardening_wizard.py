"""The hardening wizard, start to finish, on real configuration folders: check, steps, persistence, export."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPlainTextEdit

from ghostwatch.core.hardening.checklist import load_checklist
from ghostwatch.paths import resources_dir
from ghostwatch.ui.hardening_wizard import HardeningWizard, StepPage

PBX = Path(__file__).resolve().parents[1] / "data" / "pbx"
STEPS = load_checklist(resources_dir() / "checklist.toml")


def make(qtbot, tmp_path: Path, **kw) -> HardeningWizard:
    w = HardeningWizard(STEPS, tmp_path / "hardening.json", resources_dir(), **kw)
    qtbot.addWidget(w)
    w.show()
    return w


def check(qtbot, w: HardeningWizard, folder: Path) -> None:
    w.intro.folder.setText(str(folder))
    with qtbot.waitSignal(w.checked, timeout=15000):
        w.intro.check.click()


def test_walk_an_insecure_asterisk_from_start_to_finish(qtbot, tmp_path):
    w = make(qtbot, tmp_path, trusted=("192.168.1.0/24",))
    w.intro.brand.setCurrentIndex(w.intro.brand.findData("yealink"))
    check(qtbot, w, PBX / "asterisk-pjsip-insecure")
    assert "6 step(s) need fixing" in w.intro.result.text()
    seen = {}
    while w.currentId() != w.summary_id:
        w.next()
        page = w.currentPage()
        if isinstance(page, StepPage):
            seen[page.step.id] = page
    assert list(seen) == [s.id for s in STEPS]
    first = seen["move-sip-port"]
    assert first.badge.status.value == "fail"
    assert "pjsip.conf:5: bind=0.0.0.0" in first.found.text.toPlainText()
    assert "bind=0.0.0.0:5160" in first.fix.text.toPlainText()
    assert first.phone_block.text.toPlainText().startswith("Yealink:")  # only the user's brand
    assert "Grandstream" not in first.phone_block.text.toPlainText()
    first.others.setChecked(True)
    assert "Grandstream" in first.phone_block.text.toPlainText()
    fw = seen["trusted-sources"].firewall
    assert fw is not None and "ip saddr { 192.168.1.0/24 }" in fw.text.toPlainText()
    manual = seen["restrict-to-proxy"]
    assert manual.badge.status.value == "manual" and not manual.recheck.isEnabled()
    summary = w.summary.table.toPlainText()
    assert "Move SIP off port 5060" in summary and "6 step(s) still need fixing." in summary
    for edit in w.findChildren(QPlainTextEdit):
        assert edit.isReadOnly()
    for label in w.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText, label.text()


def test_progress_is_kept_across_restarts(qtbot, tmp_path):
    w = make(qtbot, tmp_path)
    w.intro.pbx.setCurrentIndex(w.intro.pbx.findData("asterisk_pjsip"))
    check(qtbot, w, PBX / "asterisk-pjsip-hardened")
    w.open_step("restrict-to-proxy")
    page = w.currentPage()
    assert isinstance(page, StepPage) and page.step.id == "restrict-to-proxy"
    page.done.setChecked(True)
    assert page.badge.status.value == "done"
    w.close()

    again = make(qtbot, tmp_path)
    assert again.intro.folder.text() == str(PBX / "asterisk-pjsip-hardened")
    assert again.intro.pbx.currentData() == "asterisk_pjsip"
    again.resume()
    page = again.currentPage()
    assert isinstance(page, StepPage) and page.step.id == "restrict-to-proxy" and page.done.isChecked()
    states = {s.step.id: s.status.value for s in again.states()}
    assert states["move-sip-port"] == "pass" and states["restrict-to-proxy"] == "done"
    assert "fail" not in states.values()


def test_recheck_after_fixing_turns_the_step_green(qtbot, tmp_path):
    conf = tmp_path / "asterisk"
    shutil.copytree(PBX / "asterisk-pjsip-insecure", conf)
    w = make(qtbot, tmp_path)
    check(qtbot, w, conf)
    w.open_step("move-sip-port")
    page = w.currentPage()
    assert page.badge.status.value == "fail"
    text = (conf / "pjsip.conf").read_text().replace("bind=0.0.0.0\n", "bind=0.0.0.0:5160\n")
    (conf / "pjsip.conf").write_text(text)
    with qtbot.waitSignal(w.checked, timeout=15000):
        page.recheck.click()
    assert page.badge.status.value == "pass"
    assert "listens on port 5160" in page.found.text.toPlainText()
    # a page visited before the re-check shows the new result when the user goes back to it
    w.next()
    later = w.currentPage()
    (conf / "pjsip.conf").write_text(text.replace("bind=0.0.0.0:5160\n", "bind=0.0.0.0\n"))
    with qtbot.waitSignal(w.checked, timeout=15000):
        later.recheck.click()
    w.back()
    assert w.currentPage() is page and page.badge.status.value == "fail"


def test_a_bad_folder_is_a_message_not_a_crash(qtbot, tmp_path):
    w = make(qtbot, tmp_path)
    check(qtbot, w, tmp_path / "nowhere")
    assert w.intro.result.text() == f"Could not check: no such directory: {tmp_path / 'nowhere'}"
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "sip.conf").write_bytes(b"\x00\xff" * 5000)
    check(qtbot, w, junk)
    assert "not a text file" in w.intro.result.text()


def test_export_html_and_pdf(qtbot, tmp_path):
    w = make(qtbot, tmp_path)
    check(qtbot, w, PBX / "freeswitch-default")
    w.export_html(tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text()
    assert "Phone system hardening report" in html and "vars.xml:3:" in html and "default_password=********" in html
    assert "=1234" not in html
    w.export_pdf(tmp_path / "report.pdf")
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")


def test_rang_dialog_answers_from_the_history_and_opens_the_phone_steps(qtbot, tmp_path):
    from datetime import datetime

    from PySide6.QtCore import QDateTime

    from ghostwatch.core.events import Event, Kind, Reason, Record, Verdict
    from ghostwatch.store.history import History
    from ghostwatch.ui.hardening_wizard import RangDialog

    at = datetime(2026, 11, 25, 14, 0).timestamp()
    h = History(tmp_path / "history.sqlite3")
    rec = Record("2026-11-25T13:00:00", "/var/log/asterisk/full", 1, "asterisk", Kind.PROBE, source_ip="203.0.113.9",
                 epoch=at - 3600)
    h.commit([(Event(rec, Verdict.SUSPICIOUS, (Reason("auth_failure", "x"),)), at - 3600)], [], now=at)
    h.close()
    w = make(qtbot, tmp_path, history_path=tmp_path / "history.sqlite3")
    dialog = RangDialog(w)
    qtbot.addWidget(dialog)
    dialog.when.setDateTime(QDateTime.fromSecsSinceEpoch(int(at - 3500)))
    dialog.look.click()
    qtbot.waitUntil(lambda: dialog.look.isEnabled(), timeout=10000)
    assert "logged no call" in dialog.answer.text() and not dialog.go.isHidden()
    dialog.go.click()
    assert w.currentPage().step.id == "restrict-to-proxy"


def test_selftest_dialog_needs_consent_and_an_office_address(qtbot, tmp_path):
    import socket

    from ghostwatch.ui.hardening_wizard import SelfTestDialog

    w = make(qtbot, tmp_path)
    dialog = SelfTestDialog(w)
    qtbot.addWidget(dialog)
    assert not dialog.run.isEnabled()
    dialog.consent.setChecked(True)
    dialog.target.setText("8.8.8.8")
    dialog.run.click()
    assert "not a loopback or private" in dialog.answer.text() and dialog.result is None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dialog.target.setText(f"127.0.0.1:{port}")  # nothing listens there any more: a real, closed port
    dialog.run.click()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=15000)
    assert dialog.result.verdict == "unknown" and "Nothing listens" in dialog.answer.text()


def test_an_archive_from_the_it_contractor_is_checked_too(qtbot, tmp_path):
    import tarfile

    tgz = tmp_path / "pbx-settings.tgz"
    with tarfile.open(tgz, "w:gz") as tar:
        tar.add(PBX / "freeswitch-default", arcname="etc/freeswitch")
    w = make(qtbot, tmp_path)
    check(qtbot, w, tgz)
    assert f"Checked {tgz} (etc/freeswitch) (FreeSWITCH)" in w.intro.result.text()
    assert {s.step.id: s.status.value for s in w.states()}["move-sip-port"] == "fail"
