"""The first page's two helpers: "A phone rang and nobody was there…" and the scanner self-test."""

from __future__ import annotations

import re
import sqlite3
from typing import TYPE_CHECKING

from PySide6.QtCore import QDateTime, QTimeZone, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from ...core.hardening.rang import PBX_STEPS, PHONE_STEPS
from ...core.text import display_text
from ..background import Job, failure_text
from ..theme import WrapLabel, count_words, plain_label, when_long

if TYPE_CHECKING:
    from ...core.hardening.rang import RingAnswer
    from ...store.queries import StoredEvent
    from .wizard import HardeningWizard

FLAGGED = ("ghost", "attack", "suspicious")


_QUOTED_VALUE = re.compile(r"""(?<=: )(?:'(.*)'|"(.*)")$""")


def refusal_words(message: str) -> str:
    """The self-test's refusal as a sentence ("Please give…"), not an exception text: quotes made typographic."""
    text = message.strip().rstrip(".")
    quoted = _QUOTED_VALUE.search(text)  # the value the user typed, as Python quoted it: typographic quotes
    if quoted:
        value = quoted.group(1) if quoted.group(1) is not None else quoted.group(2)
        text = text[:quoted.start()] + "\u201c" + value + "\u201d"
    if text.startswith(("give ", "enter ")):
        text = "Please " + text
    return f"GhostWatch did not run the test. {text[:1].upper()}{text[1:]}."


def _moment(epoch: float) -> str:
    return when_long(epoch)[:-3]  # to the minute: "Sun 29 Nov 2026, 02:32"


def _call_words(ev: StoredEvent) -> str:
    who = display_text(ev.caller_id or ev.caller_name, 40) or display_text(ev.source_ip, 45) or "an unknown caller"
    to = f" to extension {display_text(ev.extension, 40)}" if ev.extension else ""
    return f"at {_moment(ev.epoch)[-5:]} from {who}{to}"


def ring_words(answer: RingAnswer, when: float) -> tuple[str, tuple[str, ...]]:
    """What to tell the person about a ring at `when`, and which steps to offer: in plain words, only calls that
    could have rung a phone (a call the phone system refused, like a blocked toll-fraud attempt, rang nothing)."""
    moment = _moment(when)
    if answer.verdict == "not_watching":
        return (f"GhostWatch has no records from around {moment}: it was not reading your phone system's logs then "
                "(or the logs do not go back that far), so it cannot tell where that call came from.", ())
    rang = sorted((c for c in answer.calls if (c.outcome or "") != "rejected"), key=lambda c: abs(c.epoch - when))
    refused = answer.other_nearby + sum(1 for c in answer.calls if (c.outcome or "") == "rejected")
    if rang:
        bad = [c for c in rang if str(c.verdict) in FLAGGED]
        if bad:
            return (f"Your phone system let {count_words(len(rang), 'call')} through around {moment}. "
                    f"{'It' if len(rang) == 1 else 'The closest'} came {_call_words(bad[0])} and looks like a "
                    "scanner testing your phones, not a person. It came through the phone system: \u201cShow me what "
                    "to change\u201d opens the steps that stop such calls there.", PBX_STEPS)
        return (f"Your phone system let {count_words(len(rang), 'call')} through around {moment}, and "
                f"{'it does' if len(rang) == 1 else 'none of them does'} not look like a scanner (the closest came "
                f"{_call_words(rang[0])}). It may have been a real caller who hung up early.", ())
    around = (f" Scanners were trying your phone system at that time (it refused "
              f"{count_words(refused, 'request')}), so they were around." if refused else "")
    return (f"No call reached a phone through your phone system around {moment}. So the call went straight to the "
            "phone: the phone itself can be reached from the internet (a port forwarded to it, or a public "
            f"address).{around} Change these settings on the phone, and remove any port forwarding to phones on "
            "the router.", PHONE_STEPS)


