"""The ghost-call frequency plot: counts per bucket stacked by verdict, on a date axis, from the history."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QToolTip, QWidget

from ..store.queries import Buckets, HistoryReader
from .theme import VERDICT_COLOURS, verdict_word

STACK = ("ghost", "attack", "suspicious")  # bottom to top; normal traffic is not plotted
LEGEND = {"ghost": "Ghost calls", "attack": "Attacks", "suspicious": "Suspicious"}
RANGES = {"24 hours": (86400, 900), "7 days": (7 * 86400, 3600), "30 days": (30 * 86400, 6 * 3600),
          "All": (None, 86400)}


class FrequencyPlot(pg.PlotWidget):
    """Stacked bars per bucket. `bucketClicked(start, end)` when a bar is clicked."""

    bucketClicked = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        axis = pg.DateAxisItem(orientation="bottom", utcOffset=0)  # epochs are the PBX's wall clock
        super().__init__(parent=parent, axisItems={"bottom": axis}, background="w")
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.showGrid(x=False, y=True, alpha=0.15)
        self.setLabel("left", "events per bucket")
        for name in ("left", "bottom"):
            ax = self.getAxis(name)
            ax.setPen(pg.mkPen("#546e7a"))
            ax.setTextPen(pg.mkPen("#37474f"))
        self.legend = self.addLegend(offset=(10, 5), labelTextColor="#37474f", brush=pg.mkBrush(255, 255, 255, 220))
        self.bars: dict[str, pg.BarGraphItem] = {}
        for verdict in STACK:
            item = pg.BarGraphItem(x0=[], x1=[], y0=[], y1=[], brush=pg.mkBrush(QColor(VERDICT_COLOURS[verdict])),
                                   pen=pg.mkPen(None), name=LEGEND[verdict])
            self.addItem(item)
            self.bars[verdict] = item
        self.buckets: Buckets | None = None
        self.scene().sigMouseMoved.connect(self._hover)
        self.scene().sigMouseClicked.connect(self._click)

    def show_buckets(self, buckets: Buckets) -> None:
        self.buckets = buckets
        x0 = np.asarray(buckets.starts, dtype=float)
        gap = buckets.size * 0.08
        base = np.zeros(len(x0))
        for verdict in STACK:
            counts = np.asarray(buckets.counts.get(verdict, [0] * len(x0)), dtype=float)
            self.bars[verdict].setOpts(x0=x0 + gap, x1=x0 + buckets.size - gap, y0=base.copy(), y1=base + counts)
            base = base + counts
        top = float(base.max()) if len(base) else 0.0
        self.setYRange(0, max(top * 1.1, 4), padding=0)
        if len(x0):
            self.setXRange(float(x0[0]), float(x0[-1]) + buckets.size, padding=0.01)

    def refresh(self, reader: HistoryReader, range_name: str, now: float) -> None:
        """Re-bin the chosen range from the store (called on a timer, never per event)."""
        span, size = RANGES[range_name]
        if span is None:
            known = reader.span()
            start = known[0] if known else now - 86400
            span = max(now - start, 86400)
            size = 86400 if span <= 400 * 86400 else 7 * 86400
        end = (int(now // size) + 1) * size
        self.show_buckets(reader.bucket_counts(end - span, end, size))

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
        fmt = "%a %d %b %H:%M" if b.size < 86400 else "%a %d %b %Y"
        lines = [f"{start:{fmt}} – {end:%H:%M}" if b.size < 86400 else f"{start:{fmt}}"]
        for verdict in STACK:
            lines.append(f"{verdict_word(verdict)}: {b.counts[verdict][i]}")
        lines.append("Click to show these events")
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
        QToolTip.showText(self.mapToGlobal(self.mapFromScene(pos).toPoint()), text, self)

    def _click(self, event) -> None:
        point = self.plotItem.vb.mapSceneToView(event.scenePos())
        i = self.bucket_at(point.x())
        if i is not None and self.buckets is not None:
            start = float(self.buckets.starts[i])
            self.bucketClicked.emit(start, start + self.buckets.size)
