"""The events table as a person uses it: sorting and scrolling, search as you type, empty states, the keyboard."""

from __future__ import annotations

import csv

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ghostwatch.core.events import Outcome, Verdict
from ghostwatch.ui.main_window import SEARCH_DELAY_MS, MainWindow

from .conftest import T0, make_event
from .test_main_window import clock


def window(qtbot, reader, show=True) -> MainWindow:
    w = MainWindow(reader, clock=clock)
    qtbot.addWidget(w)
    w.timer.stop()
    w.resize(1280, 800)
    if show:
        w.show()
        qtbot.waitExposed(w)
    return w


def test_sorting_by_source_then_scrolling_to_the_end_shows_each_event_once(qtbot, store):
    history, reader = store
    history.commit([make_event(i, Verdict.ATTACK, T0 + i, ip=f"198.51.{i % 7}.{i % 250}") for i in range(650)],
                   [], now=T0)
    w = window(qtbot, reader)
    w.table.sortByColumn(4, Qt.SortOrder.AscendingOrder)  # Source
    w.table.setFocus()
    w.table.selectRow(0)
    for _ in range(6):  # Ctrl+End pages in more until the history is exhausted
        qtbot.keyClick(w.table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
        QApplication.processEvents()
        while w.model.canFetchMore():
            w.model.fetchMore()
    ids = [ev.id for ev in w.model.rows]
    assert len(ids) == len(set(ids)) == 650
    sources = [w.model.index(r, 4).data() for r in range(w.model.rowCount())]
    assert sources == sorted(sources, key=str.lower)


def test_search_follows_typing_after_a_pause(qtbot, store):
    history, reader = store
    history.commit([make_event(1, Verdict.ATTACK, T0 + 10, ip="198.51.100.9"),
                    make_event(2, Verdict.GHOST, T0 + 20, ip="203.0.113.50")], [], now=T0)
    w = window(qtbot, reader)
    qtbot.keyClicks(w.search, "198.51")
    assert w.model.rowCount() == 2  # not on every key press...
    qtbot.waitUntil(lambda: w.model.rowCount() == 1, timeout=SEARCH_DELAY_MS * 5)  # ...but without Enter
    assert w.model.rows[0].source_ip == "198.51.100.9"
    qtbot.keyClicks(w.search, "zzz")
    qtbot.waitUntil(lambda: w.model.rowCount() == 0, timeout=SEARCH_DELAY_MS * 5)
    assert w.empty.isVisible() and "No events match" in w.empty.text()
    w.search.clear()
    qtbot.waitUntil(lambda: w.model.rowCount() == 2, timeout=SEARCH_DELAY_MS * 5)
    assert not w.empty.isVisible()


def test_an_empty_history_says_so_in_a_sentence(qtbot, store):
    _history, reader = store
    w = window(qtbot, reader)
    assert w.model.rowCount() == 0
    assert w.empty.isVisible() and "Nothing to worry about yet" in w.empty.text()
    w.verdict_box.setCurrentIndex(4)
    assert "Nothing recorded yet" in w.empty.text()
    w.verdict_box.setCurrentIndex(3)  # one kind only: never "nothing to worry about" (attacks may be listed elsewhere)
    assert w.empty.text().startswith("No suspicious events recorded. To see every ghost call")
    assert w.detail.title.text().startswith("Nothing in this view to explain")


def test_tab_walks_the_panes_and_arrows_move_in_the_table(qtbot, store):
    history, reader = store
    history.commit([make_event(i, Verdict.ATTACK, T0 + i) for i in range(3)], [], now=T0)
    w = window(qtbot, reader)
    w.activateWindow()
    first = w.strip.counts["ghost"]
    first.setFocus()
    qtbot.waitUntil(first.hasFocus)
    visited = [first]
    for _ in range(25):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        visited.append(QApplication.focusWidget())
    reached = set(map(id, visited))
    checked = w.range_group.checkedButton()
    for part in (w.strip.pause, checked, w.verdict_box, w.search, w.export_button, w.table, w.detail, w.sources):
        assert id(part) in reached, type(part).__name__
    # the range buttons are one group, as radio buttons are: Tab reaches the chosen one, arrows move, Space picks
    checked.setFocus()
    qtbot.keyClick(checked, Qt.Key.Key_Right)
    nxt = QApplication.focusWidget()
    assert nxt in w.range_buttons and nxt is not checked
    qtbot.keyClick(nxt, Qt.Key.Key_Space)
    assert w.range_group.checkedButton() is nxt
    # in the table, Tab leaves (it does not walk cell by cell) and the arrow keys move the selection
    i = visited.index(w.table)
    assert visited[i + 1] is not w.table
    w.table.setFocus()
    w.table.selectRow(0)
    qtbot.keyClick(w.table, Qt.Key.Key_Down)
    assert w.detail.event is not None and w.detail.event.line == 1
    assert "focus" in w.centralWidget().styleSheet()  # a visible focus frame on the panes


def test_csv_says_blocked_as_the_window_does_and_goes_to_documents(qtbot, store, tmp_path, monkeypatch):
    history, reader = store
    ev, at = make_event(1, Verdict.ATTACK, T0)
    rec = ev.record._replace(outcome=Outcome.REJECTED)
    history.commit([(ev.__class__(rec, ev.verdict, ev.reasons), at)], [], now=T0)
    w = window(qtbot, reader, show=False)
    assert w.model.index(0, 3).data() == "blocked"
    out = tmp_path / "e.csv"
    w.model.export_csv(str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows[0]["outcome"] == "blocked"
    seen = {}

    def fake_dialog(_parent, _title, start, _filter):  # a real file dialog would block the test: record its start
        seen["start"] = start
        return "", ""

    monkeypatch.setattr("ghostwatch.ui.main_window.QFileDialog.getSaveFileName", fake_dialog)
    monkeypatch.chdir(tmp_path)
    w.export_csv()
    assert not seen["start"].startswith(str(tmp_path)) and seen["start"].endswith("ghostwatch-events.csv")


def test_paused_is_a_banner_in_the_window_not_small_grey_text(qtbot, store):
    from ghostwatch.ingest.pipeline import MonitorStatus

    _history, reader = store
    w = window(qtbot, reader)
    w.on_status(MonitorStatus("paused", "inotify"))
    assert w.paused_banner.isVisible() and "paused" in w.paused_banner.text()
    assert w.pause_action.text() == "Resume monitoring"
    w.on_status(MonitorStatus("live", "inotify"))
    assert not w.paused_banner.isVisible()


def test_a_new_filter_starts_at_its_newest_events(qtbot, store):
    # a second first-time user's walk: scrolled to the bottom under "Everything", then "Needs attention" kept the
    # old scroll position and showed the oldest events
    history, reader = store
    history.commit([make_event(i, Verdict.ATTACK if i % 2 else Verdict.NORMAL, T0 + i) for i in range(120)], [],
                   now=T0)
    w = window(qtbot, reader)
    w.verdict_box.setCurrentIndex(4)  # everything
    bar = w.table.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=5000)
    bar.setValue(bar.maximum())
    w.verdict_box.setCurrentIndex(0)  # needs attention
    QApplication.processEvents()
    assert bar.value() == 0
