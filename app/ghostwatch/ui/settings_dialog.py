"""The settings dialog, built from the fields `AppSettings` declares (labels and help come from there)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import phonenumbers
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..core.app_settings import AppSettings
from ..core.hours import Hours, describe
from ..core.netaddr import Networks
from ..core.notify_policy import LEVEL_LABELS
from .theme import WrapLabel, fit_to_screen, plain_label

HINTS = {
    "paths": ("/var/log/asterisk", "One folder per line, e.g. /var/log/asterisk or /var/log/freeswitch (a network "
                                   "share works too: then tick “The logs are on a network share” below)."),
    "networks": ("192.168.1.0/24\n203.0.113.10", "One per line: your office network (e.g. 192.168.1.0/24) and "
                                                  "your SIP provider's servers (e.g. 203.0.113.10)."),
}
ERROR_STYLE = "color: #b3261e;"


def country_names() -> list[tuple[str, str]]:
    """(country name, code) for every region phonenumbers knows, by name ("Thailand", "TH")."""
    out = []
    for code in phonenumbers.SUPPORTED_REGIONS:
        territory = QLocale.codeToTerritory(code)
        name = QLocale.territoryToString(territory) if territory != QLocale.Country.AnyTerritory else ""
        out.append((f"{name} ({code})" if name else code, code))
    return sorted(out, key=lambda nc: nc[0].casefold())


def system_country() -> str:
    """The country of the computer's locale (its two-letter code), or ""."""
    code = QLocale.territoryToCode(QLocale.system().territory())
    return code if code in phonenumbers.SUPPORTED_REGIONS else ""


def network_problem(lines: list[str]) -> str:
    """A sentence about the first line that is not a network or address, or ""."""
    for line in lines:
        try:
            Networks.parse([line])  # the parser the settings and the monitor's --trusted use
        except ValueError:
            return (f"“{line}” is not a network or address. Write it like 192.168.1.0/24 (a network) or "
                    f"203.0.113.10 (one address).")
    return ""


def folder_problem(lines: list[str]) -> str:
    missing = [line for line in lines if not Path(line).expanduser().is_dir()]
    if not missing:
        return ""
    return (f"“{missing[0]}” does not exist on this computer (or is not a folder). Check the spelling, or choose "
            f"it with “Add a folder…”.")


class _Hours(QWidget):
    """Office or quiet hours: an `Hours` span, which may wrap past midnight (22 to 6 is a night), and a sentence
    under it that says what the span means with an hour on each side."""

    def __init__(self, value: Hours | None, label: str, name: str) -> None:
        super().__init__()
        self.label = label
        self.name = name
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        row = QWidget()
        lay = QHBoxLayout(row)
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
        outer.addWidget(row)
        self.meaning = WrapLabel()
        self.meaning.setStyleSheet("color: #546e7a;")
        outer.addWidget(self.meaning)
        for signal in (self.on.toggled, self.start.valueChanged, self.end.valueChanged):
            signal.connect(self._explain)
        self._explain()

    def _explain(self) -> None:
        try:
            text, style = describe(self.name, self.value()), "color: #546e7a;"
        except ValueError as exc:  # said at once, in the dialog's error colour, next to the field it is about
            text, style = str(exc), ERROR_STYLE
        self.meaning.setText(text)
        self.meaning.setStyleSheet(style)
        for box in (self.start, self.end):  # an hour has no meaning while the field is off
            box.setEnabled(self.on.isChecked())

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
        self.problems: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        for f in AppSettings.editable():
            value = getattr(settings, f.name)
            kind = f.metadata["kind"]
            if kind in ("paths", "networks"):
                editor = QPlainTextEdit("\n".join(value))
                editor.setMaximumHeight(80)
                editor.setTabChangesFocus(True)
                editor.setPlaceholderText(HINTS[kind][0])
                box = QWidget()
                bl = QVBoxLayout(box)
                bl.setContentsMargins(0, 0, 0, 0)
                bl.addWidget(editor)
                hint = WrapLabel(HINTS[kind][1])
                hint.setStyleSheet("color: #546e7a;")
                bl.addWidget(hint)
                problem = WrapLabel()  # inline validation, next to the field it is about
                problem.setStyleSheet(ERROR_STYLE)
                problem.hide()
                bl.addWidget(problem)
                self.problems[f.name] = problem
                editor.textChanged.connect(lambda n=f.name: self._check(n))
                if kind == "paths":
                    add = QPushButton("Add a folder…")
                    add.clicked.connect(lambda _=False, e=editor: self._add_folder(e))
                    bl.addWidget(add, 0, Qt.AlignmentFlag.AlignLeft)
                shown: QWidget = box
            elif kind == "bool":
                editor = QCheckBox()
                editor.setChecked(bool(value))
                shown = editor
            elif kind == "region":
                editor = QComboBox()
                editor.setEditable(True)  # type a few letters of the name to find it
                editor.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
                for name, code in country_names():
                    editor.addItem(name, code)
                index = editor.findData(value)
                editor.setCurrentIndex(index if index >= 0 else max(0, editor.findData(system_country())))
                shown = editor
            elif kind == "level":
                editor = QComboBox()
                for key, label in LEVEL_LABELS.items():
                    editor.addItem(label, key)
                editor.setCurrentIndex(max(0, editor.findData(value)))
                shown = editor
            elif kind == "hours":
                editor = _Hours(value, f.metadata["label"], f.name)
                shown = editor
            else:  # days
                editor = QSpinBox()
                editor.setRange(0, 3650)
                editor.setValue(int(value))
                editor.setSpecialValueText("forever")
                shown = editor
            shown.setToolTip(f.metadata["help"])
            self.editors[f.name] = editor
            label = plain_label(f.metadata["label"])
            label.setBuddy(editor)
            form.addRow(label, shown)
        self.error = plain_label(wrap=True)
        self.error.setStyleSheet("color: #b3261e;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        fit_to_screen(self, 640, self.sizeHint().height())
        for name in self.problems:
            self._check(name)

    def _check(self, name: str) -> bool:
        """Inline validation of one list field; True when it may be saved (a missing folder is only a warning)."""
        editor = self.editors[name]
        assert isinstance(editor, QPlainTextEdit)
        lines = [line.strip() for line in editor.toPlainText().splitlines() if line.strip()]
        problem = network_problem(lines) if name == "trusted" else folder_problem(lines)
        label = self.problems[name]
        label.setText(problem)
        label.setVisible(bool(problem))
        blocking = bool(problem) and name == "trusted"
        editor.setStyleSheet("QPlainTextEdit { border: 2px solid #b3261e; }" if blocking else "")
        return not blocking

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
        bad = [name for name in self.problems if not self._check(name)]
        if bad:
            self.error.setText(f"Please check the marked field: {self.problems[bad[0]].text()}")
            self.editors[bad[0]].setFocus()
            return
        try:
            self.settings = self.result_settings()
        except ValueError as exc:
            self.error.setText(f"Please check: {exc}")
            return
        super().accept()
