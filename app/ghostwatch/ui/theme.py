"""Colours, words and plain-text widgets shared by the window's parts."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QIcon
from PySide6.QtWidgets import QLabel, QLayout, QLayoutItem, QSizePolicy, QWidget

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


def count_words(n: int, one: str, many: str | None = None) -> str:
    """`1 ghost call`, `2 ghost calls`, `1,204 attacks`."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


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
    """A word-wrapped plain-text label that reserves the height its text needs (so layouts never overlap it).

    It never asks for width: the text reflows to whatever the layout gives (no horizontal scrollbar for a long
    reason), and a word longer than the line (an address, a user agent) still breaks.
    """

    def __init__(self, text: str = "", selectable: bool = False) -> None:
        super().__init__()
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(120)
        self.setText(text)
        if selectable:
            self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self._text = text
        super().setText(breakable(text))
        self._fit()

    def text(self) -> str:
        """The text as given (without the break opportunities added for display)."""
        return getattr(self, "_text", super().text())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """Exactly as tall as the text at the label's width: no overlap below it, and no gap either."""
        low, high = self.minimumHeight(), self.maximumHeight()
        self.setMinimumHeight(0)  # QLabel's heightForWidth never answers below the minimum height: lift it
        height = self.heightForWidth(max(self.width(), 50))
        if height > 0 and (height != low or height != high):
            self.setFixedHeight(height)
        else:
            self.setMinimumHeight(low)


def set_plain(label: QLabel, value: object, limit: int | None = None) -> None:
    """Show log-derived text: control and bidi characters removed, elided, the whole value in the tooltip."""
    full = display_text(value)
    shown = display_text(value, limit)
    label.setText(shown)
    label.setToolTip(rich_text_paragraph(full) if shown != full else "")  # escaped: Qt guesses a tooltip's format


def fit_to_screen(widget: QWidget, width: int, height: int, margin: int = 48) -> None:
    """Resize `widget` to width x height, or to what its screen has room for (less a panel's margin): a dialog must
    never open with its buttons below the edge of a small laptop's screen."""
    screen = widget.screen() or QGuiApplication.primaryScreen()
    if screen is not None:
        room = screen.availableGeometry()
        width, height = min(width, room.width() - margin // 2), min(height, room.height() - margin)
    widget.resize(width, height)


def icon(name: str = "ghostwatch") -> QIcon:
    return QIcon(str(resources_dir() / "icons" / f"{name}.svg"))


def heading_font(size_delta: int = 3, bold: bool = True) -> QFont:
    font = QFont()
    font.setPointSize(font.pointSize() + size_delta)
    font.setBold(bold)
    return font


def breakable(text: str, longest: int = 40) -> str:
    """Text whose very long words may break (a zero-width space every `longest` characters inside them)."""
    if len(text) <= longest:
        return text
    words = text.split(" ")
    if all(len(w) <= longest for w in words):
        return text
    return " ".join(w if len(w) <= longest else "\u200b".join(w[i:i + longest] for i in range(0, len(w), longest))
                    for w in words)


# -- one date style everywhere: "Sun 29 Nov 2026, 02:32:05"; in lists "29 Nov 02:32:05" ------------------------
def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)  # epochs are the PBX's wall clock read as UTC


def when_long(epoch: float) -> str:
    """A moment in full: `Sun 29 Nov 2026, 02:32:05` (detail pane, dialogs)."""
    return _dt(epoch).strftime("%a %d %b %Y, %H:%M:%S")


def when_short(epoch: float) -> str:
    """A moment in a list: `29 Nov 02:32:05` (table)."""
    return _dt(epoch).strftime("%d %b %H:%M:%S")


def when_minute(epoch: float) -> str:
    """To the minute: `29 Nov 02:32` (top sources, the scope button)."""
    return _dt(epoch).strftime("%d %b %H:%M")


def when_day(epoch: float) -> str:
    return _dt(epoch).strftime("%a %d %b %Y")


def span_words(start: float, end: float) -> str:
    """A time range: `29 Nov 02:00 – 02:15`, or `29 Nov – 30 Nov` for whole days."""
    a, b = _dt(start), _dt(end)
    if end - start >= 86400 and a.hour == a.minute == 0:
        last = _dt(end - 1)
        return f"{a:%d %b}" if last.date() == a.date() else f"{a:%d %b} – {last:%d %b}"
    return f"{a:%d %b %H:%M} – {b:%H:%M}" if a.date() == _dt(end - 1).date() else f"{a:%d %b %H:%M} – {b:%d %b %H:%M}"


class FlowLayout(QLayout):
    """Widgets left to right, wrapping to a new row when the width runs out (buttons never force the width)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt's name
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt's name
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt's name
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 - Qt's name
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt's name
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt's name
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _place(self, rect: QRect, move: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, row_height = area.x(), area.y(), 0
        for item in self._items:
            if item.widget() is not None and item.widget().isHidden():
                continue
            hint = item.sizeHint()
            width = min(hint.width(), area.width())
            if x > area.x() and x + width > area.right() + 1:
                x, y, row_height = area.x(), y + row_height + self._spacing, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), QSize(width, hint.height())))
            x += width + self._spacing
            row_height = max(row_height, hint.height())
        return y + row_height - rect.y() + m.bottom()

