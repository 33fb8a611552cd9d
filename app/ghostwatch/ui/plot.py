"""The ghost-call frequency plot: counts per time slot stacked by verdict, on a date axis, from the history."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QToolTip, QWidget

from ..store.queries import Buckets, HistoryReader
from .theme import VERDICT_COLOURS, verdict_word

STACK = ("ghost", "attack", "suspicious")  # bottom to top; normal traffic is not plotted
LEGEND = {"ghost": "Ghost calls", "attack": "Attacks", "suspicious": "Suspicious"}
RANGES = {"24 hours": (86400, 900), "7 days": (7 * 86400, 3600), "30 days": (30 * 86400, 6 * 3600),
          "All": (None, 86400)}
SLOT_WORDS = {900: "per 15 minutes", 3600: "per hour", 6 * 3600: "per 6 hours", 86400: "per day",
              7 * 86400: "per week"}
DAY = 86400


def all_slot(span: float) -> int:
    """The slot size for "All": hours for a day or two of history, then quarter days, days, weeks."""
    if span <= 2 * DAY:
        return 3600
    if span <= 14 * DAY:
        return 6 * 3600
    return DAY if span <= 400 * DAY else 7 * DAY


def plot_window(range_name: str, now: float, first_event: float | None) -> tuple[float, float, int]:
    """(start, end, slot size) to plot: "All" starts at the slot holding the earliest event recorded."""
    span, size = RANGES[range_name]
    if span is None:
        oldest = first_event if first_event is not None else now - DAY
        size = all_slot(now - oldest)
        end = (int(now // size) + 1) * size
        start = int(oldest // size) * size
        return float(min(start, end - DAY)), float(end), size  # at least a day shown: one day is not a wall
    end = (int(now // size) + 1) * size
    return float(end - span), float(end), size


class DateAxis(pg.AxisItem):
    """Times on the bottom axis: hours with the day at midnight, days with the month, always a date in sight."""

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph's name
        out = []
        for v in values:
            try:
                t = datetime.fromtimestamp(v, UTC)
            except (OverflowError, OSError, ValueError):
                out.append("")
                continue
            if spacing >= DAY:
                out.append(f"{t:%d %b}" if spacing < 60 * DAY else f"{t:%b %Y}")
            elif t.hour == 0 and t.minute == 0:
                out.append(f"{t:%a %d %b}")
            else:
                out.append(f"{t:%H:%M}")
        return out

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 - pyqtgraph's name
        span = maxVal - minVal
        if span <= 0:
            return []
        for step in (3600, 3 * 3600, 6 * 3600, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY, 365 * DAY):
            if span / step <= max(3, size / 90):
                break
        first = math.ceil(minVal / step) * step
        return [(step, list(np.arange(first, maxVal + 1, step)))]


class CountAxis(pg.AxisItem):
    """Whole numbers only: there is no half a ghost call."""

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 - pyqtgraph's name
        top = max(1.0, maxVal)
        step = 1
        for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 25000, 50000, 100000):
            step = s
            if top / s <= max(2, size / 30):
                break
        else:
            step = 10 ** math.ceil(math.log10(top / 5))
        return [(step, [float(v) for v in range(0, int(maxVal) + 1, step)])]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph's name
        return [f"{int(round(v)):,}" for v in values]


class FrequencyPlot(pg.PlotWidget):
    """Stacked bars per time slot. `bucketClicked(start, end)` when a bar is clicked."""

    bucketClicked = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        axes = {"bottom": DateAxis(orientation="bottom"), "left": CountAxis(orientation="left")}
        super().__init__(parent=parent, axisItems=axes, background="w")
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.showGrid(x=False, y=True, alpha=0.15)
        for name in ("left", "bottom"):
            ax = self.getAxis(name)
            ax.setPen(pg.mkPen("#546e7a"))
            ax.setTextPen(pg.mkPen("#37474f"))
            ax.enableAutoSIPrefix(False)  # no "(x1e+09)" after the dates
        self.getAxis("left").setWidth(48)
        # the legend sits above the bars, in its own row of the plot's layout: never over the data
        self.legend = pg.LegendItem(colCount=len(STACK), labelTextColor="#37474f")
        self.plotItem.layout.removeItem(self.plotItem.titleLabel)  # the title row (unused) holds the legend
        self.plotItem.titleLabel.hide()
        self.plotItem.layout.addItem(self.legend, 0, 1)
        self.plotItem.layout.setRowFixedHeight(0, 26)
        self.bars: dict[str, pg.BarGraphItem] = {}
        for verdict in STACK:
            item = pg.BarGraphItem(x0=[], x1=[], y0=[], y1=[], brush=pg.mkBrush(QColor(VERDICT_COLOURS[verdict])),
                                   pen=pg.mkPen(None), name=LEGEND[verdict])
            self.addItem(item)
            self.legend.addItem(item, LEGEND[verdict])
            self.bars[verdict] = item
        self.buckets: Buckets | None = None
        self.scene().sigMouseMoved.connect(self._hover)
        self.scene().sigMouseClicked.connect(self._click)

    def show_buckets(self, buckets: Buckets, start: float | None = None, end: float | None = None) -> None:
        self.buckets = buckets
        x0 = np.asarray(buckets.starts, dtype=float)
        gap = buckets.size * 0.08
        base = np.zeros(len(x0))
        for verdict in STACK:
            counts = np.asarray(buckets.counts.get(verdict, [0] * len(x0)), dtype=float)
            self.bars[verdict].setOpts(x0=x0 + gap, x1=x0 + buckets.size - gap, y0=base.copy(), y1=base + counts)
            base = base + counts
        top = float(base.max()) if len(base) else 0.0
        self.setYRange(0, max(math.ceil(top * 1.1), 4), padding=0)
        lo = start if start is not None else (float(x0[0]) if len(x0) else 0.0)
        hi = end if end is not None else (float(x0[-1]) + buckets.size if len(x0) else DAY)
        self.setXRange(lo, hi, padding=0.01)
        self.setLabel("left", SLOT_WORDS.get(buckets.size, "how many"))
        self.setLabel("bottom", _span_label(lo, hi))

    def refresh(self, reader: HistoryReader, range_name: str, now: float) -> None:
        """Re-bin the chosen range from the store (called on a timer, never per event)."""
        known = reader.span()
        start, end, size = plot_window(range_name, now, known[0] if known else None)
        self.show_buckets(reader.bucket_counts(start, end, size), start, end)

    def bucket_at(self, x: float) -> int | None:
        b = self.buckets
        if b is None or not b.starts or x < b.starts[0]:
            return None
        i = int((x - b.starts[0]) // b.size)
        return i if 0 <= i < len(b.starts) else None

    def bucket_text(self, i: int) -> str:
        b = self.buckets
        assert b is not None
        start = datetime.fromtimestamp(b.starts[i], UTC)
        end = datetime.fromtimestamp(b.starts[i] + b.size, UTC)
        if b.size < DAY:
            lines = [f"{start:%a %d %b %Y, %H:%M} – {end:%H:%M}"]
        elif b.size == DAY:
            lines = [f"{start:%a %d %b %Y}"]
        else:
            lines = [f"{start:%d %b} – {datetime.fromtimestamp(b.starts[i] + b.size - 1, UTC):%d %b %Y}"]
        for verdict in STACK:
            lines.append(f"{LEGEND[verdict]}: {b.counts[verdict][i]:,}")
        lines.append("Click to list them below")
        return "\n".join(lines)

    def _hover(self, pos: QPointF) -> None:
        point = self.plotItem.vb.mapSceneToView(pos)
        i = self.bucket_at(point.x())
        if i is None:
            QToolTip.hideText()
            self.setToolTip("")
            return
        text = self.bucket_text(i)
        self.setToolTip(text)
        local = self.mapFromScene(pos)  # a QPoint already (QGraphicsView maps to whole pixels)
        QToolTip.showText(self.mapToGlobal(QPoint(int(local.x()), int(local.y()))), text, self)

    def _click(self, event) -> None:
        point = self.plotItem.vb.mapSceneToView(event.scenePos())
        i = self.bucket_at(point.x())
        if i is not None and self.buckets is not None:
            start = float(self.buckets.starts[i])
            self.bucketClicked.emit(start, start + self.buckets.size)


def _span_label(lo: float, hi: float) -> str:
    a = datetime.fromtimestamp(lo, UTC)
    b = datetime.fromtimestamp(max(lo, hi - 1), UTC)
    if a.date() == b.date():
        return f"{a:%A %d %B %Y}"
    if a.year == b.year:
        return f"{a:%a %d %b} – {b:%a %d %b %Y}"
    return f"{a:%d %b %Y} – {b:%d %b %Y}"


__all__ = ["RANGES", "FrequencyPlot", "plot_window", "verdict_word"]
