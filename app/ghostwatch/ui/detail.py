"""The detail pane: every reason in words, the evidence lines, what to do, copy the address or a firewall rule."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..core.advice import advice_for
from ..core.firewall import FIREWALLS, block_source
from ..core.summary_words import attempt_title
from ..core.text import display_text
from ..paths import resources_dir
from ..store.queries import StoredEvent
from .theme import VERDICT_COLOURS, FlowLayout, WrapLabel, heading_font, plain_label, when_long

NORMAL_TODO = "Nothing to do: this is ordinary traffic, shown because the list includes normal events."


class DetailPane(QScrollArea):
    stepRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the text reflows instead
        self.setMinimumWidth(300)
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(12, 8, 12, 8)
        self.title = WrapLabel("Select an event to see why GhostWatch flagged it.")
        self.title.setFont(heading_font(2))
        self.title.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.subtitle = WrapLabel(selectable=True)
        self.reasons_head = plain_label("Why")
        self.reasons_head.setFont(heading_font(0))
        self.reasons = WrapLabel(selectable=True)
        self.todo_head = plain_label("What to do")
        self.todo_head.setFont(heading_font(0))
        self.todo = WrapLabel()
        self.step_button = QPushButton("Show me how to stop this")
        self.step_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.step_button.clicked.connect(lambda: self.stepRequested.emit(self._step))
        self.step_button.setEnabled(False)  # enabled by the app, which opens the checklist
        self.evidence_head = plain_label("Evidence (as the PBX wrote it)")
        self.evidence_head.setFont(heading_font(0))
        self.evidence = QPlainTextEdit()  # plain text only: a log line can never become markup
        self.evidence.setReadOnly(True)
        self.evidence.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.evidence.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.evidence.setMaximumHeight(120)
        self.evidence.setTabChangesFocus(True)
        self.where = WrapLabel(selectable=True)
        self.copy_ip = QPushButton("Copy address")
        self.copy_ip.clicked.connect(self._copy_ip)
        self.firewall_kind = QComboBox()
        for key, label in FIREWALLS.items():  # the short name in the box, the whole label as its tooltip
            self.firewall_kind.addItem(label.split(" (")[0], key)
            self.firewall_kind.setItemData(self.firewall_kind.count() - 1, label, Qt.ItemDataRole.ToolTipRole)
        self.firewall_kind.setToolTip("Which firewall the rule is for")
        self.firewall_kind.currentIndexChanged.connect(self._update_rule)
        self.rule = QPlainTextEdit()
        self.rule.setReadOnly(True)
        self.rule.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.rule.setMaximumHeight(80)
        self.rule.setTabChangesFocus(True)
        self.rule.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.copy_rule = QPushButton("Copy firewall rule")
        self.copy_rule.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.rule.toPlainText()))
        self.buttons = QWidget()  # a row that wraps to a second one when the pane is narrow
        buttons = FlowLayout(self.buttons)
        buttons.addWidget(self.copy_ip)
        buttons.addWidget(self.firewall_kind)
        buttons.addWidget(self.copy_rule)
        for w in (self.title, self.subtitle, self.reasons_head, self.reasons, self.todo_head, self.todo,
                  self.step_button, self.evidence_head, self.evidence, self.where):
            lay.addWidget(w)
        self.block_head = plain_label("Block this address")
        self.block_head.setFont(heading_font(0))
        lay.addWidget(self.block_head)
        lay.addWidget(self.buttons)
        lay.addWidget(self.rule)
        lay.addStretch(1)
        for head in (self.reasons_head, self.todo_head, self.evidence_head, self.block_head):
            head.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)  # the stretch takes the rest
        self.setWidget(body)
        self.event: StoredEvent | None = None
        self._step = "keep-watching"
        self.show_event(None)

    def show_event(self, ev: StoredEvent | None) -> None:
        self.event = ev
        parts = (self.subtitle, self.reasons_head, self.reasons, self.todo_head, self.todo,
                 self.evidence_head, self.evidence, self.where, self.block_head, self.buttons, self.copy_ip,
                 self.firewall_kind,
                 self.copy_rule, self.rule)
        for w in parts:
            w.setVisible(ev is not None)
        self.step_button.setVisible(ev is not None and self.step_button.isEnabled())
        if ev is None:
            self.title.setText("Select an event to see why GhostWatch flagged it.")
            self.title.setStyleSheet("")
            return
        verdict = str(ev.verdict)
        title = attempt_title(verdict, ev.kind, ev.outcome, ev.source_ip, ev.caller_id or ev.caller_name,
                              ev.extension, [r.code for r in ev.reasons], ev.user_agent)
        self.title.setText(title)
        self.title.setStyleSheet(f"color: {VERDICT_COLOURS[verdict]};")
        facts = [when_long(ev.epoch)]
        if ev.source_ip:
            facts.append(f"from {display_text(ev.source_ip)}" + (f" port {ev.source_port}" if ev.source_port else ""))
        if ev.extension and display_text(ev.extension, 24) not in title:  # the title may have named it already
            facts.append(f"to {display_text(ev.extension, 40)}")
        if ev.user_agent:
            facts.append(f"software “{display_text(ev.user_agent, 120)}”")
        self.subtitle.setText(", ".join(facts))
        self.reasons.setText("\n".join(f"• {display_text(r.text)}" for r in ev.reasons) or
                             "• Nothing unusual: this is ordinary traffic.")
        advice = advice_for(ev.reasons, resources_dir())
        flagged = verdict != "normal"
        self.todo.setText(advice.text if flagged else NORMAL_TODO)
        self._step = advice.step
        self.step_button.setVisible(flagged and self.step_button.isEnabled())
        lines = ev.lines
        if len(lines) > 1:  # an attempt several logs reported: each line under its file and line number
            text = "\n".join(f"{_name(e.file)}:{e.line}\n" + "\n".join("  " + display_text(x) for x in e.raw)
                             for e in lines)
        else:
            text = "\n".join(display_text(line) for line in ev.raw)
        self.evidence.setPlainText(text or "(no evidence stored)")
        self.where.setText("; ".join(f"{display_text(e.file)}, line {e.line} ({e.format})" for e in lines[:4])
                           + (f"; and {len(lines) - 4} more" if len(lines) > 4 else ""))
        has_ip = bool(ev.source_ip) and flagged
        for w in (self.block_head, self.buttons, self.copy_ip, self.firewall_kind, self.copy_rule, self.rule):
            w.setVisible(has_ip)
        self._update_rule()

    def _update_rule(self) -> None:
        ev = self.event
        if ev is None or not ev.source_ip:
            self.rule.setPlainText("")
            return
        try:
            self.rule.setPlainText(block_source(ev.source_ip, self.firewall_kind.currentData()))
        except ValueError:
            self.rule.setPlainText("(not an IP address: nothing to block)")

    def _copy_ip(self) -> None:
        if self.event is not None and self.event.source_ip:
            QGuiApplication.clipboard().setText(self.event.source_ip)


def _name(path: str) -> str:
    """A log file's name as the evidence list shows it (the full path is in the line below)."""
    return path.replace("\\", "/").rsplit("/", 1)[-1] or path
