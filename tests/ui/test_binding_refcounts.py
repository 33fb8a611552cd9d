"""Guard against Qt binding releases that corrupt reference counts.

PySide6-Essentials 6.12.0 on Python 3.11 released a reference to None on every beginResetModel/endResetModel and
beginInsertRows/endInsertRows, and to True/False on layout signals; a live table does thousands of those, and the
app died with "Fatal Python error: none_dealloc" after a history import (found by bench/gui_responsiveness.py).
pyproject.toml excludes that release; this test fails on any binding that does it again.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QModelIndex

from ghostwatch.ui.event_model import EventTableModel


def test_model_updates_keep_none_true_and_false_alive(store):
    _history, reader = store
    model = EventTableModel(reader)
    counts = [sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)]
    for _ in range(2000):
        model.beginResetModel()
        model.endResetModel()
        model.beginInsertRows(QModelIndex(), 0, 0)
        model.endInsertRows()
        model.beginRemoveRows(QModelIndex(), 0, 0)
        model.endRemoveRows()
        model.layoutAboutToBeChanged.emit()
        model.layoutChanged.emit()
    after = [sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)]
    assert all(a - b > -100 for a, b in zip(after, counts, strict=True)), (counts, after)
