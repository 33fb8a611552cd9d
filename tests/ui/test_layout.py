"""The window at the sizes an office PC has: nothing clipped, no sideways scrolling in the detail pane."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from ghostwatch.core.events import Event, Kind, Reason, Record, Verdict
from ghostwatch.ui.main_window import MainWindow

from .clipping import clipped, too_tall
from .conftest import T0
from .test_main_window import clock

LONG_REASONS = (
    Reason("brute_force", "17 failed logins for 12 different accounts in 60 seconds from one address: someone is "
                          "guessing passwords, account after account, the way SIP scanners do."),
    Reason("scanner_user_agent", "The software announced itself as “friendly-scanner”, the SIPVicious scanner."),
)


def _stock(history) -> None:
    rows = []
    for n, (verdict, kind, ip, reasons) in enumerate([
        (Verdict.ATTACK, Kind.AUTH_FAILURE, "2001:db8:ffff:1234:5678:9abc:def0:1234", LONG_REASONS),
        (Verdict.GHOST, Kind.CALL, "203.0.113.7", (Reason("scanner_caller_id", "Caller ID 1001 is made up."),)),
        (Verdict.NORMAL, Kind.CALL, "192.168.1.20", ()),
    ]):
        rec = Record(None, "/var/log/asterisk/security_log_with_a_long_name", n + 1, "asterisk_security", kind,
                     source_ip=ip, source_port=5060, caller_id="1001", extension="201",
                     user_agent="friendly-scanner-with-a-very-long-agent-name/1.2.3 (compatible; SIP)",
                     raw=("[2026-11-26 00:00:01] NOTICE[1234] chan_sip.c: Registration from '\"1001\" "
                          "<sip:1001@198.51.100.1>' failed for '203.0.113.7:5060' - Wrong password",))
        rows.append((Event(rec, verdict, reasons), T0 + 3600 + n))
    history.commit(rows, [], now=T0)


@pytest.mark.parametrize("size", [(1024, 640), (1280, 800)])
def test_nothing_is_clipped_and_the_detail_pane_never_scrolls_sideways(qtbot, store, size):
    history, reader = store
    _stock(history)
    w = MainWindow(reader, clock=clock)
    qtbot.addWidget(w)
    w.timer.stop()
    w.detail.step_button.setEnabled(True)
    w.verdict_box.setCurrentIndex(4)  # everything, the normal call too
    w.resize(700, 500)  # first narrower: the labels must shrink back when the window grows
    w.show()
    w.table.selectRow(0)
    qtbot.wait(20)
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    w.refresh()
    assert w.model.rowCount() == 3
    for row in range(3):
        w.table.selectRow(row)
        QApplication.processEvents()
        qtbot.wait(20)
        ev = w.detail.event
        assert ev is not None
        assert not w.detail.horizontalScrollBar().isVisible(), (size, ev.verdict)
        assert w.detail.widget().width() <= w.detail.viewport().width()
        problems = clipped(w.detail) + too_tall(w.detail)
        assert problems == [], (size, str(ev.verdict), problems)
        if ev.verdict is Verdict.ATTACK:
            assert w.detail.copy_rule.isVisible() and w.detail.copy_ip.isVisible()
            assert w.detail.step_button.isVisible()
        if ev.verdict is Verdict.NORMAL:  # ordinary traffic: nothing to block, nothing to stop
            assert not w.detail.step_button.isVisible() and not w.detail.copy_rule.isVisible()
            assert "block it" not in w.detail.todo.text()
    # the top sources: the address column is readable in full
    src = w.sources
    for r in range(src.rowCount()):
        text = src.item(r, 0).text()
        assert src.columnWidth(0) >= src.fontMetrics().horizontalAdvance(text), text
    assert clipped(w.strip) == [] or size[0] < 1100  # the strip wraps its headline (its own test at 1280)


def test_detail_buttons_wrap_to_a_second_row_when_narrow(qtbot, store):
    history, reader = store
    _stock(history)
    w = MainWindow(reader, clock=clock)
    qtbot.addWidget(w)
    w.timer.stop()
    w.resize(1024, 640)
    w.show()
    qtbot.waitExposed(w)
    w.split.setSizes([2000, 1])  # the detail pane at its minimum width
    w.table.selectRow(0)
    qtbot.wait(20)
    d = w.detail
    assert d.copy_ip.isVisible() and d.copy_rule.isVisible()
    assert d.copy_rule.y() > d.copy_ip.y()  # wrapped below, not pushed off the edge
    assert clipped(d) == []
