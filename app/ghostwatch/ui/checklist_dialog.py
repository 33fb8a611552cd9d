"""The hardening checklist to read: every step, why it matters and the exact fix, as plain text.

(The guided wizard with automatic checks is issue #5; this is the reading view it will start from.)
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QListWidget, QPlainTextEdit, QVBoxLayout, QWidget

from ..core.hardening.checklist import Step


class ChecklistDialog(QDialog):
    def __init__(self, steps: list[Step], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Hardening checklist")
        self.steps = steps
        self.list = QListWidget()
        for i, step in enumerate(steps, start=1):
            self.list.addItem(f"{i}. {step.title}")
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setFixedWidth(340)
        self.text = QPlainTextEdit()  # plain text: the checklist's words, never markup
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont))
        self.list.currentRowChanged.connect(self._show)
        row = QHBoxLayout()
        row.addWidget(self.list)
        row.addWidget(self.text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(row, 1)
        lay.addWidget(buttons)
        self.resize(900, 520)
        if steps:
            self.list.setCurrentRow(0)

    def show_step(self, step_id: str) -> None:
        for i, step in enumerate(self.steps):
            if step.id == step_id:
                self.list.setCurrentRow(i)
                return

    def _show(self, row: int) -> None:
        if 0 <= row < len(self.steps):
            self.text.setPlainText(self.steps[row].as_text())
