"""Widgets the wizard's pages share: a block of exact text to copy, a status badge."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ...core.hardening.findings import STATUS_WORDS, Status
from ..theme import WrapLabel, plain_label

BADGE_COLOURS = {Status.PASS: "#1e7b34", Status.FAIL: "#b42318", Status.UNKNOWN: "#8a6d00",
                 Status.MANUAL: "#5f6368", Status.DONE: "#1e7b34"}


def mono_label(text: str = "") -> WrapLabel:
    """Exact text (configuration lines, commands) in a fixed font: wraps, selectable, never a scroll box."""
    label = WrapLabel(text, selectable=True)
    label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    label.setStyleSheet("background: #f5f7fa; border: 1px solid #d5dbe6; border-radius: 4px; padding: 6px;")
    return label


class CopyBlock(QWidget):
    """A heading, the exact text (as tall as it needs: the page scrolls, not the block) and a Copy button."""

    def __init__(self, heading: str, text: str = "") -> None:
        super().__init__()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 4)
        top = QHBoxLayout()
        self.heading = plain_label(heading)
        self.heading.setStyleSheet("font-weight: bold;")
        self.copy = QPushButton("Copy")
        self.copy.clicked.connect(self._copy)
        top.addWidget(self.heading, 1)
        top.addWidget(self.copy)
        lay.addLayout(top)
        self.text = mono_label()
        lay.addWidget(self.text)
        self._plain = ""
        self.set_text(text)

    def set_text(self, text: str, copyable: bool = True) -> None:
        self._plain = text
        self.text.setText(text)
        self.copy.setVisible(copyable and bool(text))
        self.copy.setText("Copy")

    def plain_text(self) -> str:
        return self._plain

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self._plain)
        self.copy.setText("Copied")


class Badge(QWidget):
    def __init__(self) -> None:
        super().__init__()
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.label = plain_label()
        lay.addWidget(self.label)
        lay.addStretch(1)
        self.status = Status.MANUAL

    def set_status(self, status: Status) -> None:
        self.status = status
        self.label.setText(f"  {STATUS_WORDS[status]}  ")
        self.label.setStyleSheet(f"background: {BADGE_COLOURS[status]}; color: white; border-radius: 8px;"
                                 "padding: 2px; font-weight: bold;")


