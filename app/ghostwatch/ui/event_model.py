"""The live events table: a model paged from the history, newest first, with new events inserted at the top."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from ..core.classify import headline
from ..core.text import display_text, rich_text_paragraph
from ..store.queries import EventFilter, HistoryReader, StoredEvent, matches
from .theme import KIND_WORDS, OUTCOME_WORDS, VERDICT_COLOURS, VERDICT_TINTS, verdict_word, when_long, when_short

COLUMNS = ("Time", "Verdict", "What", "Outcome", "Source", "Caller ID", "Extension", "User agent", "Why")
PAGE = 200
MAX_ROWS = 20000  # rows kept in memory; older ones are paged in again on scrolling
LIVE_INSERT_LIMIT = 500  # a bigger batch (a flood, an import) reloads the first page instead: one query
ELIDE = 48


def when(epoch: float) -> str:
    """Log wall-clock time for files (CSV): epochs are the PBX's local time read as UTC."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


def cell_text(ev: StoredEvent, column: int) -> str:
    if column == 0:
        return when_short(ev.epoch)
    if column == 1:
        return verdict_word(ev.verdict)
    if column == 2:
        return KIND_WORDS.get(ev.kind, ev.kind)
    if column == 3:
        return OUTCOME_WORDS.get(ev.outcome, ev.outcome or "")
    if column == 4:
        return display_text(ev.source_ip) + (f":{ev.source_port}" if ev.source_port else "")
    if column == 5:
        return display_text(ev.caller_id or ev.caller_name)
    if column == 6:
        return display_text(ev.extension)
    if column == 7:
        return display_text(ev.user_agent)
    top = headline(ev.reasons)
    return display_text(top.text) if top else ""


