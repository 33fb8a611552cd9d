"""Find text a person cannot read whole: labels cut or elided where they should wrap, buttons narrower than their
words, widgets running off the right edge of their window or scroll area."""

from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QAbstractButton, QAbstractScrollArea, QComboBox, QLabel, QScrollArea, QWidget


def _visible(w: QWidget) -> bool:
    return w.isVisible() and w.width() > 0 and w.height() > 0


def clipped(root: QWidget, slack: int = 2) -> list[str]:
    """What is clipped under `root` (visible widgets only), described for an assertion message."""
    problems: list[str] = []
    top = root.window()
    for w in root.findChildren(QWidget):
        if not _visible(w) or _inside_scrolled_table(w):
            continue
        name = f"{type(w).__name__} {_text(w)!r}"
        if isinstance(w, QLabel) and w.text():
            rect = w.contentsRect()
            if w.wordWrap():
                need = w.heightForWidth(w.width())  # (the whole label: its frame and padding included)
                if need > w.height() + slack:
                    problems.append(f"{name}: wraps to {need} px high, given {w.height()}")
            else:
                longest = max(w.fontMetrics().horizontalAdvance(line) for line in w.text().splitlines() or [""])
                if longest > rect.width() + slack:
                    problems.append(f"{name}: {longest} px of text in {rect.width()} px")
        elif isinstance(w, QAbstractButton) and w.text():
            if w.sizeHint().width() > w.width() + slack:
                problems.append(f"{name}: needs {w.sizeHint().width()} px, has {w.width()}")
        elif isinstance(w, QComboBox) and w.minimumSizeHint().width() > w.width() + slack:
            problems.append(f"{name}: needs {w.minimumSizeHint().width()} px, has {w.width()}")
        if w.isWindow():
            continue
        frame = _clip_rect(w)
        right = w.mapTo(frame, QPoint(w.width(), 0)).x() if frame is not top else w.mapTo(top, QPoint(w.width(), 0)).x()
        if right > frame.width() + slack and isinstance(w, (QLabel, QAbstractButton, QComboBox)):
            problems.append(f"{name}: its right edge at {right} px is past {frame.width()} px")
    return problems


def _clip_rect(w: QWidget) -> QWidget:
    """The viewport of the nearest scroll area around `w`, or its window."""
    p = w.parentWidget()
    while p is not None and not p.isWindow():
        if isinstance(p.parentWidget(), QAbstractScrollArea) and p is p.parentWidget().viewport():
            return p
        p = p.parentWidget()
    return w.window()


def _inside_scrolled_table(w: QWidget) -> bool:
    """Editors and headers of item views, and the pages of a scroll area's contents, are judged by their view."""
    p = w.parentWidget()
    while p is not None:
        if isinstance(p, QAbstractScrollArea) and not isinstance(p, QScrollArea):
            return True
        p = p.parentWidget()
    return False


def _text(w: QWidget) -> str:
    text = getattr(w, "text", None)
    value = text() if callable(text) else ""
    return (value if isinstance(value, str) else "")[:50]


def too_tall(root: QWidget, slack: int = 6) -> list[str]:
    """Word-wrapped labels taller than their text (a gap that pushes everything below it down)."""
    from PySide6.QtCore import QRect, Qt

    out = []
    for w in root.findChildren(QLabel):
        if not (_visible(w) and w.wordWrap() and w.text()):
            continue
        rect = w.contentsRect()
        need = w.fontMetrics().boundingRect(QRect(0, 0, rect.width(), 100000), Qt.TextFlag.TextWordWrap,
                                            w.text()).height()
        if rect.height() > need + slack:
            out.append(f"QLabel {w.text()[:40]!r}: {rect.height()} px high for {need} px of text")
    return out
