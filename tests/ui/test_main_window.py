"""The main window with a real temporary store: plot, filters, detail pane, hostile text."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from ghostwatch.core.events import Verdict
from ghostwatch.ui.main_window import MainWindow

from .conftest import HOSTILE, T0, make_event


def clock():
    return datetime.fromtimestamp(T0 + 12 * 3600, UTC).replace(tzinfo=None)  # noon on the day of the events


def window(qtbot, reader) -> MainWindow:
    w = MainWindow(reader, clock=clock)
    qtbot.addWidget(w)
    w.timer.stop()
    return w


def test_plot_counts_bucket_click_filters_the_table(qtbot, store):
    history, reader = store
    history.commit([make_event(i, Verdict.GHOST, T0 + 3600 + i) for i in range(3)]
                   + [make_event(10 + i, Verdict.ATTACK, T0 + 7200 + i) for i in range(5)], [], now=T0)
    w = window(qtbot, reader)
    w.refresh()
    assert w.plot.buckets.total("ghost") == 3 and w.plot.buckets.total("attack") == 5
    assert w.strip.counts["ghost"].text() == "3 ghost calls"
    assert w.strip.headline.text().startswith("3 ghost calls rang phones today")  # let in towards a phone
    assert w.model.rowCount() == 8
    with qtbot.waitSignal(w.plot.bucketClicked):
        w.plot.bucketClicked.emit(T0 + 3600, T0 + 3600 + 900)
    assert w.model.rowCount() == 3 and not w.scope.isHidden()
    w.clear_scope()
    assert w.model.rowCount() == 8
    i = w.plot.bucket_at(T0 + 3600 + 1)
    assert "Ghost calls: 3" in w.plot.bucket_text(i)


def test_verdict_filter_search_and_live_batches(qtbot, store):
    history, reader = store
    history.commit([make_event(1, Verdict.ATTACK, T0 + 10, ip="198.51.100.9")], [], now=T0)
    w = window(qtbot, reader)
    ev, at = make_event(2, Verdict.GHOST, T0 + 20, ip="203.0.113.50")
    ids = history.commit([(ev, at)], [], now=T0)
    w.on_ids(ids[0], ids[-1], 1)
    assert w.model.rowCount() == 2 and w.model.rows[0].source_ip == "203.0.113.50"
    w.verdict_box.setCurrentIndex(1)  # ghost calls
    assert [r.source_ip for r in w.model.rows] == ["203.0.113.50"]
    w.verdict_box.setCurrentIndex(0)
    qtbot.keyClicks(w.search, "198.51")
    qtbot.keyClick(w.search, Qt.Key.Key_Return)
    assert [r.source_ip for r in w.model.rows] == ["198.51.100.9"]


def test_detail_pane_shows_hostile_text_as_plain_text(qtbot, store):
    history, reader = store
    history.commit([make_event(1, Verdict.GHOST, T0, caller=HOSTILE)], [], now=T0)
    w = window(qtbot, reader)
    w.show()
    w.table.selectRow(0)
    d = w.detail
    assert d.title.text().startswith("Ghost call from <b>1001</b>")
    for label in d.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText, label.text()
        assert "\u202e" not in label.text() and "\x1b" not in label.text()
    assert "\x07" not in d.evidence.toPlainText()
    d.firewall_kind.setCurrentIndex(1)
    assert d.rule.toPlainText() == "iptables -I INPUT -s 203.0.113.7 -j DROP"
    assert "block direct IP calls" in d.todo.text()  # the advice for a scanner's caller ID


def test_keyboard_moves_through_events(qtbot, store):
    history, reader = store
    history.commit([make_event(i, Verdict.ATTACK, T0 + i) for i in range(3)], [], now=T0)
    w = window(qtbot, reader)
    w.show()
    w.table.setFocus()
    w.table.selectRow(0)
    qtbot.keyClick(w.table, Qt.Key.Key_Down)
    assert w.detail.event is not None and w.detail.event.line == 1


def test_the_demo_office_shows_one_row_per_attempt_and_chips_equal_rows(qtbot, tmp_path):
    """The demo night: each failed login one row (not one per log), each ghost call with its caller and whether it
    rang, and every count chip the number of rows its filter shows."""
    from ghostwatch.cli import load_signatures
    from ghostwatch.core.settings import DetectionSettings
    from ghostwatch.demo.write import write_logs
    from ghostwatch.ingest.scan import scan
    from ghostwatch.store.history import History
    from ghostwatch.store.queries import HistoryReader

    logs = tmp_path / "office"
    day = datetime(2026, 11, 25)
    write_logs(logs, day)
    events: list = []
    scan([logs], DetectionSettings(home_region="US"), load_signatures(), events.append)
    history = History(tmp_path / "h.db")
    history.commit([(e, e.record.epoch) for e in events], [], now=0.0)
    reader = HistoryReader(tmp_path / "h.db")
    night = datetime(2026, 11, 26, 6, 0)
    w = MainWindow(reader, clock=lambda: night)
    qtbot.addWidget(w)
    w.timer.stop()
    try:
        w.refresh()
        shown = {}
        for verdict in ("ghost", "attack", "suspicious"):
            w.show_today(verdict)  # what clicking the chip shows
            while w.model.canFetchMore():
                w.model.fetchMore()
            chip = w.strip.counts[verdict].text()
            shown[verdict] = w.model.rowCount()
            assert int(chip.split()[0].replace(",", "")) == w.model.rowCount(), (verdict, chip)
        assert shown["ghost"] == 3 and shown["attack"] == 45 + 3  # after midnight: the guesser and the toll fraud
        w.show_today("ghost")
        ghosts = w.model.rows
        assert [(g.caller_id, g.outcome) for g in ghosts] == [("1000", "rang"), ("100", "rang"), ("1001", "rang")]
        w.show_today("attack")
        guesses = [r for r in w.model.rows if r.kind == "auth_failure"]
        assert len(guesses) == 45  # the guesser's 45 passwords, each once (security log only in the demo)
        assert w.strip.headline.text() == "3 ghost calls rang phones today with nobody there."
        fraud = [r for r in w.model.rows if r.source_ip == "192.0.2.180"]
        assert fraud and all(r.outcome == "rejected" for r in fraud)
    finally:
        reader.close()
        history.close()
