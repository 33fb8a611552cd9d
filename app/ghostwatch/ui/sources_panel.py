"""Top sources for the chosen range: the addresses behind the most flagged events, worst first."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from ..core.text import display_text
from ..store.queries import SourceRow
from .theme import colour, count_words, verdict_word, when_long, when_minute


class SourcesPanel(QTableWidget):
    sourceChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 4, parent)
        self.setHorizontalHeaderLabels(["Source", "Worst", "Flagged", "Last seen"])
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setTabKeyNavigation(False)  # Tab leaves the list; arrow keys move in it, Enter shows a source
        self.setWordWrap(False)
        head = self.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the address gets what is left...
        for col in (1, 2, 3):
            head.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        # ...and never less than an IPv4 address with room to spare (the pane's minimum width allows it)
        head.setMinimumSectionSize(self.fontMetrics().horizontalAdvance("Flagged") + 16)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setToolTip("Double-click or press Enter on an address to show only its events")
        self.cellActivated.connect(self._chosen)
        self.cellClicked.connect(self._chosen)

    def show_sources(self, rows: list[SourceRow]) -> None:
        self.setRowCount(len(rows))
        for i, row in enumerate(rows):
            cells = [display_text(row.ip, 45), verdict_word(row.verdict), f"{row.events:,}", when_minute(row.last)]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j == 0:
                    item.setData(Qt.ItemDataRole.UserRole, row.ip)
                    item.setToolTip(f"{count_words(row.ghost, 'ghost call')}, {count_words(row.attack, 'attack')}, "
                                    f"{row.suspicious} suspicious; last seen {when_long(row.last)}")
                if j == 3:
                    item.setToolTip(when_long(row.last))
                if j == 1:
                    item.setForeground(QBrush(colour(row.verdict).darker(120)))
                self.setItem(i, j, item)
        self._fit_source()

    def _fit_source(self) -> None:
        """The address column is never squeezed to "…": the others give way (then a scrollbar)."""
        need = max([self.fontMetrics().horizontalAdvance("255.255.255.255") + 14] +
                   [self.fontMetrics().horizontalAdvance(self.item(r, 0).text()) + 14 for r in range(self.rowCount())
                    if self.item(r, 0) is not None])
        head = self.horizontalHeader()
        room = self.viewport().width()
        # "Last seen" gives way first (it stays in the address's tooltip), then the address takes a scrollbar
        self.setColumnHidden(3, room - sum(head.sectionSize(c) for c in (1, 2)) - 90 < need)
        shown = [c for c in (1, 2, 3) if not self.isColumnHidden(c)]
        if room - sum(head.sectionSize(c) for c in shown) < need:
            head.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
            head.resizeSection(0, need)
        else:
            head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_source()

    def _chosen(self, row: int, _column: int) -> None:
        item = self.item(row, 0)
        if item is not None:
            self.sourceChosen.emit(item.data(Qt.ItemDataRole.UserRole))
