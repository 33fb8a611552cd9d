"""The hardening wizard: check the phone system, walk every step with the exact fix, export the report.

Nothing here changes the PBX or the firewall: the wizard reads configuration files (in a background job), shows
what it found with the file and line, and hands over lines to copy. Progress is saved after every change, so the
office manager can stop and come back. All texts are plain text; configuration lines are never interpreted.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QDateTime, Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication, QPageSize, QPdfWriter, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ..core.firewall import FIREWALLS, allow_only
from ..core.hardening.audit import PBX_LABELS, AuditResult, default_config_dir, run_audit
from ..core.hardening.checklist import PBX_NAMES, PHONE_NAMES, Step
from ..core.hardening.findings import STATUS_WORDS, Status
from ..core.hardening.progress import Progress, load_progress, pbx_key, save_progress, step_states
from ..core.hardening.report_html import render_report
from ..core.text import display_text
from .background import Job
from .theme import WrapLabel, plain_label

BADGE_COLOURS = {Status.PASS: "#1e7b34", Status.FAIL: "#b42318", Status.UNKNOWN: "#8a6d00",
                 Status.MANUAL: "#5f6368", Status.DONE: "#1e7b34"}
INTRO = ("Ghost calls are calls that ring a phone with nobody on the line. Almost all come from programs that scan "
         "the internet for phone systems to break into; once in, they make expensive calls that you pay for.\n\n"
         "This assistant walks you through nine steps that keep them out. It reads your phone system's settings to "
         "check what it can, and for every step shows the exact change to make, on the phone system and on your "
         "phones. It never changes anything itself. You can stop at any time: your progress is kept.")


def _mono() -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setReadOnly(True)
    box.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    box.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
    return box


class CopyBlock(QWidget):
    """A heading, a read-only block of exact text and a Copy button."""

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
        self.text = _mono()
        lay.addWidget(self.text)
        self.set_text(text)

    def set_text(self, text: str) -> None:
        self.text.setPlainText(text)
        lines = max(2, min(14, text.count("\n") + 2))
        self.text.setFixedHeight(self.text.fontMetrics().lineSpacing() * lines + 12)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())
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


class IntroPage(QWizardPage):
    checkRequested = Signal()

    def __init__(self, wizard: HardeningWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Keep ghost calls out")
        lay = QVBoxLayout(self)
        lay.addWidget(WrapLabel(INTRO))
        form = QFormLayout()
        row = QHBoxLayout()
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("e.g. /etc/asterisk or /etc/freeswitch, a copy of it, or an archive of it")
        browse = QPushButton("Folder…")
        browse.clicked.connect(self._browse)
        archive = QPushButton("Archive…")
        archive.setToolTip("A .tar.gz or .zip of the settings folder, e.g. made on the PBX with\n"
                           "sudo tar czf pbx-settings.tgz /etc/asterisk")
        archive.clicked.connect(self._archive)
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        row.addWidget(archive)
        form.addRow(plain_label("Phone system settings:"), row)
        self.pbx = QComboBox()
        self.pbx.addItem("Find out from the settings folder", "")
        for key, label in PBX_NAMES.items():
            self.pbx.addItem(label, key)
        form.addRow(plain_label("Your phone system:"), self.pbx)
        self.brand = QComboBox()
        self.brand.addItem("Not sure / other", "")
        for key, label in PHONE_NAMES.items():
            self.brand.addItem(label, key)
        form.addRow(plain_label("Your desk phones:"), self.brand)
        lay.addLayout(form)
        buttons = QHBoxLayout()
        self.check = QPushButton("Check my system")
        self.check.setDefault(True)
        self.check.clicked.connect(self.checkRequested)
        self.rang = QPushButton("A phone rang and nobody was there…")
        self.selftest = QPushButton("Test my phone system like a scanner…")
        buttons.addWidget(self.check)
        buttons.addStretch(1)
        buttons.addWidget(self.rang)
        buttons.addWidget(self.selftest)
        lay.addLayout(buttons)
        self.result = WrapLabel()
        lay.addWidget(self.result)
        lay.addStretch(1)

    def _browse(self) -> None:
        start = self.folder.text() or str(default_config_dir() or Path.home())
        chosen = QFileDialog.getExistingDirectory(self, "Phone system settings folder", start)
        if chosen:
            self.folder.setText(chosen)

    def _archive(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "An archive of the phone system's settings", str(Path.home()),
                                                "Archives (*.tar.gz *.tgz *.tar.bz2 *.tar.xz *.tar *.zip)")
        if chosen:
            self.folder.setText(chosen)


class StepPage(QWizardPage):
    def __init__(self, wizard: HardeningWizard, step: Step) -> None:
        super().__init__()
        self.w = wizard
        self.step = step
        self.setTitle(step.title)
        outer = QVBoxLayout(self)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        body = QWidget()
        self.lay = QVBoxLayout(body)
        scroll.setWidget(body)
        outer.addWidget(scroll)
        self.badge = Badge()
        self.lay.addWidget(self.badge)
        self.lay.addWidget(WrapLabel(step.why))
        self.found = CopyBlock("What GhostWatch found in your settings")
        self.lay.addWidget(self.found)
        self.fix = CopyBlock("How to fix it")
        self.lay.addWidget(self.fix)
        self.pbx_block = CopyBlock("On the phone system")
        self.phone_block = CopyBlock("On the phones")
        self.lay.addWidget(self.pbx_block)
        self.lay.addWidget(self.phone_block)
        self.firewall: CopyBlock | None = None
        if step.id == "trusted-sources":
            self.firewall_kind = QComboBox()
            for key, label in FIREWALLS.items():
                self.firewall_kind.addItem(label, key)
            self.firewall_kind.currentIndexChanged.connect(self.refresh)
            self.lay.addWidget(plain_label("Firewall rules that let SIP in only from your trusted networks:"))
            self.lay.addWidget(self.firewall_kind)
            self.firewall = CopyBlock("Firewall rules (run as administrator on the PBX)")
            self.lay.addWidget(self.firewall)
        if step.caution:
            caution = WrapLabel(f"Watch out: {step.caution}")
            caution.setStyleSheet("color: #8a4b00;")
            self.lay.addWidget(caution)
        self.others = QCheckBox("Show the fixes for other phone systems and phones")
        self.others.toggled.connect(self.refresh)
        self.lay.addWidget(self.others)
        row = QHBoxLayout()
        self.done = QCheckBox("I did this")
        self.done.toggled.connect(self._confirmed)
        self.recheck = QPushButton("Re-check")
        self.recheck.clicked.connect(wizard.run_check)
        row.addWidget(self.done)
        row.addStretch(1)
        row.addWidget(self.recheck)
        self.lay.addStretch(1)
        outer.addLayout(row)  # below the scrolling text: always in reach

    @Slot()
    def refresh(self) -> None:
        state = self.w.state_of(self.step.id)
        self.badge.set_status(state.status)
        if state.findings:
            lines = []
            for f in state.findings:
                lines.append(f"[{STATUS_WORDS[f.status]}] {f.summary}")
                lines += [f"    {display_text(str(e), 200)}" for e in f.evidence]
            self.found.set_text("\n".join(lines))
        else:
            self.found.set_text("Not checked automatically: only you can check this one (on the phones or the "
                                "router)." if not self.step.checks else
                                "Not checked yet: press Re-check (or \u201cCheck my system\u201d on the first page).")
        fixes = [f.fix for f in state.findings if f.status is Status.FAIL and f.fix]
        self.fix.set_text("\n\n".join(dict.fromkeys(fixes)))
        self.fix.setVisible(bool(fixes))
        pbx, brand = self.w.pbx_choice(), self.w.brand_choice()
        show_all = self.others.isChecked()
        pbx_items = [(k, v) for k, v in self.step.pbx.items() if show_all or not pbx or k == pbx]
        phone_items = [(k, v) for k, v in self.step.phones.items() if show_all or not brand or k == brand]
        self.pbx_block.set_text("\n\n".join(f"{PBX_NAMES.get(k, k)}: {v}" for k, v in pbx_items))
        self.pbx_block.setVisible(bool(pbx_items))
        self.phone_block.set_text("\n\n".join(f"{PHONE_NAMES.get(k, k)}: {v}" for k, v in phone_items))
        self.phone_block.setVisible(bool(phone_items))
        if self.firewall is not None:
            try:
                rules = allow_only(self.w.trusted, self.w.sip_ports(), kind=self.firewall_kind.currentData())
            except ValueError as exc:
                rules = f"{exc}: Settings \u2192 Trusted networks (your office network, your provider's servers)."
            self.firewall.set_text(rules)
        self.done.blockSignals(True)
        self.done.setChecked(self.step.id in self.w.progress.confirmed)
        self.done.blockSignals(False)
        self.recheck.setEnabled(bool(self.step.checks) and not self.w.checking)

    @Slot(bool)
    def _confirmed(self, on: bool) -> None:
        if on:
            self.w.progress.confirmed.add(self.step.id)
        else:
            self.w.progress.confirmed.discard(self.step.id)
        self.w.save()
        self.refresh()


class SummaryPage(QWizardPage):
    def __init__(self, wizard: HardeningWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Your phone system, step by step")
        lay = QVBoxLayout(self)
        self.table = _mono()
        lay.addWidget(self.table)
        row = QHBoxLayout()
        self.export = QPushButton("Save the report (HTML)…")
        self.export.clicked.connect(self._export)
        self.pdf = QPushButton("Save as PDF…")
        self.pdf.clicked.connect(self._pdf)
        row.addWidget(self.export)
        row.addWidget(self.pdf)
        row.addStretch(1)
        lay.addLayout(row)
        self.saved = plain_label(wrap=True)
        lay.addWidget(self.saved)
        lay.addWidget(WrapLabel("Hand the report to whoever looks after your phone system: it lists what was "
                                "checked, what was found (with file and line) and the exact fixes."))

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        self.w.progress.page = "summary"
        self.w.save()
        states = self.w.states()
        width = max(len(s.step.title) for s in states)
        lines = [f"{s.step.title:<{width}}  {STATUS_WORDS[s.status]}" for s in states]
        fails = sum(1 for s in states if s.status is Status.FAIL)
        lines += ["", f"{fails} step(s) still need fixing." if fails else "Nothing left to fix that GhostWatch "
                  "can check."]
        self.table.setPlainText("\n".join(lines))

    def _export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the hardening report", str(Path.home() /
                                              "ghostwatch-hardening-report.html"), "Web page (*.html)")
        if path:
            self._report(self.w.export_html, path)

    def _pdf(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the hardening report as PDF", str(Path.home() /
                                              "ghostwatch-hardening-report.pdf"), "PDF (*.pdf)")
        if path:
            self._report(self.w.export_pdf, path)

    def _report(self, write, path: str) -> None:
        try:
            write(Path(path))
        except OSError as exc:
            self.saved.setText(f"Could not save {path}: {exc.strerror or exc}")
        else:
            self.saved.setText(f"Saved {path}")


class HardeningWizard(QWizard):
    """The guided hardening wizard. `trusted` are the networks from the settings (for the firewall rules)."""

    checked = Signal()  # an automatic check finished (or failed)

    def __init__(self, steps: list[Step], progress_path: Path, resources: Path, trusted: tuple[str, ...] = (),
                 history_path: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Harden my phone system — GhostWatch")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setTitleFormat(Qt.TextFormat.PlainText)
        self.setSubTitleFormat(Qt.TextFormat.PlainText)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage)
        self.setOption(QWizard.WizardOption.HaveCustomButton1)
        self.setButtonText(QWizard.WizardButton.CustomButton1, "Skip to summary")
        self.customButtonClicked.connect(self._skip_to_summary)
        self.resize(860, 680)
        self.steps = steps
        self.progress_path = progress_path
        self.resources = resources
        self.trusted = tuple(trusted)
        self.history_path = history_path
        self.progress: Progress = load_progress(progress_path)
        self.checking = False
        self.last_error = ""
        self._job: Job | None = None
        self.intro = IntroPage(self)
        self.intro.folder.setText(self.progress.config_dir or str(default_config_dir() or ""))
        self.intro.pbx.setCurrentIndex(max(0, self.intro.pbx.findData(self.progress.pbx)))
        self.intro.brand.setCurrentIndex(max(0, self.intro.brand.findData(self.progress.phone_brand)))
        self.intro.folder.editingFinished.connect(self._choices_changed)
        self.intro.pbx.currentIndexChanged.connect(self._choices_changed)
        self.intro.brand.currentIndexChanged.connect(self._choices_changed)
        self.intro.checkRequested.connect(self.run_check)
        self.intro.rang.clicked.connect(self.open_rang)
        self.intro.selftest.clicked.connect(self.open_selftest)
        self.addPage(self.intro)
        self.pages: dict[str, StepPage] = {}
        self.page_ids: dict[str, int] = {}
        for step in steps:
            page = StepPage(self, step)
            self.pages[step.id] = page
            self.page_ids[step.id] = self.addPage(page)
        self.summary = SummaryPage(self)
        self.summary_id = self.addPage(self.summary)
        self.currentIdChanged.connect(self._page_shown)
        self._show_audit_line()

    # -- state ------------------------------------------------------------------------------------------------
    def states(self):
        return step_states(self.steps, self.progress.audit, self.progress.confirmed)

    def state_of(self, step_id: str):
        return next(s for s in self.states() if s.step.id == step_id)

    def pbx_choice(self) -> str:
        return self.intro.pbx.currentData() or pbx_key(self.progress.audit)

    def brand_choice(self) -> str:
        return self.intro.brand.currentData() or ""

    def sip_ports(self) -> list[int]:
        return list((self.progress.audit or {}).get("sip_ports") or [5060])

    def save(self) -> None:
        try:
            save_progress(self.progress_path, self.progress)
        except OSError as exc:  # a full disk must not break the wizard; say it once
            self.intro.result.setText(f"Your progress could not be saved: {exc.strerror or exc}")

    @Slot()
    def _choices_changed(self) -> None:
        self.progress.config_dir = self.intro.folder.text().strip()
        self.progress.pbx = self.intro.pbx.currentData() or ""
        self.progress.phone_brand = self.intro.brand.currentData() or ""
        self.save()

    # -- automatic checks -------------------------------------------------------------------------------------
    @Slot()
    def run_check(self) -> None:
        """Every automatic check at once, in a background job."""
        if self.checking:
            return
        self._choices_changed()
        folder = self.progress.config_dir
        if not folder:
            self.intro.result.setText("Choose the folder with your phone system's settings first (on a Linux PBX: "
                                      "/etc/asterisk or /etc/freeswitch; you can copy it to this computer).")
            return
        self.checking = True
        self.intro.check.setEnabled(False)
        self.intro.result.setText("Checking…")
        resources = self.resources
        self._job = Job(lambda: run_audit(Path(folder), resources))
        self._job.finished.connect(self._check_done)
        self._job.failed.connect(self._check_failed)
        self._job.start()
        self._refresh_current()

    @Slot(object)
    def _check_done(self, result: AuditResult) -> None:
        self.checking = False
        self.last_error = ""
        self.progress.audit = result.to_json()
        self.save()
        self.intro.check.setEnabled(True)
        self._show_audit_line()
        self._refresh_current()
        self.checked.emit()

    @Slot(str)
    def _check_failed(self, message: str) -> None:
        self.checking = False
        # AuditError's text is for people; anything else is a bug, still shown rather than swallowed
        self.last_error = message.split(": ", 1)[1] if message.startswith("AuditError: ") else message
        self.intro.check.setEnabled(True)
        self.intro.result.setText(f"Could not check: {self.last_error}")
        self._refresh_current()
        self.checked.emit()

    def _show_audit_line(self) -> None:
        audit = self.progress.audit
        if not audit:
            return
        c = audit.get("summary", {})
        pbx = PBX_LABELS.get(str(audit.get("pbx")), "phone system")
        variant = " and ".join(audit.get("variants") or [])
        try:
            when = datetime.fromisoformat(str(audit.get("checked_at"))).strftime("%d %b %Y at %H:%M")
        except ValueError:
            when = "?"
        self.intro.result.setText(
            f"Checked {display_text(audit.get('config_dir'), 240)} ({pbx}{', ' + variant if variant else ''}) on "
            f"{when}: {c.get('fail', 0)} step(s) need fixing, {c.get('pass', 0)} OK, {c.get('cannot_tell', 0)} "
            f"cannot tell, {c.get('manual', 0)} to check by hand. Press Next to go through them."
            + "".join(f"\nNote: {display_text(p, 200)}" for p in audit.get("problems", [])[:3]))
        self.intro.result.setStyleSheet("font-weight: bold;")

    def _refresh_current(self) -> None:
        page = self.currentPage()
        if isinstance(page, StepPage):
            page.refresh()

    # -- navigation -------------------------------------------------------------------------------------------
    @Slot(int)
    def _page_shown(self, _page_id: int) -> None:
        """Forward or back, a step page shows the latest results, and the place is remembered."""
        page = self.currentPage()
        if isinstance(page, StepPage):
            self.progress.page = page.step.id
            self.save()
            page.refresh()

    def open_step(self, step_id: str) -> None:
        """Jump to a step's page (from the detail pane or the rang answer)."""
        target = self.page_ids.get(step_id)
        if target is None:
            return
        if self.currentId() == -1:
            self.restart()
        while self.currentId() != target and self.currentId() < target and self.currentId() != -1:
            self.next()
        while self.currentId() > target:
            self.back()

    def resume(self) -> None:
        """Back to the page the user was on last time."""
        if self.progress.page == "summary":
            self._skip_to_summary()
        elif self.progress.page in self.page_ids:
            self.open_step(self.progress.page)

    @Slot(int)
    def _skip_to_summary(self, _which: int = 0) -> None:
        if self.currentId() == -1:
            self.restart()
        while self.currentId() != self.summary_id and self.currentId() != -1:
            self.next()

    # -- report -----------------------------------------------------------------------------------------------
    def report_html(self) -> str:
        audit = self.progress.audit or {}
        return render_report(self.states(), pbx=self.pbx_choice(), phone_brand=self.brand_choice(),
                             config_dir=str(audit.get("config_dir") or ""),
                             checked_at=str(audit.get("checked_at") or ""))

    def export_html(self, path: Path) -> None:
        path.write_text(self.report_html(), encoding="utf-8")

    def export_pdf(self, path: Path) -> None:
        writer = QPdfWriter(str(path))
        writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        writer.setTitle("GhostWatch hardening report")
        doc = QTextDocument()
        doc.setHtml(self.report_html())  # our own escaped HTML: configuration text is already plain
        doc.print_(writer)
        if not path.exists():
            raise OSError(f"the PDF could not be written to {path}")

    # -- the two helpers on the first page --------------------------------------------------------------------
    @Slot()
    def open_rang(self) -> None:
        RangDialog(self).exec()

    @Slot()
    def open_selftest(self) -> None:
        SelfTestDialog(self).exec()


