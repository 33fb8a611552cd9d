"""The table model without a window: paging, live rows, filters, plain text, CSV export."""

from __future__ import annotations

import csv

from PySide6.QtCore import Qt

from ghostwatch.core.events import Verdict
from ghostwatch.store.queries import EventFilter
from ghostwatch.ui.event_model import PAGE, EventTableModel

from .conftest import HOSTILE, T0, make_event


def test_pages_newest_first_and_fetches_more(qtmodeltester, store):
    history, reader = store
    history.commit([make_event(i, Verdict.ATTACK, T0 + i) for i in range(PAGE + 50)], [], now=T0)
    model = EventTableModel(reader)
    model.fetchMore()
    assert model.rowCount() == PAGE and model.canFetchMore()
    assert model.data(model.index(0, 6)) == "201" and model.rows[0].epoch == T0 + PAGE + 49
    model.fetchMore()
    assert model.rowCount() == PAGE + 50 and not model.canFetchMore()
    qtmodeltester.check(model)


def test_live_rows_go_on_top_only_when_the_filter_shows_them(store):
    history, reader = store
    history.commit([make_event(1, Verdict.ATTACK, T0)], [], now=T0)
    model = EventTableModel(reader)
    model.fetchMore()
    ev, at = make_event(2, Verdict.GHOST, T0 + 5)
    normal, at2 = make_event(3, Verdict.NORMAL, T0 + 6)
    ids = history.commit([(ev, at), (normal, at2)], [], now=T0)
    added = model.add_live(reader.by_ids(ids[0], ids[1]))
    assert added == 1 and [r.id for r in model.rows][:1] == [ids[0]]
    model.set_filter(EventFilter(verdicts=frozenset({"normal"})))
    assert [r.id for r in model.rows] == [ids[1]]


def test_hostile_text_is_plain_and_elided_with_the_full_value_in_the_tooltip(store):
    history, reader = store
    long_ua = "x" * 300
    history.commit([make_event(1, Verdict.GHOST, T0, caller=HOSTILE, ua=long_ua)], [], now=T0)
    model = EventTableModel(reader)
    model.fetchMore()
    shown = model.data(model.index(0, 5))
    assert "\u202e" not in shown and "\x1b" not in shown and "\x07" not in shown
    assert shown.startswith("<b>1001</b>")  # shown literally, never as markup (views render DisplayRole as text)
    ua = model.data(model.index(0, 7))
    assert len(ua) <= 48 and ua.endswith("…")
    # the tooltip is escaped HTML (Qt guesses a tooltip's format): the full value, shown literally
    assert model.data(model.index(0, 7), Qt.ItemDataRole.ToolTipRole) == f"<p>{long_ua}</p>"


def test_csv_export_covers_the_whole_filter_and_defuses_formulas(tmp_path, store):
    history, reader = store
    history.commit([make_event(i, Verdict.ATTACK, T0 + i, caller="=HYPERLINK(\"http://x\")") for i in range(450)],
                   [], now=T0)
    model = EventTableModel(reader)
    model.fetchMore()
    out = tmp_path / "e.csv"
    assert model.export_csv(str(out)) == 450
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert len(rows) == 451 and rows[1][6].startswith("'=")


def test_sorting_by_a_column_keeps_live_rows_in_that_order(store):
    history, reader = store
    history.commit([make_event(1, Verdict.SUSPICIOUS, T0), make_event(2, Verdict.GHOST, T0 + 1),
                    make_event(3, Verdict.ATTACK, T0 + 2)], [], now=T0)
    model = EventTableModel(reader)
    model.fetchMore()
    model.sort(1, Qt.SortOrder.DescendingOrder)  # worst verdict first
    assert [str(r.verdict) for r in model.rows] == ["ghost", "attack", "suspicious"]
    ev, at = make_event(4, Verdict.GHOST, T0 + 3)
    ids = history.commit([(ev, at)], [], now=T0)
    model.add_live(reader.by_ids(ids[0], ids[0]))
    assert [str(r.verdict) for r in model.rows] == ["ghost", "ghost", "attack", "suspicious"]
    assert model.rows[0].id == ids[0]  # the newer ghost call first among equals