class RangDialog(QDialog):
    """'It rang but nobody was there': when? GhostWatch looks in its history for that call."""

    def __init__(self, wizard: HardeningWizard) -> None:
        super().__init__(wizard)
        self.w = wizard
        self.setWindowTitle("A phone rang and nobody was there")
        self.setMinimumWidth(560)
        lay = QVBoxLayout(self)
        lay.addWidget(WrapLabel("When did it ring? GhostWatch looks for that call in what it has recorded."))
        self.when = QDateTimeEdit(QDateTime.currentDateTime())
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("ddd d MMM yyyy, HH:mm")
        lay.addWidget(self.when)
        self.look = QPushButton("Look it up")
        self.look.clicked.connect(self.lookup)
        lay.addWidget(self.look)
        self.answer = WrapLabel(selectable=True)
        lay.addWidget(self.answer)
        self.go = QPushButton("Show me what to change")
        self.go.setVisible(False)
        self.go.clicked.connect(self._go)
        lay.addWidget(self.go)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        lay.addWidget(close)
        self.steps: tuple[str, ...] = ()
        self._asked = 0.0
        self._job: Job | None = None

    @Slot()
    def lookup(self) -> None:
        path = self.w.history_path
        if path is None or not path.exists():
            self.answer.setText("GhostWatch has no recorded history yet, so it cannot tell.")
            return
        # the history's times are the PBX's wall clock read as UTC: the time typed is read the same way
        typed = self.when.dateTime()
        when = QDateTime(typed.date(), typed.time(), QTimeZone.utc()).toSecsSinceEpoch()
        self._asked = float(when)

        def work():
            from ...core.hardening.rang import explain_ring
            from ...store.queries import HistoryReader

            reader = HistoryReader(path)  # its own connection, in the job's thread
            try:
                return explain_ring(reader, float(when))
            finally:
                reader.close()

        self.look.setEnabled(False)
        self.answer.setText("Looking…")
        self._job = Job(work)
        self._job.finished.connect(self._answered)
        self._job.failed.connect(self._failed)
        self._job.start()

    @Slot(object)
    def _answered(self, answer) -> None:
        self.look.setEnabled(True)
        text, self.steps = ring_words(answer, self._asked)
        self.answer.setText(text)
        self.go.setVisible(bool(self.steps))

    @Slot(object)
    def _failed(self, exc: Exception) -> None:
        self.look.setEnabled(True)
        self.answer.setText(f"Could not read the history: {failure_text(exc, (OSError, sqlite3.Error))}")

    def _go(self) -> None:
        self.accept()
        if self.steps:
            self.w.open_step(self.steps[0])


class SelfTestDialog(QDialog):
    """The self-test, with explicit consent, towards an address on the office network only."""

    def __init__(self, wizard: HardeningWizard) -> None:
        super().__init__(wizard)
        self.setWindowTitle("Test my phone system like a scanner")
        lay = QVBoxLayout(self)
        lay.addWidget(WrapLabel(
            "GhostWatch sends your phone system the two messages an internet scanner starts with: a \u201cwho are "
            "you?\u201d (SIP OPTIONS) and a call without a login (INVITE), and tells you how it answered. A phone "
            "may ring for a moment; GhostWatch hangs up at once. Only addresses on your own network are allowed."))
        form = QFormLayout()
        self.target = QLineEdit()
        self.target.setPlaceholderText("e.g. 192.168.1.10 or 192.168.1.10:5160")
        form.addRow(plain_label("Phone system address:"), self.target)
        lay.addLayout(form)
        self.consent = QCheckBox("This is my own phone system and I agree to test it")
        lay.addWidget(self.consent)
        self.run = QPushButton("Run the test")
        self.run.setEnabled(False)
        self.consent.toggled.connect(self.run.setEnabled)
        self.run.clicked.connect(self.start)
        lay.addWidget(self.run)
        self.answer = WrapLabel(selectable=True)
        lay.addWidget(self.answer)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        lay.addWidget(close)
        self.result = None
        self._job: Job | None = None

    @Slot()
    def start(self) -> None:
        from ...core.hardening.selftest import SelfTestRefused, check_target, run_selftest

        target = self.target.text().strip()
        try:
            check_target(target)
        except SelfTestRefused as exc:
            self.answer.setText(refusal_words(str(exc)))
            return
        consent = self.consent.isChecked()
        self.run.setEnabled(False)
        self.answer.setText("Testing…")
        self._job = Job(lambda: run_selftest(target, consent=consent))
        self._job.finished.connect(self._done)
        self._job.failed.connect(self._failed)
        self._job.start()

    @Slot(object)
    def _done(self, result) -> None:
        self.result = result
        self.run.setEnabled(self.consent.isChecked())
        answers = "\n".join(f"{p.method}: {', '.join(p.responses) or p.reason or 'no answer'}"
                            for p in result.probes)
        self.answer.setText(f"{result.summary}\n\n{answers}")

    @Slot(object)
    def _failed(self, exc: Exception) -> None:
        self.run.setEnabled(self.consent.isChecked())
        self.answer.setText(f"The test could not run: {failure_text(exc, (OSError,))}")