class RangDialog(QDialog):
    """'It rang but nobody was there': when? GhostWatch looks in its history for that call."""

    def __init__(self, wizard: HardeningWizard) -> None:
        super().__init__(wizard)
        self.w = wizard
        self.setWindowTitle("A phone rang and nobody was there")
        lay = QVBoxLayout(self)
        lay.addWidget(WrapLabel("When did it ring? GhostWatch looks for that call in what it has recorded."))
        self.when = QDateTimeEdit(QDateTime.currentDateTime())
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("dd MMM yyyy  HH:mm")
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
        self._job: Job | None = None

    @Slot()
    def lookup(self) -> None:
        path = self.w.history_path
        if path is None or not path.exists():
            self.answer.setText("GhostWatch has no recorded history yet, so it cannot tell.")
            return
        when = self.when.dateTime().toSecsSinceEpoch()

        def work():
            from ..core.hardening.rang import explain_ring
            from ..store.queries import HistoryReader

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
        self.answer.setText(answer.explanation)
        self.steps = answer.steps
        self.go.setVisible(bool(self.steps))

    @Slot(str)
    def _failed(self, message: str) -> None:
        self.look.setEnabled(True)
        self.answer.setText(f"Could not read the history: {message}")

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
        from ..core.hardening.selftest import SelfTestRefused, check_target, run_selftest

        target = self.target.text().strip()
        try:
            check_target(target)
        except SelfTestRefused as exc:
            self.answer.setText(str(exc))
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

    @Slot(str)
    def _failed(self, message: str) -> None:
        self.run.setEnabled(self.consent.isChecked())
        self.answer.setText(f"The test could not run: {message}")

