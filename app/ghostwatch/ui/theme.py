"""Colours, words and plain-text widgets shared by the window's parts."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QIcon
from PySide6.QtWidgets import QLabel

from ..core.events import Verdict
from ..core.text import display_text, rich_text_paragraph
from ..paths import resources_dir

# Colour is never the only signal: every verdict is also written out.
VERDICT_COLOURS = {"ghost": "#c62828", "attack": "#ef6c00", "suspicious": "#f9a825", "normal": "#78909c"}
VERDICT_TINTS = {"ghost": "#fdecea", "attack": "#fff1e3", "suspicious": "#fff8dc", "normal": "#ffffff"}
VERDICT_WORDS = {"ghost": "Ghost call", "attack": "Attack", "suspicious": "Suspicious", "normal": "Normal"}
OUTCOME_WORDS = {"rejected": "blocked", "rang": "rang", "answered": "answered", "unknown": "unknown", None: ""}
KIND_WORDS = {"call": "Call", "auth_failure": "Failed login", "probe": "Probe", "registration": "Registration",
              "other": "Event"}


def verdict_word(verdict: Verdict | str) -> str:
    return VERDICT_WORDS.get(str(verdict), str(verdict))


def colour(verdict: Verdict | str) -> QColor:
    return QColor(VERDICT_COLOURS.get(str(verdict), "#78909c"))


def plain_label(text: str = "", wrap: bool = False, selectable: bool = False) -> QLabel:
    """A QLabel that can never interpret its text as HTML."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    label.setWordWrap(wrap)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class WrapLabel(QLabel):
    """A word-wrapped plain-text label that reserves the height its text needs (so layouts never overlap it)."""

    def __init__(self, text: str = "", selectable: bool = False) -> None:
        super().__init__()
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setText(text)
        if selectable:
            self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().setText(text)
        self._fit()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        height = self.heightForWidth(max(self.width(), 50))
        if height > 0 and height != self.minimumHeight():
            self.setMinimumHeight(height)


def set_plain(label: QLabel, value: object, limit: int | None = None) -> None:
    """Show log-derived text: control and bidi characters removed, elided, the whole value in the tooltip."""
    full = display_text(value)
    shown = display_text(value, limit)
    label.setText(shown)
    label.setToolTip(rich_text_paragraph(full) if shown != full else "")  # escaped: Qt guesses a tooltip's format


def icon(name: str = "ghostwatch") -> QIcon:
    return QIcon(str(resources_dir() / "icons" / f"{name}.svg"))


def heading_font(size_delta: int = 3, bold: bool = True) -> QFont:
    font = QFont()
    font.setPointSize(font.pointSize() + size_delta)
    font.setBold(bold)
    return font