class EventTableModel(QAbstractTableModel):
    def __init__(self, reader: HistoryReader, parent=None) -> None:
        super().__init__(parent)
        self.reader = reader
        self.filter = EventFilter(verdicts=frozenset({"ghost", "attack", "suspicious"}))
        self.rows: list[StoredEvent] = []
        self._ids: set[int] = set()  # the loaded rows: a page or a live batch never adds one twice
        self._cursor: tuple[float, int] | None = None  # the oldest (epoch, id) paged in: where the next page starts
        self._newest: tuple[float, int] | None = None  # the newest loaded, whatever the sort order shows first
        self._exhausted = False
        self.sort_column = 0
        self.sort_order = Qt.SortOrder.DescendingOrder

    # -- Qt model interface -----------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        ev = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            text = cell_text(ev, col)
            return text if len(text) <= ELIDE or col == 8 else text[: ELIDE - 1] + "…"
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 0:
                return when_long(ev.epoch)
            text = cell_text(ev, col)
            # Qt renders a tooltip that looks like HTML as rich text: always hand it escaped HTML
            return rich_text_paragraph(text) if (len(text) > ELIDE or col == 8) else None
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(QColor(VERDICT_TINTS[str(ev.verdict)]))
        if role == Qt.ItemDataRole.ForegroundRole and col == 1:
            return QBrush(QColor(VERDICT_COLOURS[str(ev.verdict)]).darker(130))
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{COLUMNS[col]}: {cell_text(ev, col)}"
        return None

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted and len(self.rows) < MAX_ROWS

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        page = self.reader.page(self.filter, self._cursor, PAGE)
        if len(page) < PAGE:
            self._exhausted = True
        if page:
            self._cursor = (page[-1].epoch, page[-1].id)
            self._newest = max(self._newest or (page[0].epoch, page[0].id), (page[0].epoch, page[0].id))
        page = [ev for ev in page if ev.id not in self._ids]
        self._ids.update(ev.id for ev in page)
        if page:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(page) - 1)
            self.rows.extend(page)
            self.endInsertRows()
            if not self._time_sorted():
                self._resort()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the loaded rows (one key per row, in Python: no per-comparison calls as a proxy model makes)."""
        self.sort_column, self.sort_order = column, order
        self._resort()

    def _time_sorted(self) -> bool:
        return self.sort_column == 0 and self.sort_order == Qt.SortOrder.DescendingOrder

    def _resort(self) -> None:
        self.layoutAboutToBeChanged.emit()
        col = self.sort_column
        if col == 0:
            key = lambda ev: (ev.epoch, ev.id)  # noqa: E731
        elif col == 1:
            key = lambda ev: (ev.verdict.rank, ev.epoch)  # noqa: E731
        else:
            key = lambda ev: (cell_text(ev, col).lower(), ev.epoch)  # noqa: E731
        self.rows.sort(key=key, reverse=self.sort_order == Qt.SortOrder.DescendingOrder)
        self.layoutChanged.emit()

    # -- ours -----------------------------------------------------------------------------------------------
    def set_filter(self, flt: EventFilter) -> None:
        self.beginResetModel()
        self.filter = flt
        self.rows = []
        self._ids = set()
        self._cursor = self._newest = None
        self._exhausted = False
        self.endResetModel()
        self.fetchMore()

    def reload(self) -> None:
        self.set_filter(self.filter)

    def add_live(self, events: list[StoredEvent], reload: bool = True) -> bool:
        """New events from the monitor: those the filter shows go on top (newest first).

        Returns False when the rows could not simply be inserted (a flood, or events older than the newest shown,
        as a history import brings) and the first page must be reloaded: now, or by the caller when `reload` is
        False (the window does it once a second, not per batch)."""
        shown = [ev for ev in events if matches(self.filter, ev) and ev.id not in self._ids]
        if not shown:
            return True
        shown.sort(key=lambda e: (e.epoch, e.id), reverse=True)
        older = self._newest is not None and (shown[-1].epoch, shown[-1].id) < self._newest
        if len(shown) > LIVE_INSERT_LIMIT or (older and self._time_sorted()):
            if reload:
                self.reload()
            return False
        self.beginInsertRows(QModelIndex(), 0, len(shown) - 1)
        self.rows[0:0] = shown
        self.endInsertRows()
        self._ids.update(ev.id for ev in shown)
        self._newest = max(self._newest or (0.0, 0), (shown[0].epoch, shown[0].id))
        if self._cursor is None:
            self._cursor = (shown[-1].epoch, shown[-1].id)
        if len(self.rows) > MAX_ROWS:  # the oldest go (paged in again on scrolling)
            self.beginResetModel()
            self.rows.sort(key=lambda e: (e.epoch, e.id), reverse=True)
            for ev in self.rows[MAX_ROWS:]:
                self._ids.discard(ev.id)
            del self.rows[MAX_ROWS:]
            self._cursor = (self.rows[-1].epoch, self.rows[-1].id)
            self._exhausted = False
            self.endResetModel()
        if not self._time_sorted():
            self._resort()
        return True

    def update_live(self, events: list[StoredEvent]) -> bool:
        """Attempts updated in place: their rows change where they stand, leave when the filter no longer shows
        them. Returns False when one the filter now shows is not loaded (the caller reloads)."""
        index = {ev.id: i for i, ev in enumerate(self.rows)}
        complete = True
        gone: list[int] = []
        for ev in events:
            row = index.get(ev.id)
            if row is None:
                if matches(self.filter, ev) and (self._cursor is None or ev.epoch >= self._cursor[0]):
                    complete = False
                continue
            if matches(self.filter, ev):
                self.rows[row] = ev
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
            else:
                gone.append(row)
        for row in sorted(gone, reverse=True):
            self.beginRemoveRows(QModelIndex(), row, row)
            self._ids.discard(self.rows[row].id)  # it may come back (add_live) when the filter shows it again
            del self.rows[row]
            self.endRemoveRows()
        if not self._time_sorted():
            self._resort()
        return complete

    def event_at(self, row: int) -> StoredEvent | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def row_of(self, event_id: int) -> int:
        for i, ev in enumerate(self.rows):
            if ev.id == event_id:
                return i
        return -1

    def export_csv(self, path: str, limit: int = 1_000_000) -> int:
        """Every event of the current filter (not only the loaded rows), newest first. Returns the row count."""
        n = 0
        with open(path, "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(["time", "verdict", "kind", "outcome", "source_ip", "source_port", "caller_id",
                          "caller_name", "extension", "user_agent", "call_id", "reasons", "file", "line"])
            before = None
            while n < limit:
                page = self.reader.page(self.filter, before, 5000)
                for ev in page:
                    outcome = OUTCOME_WORDS.get(ev.outcome, ev.outcome or "")  # "blocked", as the window says
                    out.writerow([when(ev.epoch), str(ev.verdict), ev.kind, outcome,
                                  *(_csv_safe(v) for v in (ev.source_ip, ev.source_port, ev.caller_id,
                                                           ev.caller_name, ev.extension, ev.user_agent, ev.call_id)),
                                  _csv_safe("; ".join(r.text for r in ev.reasons)), ev.file, ev.line])
                n += len(page)
                if len(page) < 5000:
                    break
                before = (page[-1].epoch, page[-1].id)
        return n


def _csv_safe(value: object) -> str:
    """Text for a spreadsheet: no control characters, and no formula (`=`, `+`, `-`, `@` first) from a log."""
    text = display_text(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
