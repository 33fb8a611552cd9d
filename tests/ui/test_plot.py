"""The frequency plot on a real store: every range holds every day with events, readable axes, hover works."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF

from ghostwatch.core.events import Verdict
from ghostwatch.ui.plot import RANGES, FrequencyPlot, plot_window

from .conftest import T0, make_event

DAY = 86400.0
NOW = T0 + 3 * DAY + 12 * 3600  # noon, three days after the first event's day


@pytest.fixture
def plot(qtbot):
    p = FrequencyPlot()
    qtbot.addWidget(p)
    p.resize(700, 260)
    p.show()
    qtbot.waitExposed(p)
    return p


def test_every_range_holds_every_day_with_events(store, plot):
    history, reader = store
    # the earliest at 23:30 on the first day: the old "All" started its first bucket a day late and left it out
    times = [T0 + 23.5 * 3600, T0 + DAY + 60, T0 + 2 * DAY + 7200, NOW - 1800]
    history.commit([make_event(i, Verdict.GHOST, t) for i, t in enumerate(times)], [], now=T0)
    for name, (span, _size) in RANGES.items():
        plot.refresh(reader, name, NOW)
        want = sum(1 for t in times if span is None or t >= NOW - span)
        assert plot.buckets.total("ghost") == want, name
        lo, hi = plot.getViewBox().viewRange()[0]
        assert lo <= min(t for t in times if span is None or t >= NOW - span) and hi >= NOW, name
    assert plot.buckets.total("ghost") == 4  # "All"


def test_axes_speak_dates_and_whole_numbers(store, plot):
    history, reader = store
    history.commit([make_event(1, Verdict.ATTACK, NOW - 3600)], [], now=T0)
    plot.refresh(reader, "24 hours", NOW)
    label = plot.getAxis("bottom").labelText
    assert "Nov" in label and "2026" in label  # the date is in sight, not bare 06:00/12:00
    ticks = plot.getAxis("bottom").tickStrings([T0 + 3 * DAY, T0 + 3 * DAY + 6 * 3600], 1, 6 * 3600)
    assert ticks[0] == "Sun 29 Nov" and ticks[1] == "06:00"
    assert "bucket" not in plot.getAxis("left").labelText and plot.getAxis("left").labelText == "per 15 minutes"
    # an empty plot counts in whole numbers
    empty = reader.bucket_counts(NOW - 10 * DAY, NOW - 9 * DAY, 3600)
    plot.show_buckets(empty)
    for _step, values in plot.getAxis("left").tickValues(0, 4, 120):
        assert all(v == int(v) for v in values) and values
    # "All" on one day of history: hours, not one block across the width
    start, end, size = plot_window("All", NOW, NOW - 3600)
    assert size == 3600 and end - start >= DAY


def test_hovering_a_bar_shows_its_counts_without_raising(store, plot, qtbot):
    history, reader = store
    history.commit([make_event(i, Verdict.GHOST, NOW - 3600 + i) for i in range(3)], [], now=T0)
    plot.refresh(reader, "24 hours", NOW)
    i = plot.bucket_at(NOW - 3600)
    assert i is not None
    x = plot.buckets.starts[i] + plot.buckets.size / 2
    scene = plot.plotItem.vb.mapViewToScene(QPointF(x, 1))
    plot._hover(scene)  # raised AttributeError (QPoint.toPoint) before
    assert "Ghost calls: 3" in plot.toolTip()
    plot._hover(plot.plotItem.vb.mapViewToScene(QPointF(NOW - 5 * DAY, 1)))  # off the bars
    assert plot.toolTip() == ""
