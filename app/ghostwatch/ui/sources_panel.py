"""Top sources for the chosen range: the addresses behind the most flagged events, worst first."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from ..core.text import display_text
from ..store.queries import SourceRow
from .event_model import when
from .theme import colour, verdict_word


class SourcesPanel(QTableWidget):
    sourceChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 4, parent)
        self.setHorizontalHeaderLabels(["Source", "Worst", "Flagged", "Last seen"])
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.cellActivated.connect(self._chosen)
        self.cellClicked.connect(self._chosen)

    def show_sources(self, rows: list[SourceRow]) -> None:
        self.setRowCount(len(rows))
        for i, row in enumerate(rows):
            cells = [display_text(row.ip, 45), verdict_word(row.verdict), f"{row.events:,}", when(row.last)[:16]]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j == 0:
                    item.setData(Qt.ItemDataRole.UserRole, row.ip)
                    item.setToolTip(f"{row.ghost} ghost calls, {row.attack} attacks, {row.suspicious} suspicious")
                if j == 1:
                    item.setForeground(QBrush(colour(row.verdict).darker(120)))
                self.setItem(i, j, item)

    def _chosen(self, row: int, _column: int) -> None:
        item = self.item(row, 0)
        if item is not None:
            self.sourceChosen.emit(item.data(Qt.ItemDataRole.UserRole))
