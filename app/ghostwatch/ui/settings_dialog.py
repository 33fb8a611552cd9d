"""The settings dialog, built from the fields `AppSettings` declares (labels and help come from there)."""

from __future__ import annotations

from dataclasses import replace

import phonenumbers
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..core.app_settings import AppSettings
from ..core.hours import Hours
from ..core.notify_policy import LEVEL_LABELS
from .theme import plain_label


class _Hours(QWidget):
    """Office or quiet hours: an `Hours` span, which may wrap past midnight (22 to 6 is a night)."""

    def __init__(self, value: Hours | None, label: str) -> None:
        super().__init__()
        self.label = label
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.on = QCheckBox("from")
        self.start = QSpinBox()
        self.start.setRange(0, 23)
        self.end = QSpinBox()
        self.end.setRange(1, 24)
        self.on.setChecked(value is not None)
        self.start.setValue(value.start if value else 8)
        self.end.setValue(value.end if value else 18)
        lay.addWidget(self.on)
        lay.addWidget(self.start)
        lay.addWidget(plain_label("to"))
        lay.addWidget(self.end)
        lay.addWidget(plain_label("o'clock"))
        lay.addStretch(1)

    def value(self) -> Hours | None:
        """The span chosen, or None when off; ValueError (naming the field) for an empty span."""
        if not self.on.isChecked():
            return None
        try:
            return Hours(self.start.value(), self.end.value())
        except ValueError as exc:
            raise ValueError(f"{self.label}: {exc}") from None


class SettingsDialog(QDialog):
    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("GhostWatch settings")
        self.settings = settings
        self.editors: dict[str, QWidget] = {}
        form = QFormLayout()
        for f in AppSettings.editable():
            value = getattr(settings, f.name)
            kind = f.metadata["kind"]
            if kind in ("paths", "networks"):
                editor = QPlainTextEdit("\n".join(value))
                editor.setMaximumHeight(80)
                if kind == "paths":
                    box = QWidget()
                    bl = QVBoxLayout(box)
                    bl.setContentsMargins(0, 0, 0, 0)
                    bl.addWidget(editor)
                    add = QPushButton("Add a folder…")
                    add.clicked.connect(lambda _=False, e=editor: self._add_folder(e))
                    bl.addWidget(add, 0, Qt.AlignmentFlag.AlignLeft)
                    shown: QWidget = box
                else:
                    shown = editor
            elif kind == "bool":
                editor = QCheckBox()
                editor.setChecked(bool(value))
                shown = editor
            elif kind == "region":
                editor = QComboBox()
                for code in sorted(phonenumbers.SUPPORTED_REGIONS):
                    editor.addItem(code, code)
                editor.setCurrentIndex(max(0, editor.findData(value)))
                shown = editor
            elif kind == "level":
                editor = QComboBox()
                for key, label in LEVEL_LABELS.items():
                    editor.addItem(label, key)
                editor.setCurrentIndex(max(0, editor.findData(value)))
                shown = editor
            elif kind == "hours":
                editor = _Hours(value, f.metadata["label"])
                shown = editor
            else:  # days
                editor = QSpinBox()
                editor.setRange(0, 3650)
                editor.setValue(int(value))
                editor.setSpecialValueText("forever")
                shown = editor
            shown.setToolTip(f.metadata["help"])
            self.editors[f.name] = editor
            form.addRow(plain_label(f.metadata["label"]), shown)
        self.error = plain_label(wrap=True)
        self.error.setStyleSheet("color: #b3261e;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(buttons)

    def _add_folder(self, editor: QPlainTextEdit) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose your PBX's log folder", "/var/log")
        if path:
            text = editor.toPlainText().rstrip()
            editor.setPlainText((text + "\n" if text else "") + path)

    def result_settings(self) -> AppSettings:
        """The edited settings, validated (raises ValueError with a message for people)."""
        values = {}
        for name, editor in self.editors.items():
            if isinstance(editor, QPlainTextEdit):
                values[name] = tuple(line.strip() for line in editor.toPlainText().splitlines() if line.strip())
            elif isinstance(editor, QCheckBox):
                values[name] = editor.isChecked()
            elif isinstance(editor, QComboBox):
                values[name] = editor.currentData()
            elif isinstance(editor, _Hours):
                values[name] = editor.value()
            elif isinstance(editor, QSpinBox):
                values[name] = editor.value()
        return replace(self.settings, **values).validated()

    def accept(self) -> None:
        try:
            self.settings = self.result_settings()
        except ValueError as exc:
            self.error.setText(f"Please check: {exc}")
            return
        super().accept()
